# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .. import const
from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestCustomers(StripeTerminalCase):
    def setUp(self):
        super().setUp()
        self.customers = self.env["stripe.terminal.customer"]
        self.partner = self.env["res.partner"].create(
            {"name": "Jane Doe", "email": "jane@example.com", "phone": "+1 555 0100"}
        )

    def stripe_customers(self):
        return self.stripe.v1.customers.list({"limit": 100}).data

    def test_creates_one_customer_with_details_and_partner_metadata(self):
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        customer = self.stripe.v1.customers.retrieve(customer_id)
        self.assertEqual(customer.name, "Jane Doe")
        self.assertEqual(customer.email, "jane@example.com")
        self.assertEqual(customer.phone, "+1 555 0100")
        self.assertEqual(customer.metadata[const.METADATA_PARTNER], str(self.partner.id))
        # Again: the stored link, no new customer, no request at all.
        requests_before = len(self.stripe_requests())
        self.assertEqual(
            self.customers._stripe_terminal_ensure(self.partner, self.provider), customer_id
        )
        self.assertEqual(len(self.stripe_requests()), requests_before)
        self.assertEqual(len(self.stripe_customers()), 1)

    def test_contacts_share_their_company_customer(self):
        company = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        alice = self.env["res.partner"].create({"name": "Alice", "parent_id": company.id})
        bob = self.env["res.partner"].create({"name": "Bob", "parent_id": company.id})
        first = self.customers._stripe_terminal_ensure(alice, self.provider)
        self.assertEqual(self.customers._stripe_terminal_ensure(bob, self.provider), first)
        self.assertEqual(self.customers._stripe_terminal_ensure(company, self.provider), first)
        self.assertEqual(self.stripe.v1.customers.retrieve(first).name, "Acme")

    def test_finds_the_customer_by_metadata_when_the_link_was_lost(self):
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.customers.search([("partner_id", "=", self.partner.id)]).unlink()
        self.assertEqual(
            self.customers._stripe_terminal_ensure(self.partner, self.provider), customer_id
        )
        self.assertEqual(len(self.stripe_customers()), 1)

    def test_adopts_a_single_customer_with_the_same_email(self):
        existing = self.stripe.v1.customers.create({"name": "J. Doe", "email": "jane@example.com"})
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.assertEqual(customer_id, existing.id)
        adopted = self.stripe.v1.customers.retrieve(existing.id)
        self.assertEqual(adopted.metadata[const.METADATA_PARTNER], str(self.partner.id))
        self.assertEqual(adopted.name, "Jane Doe")
        self.assertEqual(len(self.stripe_customers()), 1)

    def test_does_not_adopt_an_ambiguous_email(self):
        for name in ("Jane A", "Jane B"):
            self.stripe.v1.customers.create({"name": name, "email": "jane@example.com"})
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.assertEqual(len(self.stripe_customers()), 3)
        self.assertEqual(self.stripe.v1.customers.retrieve(customer_id).name, "Jane Doe")

    def test_recreates_a_customer_deleted_on_stripe_when_verifying(self):
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.stripe.v1.customers.delete(customer_id)
        new_id = self.customers._stripe_terminal_ensure(self.partner, self.provider, verify=True)
        self.assertNotEqual(new_id, customer_id)
        link = self.customers.search([("partner_id", "=", self.partner.id)])
        self.assertEqual(link.stripe_customer_id, new_id)

    def test_keeps_name_and_email_in_sync(self):
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.partner.write({"name": "Jane Smith", "email": "jane.smith@example.com"})
        link = self.customers.search([("partner_id", "=", self.partner.id)])
        self.assertFalse(link.synced_fingerprint, "the partner's change marks the link")
        self.customers._cron_sync_changed_customers()
        customer = self.stripe.v1.customers.retrieve(customer_id)
        self.assertEqual(customer.name, "Jane Smith")
        self.assertEqual(customer.email, "jane.smith@example.com")
        self.assertTrue(link.synced_fingerprint)
        # A payment syncs at once too.
        self.partner.name = "Jane S."
        self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.assertEqual(self.stripe.v1.customers.retrieve(customer_id).name, "Jane S.")

    def test_one_customer_per_stripe_account(self):
        other_company = self.env["res.company"].create(
            {"name": "Second Co", "country_id": self.env.ref("base.us").id}
        )
        other_provider = self.setup_stripe_provider(other_company)
        first = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        second = self.customers._stripe_terminal_ensure(self.partner, other_provider)
        self.assertNotEqual(first, second)
        self.assertEqual(len(self.customers.search([("partner_id", "=", self.partner.id)])), 2)

    def test_sends_one_normalised_email_and_a_phone_within_stripe_limits(self):
        # Stripe takes one well-formed address and a phone of at most 20 characters.
        self.partner.write(
            {
                "email": '"Jane Doe" <Jane@Example.com>, accounts@example.com',
                "phone": "+44 20 7946 0958 12 34",
            }
        )
        customer = self.stripe.v1.customers.retrieve(
            self.customers._stripe_terminal_ensure(self.partner, self.provider)
        )
        self.assertEqual(customer.email, "jane@example.com")
        self.assertEqual(customer.phone, "+4420794609581234")
        # A phone that cannot fit is left out rather than refused.
        self.partner.phone = "+1 555 555 0100 extension 4321"
        self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.assertFalse(self.stripe.v1.customers.retrieve(customer.id).phone)

    def test_a_detail_stripe_refuses_never_stops_the_customer(self):
        # Odoo takes an address without a dot in its domain; Stripe does not.
        self.partner.email = "jane@localhost"
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        customer = self.stripe.v1.customers.retrieve(customer_id)
        self.assertEqual(customer.name, "Jane Doe")
        self.assertFalse(customer.email)
        self.assertEqual(customer.metadata[const.METADATA_PARTNER], str(self.partner.id))
        refused = [
            entry
            for entry in self.stripe_requests()
            if entry["path"] == "/v1/customers" and entry["status"] == 400
        ]
        self.assertEqual(len(refused), 1)
        # A later refused update keeps the customer and what Stripe had.
        self.partner.write({"name": "Jane Smith", "email": "jane.smith@localhost"})
        self.assertEqual(
            self.customers._stripe_terminal_ensure(self.partner, self.provider), customer_id
        )
        self.assertEqual(self.stripe.v1.customers.retrieve(customer_id).name, "Jane Doe")

    def test_renamed_and_renamed_back_the_customer_is_updated_each_time(self):
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        for name in ("Jane Smith", "Jane Doe", "Jane Smith"):
            self.partner.name = name
            self.customers._stripe_terminal_ensure(self.partner, self.provider)
            self.assertEqual(self.stripe.v1.customers.retrieve(customer_id).name, name)
        path = f"/v1/customers/{customer_id}"
        updates = [e for e in self.stripe_requests() if (e["method"], e["path"]) == ("POST", path)]
        self.assertEqual(len(updates), 3)
        self.assertFalse([e for e in updates if e["replayed"]], "no earlier answer replayed")

    def test_a_lost_link_finds_the_customer_even_before_search_shows_it(self):
        # Stripe's search lags behind writes (under a minute, up to an hour): the creation's
        # own idempotency key answers with the customer made a moment ago.
        self.simulator.configure_account(self.secret_key, search_lag_seconds=3600)
        customer_id = self.customers._stripe_terminal_ensure(self.partner, self.provider)
        self.customers.search([("partner_id", "=", self.partner.id)]).unlink()
        self.assertEqual(
            self.customers._stripe_terminal_ensure(self.partner, self.provider), customer_id
        )
        self.assertEqual(len(self.stripe_customers()), 1)

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The database itself refuses what "recorded once" forbids, on every series: 19.0 ignores
`_sql_constraints`, so each constraint here is declared with compat.Constraint."""

from odoo.tests import tagged

from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestConstraints(StripeTerminalCase):
    def test_a_stripe_event_is_recorded_once(self):
        event = self.env["stripe.terminal.event"].create(
            {"stripe_event_id": "evt_constraint", "event_type": "terminal.reader.action_succeeded"}
        )
        self.assert_refuses_copy(event, "stripe_event_uniq")

    def test_a_stripe_location_is_known_once_per_provider(self):
        self.assert_refuses_copy(self.location, "stripe_location_uniq")

    def test_a_reader_is_registered_once_per_company(self):
        reader = self.create_reader(label="Constraint reader")
        self.assert_refuses_copy(reader, "stripe_reader_company_uniq")

    def test_a_partner_has_one_stripe_customer_per_account(self):
        customer = self.env["stripe.terminal.customer"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Once"}).id,
                "provider_id": self.provider.id,
                "stripe_customer_id": "cus_constraint",
            }
        )
        self.assert_refuses_copy(customer, "partner_provider_uniq")

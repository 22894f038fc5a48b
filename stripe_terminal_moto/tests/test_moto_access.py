# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeTerminalMotoCase


@tagged("post_install", "-at_install")
class TestMotoAccess(StripeTerminalMotoCase):
    def offered_modes(self, user, company=None):
        description = (
            self.env["account.payment.register"]
            .with_user(user)
            .with_company(company or self.company)
            .fields_get(["stripe_terminal_mode"], ["selection"])
        )
        return [value for value, _label in description["stripe_terminal_mode"]["selection"]]

    def test_moto_is_for_accounting_managers_by_default(self):
        manager_group = self.env.ref("account.group_account_manager")
        self.assertEqual(self.company.stripe_terminal_moto_group_id, manager_group)
        new_company = self.env["res.company"].create({"name": "New Co"})
        self.assertEqual(new_company.stripe_terminal_moto_group_id, manager_group)
        self.assertEqual(self.offered_modes(self.manager), ["terminal", "moto"])
        self.assertEqual(self.offered_modes(self.accountant), ["terminal"])

        invoice = self.create_invoice(50.0)
        requests_before = len(self.stripe_requests())
        # Even when the request does not come from the form, the accountant cannot key a card.
        wizard = self.register_wizard(invoice, stripe_terminal_reader_id=self.reader)
        wizard.stripe_terminal_mode = "moto"
        with self.assertRaisesRegex(UserError, "keyed by the users of the group .*Administrator"):
            wizard.action_stripe_terminal_collect()
        self.assertFalse(self.env["stripe.terminal.payment"].search([]))
        self.assertEqual(len(self.stripe_requests()), requests_before)
        # Card-present payments stay theirs.
        self.assert_paid_once(self.pay(self.collect(invoice)))

    def test_the_company_setting_opens_moto_to_another_group(self):
        billing = self.env.ref("account.group_account_invoice")
        settings = self.env["res.config.settings"].create(
            {"stripe_terminal_moto_group_id": billing.id}
        )
        settings.execute()
        self.assertEqual(self.company.stripe_terminal_moto_group_id, billing)
        self.assertEqual(
            self.env["res.config.settings"].create({}).stripe_terminal_moto_group_id, billing
        )
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('name="stripe_terminal_moto_group_id"', arch)
        self.assertIn("moto", self.offered_modes(self.accountant))
        invoice = self.create_invoice(12.0)
        payment = self.collect_moto(invoice, user=self.accountant)
        self.assertEqual(payment.user_id, self.accountant)
        self.assert_paid_once(self.key_card(payment))
        self.assertEqual(invoice.payment_state, "paid")

    def test_no_group_lets_every_accountant_key_cards(self):
        self.company.stripe_terminal_moto_group_id = False
        self.assertIn("moto", self.offered_modes(self.accountant))
        payment = self.collect_moto(self.create_invoice(18.0), user=self.accountant)
        self.assertEqual(payment.state, "pending")

    def test_the_group_of_the_invoices_company_decides(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        other.stripe_terminal_moto_group_id = False
        self.accountant.company_ids |= other
        self.assertIn("moto", self.offered_modes(self.accountant, other))
        # The accountant works in the other company, where anyone may key cards, but the
        # invoice belongs to a company where only managers may.
        wizard = self.register_wizard(self.create_invoice(10.0))
        wizard.stripe_terminal_mode = "moto"
        with self.assertRaisesRegex(UserError, "keyed by the users of the group"):
            wizard.with_company(other).action_stripe_terminal_collect()

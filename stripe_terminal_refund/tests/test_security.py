# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import StripeTerminalRefundCase


@tagged("post_install", "-at_install")
class TestRefundSecurity(StripeTerminalRefundCase):
    def test_rights(self):
        invoice, payment = self.paid_invoice(40.0)
        credit_note = self.credit_note(invoice)
        refund = self.refund(credit_note, amount=10.0)

        # Accountants read refunds; only the server changes them.
        as_accountant = refund.with_user(self.accountant)
        self.assertEqual(as_accountant.state, "succeeded")
        with self.assertRaises(AccessError):
            as_accountant.write({"amount": 1.0})
        with self.assertRaises(AccessError):
            as_accountant.unlink()
        with self.assertRaises(AccessError):
            self.env["stripe.terminal.refund"].with_user(self.accountant).create(
                {
                    "terminal_payment_id": payment.id,
                    "company_id": self.company.id,
                    "amount": 1.0,
                    "currency_id": self.currency.id,
                    "amount_minor": 100,
                }
            )

        # Users without accounting rights neither see refunds nor open the wizard.
        salesman = new_test_user(self.env, login="st_salesman", groups="base.group_user")
        with self.assertRaises(AccessError):
            refund.with_user(salesman).read(["state"])
        auditor = new_test_user(
            self.env, login="st_auditor", groups="base.group_user,account.group_account_readonly"
        )
        self.assertEqual(credit_note.with_user(auditor).payment_state, "partial")
        with self.assertRaises(AccessError):
            credit_note.with_user(auditor).action_stripe_terminal_refund()
        with self.assertRaises(AccessError):
            self.env["stripe.terminal.refund.wizard"].with_user(salesman).create(
                {"credit_note_id": credit_note.id}
            )

        # Another accountant may look at the refund but not act on it.
        colleague = new_test_user(
            self.env,
            login="st_colleague",
            groups="base.group_user,account.group_account_invoice",
        )
        with self.assertRaisesRegex(UserError, "or an accounting manager can act on"):
            refund.with_user(colleague).action_stripe_terminal_check()
        refund.with_user(self.manager).action_stripe_terminal_check()

    def test_multi_company(self):
        invoice, payment = self.paid_invoice(40.0)
        refund = self.refund(self.credit_note(invoice), amount=10.0)
        other_company = self.env["res.company"].create({"name": "Other refunds Co"})
        other_user = new_test_user(
            self.env,
            login="st_other_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        self.assertFalse(
            self.env["stripe.terminal.refund"]
            .with_user(other_user)
            .search([("id", "=", refund.id)])
        )
        self.assertEqual(
            self.env["stripe.terminal.refund"].with_user(self.accountant).search([]), refund
        )

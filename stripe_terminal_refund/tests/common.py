# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test API for card refunds: a paid invoice, its credit note, the Refund to Card wizard."""

from odoo import fields
from odoo.tests import Form

from odoo.addons.stripe_terminal_account.tests.common import StripeTerminalAccountCase
from odoo.addons.stripe_terminal_base import compat


class StripeTerminalRefundCase(StripeTerminalAccountCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(self.simulator.clear_faults)

    # === Invoices and credit notes === #

    def paid_invoice(self, amount=100.0, number="4242424242424242", **collect_values):
        """An invoice paid on the reader; returns (invoice, terminal payment)."""
        invoice = self.create_invoice(amount)
        payment = self.pay(self.collect(invoice, **collect_values), number=number)
        self.assertEqual(payment.state, "done")
        return invoice, payment

    def credit_note(self, invoice, amount=None):
        """A posted credit note reversing `invoice`, for `amount` (the whole invoice by
        default)."""
        today = fields.Date.today()
        credit_note = invoice._reverse_moves([{"invoice_date": today, "date": today}])
        if amount is not None:
            with Form(credit_note) as form:
                with form.invoice_line_ids.edit(0) as line:
                    line.price_unit = amount
        credit_note.action_post()
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        return credit_note

    # === The wizard === #

    def refund_wizard(self, credit_note, user=None, **values):
        """Refund to Card on `credit_note` as `user` (the accountant by default): the form the
        accountant fills in."""
        credit_note = credit_note.with_user(user or self.accountant)
        action = credit_note.action_stripe_terminal_refund()
        self.assertEqual(action["res_model"], "stripe.terminal.refund.wizard")
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(user or self.accountant)
            .with_context(**action["context"])
        )
        for name, value in values.items():
            setattr(wizard_form, name, value)
        return wizard_form.save()

    def refund(self, credit_note, user=None, **values):
        """Confirm the wizard; return the refund it made."""
        wizard = self.refund_wizard(credit_note, user=user, **values)
        before = self.env["stripe.terminal.refund"].search([])
        action = wizard.action_confirm()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.env.invalidate_all()
        refund = self.env["stripe.terminal.refund"].search([]) - before
        refund.ensure_one()
        return refund

    # === Stripe's side === #

    def stripe_refunds(self, payment=None):
        refunds = self.simulator.account_objects(self.secret_key, "refund")
        if payment:
            refunds = [r for r in refunds if r["payment_intent"] == payment.payment_intent_id]
        return refunds

    def refund_requests(self):
        return [
            entry
            for entry in self.stripe_requests()
            if entry["method"] == "POST"
            and (entry["path"] == "/v1/refunds" or entry["path"].endswith("/refund_payment"))
        ]

    def assert_refunded(self, refund, credit_note, amount):
        """Stripe made the refund; one outgoing payment is posted and reconciled with the
        credit note."""
        self.assertEqual(refund.state, "succeeded")
        self.assertEqual(refund.amount, amount)
        stripe_refund = self.stripe.v1.refunds.retrieve(refund.stripe_refund_id)
        self.assertEqual(stripe_refund.status, "succeeded")
        self.assertEqual(stripe_refund.amount, refund.amount_minor)
        self.assertEqual(stripe_refund.payment_intent, refund.terminal_payment_id.payment_intent_id)
        payments = self.env["account.payment"].search(
            [("stripe_terminal_refund_id", "=", refund.id)]
        )
        self.assertEqual(payments, refund.account_payment_id)
        self.assertEqual(len(payments), 1)
        self.assertIn(payments.state, compat.PAYMENT_BOOKED_STATES)
        self.assertEqual(payments.payment_type, "outbound")
        self.assertEqual(payments.partner_type, "customer")
        self.assertEqual(payments.journal_id, self.journal)
        self.assertAlmostEqual(payments.amount, amount)
        self.assertIn(refund.stripe_refund_id, payments[compat.payment_memo_field()])
        self.assertIn(credit_note, payments.reconciled_invoice_ids)
        return payments

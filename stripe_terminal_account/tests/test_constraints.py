# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The database itself keeps a card payment exactly once, on every series (19.0 ignores
`_sql_constraints`; these are declared with compat.Constraint or made in init())."""

from odoo.tests import tagged

from .common import StripeTerminalAccountCase


@tagged("post_install", "-at_install")
class TestConstraints(StripeTerminalAccountCase):
    def test_a_payment_in_progress_holds_its_intent_its_reader_and_its_lines(self):
        payment = self.collect(self.create_invoice(30.0))
        self.assertEqual(payment.state, "pending")
        self.assertTrue(payment.payment_intent_id)
        # Another payment, already over, of the same PaymentIntent.
        self.assert_refuses_copy(payment, "payment_intent_uniq", state="'done'")
        # Another payment in progress on the same reader, of another PaymentIntent.
        self.assert_refuses_copy(
            payment, "stripe_terminal_payment_one_active_per_reader", payment_intent_id="NULL"
        )
        self.assert_refuses_update(payment, "amount_positive", amount="0")
        hold = self.env["stripe.terminal.payment.hold"].search([("payment_id", "=", payment.id)])
        self.assertTrue(hold)
        self.assert_refuses_copy(hold[0], "move_line_uniq")

    def test_a_card_payment_is_booked_once(self):
        payment = self.pay(self.collect(self.create_invoice(31.0)))
        self.assertTrue(payment.account_payment_id)
        self.assert_refuses_copy(payment.account_payment_id, "stripe_terminal_payment_uniq")

    def test_a_final_payment_never_moves_again(self):
        # The state machine refuses, logs and skips a move out of a final state, whoever asks.
        payment = self.pay(self.collect(self.create_invoice(32.0)))
        self.assertEqual(payment.state, "done")
        logger = "odoo.addons.stripe_terminal_account.models.stripe_terminal_payment"
        for move in (payment._set_canceled, payment._set_pending, payment._set_error):
            with self.assertLogs(logger, "WARNING") as logs:
                self.assertFalse(move(failure_message="late news"))
            self.assertIn(f"{payment.name}: no move from done to", logs.output[0])
        payment.invalidate_recordset()
        self.assertEqual((payment.state, payment.stage), ("done", "approved"))
        self.assertFalse(payment.failure_message)
        self.assert_paid_once(payment)

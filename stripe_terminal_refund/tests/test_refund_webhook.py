# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.stripe_terminal_base import compat

from .common import StripeTerminalRefundCase

REFUND_FAILS_LATER = "4000000000005126"


@tagged("post_install", "-at_install")
class TestRefundWebhook(StripeTerminalRefundCase):
    def test_refund_failed_later_is_shown_and_leaves_an_activity(self):
        invoice, payment = self.paid_invoice(80.0, number=REFUND_FAILS_LATER)
        credit_note = self.credit_note(invoice)
        refund = self.refund(credit_note)
        self.assert_refunded(refund, credit_note, 80.0)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertFalse(credit_note.activity_ids)

        # Stripe reports the failure a moment later, three times (refund.updated, refund.failed,
        # charge.refund.updated).
        self.wait_until(
            lambda: self.stripe.v1.refunds.retrieve(refund.stripe_refund_id).status == "failed",
            message="the refund to fail on Stripe",
        )
        self.deliver_webhooks()
        self.assertEqual(refund.state, "failed")
        self.assertEqual(refund.failure_code, "expired_or_canceled_card")
        self.assertIn("expired", refund.failure_message)
        self.assertEqual(payment.refunded_amount, 0.0)
        self.assertEqual(payment.refundable_amount, 80.0, "the money is refundable again")

        activity = credit_note.activity_ids
        self.assertEqual(len(activity), 1, "one to-do, however many events tell the failure")
        self.assertEqual(activity.user_id, self.accountant)
        self.assertEqual(activity.summary, "Card refund failed")
        self.assertIn(refund.account_payment_id.name, activity.note)
        for record in (invoice, credit_note, payment, refund):
            failures = record.message_ids.filtered(lambda m: "failed" in (m.body or ""))
            self.assertEqual(len(failures), 1, record.display_name)
            self.assertIn(refund.stripe_refund_id, failures.body)

        # The accountant cancels the payment that did not happen: the credit note is open again
        # and can be refunded another way (or to the card again).
        refund.with_user(self.accountant).action_stripe_terminal_cancel_payment()
        self.env.invalidate_all()
        self.assertEqual(refund.account_payment_id.state, compat.PAYMENT_CANCELED_STATE)
        self.assertEqual(refund.account_payment_id.move_id.state, "cancel", "its entry is kept")
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertTrue(credit_note.stripe_terminal_can_refund)

    def test_failure_news_before_the_creation_news(self):
        """The answer of the refund request was lost; Stripe's webhooks then arrive newest
        first: the failure before the creation. The refund goes straight to failed, nothing is
        booked, and the older news does not bring it back."""
        invoice, payment = self.paid_invoice(25.0)
        credit_note = self.credit_note(invoice)
        self.simulator.inject_fault(
            "drop", count=3, path="^/v1/refunds$", method="POST", after_apply=True
        )
        with self.webhooks_mode("reverse"):
            with self.assertRaisesRegex(UserError, "Stripe did not answer"):
                self.refund_wizard(credit_note).action_confirm()
            (stripe_refund,) = self.stripe_refunds(payment)
            self.simulator.fail_refund(stripe_refund["id"])
        self.deliver_webhooks()
        refund = payment.refund_ids
        self.assertEqual(refund.state, "failed")
        self.assertEqual(refund.stripe_refund_id, stripe_refund["id"])
        self.assertFalse(refund.account_payment_id)
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertEqual(payment.refundable_amount, 25.0)
        activity = credit_note.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("another way", activity.note)
        self.assertFalse(payment.refund_ids.filtered(lambda r: r.origin == "stripe"))

    def test_charge_refunded_webhook_confirms_a_pending_refund(self):
        invoice, payment = self.paid_invoice(60.0)
        credit_note = self.credit_note(invoice)
        refund = self.refund(credit_note, amount=15.0)
        # Stripe's webhooks for a refund Odoo already recorded change nothing.
        messages = len(credit_note.message_ids)
        self.deliver_webhooks()
        self.assertEqual(refund.state, "succeeded")
        self.assertEqual(len(credit_note.message_ids), messages)
        self.assertEqual(len(payment.refund_ids), 1, "no refund recorded twice")

    def test_charge_refunded_alone_tells_of_a_refund_made_in_the_dashboard(self):
        """Only charge.refunded arrives (the refund.* events were lost): since 2022-11-15 the
        charge no longer carries its refunds, so Odoo asks Stripe for them."""
        invoice, payment = self.paid_invoice(80.0)
        self.stripe.v1.refunds.create({"payment_intent": payment.payment_intent_id, "amount": 2500})
        self.simulator.discard_held_webhooks()
        event = self.stripe.v1.events.list({"type": "charge.refunded"}).data[0].to_dict()
        self.assertNotIn("refunds", event["data"]["object"])
        self.assertEqual(self.post_webhook(event).status_code, 200)
        self.env.invalidate_all()
        outside = payment.refund_ids
        self.assertEqual(
            (outside.origin, outside.amount, outside.state), ("stripe", 25.0, "succeeded")
        )
        self.assertEqual(payment.refundable_amount, 55.0)

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeTerminalRefundCase

INTERAC = "4506445006931933"


@tagged("post_install", "-at_install")
class TestRefundOnReader(StripeTerminalRefundCase):
    """Interac (Canada) payments cannot be refunded online: the customer presents the card
    on a reader, which makes the refund (Stripe's `refund_payment` reader action)."""

    def setUp(self):
        super().setUp()
        # Interac is Canadian: a Canadian company, Stripe account and reader, in CAD.
        self.company.country_id = self.env.ref("base.ca")
        self.cad = self.env.ref("base.CAD")
        self.cad.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": self.cad.id, "rate": 1.35, "company_id": self.company.id}
        )
        self.use_fresh_account(country="CA")
        self.reader = self.create_reader(label="Front desk")

    def interac_payment(self, amount=50.0):
        """An invoice paid with an Interac card."""
        invoice = self.create_invoice(amount, currency=self.cad)
        payment = self.collect(invoice)
        self.pay(payment, number=INTERAC, card_type="interac_present")
        self.assertEqual(payment.state, "done")
        self.assertEqual(payment.payment_method_type, "interac_present")
        return invoice, payment

    def test_interac_refund_on_the_reader(self):
        invoice, payment = self.interac_payment(50.0)
        credit_note = self.credit_note(invoice)
        wizard = self.refund_wizard(credit_note)
        self.assertTrue(wizard.on_reader)
        self.assertEqual(wizard.reader_id, self.reader, "the reader that took the payment")
        action = wizard.action_confirm()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("Front desk", action["params"]["message"])
        self.env.invalidate_all()
        refund = payment.refund_ids
        self.assertEqual(
            (refund.state, refund.method, refund.reader_id), ("waiting", "reader", self.reader)
        )
        self.assertEqual(payment.refundable_amount, 0.0, "reserved while on the reader")
        self.assertEqual(credit_note.payment_state, "not_paid")
        (request,) = self.refund_requests()
        self.assertTrue(request["path"].endswith("/refund_payment"), "never /v1/refunds")
        self.assertEqual(request["idempotency_key"], refund._key("reader"))
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertEqual(
            (reader.action.type, reader.action.status), ("refund_payment", "in_progress")
        )
        self.assertEqual(reader.action.refund_payment.amount, 5000)

        self.present_card(self.reader, INTERAC, card_type="interac_present")
        self.deliver_webhooks()
        self.assert_refunded(refund, credit_note, 50.0)
        self.assertEqual(credit_note.payment_state, "paid")
        notes = credit_note.message_ids.filtered(
            lambda m: refund.stripe_refund_id in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("Interac", notes.body)

    def test_interac_refund_declined_on_the_reader(self):
        invoice, payment = self.interac_payment(50.0)
        credit_note = self.credit_note(invoice, amount=10.05)
        self.refund(credit_note)
        refund = payment.refund_ids
        self.assertEqual(refund.state, "waiting")
        # Partial Interac refunds of amounts ending in 05 are declined on the reader.
        self.present_card(self.reader, INTERAC, card_type="interac_present")
        self.deliver_webhooks()
        self.assertEqual(refund.state, "refused")
        self.assertIn("declined", refund.failure_message)
        self.assertFalse(refund.account_payment_id)
        self.assertEqual(payment.refundable_amount, 50.0)
        self.assertTrue(credit_note.message_ids.filtered(lambda m: "was refused" in (m.body or "")))

    def test_interac_refund_needs_an_available_reader(self):
        invoice, payment = self.interac_payment(30.0)
        credit_note = self.credit_note(invoice)
        wizard = self.refund_wizard(credit_note)
        wizard.reader_id = False
        with self.assertRaisesRegex(UserError, "Interac payments can only be refunded on a reader"):
            wizard.action_confirm()
        self.assertFalse(self.refund_requests())

    def test_interac_refund_on_an_offline_reader_is_refused_by_the_reader(self):
        """The reader's reported status lags (Stripe says not to block on it): the refund is
        sent, the reader's own answer refuses it, and its amount is free again."""
        invoice, payment = self.interac_payment(30.0)
        credit_note = self.credit_note(invoice)
        wizard = self.refund_wizard(credit_note)
        self.simulator.set_reader_online(self.reader.stripe_reader_id, False)
        with self.assertRaisesRegex(UserError, "offline"):
            wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(len(self.refund_requests()), 1)
        self.assertEqual(payment.refund_ids.state, "refused")
        self.assertEqual(payment.refund_ids.failure_code, "terminal_reader_offline")
        self.assertEqual(payment.refundable_amount, 30.0)

    def test_refund_made_on_the_reader_that_cannot_be_booked(self):
        """The journal lost its outgoing method while the customer held the card: the money is
        back on the card all the same, so the refund says succeeded and the accountant gets a
        to-do with the reason."""
        invoice, payment = self.interac_payment(30.0)
        credit_note = self.credit_note(invoice)
        refund = self.refund(credit_note)
        self.journal.outbound_payment_method_line_ids.unlink()
        self.present_card(self.reader, INTERAC, card_type="interac_present")
        self.deliver_webhooks()
        self.assertEqual(refund.state, "succeeded")
        self.assertTrue(refund.stripe_refund_id)
        self.assertFalse(refund.account_payment_id)
        self.assertEqual(credit_note.payment_state, "not_paid")
        activity = credit_note.activity_ids
        self.assertEqual(activity.summary, "Record a card refund")
        self.assertIn("has no outgoing payment method", activity.note)
        self.assertEqual(activity.user_id, self.accountant)

    def test_cancel_a_refund_waiting_on_the_reader(self):
        invoice, payment = self.interac_payment(30.0)
        credit_note = self.credit_note(invoice)
        refund = self.refund(credit_note)
        refund.with_user(self.accountant).action_stripe_terminal_cancel()
        self.env.invalidate_all()
        self.assertEqual(refund.state, "canceled")
        self.assertEqual(payment.refundable_amount, 30.0)
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertIsNone(reader.action)

    def test_payments_from_before_the_addon_ask_stripe_their_type(self):
        invoice, payment = self.interac_payment(20.0)
        payment.sudo().payment_method_type = False
        credit_note = self.credit_note(invoice)
        wizard = self.refund_wizard(credit_note)
        self.assertEqual(payment.payment_method_type, "interac_present")
        self.assertTrue(wizard.on_reader)

    def test_online_refund_of_interac_is_refused_by_stripe_with_a_clear_message(self):
        """Should Odoo not know the payment is Interac (Stripe unreachable when asked), Stripe's
        refusal of an online refund is explained."""
        invoice, payment = self.interac_payment(20.0)
        payment.sudo().payment_method_type = "card_present"
        credit_note = self.credit_note(invoice)
        with self.assertRaisesRegex(UserError, "cannot refund this payment online"):
            self.refund_wizard(credit_note).action_confirm()
        self.assertEqual(payment.refund_ids.state, "refused")

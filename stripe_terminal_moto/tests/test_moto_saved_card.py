# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeTerminalMotoCase


@tagged("post_install", "-at_install")
class TestMotoSavedCard(StripeTerminalMotoCase):
    def objects(self, kind):
        return self.simulator.account_objects(self.secret_key, kind)

    def test_keyed_card_is_saved_then_charged(self):
        invoice = self.create_invoice(150.0)
        payment = self.collect_moto(invoice, stripe_terminal_save_card=True)
        self.assertEqual((payment.state, payment.stage), ("pending", "waiting_card"))
        self.assertEqual(payment.moto_step, "setup")
        self.assertFalse(payment.payment_intent_id, "nothing is charged before the card is saved")
        setup = self.stripe.v1.setup_intents.retrieve(payment.moto_setup_intent_id)
        self.assertEqual(list(setup.payment_method_types), ["card"])
        self.assertEqual(setup.customer, payment.stripe_customer_id)
        self.assertEqual(setup.usage, "off_session")
        action = self.reader_action()
        self.assertEqual(
            (action["type"], action["status"]), ("process_setup_intent", "in_progress")
        )
        self.assertEqual(action["process_setup_intent"]["setup_intent"], setup.id)
        [sent] = self.reader_requests("process_setup_intent")
        self.assertEqual(sent["process_config"]["moto"], "true")
        self.assertEqual(sent["allow_redisplay"], "always")
        self.assertIn("Key the card number", self.overlay(payment)["instructions"])

        self.key_card(payment, "5555555555554444", exp_month=7, exp_year=2031)
        self.assertEqual(payment.stage, "approved")
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(payment.moto_step, "charge")
        saved_card = self.stripe.v1.setup_intents.retrieve(setup.id).payment_method
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(list(intent.payment_method_types), ["card"])
        self.assertEqual(intent.payment_method, saved_card)
        self.assertEqual(intent.customer, payment.stripe_customer_id)
        self.assertEqual(len(self.objects("payment_intent")), 1)

        token = payment.token_id
        self.assertTrue(token)
        self.assertEqual(token.partner_id, self.customer)
        self.assertEqual(token.provider_id, self.provider)
        self.assertEqual(token.provider_ref, payment.stripe_customer_id)
        self.assertEqual(token.stripe_payment_method, saved_card)
        self.assertEqual(token.payment_details, "4444")
        self.assertEqual(token.stripe_terminal_card_brand, "mastercard")
        self.assertEqual(token.stripe_terminal_card_expiry, "07/2031")
        self.assertEqual(token.stripe_terminal_source_charge, payment.charge_id)
        self.assertIn(token, self.customer.payment_token_ids)
        cards = self.stripe.v1.customers.payment_methods.list(
            payment.stripe_customer_id, {"type": "card"}
        )
        self.assertEqual([card.id for card in cards.data], [saved_card])
        # The saved card pays later without the customer.
        later = self.stripe.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "customer": token.provider_ref,
                "payment_method": token.stripe_payment_method,
                "allowed_payment_method_types": ["card"],
                "off_session": True,
                "confirm": True,
            }
        )
        self.assertEqual(later.status, "succeeded")

    def test_a_card_that_cannot_be_saved_is_retried_on_the_same_setup_intent(self):
        payment = self.collect_moto(self.create_invoice(40.0), stripe_terminal_save_card=True)
        setup_id = payment.moto_setup_intent_id
        self.key_card(payment, "4000000000000002")
        self.assertEqual((payment.state, payment.stage), ("pending", "retrying"))
        self.assertIn("could not be saved", payment.failure_message)
        self.assertFalse(payment.payment_intent_id)
        action = self.reader_action()
        self.assertEqual(action["status"], "in_progress")
        self.assertEqual(action["process_setup_intent"]["setup_intent"], setup_id)

        self.key_card(payment)
        self.assert_paid_once(payment)
        self.assertEqual(payment.moto_setup_intent_id, setup_id)
        self.assertEqual(len(self.objects("setup_intent")), 1)
        self.assertEqual(payment.token_id.payment_details, "4242")

    def test_a_card_not_saved_is_keyed_again_once_the_busy_reader_is_free(self):
        # After a card that cannot be saved the reader may still be busy: the new attempt is
        # owed, and sent by the next refresh (the failed action it still shows is no news).
        self.set_auto_retries(1)
        payment = self.collect_moto(self.create_invoice(41.0), stripe_terminal_save_card=True)
        setup_id = payment.moto_setup_intent_id
        self.simulator.hold_reader_busy(self.reader.stripe_reader_id, count=1)
        self.key_card(payment, "4000000000000002")
        busy = [
            entry
            for entry in self.stripe_requests()
            if entry["path"].endswith("/process_setup_intent")
            and entry["error_code"] == "terminal_reader_busy"
        ]
        self.assertEqual(len(busy), 1, "the first new attempt met a busy reader")
        # The failure's other webhook or the next refresh sends it again.
        payment._stripe_terminal_refresh(force=True)
        self.assertEqual((payment.state, payment.stage), ("pending", "retrying"))
        self.assertIn("could not be saved", payment.failure_message)
        self.assertFalse(payment.reader_push_due)
        action = self.reader_action()
        self.assertEqual(
            (action["status"], action["process_setup_intent"]["setup_intent"]),
            ("in_progress", setup_id),
        )
        self.key_card(payment)
        self.assert_paid_once(payment)
        # The refused push counted: the one sent later had an idempotency key of its own.
        self.assertEqual(payment.attempt_count, 3)
        keys = [
            entry["idempotency_key"]
            for entry in self.stripe_requests()
            if entry["path"].endswith("/process_setup_intent")
        ]
        self.assertEqual(len(keys), len(set(keys)), keys)

    def test_retry_after_the_reader_refused_to_key_the_card(self):
        # Stripe keeps a refused push under its idempotency key: a Retry sends a new one.
        self.set_auto_retries(0)
        payment = self.collect_moto(self.create_invoice(42.0), stripe_terminal_save_card=True)
        self.key_card(payment, "4000000000000002")
        self.assertEqual((payment.state, payment.stage), ("declined", "declined"))
        self.simulator.hold_reader_busy(self.reader.stripe_reader_id, count=1)
        state = payment.with_user(self.manager).action_stripe_terminal_retry()
        self.assertEqual((state["state"], state["stage"]), ("error", "busy"))
        state = payment.with_user(self.manager).action_stripe_terminal_retry()
        self.assertEqual((state["state"], state["stage"]), ("pending", "waiting_card"))
        self.key_card(payment)
        self.assert_paid_once(payment)

    def test_a_saved_card_declined_when_charged_is_replaced(self):
        invoice = self.create_invoice(64.0)
        payment = self.collect_moto(invoice, stripe_terminal_save_card=True)
        first_setup = payment.moto_setup_intent_id
        # This card saves, then its charges are declined.
        self.key_card(payment, "4000000000000341")
        self.assertEqual((payment.state, payment.stage), ("pending", "retrying"))
        self.assertIn("declined", payment.failure_message)
        self.assertTrue(payment.payment_intent_id)
        self.assertEqual(payment.moto_step, "setup")
        self.assertNotEqual(payment.moto_setup_intent_id, first_setup)
        declined_card = self.stripe.v1.setup_intents.retrieve(first_setup).payment_method
        self.assertFalse(
            self.stripe.v1.payment_methods.retrieve(declined_card).customer,
            "the card that did not pay is not kept on the customer",
        )
        action = self.reader_action()
        self.assertEqual(
            action["process_setup_intent"]["setup_intent"], payment.moto_setup_intent_id
        )

        self.key_card(payment, "4000056655665556")
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(len(self.objects("payment_intent")), 1, "one PaymentIntent throughout")
        self.assertEqual(len(self.objects("setup_intent")), 2)
        second_card = self.stripe.v1.setup_intents.retrieve(payment.moto_setup_intent_id)
        self.assertEqual(payment.token_id.stripe_payment_method, second_card.payment_method)
        self.assertEqual(
            self.env["payment.token"].search([("partner_id", "=", self.customer.id)]),
            payment.token_id,
        )

    def test_a_card_whose_bank_wants_authentication_is_explained(self):
        invoice = self.create_invoice(58.0)
        payment = self.collect_moto(invoice, stripe_terminal_save_card=True)
        # Saved fine, but its bank asks the cardholder to authenticate every later charge.
        self.key_card(payment, "4000002760003184")
        self.assertEqual(payment.failure_code, "authentication_required")
        self.assertIn("Clear Save the Card and key the card again", payment.failure_message)
        payment.with_user(self.manager).action_stripe_terminal_cancel()
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(
            self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id).status, "canceled"
        )
        self.assertFalse(
            self.stripe.v1.customers.payment_methods.list(
                payment.stripe_customer_id, {"type": "card"}
            ).data,
            "no card is kept from a canceled payment",
        )
        # Keyed without saving it, the same card pays.
        again = self.key_card(self.collect_moto(invoice), "4000002760003184")
        self.assert_paid_once(again)
        self.assertEqual(invoice.payment_state, "paid")

    def test_cancel_while_the_card_is_keyed(self):
        invoice = self.create_invoice(33.0)
        payment = self.collect_moto(invoice, stripe_terminal_save_card=True)
        state = payment.with_user(self.manager).action_stripe_terminal_cancel()
        self.assertEqual(state["state"], "canceled")
        setup = self.stripe.v1.setup_intents.retrieve(payment.moto_setup_intent_id)
        self.assertEqual(setup.status, "canceled")
        self.assertFalse(self.reader_action())
        self.assertFalse(payment.payment_intent_id)
        self.assertFalse(self.objects("payment_intent"))
        self.assertEqual(invoice.payment_state, "not_paid")
        # A late keying finds the reader idle: nothing is charged.
        with self.assertRaisesRegex(Exception, "not waiting for a payment method"):
            self.key_card(payment)

    def test_a_lost_answer_of_the_charge_is_replayed_not_repeated(self):
        payment = self.collect_moto(self.create_invoice(90.0), stripe_terminal_save_card=True)
        self.present_card(self.reader, card_type="card")
        # Stripe charges the saved card, but no answer reaches Odoo (nor the SDK's retries).
        self.simulator.inject_fault(
            "drop", count=3, path=r"^/v1/payment_intents$", method="POST", after_apply=True
        )
        payment._as_collector()._stripe_terminal_refresh(force=True)
        self.env.invalidate_all()
        self.assertEqual((payment.state, payment.stage), ("pending", "checking"))
        self.assertEqual(payment.moto_step, "charge")
        self.assertFalse(payment.payment_intent_id)
        self.assertFalse(self.overlay(payment)["can_retry"], "no retry while Odoo does not know")
        [intent] = self.objects("payment_intent")
        self.assertEqual(intent["status"], "succeeded")

        # The next check replays the same request: Stripe answers with the same charge.
        payment._as_collector()._stripe_terminal_refresh(force=True)
        self.env.invalidate_all()
        self.assert_paid_once(payment)
        self.assertEqual(payment.payment_intent_id, intent["id"])
        self.deliver_webhooks()
        self.assert_paid_once(payment)
        self.assertEqual(len(self.objects("payment_intent")), 1)
        self.assertEqual(len(self.objects("charge")), 1)

    def test_followed_without_webhooks(self):
        payment = self.collect_moto(self.create_invoice(45.0), stripe_terminal_save_card=True)
        with self.webhooks_mode("drop"):
            self.present_card(self.reader, card_type="card")
        payment.sudo().last_stripe_check = fields.Datetime.now() - timedelta(minutes=1)
        self.env.flush_all()
        state = payment.with_user(self.manager).action_stripe_terminal_poll()
        self.assertEqual((state["state"], state["stage"]), ("done", "approved"))
        self.env.invalidate_all()
        self.assert_paid_once(payment)
        self.assertTrue(payment.token_id)

    def test_account_without_moto_saving_the_card(self):
        self.disable_moto_on_the_account()
        wizard = self.register_wizard(
            self.create_invoice(20.0),
            user=self.manager,
            stripe_terminal_mode="moto",
            stripe_terminal_save_card=True,
        )
        with self.assertRaisesRegex(UserError, "Ask Stripe support to enable MOTO payments"):
            wizard.action_stripe_terminal_collect()
        payment = self.env["stripe.terminal.payment"].search([])
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(
            self.stripe.v1.setup_intents.retrieve(payment.moto_setup_intent_id).status,
            "canceled",
        )
        self.assertFalse(self.objects("payment_intent"))

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeTerminalMotoCase


@tagged("post_install", "-at_install")
class TestMoto(StripeTerminalMotoCase):
    def test_keyed_card_pays_the_invoice_once(self):
        invoice = self.create_invoice(240.0)
        payment = self.collect_moto(invoice)
        self.assertEqual(payment.mode, "moto")
        self.assertEqual((payment.state, payment.stage), ("pending", "waiting_card"))
        self.assertFalse(payment.moto_step, "a payment that saves nothing has no saving step")
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(list(intent.payment_method_types), ["card"])
        self.assertEqual((intent.amount, intent.currency), (24000, "usd"))
        self.assertEqual(intent.customer, payment.stripe_customer_id)
        self.assertFalse(intent.setup_future_usage)
        action = self.reader_action()
        self.assertEqual(
            (action["type"], action["status"]), ("process_payment_intent", "in_progress")
        )
        self.assertEqual(action["process_payment_intent"]["payment_intent"], intent.id)
        [sent] = self.reader_requests("process_payment_intent")
        self.assertEqual(sent["process_config"]["moto"], "true")
        self.assertNotIn("allow_redisplay", sent["process_config"])
        self.assertIn("Key the card number", self.overlay(payment)["instructions"])

        self.key_card(payment)
        self.assertEqual(payment.stage, "approved")
        account_payment = self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(account_payment.amount, 240.0)
        self.assertEqual(account_payment.stripe_terminal_card, "Visa •••• 4242")
        charge = self.stripe.v1.charges.retrieve(payment.charge_id)
        self.assertEqual(charge.payment_method_details.type, "card")
        self.assertTrue(charge.payment_method_details.card.moto)
        self.assertFalse(payment.token_id, "the card is saved only when asked")
        self.assertEqual(payment.user_id, self.manager)

    def test_card_present_payments_are_unchanged(self):
        payment = self.collect(self.create_invoice(30.0))
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(list(intent.payment_method_types), ["card_present"])
        [sent] = self.reader_requests("process_payment_intent")
        self.assertNotIn("moto", sent["process_config"])
        self.assertIn("tap or insert", self.overlay(payment)["instructions"])
        self.assert_paid_once(self.pay(payment))

    def test_declined_card_is_retried_on_the_same_intent(self):
        invoice = self.create_invoice(80.0)
        payment = self.collect_moto(invoice)
        self.key_card(payment, "4000000000000002")
        self.assertEqual((payment.state, payment.stage), ("pending", "retrying"))
        self.assertIn("declined", payment.failure_message)
        self.assertIn("Key the other card", self.overlay(payment)["instructions"])
        action = self.reader_action()
        self.assertEqual(action["status"], "in_progress")
        self.assertEqual(
            action["process_payment_intent"]["payment_intent"], payment.payment_intent_id
        )
        self.assertEqual(
            [
                sent["process_config"]["moto"]
                for sent in self.reader_requests("process_payment_intent")
            ],
            ["true", "true"],
        )

        self.key_card(payment)
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(payment.attempt_count, 2)
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)

    def test_retry_and_cancel_after_a_decline(self):
        self.env["ir.config_parameter"].sudo().set_param("stripe_terminal.auto_retries", "0")
        invoice = self.create_invoice(55.0)
        payment = self.collect_moto(invoice)
        self.key_card(payment, "4000000000009995")
        self.assertEqual((payment.state, payment.stage), ("declined", "declined"))
        self.assertIn("insufficient funds", payment.failure_message)
        self.assertTrue(self.overlay(payment)["can_retry"])

        state = payment.with_user(self.manager).action_stripe_terminal_retry()
        self.assertEqual((state["state"], state["stage"]), ("pending", "waiting_card"))
        self.assertEqual(len(self.reader_requests("process_payment_intent")), 2)
        self.assertEqual(
            self.reader_requests("process_payment_intent")[-1]["process_config"]["moto"], "true"
        )

        state = payment.with_user(self.manager).action_stripe_terminal_cancel()
        self.assertEqual(state["state"], "canceled")
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.status, "canceled")
        self.assertFalse(self.reader_action())
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(payment.account_payment_id)

    def test_readers_without_moto_are_not_offered_and_refused(self):
        stripe_reader = self.simulator.add_reader(
            self.secret_key,
            "simulated_verifone_p630",
            location=self.location.stripe_location_id,
            label="Counter P630",
        )
        p630 = self.env["stripe.terminal.reader"]._stripe_terminal_upsert(
            self.provider, stripe_reader
        )
        self.assertTrue(p630.is_server_driven)
        self.assertFalse(p630.supports_moto)
        self.manager.stripe_terminal_reader_id = p630
        invoice = self.create_invoice(20.0)

        card_present = self.register_wizard(invoice, user=self.manager)
        self.assertEqual(card_present.stripe_terminal_reader_id, p630)
        moto = self.register_wizard(invoice, user=self.manager, stripe_terminal_mode="moto")
        self.assertEqual(moto.stripe_terminal_reader_id, self.reader, "a MOTO reader is proposed")
        offered = self.env["stripe.terminal.reader"].search(moto._stripe_terminal_reader_domain())
        self.assertEqual(offered, self.reader)

        moto.stripe_terminal_reader_id = p630
        with self.assertRaisesRegex(UserError, "cannot take mail or telephone orders"):
            moto.action_stripe_terminal_collect()
        self.assertFalse(self.env["stripe.terminal.payment"].search([]))
        self.assertFalse(self.simulator.account_objects(self.secret_key, "payment_intent"))

    def test_the_device_type_stripe_reports_decides(self):
        stripe_reader = self.simulator.add_reader(
            self.secret_key, "simulated_verifone_p630", location=self.location.stripe_location_id
        )
        reader = self.env["stripe.terminal.reader"]._stripe_terminal_upsert(
            self.provider, stripe_reader
        )
        # Odoo's record is out of date: it still believes the reader is a WisePOS E.
        reader.device_type = "simulated_wisepos_e"
        self.assertTrue(reader.supports_moto)
        wizard = self.register_wizard(
            self.create_invoice(20.0),
            user=self.manager,
            stripe_terminal_mode="moto",
            stripe_terminal_reader_id=reader,
        )
        with self.assertRaisesRegex(UserError, "Stripe reports .* cannot take mail"):
            wizard.action_stripe_terminal_collect()
        self.assertFalse(self.simulator.account_objects(self.secret_key, "payment_intent"))

    def test_stripe_refusing_moto_on_a_reader_is_explained(self):
        self.simulator.inject_fault(
            "error",
            path=r"/process_payment_intent$",
            status=400,
            error={
                "type": "invalid_request_error",
                "param": "process_config[moto]",
                "message": "MOTO is not supported on device type bbpos_wisepos_e.",
            },
        )
        invoice = self.create_invoice(20.0)
        wizard = self.register_wizard(invoice, user=self.manager, stripe_terminal_mode="moto")
        with self.assertRaisesRegex(UserError, "only WisePOS E, S700 and S710 readers take mail"):
            wizard.action_stripe_terminal_collect()
        payment = self.env["stripe.terminal.payment"].search([])
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(payment.failure_code, "moto_unsupported_reader")
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.status, "canceled")

    def test_account_without_moto_says_what_to_ask_stripe(self):
        self.disable_moto_on_the_account()
        invoice = self.create_invoice(75.0)
        wizard = self.register_wizard(invoice, user=self.manager, stripe_terminal_mode="moto")
        with self.assertRaisesRegex(UserError, "Ask Stripe support to enable MOTO payments"):
            wizard.action_stripe_terminal_collect()
        payment = self.env["stripe.terminal.payment"].search([])
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(payment.failure_code, "moto_not_enabled")
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.status, "canceled", "no PaymentIntent is left behind")
        self.assertFalse(self.reader_action())
        self.assertEqual(invoice.payment_state, "not_paid")
        # The account still takes card-present payments, and the reader is free for them.
        card_present = self.pay(self.collect(invoice))
        self.assert_paid_once(card_present)
        self.assertEqual(invoice.payment_state, "paid")

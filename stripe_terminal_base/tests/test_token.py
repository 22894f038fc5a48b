# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestSavedCards(StripeTerminalCase):
    def test_a_card_present_payment_with_save_yields_a_token(self):
        partner = self.env["res.partner"].create({"name": "Repeat Customer"})
        customer_id = self.env["stripe.terminal.customer"]._stripe_terminal_ensure(
            partner, self.provider
        )
        reader = self.create_reader()
        intent = self.stripe.v1.payment_intents.create(
            {
                "amount": 2500,
                "currency": "usd",
                "allowed_payment_method_types": ["card_present"],
                "customer": customer_id,
                "setup_future_usage": "off_session",
            }
        )
        self.stripe.v1.terminal.readers.process_payment_intent(
            reader.stripe_reader_id, {"payment_intent": intent.id}
        )
        self.present_card(reader, "5555555555554444")
        charge = self.stripe.v1.charges.retrieve(
            self.stripe.v1.payment_intents.retrieve(intent.id).latest_charge
        ).to_dict()
        token = self.env["payment.token"]._stripe_terminal_save_generated_card(
            self.provider, partner, customer_id, charge
        )
        self.assertTrue(token)
        self.assertEqual(token.partner_id, partner)
        self.assertEqual(token.provider_id, self.provider)
        self.assertEqual(token.provider_ref, customer_id)
        self.assertEqual(token.payment_details, "4444")
        self.assertEqual(token.stripe_terminal_card_brand, "mastercard")
        self.assertRegex(token.stripe_terminal_card_expiry, r"^\d\d/\d{4}$")
        generated = charge["payment_method_details"]["card_present"]["generated_card"]
        self.assertEqual(token.stripe_payment_method, generated)
        # Stripe attached the generated card to the customer: it can be charged later.
        cards = self.stripe.v1.customers.payment_methods.list(customer_id, {"type": "card"})
        self.assertIn(generated, [card.id for card in cards.data])
        # The same charge saved twice gives one token.
        again = self.env["payment.token"]._stripe_terminal_save_generated_card(
            self.provider, partner, customer_id, charge
        )
        self.assertEqual(again, token)
        # It shows where Odoo lists the partner's saved cards.
        self.assertIn(token, partner.payment_token_ids)

    def test_no_generated_card_no_token(self):
        partner = self.env["res.partner"].create({"name": "Walk-in"})
        charge = {"id": "ch_x", "payment_method_details": {"card_present": {"last4": "4242"}}}
        token = self.env["payment.token"]._stripe_terminal_save_generated_card(
            self.provider, partner, "cus_x", charge
        )
        self.assertFalse(token)

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading

from odoo.tests import tagged

from odoo.addons.stripe_terminal_base.tests.common import wait_until

from .common import APPROVED_CARD, StripeTerminalMotoCase


class CardKeyer(threading.Thread):
    """The accountant on the phone: once the reader asks for a keyed card and the overlay is on
    screen (it asks Odoo, which asks Stripe, about the PaymentIntent), keys the card the customer
    reads out. Talks to the simulator only, never to Odoo's database (the browser is using it)."""

    def __init__(self, simulator, secret_key, reader_id, number=APPROVED_CARD, timeout=60):
        super().__init__(daemon=True)
        self.simulator = simulator
        self.secret_key = secret_key
        self.stripe = StripeTerminalMotoCase.stripe_client(secret_key)
        self.reader_id = reader_id
        self.number = number
        self.timeout = timeout
        self.keyed = threading.Event()
        self.error = None

    def _intent_on_reader(self):
        action = self.stripe.v1.terminal.readers.retrieve(self.reader_id).to_dict().get("action")
        if action and action["status"] == "in_progress":
            return (action.get("process_payment_intent") or {}).get("payment_intent")
        return None

    def _overlay_follows(self, intent_id):
        return any(
            entry["method"] == "GET" and entry["path"] == f"/v1/payment_intents/{intent_id}"
            for entry in self.simulator.requests_log(api_key=self.secret_key)
        )

    def run(self):
        try:
            intent_id = wait_until(
                self._intent_on_reader, timeout=self.timeout, message="a keyed card request"
            )
            wait_until(
                lambda: self._overlay_follows(intent_id),
                timeout=self.timeout,
                message="the overlay following the payment",
            )
            self.stripe.v1.test_helpers.terminal.readers.present_payment_method(
                self.reader_id,
                {
                    "type": "card",
                    "card": {
                        "number": self.number,
                        "exp_month": 12,
                        "exp_year": 2034,
                        "cvc": "123",
                    },
                },
            )
            self.keyed.set()
        except Exception as error:  # reported by the test
            self.error = repr(error)


@tagged("post_install", "-at_install")
class TestBrowser(StripeTerminalMotoCase):
    def test_tour_keys_a_telephone_order_on_the_reader(self):
        # A server-driven reader that cannot key cards, listed first.
        self.env["stripe.terminal.reader"]._stripe_terminal_upsert(
            self.provider,
            self.simulator.add_reader(
                self.secret_key,
                "simulated_verifone_p630",
                location=self.location.stripe_location_id,
                label="Counter P630",
            ),
        )
        invoice = self.create_invoice(64.5)
        keyer = CardKeyer(self.simulator, self.secret_key, self.reader.stripe_reader_id)
        keyer.start()
        with self.webhooks_mode("deliver"):
            self.start_tour(
                f"/web#model=account.move&id={invoice.id}&view_type=form",
                "stripe_terminal_moto_register_payment",
                login=self.manager.login,
            )
        keyer.join(timeout=5)
        self.assertIsNone(keyer.error)
        self.assertTrue(keyer.keyed.is_set())
        self.env.invalidate_all()
        self.assertEqual(invoice.payment_state, "paid")
        payment = self.env["stripe.terminal.payment"].search([("invoice_ids", "=", invoice.id)])
        self.assertEqual(payment.mode, "moto")
        self.assertEqual(payment.user_id, self.manager)
        self.assert_paid_once(payment)
        charge = self.stripe.v1.charges.retrieve(payment.charge_id)
        self.assertTrue(charge.payment_method_details.card.moto)

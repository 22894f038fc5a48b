# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from ..client import StripeTerminalClient
from ..errors import StripeTerminalError
from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestClient(StripeTerminalCase):
    def client(self, **kwargs):
        return StripeTerminalClient(self.secret_key, api_base=self.simulator.url, **kwargs)

    def intent_params(self, amount=1000):
        return {
            "amount": amount,
            "currency": "usd",
            "allowed_payment_method_types": ["card_present"],
        }

    def test_results_are_plain_dicts(self):
        intent = self.client().call(
            "payment_intents.create", params=self.intent_params(), idempotency_key="k-plain"
        )
        self.assertIsInstance(intent, dict)
        self.assertTrue(intent["id"].startswith("pi_"))
        self.assertIsInstance(intent["metadata"], dict)

    def test_writes_need_an_idempotency_key(self):
        with self.assertRaises(ValueError):
            self.client().call("payment_intents.create", params=self.intent_params())
        self.assertFalse(self.simulator.account_objects(self.secret_key, "payment_intent"))

    def test_the_same_key_never_creates_twice(self):
        client = self.client()
        first = client.call(
            "payment_intents.create", params=self.intent_params(), idempotency_key="k-same"
        )
        second = client.call(
            "payment_intents.create", params=self.intent_params(), idempotency_key="k-same"
        )
        self.assertEqual(first["id"], second["id"])
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)
        with self.assertRaises(StripeTerminalError) as caught:
            client.call(
                "payment_intents.create", params=self.intent_params(2000), idempotency_key="k-same"
            )
        self.assertEqual(caught.exception.code, "idempotency_error")

    def test_a_500_is_retried_with_the_same_key(self):
        self.simulator.inject_fault("http_500", count=1, path=r"/v1/payment_intents$")
        intent = self.client().call(
            "payment_intents.create", params=self.intent_params(), idempotency_key="k-500"
        )
        attempts = [
            entry for entry in self.stripe_requests() if entry["idempotency_key"] == "k-500"
        ]
        self.assertEqual([entry["status"] for entry in attempts], [500, 200])
        self.assertEqual(
            [i["id"] for i in self.simulator.account_objects(self.secret_key, "payment_intent")],
            [intent["id"]],
        )

    def test_a_dropped_answer_after_stripe_applied_it_is_recovered_not_repeated(self):
        self.simulator.inject_fault("drop", count=1, path=r"/v1/payment_intents$", after_apply=True)
        intent = self.client().call(
            "payment_intents.create", params=self.intent_params(), idempotency_key="k-drop"
        )
        objects = self.simulator.account_objects(self.secret_key, "payment_intent")
        self.assertEqual([i["id"] for i in objects], [intent["id"]])

    def test_network_failure_is_reported_as_such(self):
        self.simulator.inject_fault("drop", count=5, path=r"/v1/payment_intents$")
        with self.assertRaises(StripeTerminalError) as caught:
            self.client(max_network_retries=1).call(
                "payment_intents.create", params=self.intent_params(), idempotency_key="k-net"
            )
        self.simulator.clear_faults()
        self.assertTrue(caught.exception.network)
        self.assertEqual(caught.exception.code, "api_connection_error")
        self.assertIn("cannot be reached", caught.exception.user_message())

    def test_a_slow_stripe_times_out(self):
        self.simulator.set_latency(1500)
        try:
            with self.exact_request_timeouts(), self.assertRaises(StripeTerminalError) as caught:
                self.client(timeout=0.5, max_network_retries=0).call(
                    "terminal.readers.list", params={"limit": 1}
                )
        finally:
            self.simulator.set_latency(0)
        self.assertTrue(caught.exception.network)

    def test_a_wrong_key_is_an_authentication_error(self):
        client = StripeTerminalClient("sk_test_wrong", api_base=self.simulator.url)
        # Any sk_test_ key is an account of its own on the simulator; a non-test key is not.
        client = StripeTerminalClient("rk_live_nope", api_base=self.simulator.url)
        with self.assertRaises(StripeTerminalError) as caught:
            client.call("terminal.readers.list")
        self.assertEqual(caught.exception.code, "authentication_error")
        self.assertIn("secret key", caught.exception.user_message())

    def test_no_key_no_client(self):
        with self.assertRaises(StripeTerminalError) as caught:
            StripeTerminalClient("", api_base=self.simulator.url)
        self.assertEqual(caught.exception.code, "secret_key_required")

    def test_the_api_version_is_pinned(self):
        self.client().call("terminal.readers.list")
        entry = self.stripe_requests()[-1]
        self.assertEqual(entry.get("stripe_version"), "2026-10-28.endive")

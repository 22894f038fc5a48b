"""pytest fixtures and helpers for tests that drive the simulator through the
real stripe-python SDK, over HTTP.

Import explicitly from a test module::

    from tests.stripe_simulator.testing import simulator, stripe_account  # noqa: F401

Each test gets its own account (a fresh ``sk_test_`` key) on a simulator
shared by the module, so tests don't see each other's objects and the
module's requests log stays whole for the parameter fidelity check.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from . import StripeSimulator

US_ADDRESS = {
    "country": "US",
    "line1": "1 Market St",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
}
# A location address per account country (Terminal: reader and account in one country).
ADDRESSES = {
    "US": US_ADDRESS,
    "CA": {"country": "CA", "line1": "1 Bay St", "city": "Toronto", "postal_code": "M5J 2R8"},
    "JP": {"country": "JP", "line1": "1-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005"},
}


def new_api_key():
    return f"sk_test_{uuid.uuid4().hex}"


def client_for(sim, api_key, retries=0):
    return stripe.StripeClient(
        api_key, base_addresses={"api": sim.url}, max_network_retries=retries
    )


class StripeAccount:
    """One simulated Stripe account and an SDK client for it, with shortcuts."""

    def __init__(self, sim, api_key=None, retries=0, country="US"):
        self.sim = sim
        self.key = api_key or new_api_key()
        self.country = country
        if country != "US":
            sim.configure_account(self.key, country=country)
        self.client = client_for(sim, self.key, retries)
        self.v1 = self.client.v1

    def location(self, **values):
        return self.v1.terminal.locations.create(
            {"display_name": "Front desk", "address": ADDRESSES[self.country], **values}
        )

    def reader(self, code="simulated-wpe", location=None):
        location = location or self.location().id
        return self.v1.terminal.readers.create({"registration_code": code, "location": location})

    def intent(self, amount=1000, currency="usd", types=("card_present",), **values):
        return self.v1.payment_intents.create(
            {
                "amount": amount,
                "currency": currency,
                "allowed_payment_method_types": list(types),
                **values,
            }
        )

    def process(self, reader_id, intent_id, **config):
        params = {"payment_intent": intent_id}
        if config:
            params["process_config"] = config
        return self.v1.terminal.readers.process_payment_intent(reader_id, params)

    def present(self, reader_id, number=None, method_type="card_present", **extra):
        params = {"type": method_type, **extra}
        if number:
            params[method_type] = {"number": number}
        return self.v1.test_helpers.terminal.readers.present_payment_method(reader_id, params)

    def pay(self, reader_id, amount=1000, number=None, **intent_values):
        """A card-present payment from start to end; returns the PaymentIntent."""
        intent = self.intent(amount, **intent_values)
        self.process(reader_id, intent.id)
        self.present(reader_id, number)
        return self.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})

    def objects(self, kind):
        return self.sim.account_objects(self.key, kind)

    def requests(self):
        return self.sim.requests_log(self.key)


@pytest.fixture(scope="module")
def simulator():
    sim = StripeSimulator(refund_failure_delay_seconds=0.2, webhook_retry_delay=0.05)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def stripe_account(simulator):
    yield StripeAccount(simulator)
    # Leave the shared simulator as the next test expects it.
    simulator.clear_faults()
    simulator.set_latency(0)
    simulator.set_webhook_mode("deliver")


class WebhookReceiver:
    """A small stdlib HTTP server that records what Stripe (the simulator) posts.

    ``statuses`` lists the HTTP statuses to answer, one per request; once it is
    used up every request gets 200.
    """

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests = []  # (headers dict, raw body bytes, status answered)
        self._condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._condition:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append((dict(self.headers), body, status))
                    receiver._condition.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}/stripe/webhook"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()

    def events(self):
        with self._condition:
            return [json.loads(body) for _, body, _ in self.requests]

    def wait_for(self, predicate, timeout=5):
        """Wait until ``predicate(list of received events)`` is true."""
        with self._condition:
            done = self._condition.wait_for(
                lambda: predicate([json.loads(b) for _, b, _ in self.requests]), timeout
            )
        if not done:
            raise AssertionError(
                f"webhooks not received within {timeout} s; got "
                f"{[e['type'] for e in self.events()]}"
            )
        return self.events()

    def wait_for_types(self, *types, timeout=5):
        return self.wait_for(lambda events: set(types) <= {e["type"] for e in events}, timeout)

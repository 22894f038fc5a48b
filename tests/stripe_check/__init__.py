"""The suite's Stripe-facing scenarios, run against Stripe's test mode or the simulator.

`make stripe-check` runs them against Stripe itself with a test secret key; `make test` runs
the very same code against the simulator (`tests/test_stripe_check.py`). They go through the
addons' own request choke point (`StripeTerminalClient`: pinned API version, idempotency keys,
error mapping) and send the parameters the addons send, so the simulator and Stripe can only
drift apart in what Stripe changes, and a drift shows here first.

Each scenario takes a `Check` and returns None (passed) or a sentence saying why it does not
apply to this account (MOTO not enabled, say); an assertion or a Stripe error fails it.
"""

import importlib
import sys
import threading
import time
import types
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_ADDON = Path(__file__).resolve().parents[2] / "stripe_terminal_base"
DECLINE_INSUFFICIENT_FUNDS = "4000000000009995"
MOTO_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
# A location per account country: Terminal takes the reader and the account in one country.
ADDRESSES = {
    "US": {
        "country": "US",
        "line1": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
    },
    "CA": {"country": "CA", "line1": "1 Bay St", "city": "Toronto", "postal_code": "M5J 2R8"},
    "GB": {"country": "GB", "line1": "1 Kingsway", "city": "London", "postal_code": "WC2B 6AN"},
    "JP": {"country": "JP", "line1": "1-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005"},
}
LOCAL_CURRENCIES = {"US": "usd", "CA": "cad", "GB": "gbp", "JP": "jpy"}


def plain_core():
    """The base addon's plain-Python core (const, errors, client), loaded without Odoo's
    registry: as a package of its own, so its __init__ (the models) is not run."""
    name = "stripe_terminal_plain_core"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(BASE_ADDON)]
        sys.modules[name] = package
    return types.SimpleNamespace(
        const=importlib.import_module(f"{name}.const"),
        client=importlib.import_module(f"{name}.client"),
        errors=importlib.import_module(f"{name}.errors"),
    )


class WebhookReceiver:
    """A local endpoint that takes Stripe's webhooks, as Odoo's route does: the signature is
    verified with the addons' own `verify_webhook` and the signing secret; verified events are
    kept, the others answered 400. Stripe reaches it through the Stripe CLI's forwarding
    (`stripe listen --forward-to 127.0.0.1:<port>`) or a public URL that leads to it."""

    def __init__(self, core, secret, port=0):
        self.secret = secret
        self.events = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event = core.client.verify_webhook(
                        payload, self.headers.get("Stripe-Signature", ""), receiver.secret
                    )
                except Exception:  # noqa: BLE001 - any bad signature or body
                    receiver.refused += 1
                    self.send_response(400)
                else:
                    receiver.events.append(event)
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Check:
    """One run: a client, the account's country, and the reader the scenarios share."""

    def __init__(
        self, secret_key, api_base=None, country="US", timeout=60, webhook_secret=None, port=0
    ):
        self.core = plain_core()
        self.webhooks = WebhookReceiver(self.core, webhook_secret, port) if webhook_secret else None
        self.secret_key = secret_key
        self.client = self.core.client.StripeTerminalClient(secret_key, api_base=api_base)
        self.country = country.upper()
        self.currency = LOCAL_CURRENCIES[self.country]
        self.timeout = timeout
        self.run_id = uuid.uuid4().hex[:10]
        self.reader = None
        self.location = None
        self._made = []  # (delete operation, id), undone at the end

    # === Requests === #

    def key(self, *parts):
        return ":".join(["stripe-check", self.run_id, *map(str, parts)])

    def call(self, operation, *args, params=None, key=None):
        verb = operation.rsplit(".", 1)[-1]
        if verb not in ("retrieve", "list", "search") and verb != "delete" and key is None:
            key = self.key(operation, uuid.uuid4().hex[:8])
        return self.client.call(operation, *args, params=params, idempotency_key=key)

    def refused(self, operation, *args, params=None):
        """The StripeTerminalError Stripe answers `operation` with (fails if it succeeds)."""
        try:
            self.call(operation, *args, params=params)
        except self.core.errors.StripeTerminalError as error:
            return error
        raise AssertionError(f"Stripe accepted {operation} {params}")

    def wait(self, predicate, message):
        """Poll Stripe until `predicate()` is true, within the run's deadline."""
        deadline = time.monotonic() + self.timeout
        pause = threading.Event()
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"Timed out after {self.timeout} s waiting for {message}")
            pause.wait(0.5)

    # === What the addons do === #

    def setup(self):
        self.location = self.call(
            "terminal.locations.create",
            params={
                "display_name": f"Stripe check {self.run_id}",
                "address": ADDRESSES[self.country],
            },
        )
        self._made.append(("terminal.locations.delete", self.location["id"]))
        self.reader = self.call(
            "terminal.readers.create",
            params={
                "registration_code": "simulated-wpe",
                "label": f"Stripe check {self.run_id}",
                "location": self.location["id"],
            },
        )
        self._made.insert(0, ("terminal.readers.delete", self.reader["id"]))

    def teardown(self):
        for operation, object_id in self._made:
            try:
                self.call(operation, object_id)
            except self.core.errors.StripeTerminalError:
                pass
        self._made = []
        if self.webhooks:
            self.webhooks.stop()

    def intent(self, amount=1500, types_=("card_present",), **values):
        intent = self.call(
            "payment_intents.create",
            params={
                "amount": amount,
                "currency": self.currency,
                "allowed_payment_method_types": list(types_),
                "capture_method": "automatic",
                "description": f"Stripe check {self.run_id}",
                "metadata": {"stripe_check": self.run_id},
                **values,
            },
        )
        return intent

    def process(self, intent, **config):
        params = {"payment_intent": intent["id"]}
        if config:
            params["process_config"] = config
        return self.call(
            "terminal.readers.process_payment_intent", self.reader["id"], params=params
        )

    def present(self, number=None, method_type="card_present", **extra):
        params = {"type": method_type, **extra}
        if number:
            params[method_type] = {"number": number}
        return self.call(
            "test_helpers.terminal.readers.present_payment_method",
            self.reader["id"],
            params=params,
        )

    def action_done(self):
        """The reader's action once it ended (succeeded or failed)."""

        def ended():
            action = self.call("terminal.readers.retrieve", self.reader["id"]).get("action")
            return action if action and action["status"] != "in_progress" else None

        return self.wait(ended, "the reader's action to end")

    def intent_status(self, intent, status):
        return self.wait(
            lambda: (
                (found := self.call("payment_intents.retrieve", intent["id"]))["status"] == status
                and found
            ),
            f"the PaymentIntent to be {status}",
        )

    def paid(self, **intent_values):
        intent = self.intent(**intent_values)
        self.process(intent)
        self.present()
        assert self.action_done()["status"] == "succeeded"
        return self.intent_status(intent, "succeeded")


# === Scenarios === #

SCENARIOS = []


def scenario(function):
    SCENARIOS.append(function)
    return function


@scenario
def the_removed_parameter_is_refused(check):
    """Under the pinned version Stripe refuses payment_method_types on PaymentIntents."""
    error = check.refused(
        "payment_intents.create",
        params={"amount": 1500, "currency": check.currency, "payment_method_types": ["card"]},
    )
    assert (error.http_status, error.code) == (400, "payment_method_types_no_longer_supported")


@scenario
def collect_on_the_reader(check):
    intent = check.intent()
    assert "card_present" in intent["payment_method_types"], intent["payment_method_types"]
    check.process(intent)
    check.present()
    paid = check.intent_status(intent, "succeeded")
    charge = check.call("charges.retrieve", paid["latest_charge"])
    assert charge["captured"] and charge["amount"] == 1500
    assert "refunds" not in charge, "charges no longer embed refunds (2022-11-15)"
    assert charge["payment_method_details"]["card_present"]["last4"]


@scenario
def a_currency_the_reader_does_not_take(check):
    other = "eur" if check.currency != "eur" else "usd"
    intent = check.call(
        "payment_intents.create",
        params={
            "amount": 1500,
            "currency": other,
            "allowed_payment_method_types": ["card_present", "card"],
        },
    )
    # allowed_payment_method_types drops what does not apply, silently.
    assert "card_present" not in intent["payment_method_types"], intent["payment_method_types"]
    check.call("payment_intents.cancel", intent["id"])


@scenario
def decline_then_retry_the_same_intent(check):
    intent = check.intent()
    check.process(intent)
    check.present(DECLINE_INSUFFICIENT_FUNDS)
    action = check.action_done()
    assert (action["status"], action["failure_code"]) == ("failed", "card_declined")
    waiting = check.intent_status(intent, "requires_payment_method")
    error = check.core.errors.StripeTerminalError.from_reader_action(
        action, last_error=waiting.get("last_payment_error")
    )
    assert error.key == "insufficient_funds", error.technical
    check.process(intent)
    check.present()
    check.intent_status(intent, "succeeded")


@scenario
def cancel_on_the_reader(check):
    intent = check.intent()
    check.process(intent)
    reader = check.call("terminal.readers.cancel_action", check.reader["id"])
    assert not reader.get("action") or reader["action"]["status"] != "in_progress"
    canceled = check.call(
        "payment_intents.cancel", intent["id"], params={"cancellation_reason": "abandoned"}
    )
    assert canceled["status"] == "canceled"
    busy_free = check.call("terminal.readers.retrieve", check.reader["id"])
    assert not busy_free.get("action") or busy_free["action"]["status"] != "in_progress"


@scenario
def refund_to_the_card(check):
    paid = check.paid()
    refund = check.call(
        "refunds.create",
        params={"payment_intent": paid["id"], "amount": 500, "metadata": {"stripe_check": "1"}},
    )
    assert refund["status"] in ("succeeded", "pending"), refund["status"]
    listed = list(check.client.list_all("refunds.list", params={"charge": paid["latest_charge"]}))
    assert [item["id"] for item in listed] == [refund["id"]]
    charge = check.call("charges.retrieve", paid["latest_charge"])
    assert charge["amount_refunded"] == 500


@scenario
def save_the_card_and_charge_it_later(check):
    customer = check.call(
        "customers.create", params={"name": "Stripe check", "email": "check@example.com"}
    )
    check._made.insert(0, ("customers.delete", customer["id"]))
    paid = check.paid(customer=customer["id"], setup_future_usage="off_session")
    charge = check.call("charges.retrieve", paid["latest_charge"])
    generated = charge["payment_method_details"]["card_present"]["generated_card"]
    assert generated and generated.startswith("pm_"), generated
    later = check.call(
        "payment_intents.create",
        params={
            "amount": 1500,
            "currency": check.currency,
            "allowed_payment_method_types": ["card"],
            "customer": customer["id"],
            "payment_method": generated,
            "off_session": True,
            "confirm": True,
        },
    )
    assert later["status"] == "succeeded", later["status"]


@scenario
def moto_keyed_on_the_reader(check):
    intent = check.intent(types_=("card",))
    assert "card" in intent["payment_method_types"]
    try:
        check.process(intent, moto=True)
    except check.core.errors.StripeTerminalError as error:
        check.call("payment_intents.cancel", intent["id"])
        if error.code in ("moto_not_enabled", "parameter_unknown"):
            return "MOTO is not enabled on this Stripe account"
        raise
    check.present(method_type="card", card=MOTO_CARD)
    check.intent_status(intent, "succeeded")


@scenario
def events_tell_what_happened(check):
    paid = check.paid()

    def event_of_the_payment():
        events = check.call(
            "events.list", params={"type": "payment_intent.succeeded", "limit": 20}
        )["data"]
        return next((e for e in events if e["data"]["object"]["id"] == paid["id"]), None)

    event = check.wait(event_of_the_payment, "the payment_intent.succeeded event")
    assert event["data"]["object"]["status"] == "succeeded"


@scenario
def webhooks_reach_odoo_signed(check):
    if not check.webhooks:
        return "no webhook forwarding given (--webhook-secret, see the README)"
    paid = check.paid()

    def delivered():
        return next(
            (
                event
                for event in check.webhooks.events
                if event["type"] == "payment_intent.succeeded"
                and event["data"]["object"]["id"] == paid["id"]
            ),
            None,
        )

    event = check.wait(delivered, "the payment_intent.succeeded webhook")
    assert event["data"]["object"]["amount_received"] == 1500
    assert check.webhooks.refused == 0, "a webhook failed Odoo's signature check"


@scenario
def webhook_endpoint_in_the_pinned_version(check):
    const = check.core.const
    endpoint = check.call(
        "webhook_endpoints.create",
        params={
            "url": f"https://stripe-check.example.com/{check.run_id}",
            "enabled_events": const.HANDLED_WEBHOOK_EVENTS,
            "api_version": const.API_VERSION,
            "description": "Stripe check (deleted at once)",
        },
    )
    try:
        assert endpoint["api_version"] == const.API_VERSION
        assert endpoint["secret"].startswith("whsec_")
    finally:
        check.call("webhook_endpoints.delete", endpoint["id"])


def run(check, names=None, report=print):
    """Run the scenarios (all, or those named); return {name: None | reason | error}."""
    results = {}
    check.setup()
    try:
        for function in SCENARIOS:
            if names and function.__name__ not in names:
                continue
            try:
                results[function.__name__] = ("passed", function(check))
            except Exception as error:  # noqa: BLE001 - every failure is reported
                results[function.__name__] = ("failed", f"{type(error).__name__}: {error}")
            status, detail = results[function.__name__]
            if status == "passed" and detail:
                status = "not applicable"
            report(f"{status:>15}  {function.__name__}" + (f": {detail}" if detail else ""))
    finally:
        check.teardown()
    return results

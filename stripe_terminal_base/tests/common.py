# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test API of the Stripe Terminal suite, reused by every addon's tests.

`StripeTerminalCase` runs against the project's Stripe simulator over real HTTP (the simulator
lives in the repository's `tests/` package and is started once per test process). Each test class
gets its own Stripe account (a fresh secret key), so classes never see each other's readers or
payments. Webhooks from the simulator reach Odoo's test HTTP server, signed with the class's
secret.

    class TestSomething(StripeTerminalCase):
        def test_payment(self):
            reader = self.create_reader()            # a simulated WisePOS E, online
            ...                                      # start a payment on it
            self.present_card(reader)                # the customer taps 4242...
            self.wait_for_webhooks()                 # deliveries done (or a timeout error)
            self.env.invalidate_all()
"""

import atexit
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import psycopg2
import psycopg2.errors
import stripe

from odoo.tests import HttpCase, new_test_user
from odoo.tests import common as odoo_test_common
from odoo.tools import config, mute_logger

from .. import const

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
# Where the tests' readers are, by the country of their Stripe account.
LOCATION_ADDRESSES = {
    "US": {
        "country": "US",
        "line1": "1 Main St",
        "city": "Springfield",
        "postal_code": "12345",
        "state": "CA",
    },
    "CA": {"country": "CA", "line1": "1 Bay St", "city": "Toronto", "postal_code": "M5J 2R8"},
    "JP": {"country": "JP", "line1": "1-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005"},
}
_simulator = None
_simulator_lock = threading.Lock()


def get_simulator():
    """The process-wide Stripe simulator (started on first use, stopped at exit)."""
    global _simulator
    with _simulator_lock:
        if _simulator is None:
            if str(REPOSITORY_ROOT) not in sys.path:
                sys.path.insert(0, str(REPOSITORY_ROOT))
            from tests.stripe_simulator import StripeSimulator

            _simulator = StripeSimulator(host="127.0.0.1", port=0).start()
            atexit.register(_simulator.stop)
        return _simulator


def warm_up_manifests():
    """Parse every addon's manifest once, in this thread.

    The web client's first requests make Odoo's threaded HTTP server parse manifests in several
    threads at once, which CPython 3.11.7 sometimes fails on ("AST constructor recursion depth
    mismatch", fixed in later 3.11 releases). Manifests are cached once parsed.
    """
    from odoo.modules import module

    for name in module.get_modules():
        module.get_manifest(name)


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Return once `predicate()` is true; fail after `timeout` seconds. Each round waits on an
    event for `interval` seconds, so the wait is bounded by the deadline, never open-ended."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}")
        pause.wait(interval)


class StripeTerminalCase(HttpCase):
    """A company with a Stripe provider in test mode pointed at the simulator, a location, and
    users of each accounting role.

    Every test runs on a Stripe account of its own (new keys on the provider, rolled back with
    the test), unless the class sets `fresh_account_per_test = False` to share the objects it
    creates in setUpClass.
    """

    fresh_account_per_test = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = get_simulator()
        warm_up_manifests()
        cls.env["ir.config_parameter"].sudo().set_param(const.API_BASE_PARAM, cls.simulator.url)
        cls.company = cls.env.company
        if not cls.company.country_id:
            cls.company.country_id = cls.env.ref("base.us")
        cls.provider = cls.setup_stripe_provider(cls.company)
        cls.secret_key = cls.provider.sudo().stripe_secret_key
        cls.webhook_secret = cls.provider.sudo().stripe_terminal_webhook_secret
        cls.stripe = cls.stripe_client(cls.secret_key)
        cls.location = cls.create_location(cls.provider)
        cls.accountant = new_test_user(
            cls.env,
            login="st_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.manager = new_test_user(
            cls.env,
            login="st_manager",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
        )

    def setUp(self):
        super().setUp()
        # Webhooks wait until the test releases them (deliver_webhooks) while it is not using
        # the database itself: the test's HTTP server shares the test's transaction.
        self.simulator.set_webhook_mode("hold")
        self.addCleanup(self.simulator.discard_held_webhooks)
        # From 19.0 the test server refuses a request without the test's cookie; the
        # simulator's webhooks come from its own thread without one, as Stripe's would.
        self.http_request_allow_all = True
        if self.fresh_account_per_test:
            self.use_fresh_account()

    def use_fresh_account(self, country="US"):
        """Point the provider at a brand-new simulator account in `country` (readers and
        customers of the previous one are gone), with a location in that country: Terminal
        takes the local currency of the account's country only (CA: CAD and Interac; JP: the
        zero-decimal yen)."""
        provider = self.setup_stripe_provider(self.company, country=country)
        self.assertEqual(provider, self.provider)
        self.secret_key = provider.sudo().stripe_secret_key
        self.webhook_secret = provider.sudo().stripe_terminal_webhook_secret
        self.stripe = self.stripe_client(self.secret_key)
        self.location = self.create_location(self.provider, address=LOCATION_ADDRESSES[country])

    # === Accounts, providers, readers === #

    @classmethod
    def webhook_url(cls):
        return f"http://127.0.0.1:{config['http_port']}/stripe_terminal/webhook"

    @classmethod
    def setup_stripe_provider(cls, company, moto_enabled=True, country="US"):
        """A Stripe provider for `company` on a brand-new simulator account in `country`."""
        secret_key = "sk_test_" + secrets.token_hex(16)
        webhook_secret = "whsec_" + secrets.token_hex(16)
        cls.simulator.configure_account(
            secret_key,
            webhook_url=cls.webhook_url(),
            webhook_secret=webhook_secret,
            moto_enabled=moto_enabled,
            country=country,
        )
        provider = (
            cls.env["payment.provider"]
            .sudo()
            .search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
        )
        values = {
            "state": "test",
            "stripe_publishable_key": "pk_test_" + secret_key[8:],
            "stripe_secret_key": secret_key,
            "stripe_terminal_webhook_secret": webhook_secret,
        }
        if provider:
            provider.write(values)
        else:
            stripe_template = cls.env.ref("payment.payment_provider_stripe")
            provider = stripe_template.copy(dict(values, company_id=company.id))
        return provider.sudo(False)

    @staticmethod
    def stripe_client(secret_key):
        """A stripe-python client on the simulator: what a test does on the customer's side."""
        return stripe.StripeClient(
            secret_key,
            base_addresses={"api": get_simulator().url},
            stripe_version=const.API_VERSION,
        )

    @classmethod
    def create_location(cls, provider, name="Main store", address=None):
        client = cls.stripe_client(provider.sudo().stripe_secret_key)
        location = client.v1.terminal.locations.create(
            {"display_name": name, "address": address or LOCATION_ADDRESSES["US"]}
        ).to_dict()
        return cls.env["stripe.terminal.location"]._stripe_terminal_upsert(provider, location)

    @classmethod
    def register_reader(cls, provider, location, registration_code="simulated-wpe", label=None):
        """Register a reader on the simulator and import it (what the register wizard does)."""
        client = cls.stripe_client(provider.sudo().stripe_secret_key)
        stripe_reader = client.v1.terminal.readers.create(
            {
                "registration_code": registration_code,
                "label": label or f"Reader {registration_code}",
                "location": location.stripe_location_id,
            }
        ).to_dict()
        return cls.env["stripe.terminal.reader"]._stripe_terminal_upsert(
            provider, stripe_reader, {location.stripe_location_id: location}
        )

    def create_reader(self, registration_code="simulated-wpe", label=None):
        """A reader of this test's account, at its location."""
        return self.register_reader(self.provider, self.location, registration_code, label)

    def register_wizard(self, name, registration_code="simulated-wpe", location=None):
        """The Register Reader wizard as a manager fills it: at `location`, or at a new location
        named after the reader."""
        where = (
            {"location_mode": "existing", "location_id": location.id}
            if location
            else {"location_mode": "new", "new_location_name": name}
        )
        return self.env["stripe.terminal.reader.register"].create(
            {
                "provider_id": self.provider.id,
                "name": name,
                "registration_code": registration_code,
                **where,
            }
        )

    # === The customer's side === #

    def present_card(self, reader, number="4242424242424242", card_type="card_present", **extra):
        """The customer taps a card on `reader` (the simulator's test helper)."""
        params = {"type": card_type}
        if card_type in ("card_present", "interac_present"):
            params[card_type] = {"number": number}
        elif card_type == "card":
            params["card"] = dict(
                {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}, **extra
            )
        return self.stripe.v1.test_helpers.terminal.readers.present_payment_method(
            reader.stripe_reader_id, params
        ).to_dict()

    # === Webhooks === #

    @staticmethod
    def sign_payload(payload, secret, timestamp=None):
        """A `Stripe-Signature` header for `payload` (bytes), computed as Stripe does."""
        timestamp = int(time.time()) if timestamp is None else int(timestamp)
        signed = f"{timestamp}.".encode() + payload
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"

    def post_webhook(self, event, secret=None, timestamp=None, signature=None, raw=None):
        """POST `event` (a dict) to the webhook route as Stripe would; returns the response."""
        payload = raw if raw is not None else json.dumps(event).encode()
        header = signature or self.sign_payload(payload, secret or self.webhook_secret, timestamp)
        return self.url_open(
            "/stripe_terminal/webhook",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )

    def deliver_webhooks(self, timeout=15):
        """Release the held webhooks and wait until Odoo answered them all."""
        self.env.flush_all()
        with self.odoo_answers_requests():
            self.simulator.flush_webhooks()
            self.simulator.wait_for_webhooks(timeout=timeout)
        self.env.invalidate_all()

    @contextmanager
    def odoo_answers_requests(self):
        """Let the test server answer requests while the test waits for them. From 19.0 the
        test thread holds a lock that every request's cursor takes (released by Odoo's own
        url_open and start_tour); 17.0 and 18.0 have none."""
        release_test_lock = getattr(odoo_test_common, "release_test_lock", None)
        if release_test_lock is None:
            yield
            return
        with release_test_lock():
            yield

    def wait_for_webhooks(self, timeout=15):
        self.deliver_webhooks(timeout=timeout)

    @contextmanager
    def webhooks_mode(self, mode):
        """Another delivery mode for a while ("deliver" when the browser drives the test and
        the test waits in start_tour; "drop", "duplicate", "reverse" for faults)."""
        self.env.flush_all()
        self.simulator.set_webhook_mode(mode)
        try:
            yield
        finally:
            self.simulator.set_webhook_mode("hold")

    @contextmanager
    def exact_request_timeouts(self):
        """Let requests keep their own timeout: from 18.0 Odoo's test case raises any timeout
        under 10 s to 10 s (`_request_handler`; 17.0 has none). The simulator is on loopback,
        which that handler lets through anyway."""
        super_send = getattr(odoo_test_common, "_super_send", None)
        if super_send is None or not hasattr(type(self), "_request_handler"):
            yield
            return

        def send_as_asked(cls, session, request, /, **kwargs):
            return super_send(session, request, **kwargs)

        with patch.object(type(self), "_request_handler", classmethod(send_as_asked)):
            yield

    def assert_refuses_copy(self, record, constraint, **changes):
        """The database refuses a second row like `record`'s (with `changes`, column: SQL
        value), and it is `constraint` that refuses it: the unique constraints and indexes
        behind "exactly once" exist on every series, whatever declares them."""
        self._assert_violates(
            record,
            constraint,
            psycopg2.errors.UniqueViolation,
            lambda table, columns: (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {', '.join(changes.get(c, c) for c in columns)} "
                f"FROM {table} WHERE id = %s"
            ),
        )

    def assert_refuses_update(self, record, constraint, **changes):
        """The database refuses `changes` (column: SQL value) on `record`'s row, by
        `constraint` (a CHECK)."""
        self._assert_violates(
            record,
            constraint,
            psycopg2.errors.CheckViolation,
            lambda table, _columns: (
                f"UPDATE {table} SET "
                + ", ".join(f"{column} = {value}" for column, value in changes.items())
                + " WHERE id = %s"
            ),
        )

    def _assert_violates(self, record, constraint, error, build_query):
        record.ensure_one()
        self.env.flush_all()
        table = record._table
        # Declared constraints are named <table>_<name>; indexes made in init() by their own name.
        names = (f"{table}_{constraint}", constraint)
        cr = self.env.cr
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name != 'id'",
            (table,),
        )
        columns = [row[0] for row in cr.fetchall()]
        with self.assertRaises(error) as caught, mute_logger("odoo.sql_db"), cr.savepoint():
            cr.execute(build_query(table, columns), (record.id,))
        self.assertIn(caught.exception.diag.constraint_name, names)

    def stripe_requests(self, secret_key=None):
        """Requests the simulator received for this class's account."""
        key = secret_key or self.secret_key
        return self.simulator.requests_log(api_key=key)

    def wait_until(self, predicate, timeout=10.0, message="condition"):
        def check():
            self.env.invalidate_all()
            return predicate()

        return wait_until(check, timeout=timeout, message=message)

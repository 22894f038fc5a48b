"""Odoo in the benchmark's own process, on a database of the live fixture: what a request does,
timed to the microsecond, with the time spent waiting for Stripe measured apart.

Collect runs `action_stripe_terminal_collect` as the button does (its own committed cursor
included); finalisation hands the PaymentIntent's webhook events (those the Terminal endpoint
subscribes to), signed, to the handler the webhook route calls, one committed transaction each,
as Odoo's HTTP server would.
"""

import gc
import json
import secrets
import threading
import time
from contextlib import contextmanager

from tests.live_odoo import API_VERSION, US_ADDRESS, sign_payload

_stripe_time = threading.local()


def install_stripe_timer():
    """Count the time and the requests spent inside the suite's Stripe client (the choke point
    every Stripe request goes through)."""
    from odoo.addons.stripe_terminal_base.client import StripeTerminalClient

    if getattr(StripeTerminalClient.call, "_timed", False):
        return
    original = StripeTerminalClient.call

    def call(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            _stripe_time.seconds = getattr(_stripe_time, "seconds", 0.0) + (
                time.perf_counter() - started
            )
            _stripe_time.calls = getattr(_stripe_time, "calls", 0) + 1

    call._timed = True
    StripeTerminalClient.call = call


def settle():
    """Collect the garbage left by what ran before, outside the timed block that follows: a
    collection it triggered would otherwise land on whichever side comes next."""
    gc.collect()


@contextmanager
def measured():
    """{"total", "stripe", "server", "calls"} of the block (seconds); blocks may nest."""
    seconds = getattr(_stripe_time, "seconds", 0.0)
    calls = getattr(_stripe_time, "calls", 0)
    result = {}
    started = time.perf_counter()
    try:
        yield result
    finally:
        result["total"] = time.perf_counter() - started
        result["stripe"] = getattr(_stripe_time, "seconds", 0.0) - seconds
        result["server"] = result["total"] - result["stripe"]
        result["calls"] = getattr(_stripe_time, "calls", 0) - calls


class InProcessShop:
    """The company of one database, set up with the ORM: provider on a fresh simulator account
    (no webhook endpoint: the benchmark hands the events over itself), a location, a reader, the
    Stripe journal, a bank journal, an accountant and a known customer."""

    def __init__(self, database, simulator):
        from odoo import SUPERUSER_ID
        from odoo.modules.registry import Registry

        install_stripe_timer()
        self.superuser = SUPERUSER_ID
        self.registry = Registry(database)
        self.database = database
        self.sim = simulator
        self.secret_key = "sk_test_" + secrets.token_hex(16)
        self.webhook_secret = "whsec_" + secrets.token_hex(16)
        self.sim.configure_account(self.secret_key, webhook_secret=self.webhook_secret)
        self._events_seen = 0
        with self.env() as env:
            self._setup(env)

    @contextmanager
    def env(self, uid=None, context=None):
        """An environment on a new cursor, committed at the end (one request)."""
        from odoo import api

        with self.registry.cursor() as cr:
            yield api.Environment(
                cr, uid or self.superuser, dict({"lang": "en_US", "tz": "UTC"}, **(context or {}))
            )

    def _setup(self, env):
        import stripe

        from odoo.addons.stripe_terminal_base import compat

        env["ir.config_parameter"].set_param("stripe_terminal.api_base", self.sim.url)
        company = env.ref("base.main_company")
        if not company.country_id:
            company.country_id = env.ref("base.us")
        provider = env["payment.provider"].search(
            [("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1
        )
        provider.write(
            {
                "state": "test",
                "stripe_publishable_key": "pk_test_" + self.secret_key[8:],
                "stripe_secret_key": self.secret_key,
                "stripe_terminal_webhook_secret": self.webhook_secret,
            }
        )
        client = stripe.StripeClient(
            self.secret_key, base_addresses={"api": self.sim.url}, stripe_version=API_VERSION
        )
        location = client.v1.terminal.locations.create(
            {"display_name": "Bench store", "address": US_ADDRESS}
        ).to_dict()
        location = env["stripe.terminal.location"]._stripe_terminal_upsert(provider, location)
        stripe_reader = client.v1.terminal.readers.create(
            {
                "registration_code": "simulated-wpe",
                "label": "Bench",
                "location": location.stripe_location_id,
            }
        ).to_dict()
        reader = env["stripe.terminal.reader"]._stripe_terminal_upsert(
            provider, stripe_reader, {location.stripe_location_id: location}
        )
        journal = env["account.journal"].search([("code", "=", "STRP")], limit=1) or env[
            "account.journal"
        ].create({"name": "Stripe", "code": "STRP", "type": "bank", "is_stripe_journal": True})
        bank = env["account.journal"].search(
            [("type", "=", "bank"), ("code", "!=", "STRP"), ("company_id", "=", company.id)],
            limit=1,
        )
        user = env["res.users"].search([("login", "=", "bench_accountant")])
        if not user:
            user = env["res.users"].create(
                {
                    "name": "Bench Accountant",
                    "login": "bench_accountant",
                    "password": "bench-password-1",
                    compat.USER_GROUPS_FIELD: [
                        (
                            6,
                            0,
                            [
                                env.ref("base.group_user").id,
                                env.ref("account.group_account_invoice").id,
                            ],
                        )
                    ],
                }
            )
        partner = env["res.partner"].create(
            {"name": f"Bench Customer {secrets.token_hex(2)}", "email": "bench@example.com"}
        )
        accounts = env["account.account"]
        income = accounts.search(
            [*accounts._check_company_domain(company), ("account_type", "=", "income")], limit=1
        )
        self.ids = {
            "company": company.id,
            "provider": provider.id,
            "reader": reader.id,
            "stripe_reader": reader.stripe_reader_id,
            "journal": journal.id,
            "bank_journal": bank.id,
            "user": user.id,
            "partner": partner.id,
            "income": income.id,
        }

    # === One payment, step by step === #

    def invoice(self, amount=40.0):
        with self.env() as env:
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.ids["partner"],
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "Goods",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [(5, 0, 0)],
                                "account_id": self.ids["income"],
                            },
                        )
                    ],
                }
            )
            move.action_post()
            return move.id

    def _wizard(self, env, invoice_id, values):
        return (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=[invoice_id])
            .create(values)
        )

    def register_payment(self, invoice_id):
        """Odoo's own Register Payment > Create Payment, on the bank journal (timed)."""
        settle()
        with measured() as timing:
            with self.env(uid=self.ids["user"]) as env:
                wizard = self._wizard(env, invoice_id, {"journal_id": self.ids["bank_journal"]})
                wizard.action_create_payments()
        return timing

    def collect(self, invoice_id):
        """Register Payment > Collect (timed); returns (timing, terminal payment id)."""
        settle()
        with measured() as timing:
            with self.env(uid=self.ids["user"]) as env:
                wizard = self._wizard(
                    env,
                    invoice_id,
                    {
                        "journal_id": self.ids["journal"],
                        "stripe_terminal_reader_id": self.ids["reader"],
                    },
                )
                action = wizard.action_stripe_terminal_collect()
        return timing, action["params"]["payment_id"]

    def present_card(self, number="4242424242424242"):
        self.sim.present_payment_method(self.ids["stripe_reader"], number=number)

    def new_events(self):
        """The account's events since the last call that Stripe would send to the Terminal
        webhook endpoint (it subscribes to the types the suite handles, no others)."""
        from odoo.addons.stripe_terminal_base.const import HANDLED_WEBHOOK_EVENTS

        events = self.sim.account_objects(self.secret_key, "event")
        fresh, self._events_seen = events[self._events_seen :], len(events)
        return [event for event in fresh if event["type"] in HANDLED_WEBHOOK_EVENTS]

    def deliver(self, events):
        """The webhook route's work for each event, one transaction each (timed together, and
        by event type in "by_type")."""
        by_type = {}
        settle()
        with measured() as timing:
            for event in events:
                payload = json.dumps(event).encode()
                signature = sign_payload(payload, self.webhook_secret)
                with measured() as one, self.env(uid=self.public_user()) as env:
                    receive = env["stripe.terminal.event"].sudo()._stripe_terminal_receive
                    status = receive(payload, signature)
                assert status == 200, (event["type"], status)
                by_type[event["type"]] = by_type.get(event["type"], 0.0) + one["server"]
        timing["by_type"] = by_type
        return timing

    def public_user(self):
        if not hasattr(self, "_public_uid"):
            with self.env() as env:
                self._public_uid = env.ref("base.public_user").id
        return self._public_uid

    def state(self, payment_id):
        with self.env() as env:
            payment = env["stripe.terminal.payment"].browse(payment_id)
            return (
                payment.state,
                payment.account_payment_id.state,
                payment.invoice_ids.payment_state,
            )

    def requests_count(self):
        return len(self.sim.requests_log(self.secret_key))

    def pay(self, amount=40.0):
        """A whole card payment: {"collect", "finalise" timings, "requests", "payment"}."""
        invoice_id = self.invoice(amount)
        self.new_events()
        requests_before = self.requests_count()
        collect, payment_id = self.collect(invoice_id)
        self.present_card()
        finalise = self.deliver(self.new_events())
        state = self.state(payment_id)
        from odoo.addons.stripe_terminal_base.compat import PAYMENT_BOOKED_STATES

        booked = state[0] == "done" and state[1] in PAYMENT_BOOKED_STATES
        assert booked and state[2] in ("paid", "in_payment"), state
        return {
            "collect": collect,
            "finalise": finalise,
            "requests": self.requests_count() - requests_before,
            "payment": payment_id,
            "invoice": invoice_id,
        }

    def close(self):
        from odoo.modules.registry import Registry

        Registry.delete(self.database)

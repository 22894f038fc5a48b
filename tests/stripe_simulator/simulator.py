"""StripeSimulator: the stateful Stripe served over HTTP, and its control API."""

import json
import logging
import threading

from . import api_events, api_terminal, errors, ids, objects, payments, queries, versions
from .context import Context
from .faults import FaultInjector
from .gateway import Gateway
from .idempotency import IdempotencyStore
from .scheduler import Scheduler
from .server import SimulatorHTTPServer
from .state_file import StateKeeper
from .store import KINDS, Registry
from .webhooks import WebhookDispatcher

_logger = logging.getLogger(__name__)

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1.0 pins


class StripeSimulator:
    """A stateful, test-mode-only Stripe on loopback.

    ``StripeSimulator(port=0).start()`` picks a free port; ``sim.url`` is the
    base address for ``StripeClient(..., base_addresses={"api": sim.url})``.
    """

    api_version = API_VERSION

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        webhook_url=None,
        webhook_secret=None,
        moto_enabled=True,
        *,
        action_timeout_seconds=300,
        collect_confirm_window_seconds=30,
        refund_failure_delay_seconds=2.0,
        latency_ms=0,
        webhook_retry_delay=0.2,
        webhook_max_attempts=5,
        state_file=None,
    ):
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or (
            f"whsec_{ids.random_token(32)}" if webhook_url else None
        )
        self.moto_enabled = moto_enabled
        self.action_timeout_seconds = action_timeout_seconds
        self.collect_confirm_window_seconds = collect_confirm_window_seconds
        self.refund_failure_delay_seconds = refund_failure_delay_seconds
        self.latency_ms = latency_ms
        self.lock = threading.RLock()
        self.registry = Registry()
        self.scheduler = Scheduler()
        self.webhooks = WebhookDispatcher(
            retry_delay=webhook_retry_delay, max_attempts=webhook_max_attempts
        )
        self.faults = FaultInjector()
        self.idempotency = IdempotencyStore()
        self.gateway = Gateway(self)
        self._requests = []
        self._requests_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = None
        self._server_thread = None
        # Accounts kept on disk across restarts (the demo's); see state_file.py.
        self.state_keeper = StateKeeper(self, state_file) if state_file else None

    # Lifecycle -----------------------------------------------------------------------

    def start(self):
        if self.state_keeper:
            self.state_keeper.start()
        self._server = SimulatorHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self.scheduler.start()
        self.webhooks.start()
        self._server_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="stripe-sim-http",
            daemon=True,
        )
        self._server_thread.start()
        _logger.info("Stripe simulator listening on %s", self.url)
        return self

    def stop(self):
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._server_thread.join(timeout=5)
        self.scheduler.stop()
        self.webhooks.stop()
        if self.state_keeper:
            self.state_keeper.stop()
        self._server = None

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # Accounts ------------------------------------------------------------------------

    def configure_account(
        self,
        api_key,
        webhook_url=None,
        webhook_secret=None,
        moto_enabled=None,
        country=None,
        default_api_version=None,
        disabled_payment_method_types=None,
        search_lag_seconds=None,
    ):
        """Per-account webhook endpoint, MOTO switch, country (two letters: Terminal takes its
        local currency only), default API version (what a request without Stripe-Version
        and an endpoint made in the Dashboard get) and payment method types not activated on
        the account, and the seconds before a write shows in search. None leaves a value as
        is."""
        with self.lock:
            account = self.registry.account(api_key)
            if country is not None:
                account.country = country.upper()
            if default_api_version is not None:
                if not versions.known(default_api_version):
                    raise ValueError(f"not an API version: {default_api_version!r}")
                account.default_api_version = default_api_version
            if disabled_payment_method_types is not None:
                account.disabled_payment_method_types = list(disabled_payment_method_types)
            if search_lag_seconds is not None:
                account.search_lag_seconds = float(search_lag_seconds)
            if webhook_url is not None:
                account.webhook_url = webhook_url
                account.webhook_secret = (
                    webhook_secret or account.webhook_secret or f"whsec_{ids.random_token(32)}"
                )
            elif webhook_secret is not None:
                account.webhook_secret = webhook_secret
            if moto_enabled is not None:
                account.moto_enabled = moto_enabled
            return {
                "webhook_url": account.webhook_url,
                "webhook_secret": account.webhook_secret,
                "moto_enabled": self.moto_enabled_for(account),
                "country": account.country,
                "default_api_version": api_events.account_version(account),
                "disabled_payment_method_types": account.disabled_payment_method_types,
                "search_lag_seconds": account.search_lag_seconds,
            }

    def moto_enabled_for(self, account):
        return self.moto_enabled if account.moto_enabled is None else account.moto_enabled

    def account_objects(self, api_key, kind):
        """Every object of ``kind`` (e.g. ``"charge"``) of an account, oldest first."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        with self.lock:
            return [objects.snapshot(obj) for obj in self.registry.account(api_key).all(kind)]

    def add_reader(self, api_key, device_type, location=None, label=None):
        """Register a reader of any ``device_type`` directly (e.g. a real
        ``bbpos_wisepos_e``, or a ``simulated_stripe_t600`` that can't do MOTO)."""
        if device_type not in api_terminal.DEVICE_TYPES:
            raise ValueError(f"unknown device_type {device_type!r}")
        with self.lock:
            ctx = Context(self, self.registry.account(api_key))
            if location:
                ctx.get("terminal.location", location, "location")
            reader = api_terminal.new_reader(
                ctx, device_type, location=location, label=label or device_type
            )
            return objects.snapshot(reader)

    # Readers ---------------------------------------------------------------------------

    def _reader_context(self, reader_id):
        account = self.registry.owner(reader_id, "terminal.reader")
        return Context(self, account), account.get("terminal.reader", reader_id)

    def present_payment_method(
        self,
        reader_id,
        type="card_present",
        number=None,  # noqa: A002
        amount_tip=None,
        card=None,
    ):
        """Same as POST /v1/test_helpers/terminal/readers/{id}/present_payment_method."""
        params = {"type": type}
        if amount_tip is not None:
            params["amount_tip"] = amount_tip
        if type == "card":
            params["card"] = card
        elif number is not None:
            params[type] = {"number": number}
        with self.lock:
            ctx, _ = self._reader_context(reader_id)
            return api_terminal.present_payment_method(ctx, params, reader_id)

    def set_reader_online(self, reader_id, online):
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            api_terminal.set_online(ctx, reader, bool(online))
            return objects.snapshot(reader)

    def set_reader_reported_status(self, reader_id, status):
        """Make the reader's `status` say `status` ("online"/"offline") while it stays as
        reachable as it was: Stripe's status lags behind the reader (a missed heartbeat)."""
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            api_terminal.set_reported_status(ctx, reader, status)
            return objects.snapshot(reader)

    def set_reader_software(self, reader_id, version):
        """Give the reader another software version ("2.41.0.0": failed actions without
        `api_error`, as Stripe's readers before 2.42)."""
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            api_terminal.set_software_version(ctx, reader, version)
            return objects.snapshot(reader)

    def time_out_next_reader_action(self, reader_id):
        """The next action sent to the reader reaches it, but the API answers 400
        `terminal_reader_timeout`."""
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            api_terminal.time_out_next_action(ctx, reader)

    def hold_reader_busy(self, reader_id, count=1):
        """The next `count` actions sent to the reader get 400 `terminal_reader_busy`."""
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            api_terminal.hold_busy(ctx, reader, count)

    def expire_reader_action(self, reader_id):
        """Fail the in-progress action as if nobody presented a card in time."""
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            if not api_terminal.in_progress(reader):
                raise errors.invalid_request(f"Reader {reader_id} has no action in progress.")
            api_terminal.expire_action(ctx, reader)
            return objects.snapshot(reader)

    def customer_cancel(self, reader_id):
        """The cardholder presses the reader's cancel button."""
        with self.lock:
            ctx, reader = self._reader_context(reader_id)
            api_terminal.customer_cancel(ctx, reader)
            return objects.snapshot(reader)

    # Refunds ---------------------------------------------------------------------------

    def fail_refund(self, refund_id):
        """Make a refund fail now (``expired_or_canceled_card``), as the test
        card 4000000000005126 makes its refunds do a little later."""
        with self.lock:
            account = self.registry.owner(refund_id, "refund")
            refund = account.get("refund", refund_id)
            payments.fail_refund(Context(self, account), refund)
            return objects.snapshot(refund)

    def schedule_refund_failure(self, ctx, refund_id):
        def fail_later():
            refund = ctx.account.find(refund_id)
            if refund and refund["status"] == "succeeded":
                payments.fail_refund(ctx, refund)

        self.schedule(self.refund_failure_delay_seconds, fail_later)

    # Faults and latency ----------------------------------------------------------------

    def inject_fault(
        self, kind, count=1, path=None, method=None, after_apply=False, status=None, error=None
    ):
        return self.faults.add(kind, count, path, method, after_apply, status, error)

    def advance_idempotency_clock(self, seconds):
        """Move the idempotency keys' clock forward: keys past 24 hours are forgotten, and a
        request sent again with one runs as a new request (as on Stripe)."""
        self.idempotency.advance(seconds)

    def clear_faults(self):
        self.faults.clear()

    def pending_faults(self):
        return self.faults.pending()

    def set_latency(self, ms):
        if ms < 0:
            raise ValueError("latency must be >= 0 ms")
        self.latency_ms = ms

    def wait_latency(self):
        if self.latency_ms:
            self._stopping.wait(self.latency_ms / 1000)

    # Webhooks --------------------------------------------------------------------------

    def set_webhook_mode(self, mode):
        self.webhooks.set_mode(mode)

    def flush_webhooks(self):
        return self.webhooks.flush()

    def discard_held_webhooks(self):
        return self.webhooks.discard_held()

    def wait_for_webhooks(self, timeout=10):
        self.webhooks.wait(timeout)

    def webhook_deliveries(self):
        return self.webhooks.deliveries()

    def _webhook_targets(self, account, event_type):
        """(url, secret, API version) of every endpoint that gets ``event_type``."""
        targets = api_events.endpoint_targets(account, event_type)
        default = api_events.account_version(account)
        if account.webhook_url:
            targets.append((account.webhook_url, account.webhook_secret, default))
        if not targets and self.webhook_url:
            targets.append((self.webhook_url, self.webhook_secret, default))
        return targets

    def emit_event(self, ctx, event_type, obj, previous_attributes=None):
        """Record an event and hand it to the webhook worker, rendered for each endpoint in
        that endpoint's API version (Stripe renders an event once per version)."""
        account = ctx.account
        event = objects.event(
            event_type,
            obj,
            api_version=api_events.account_version(account),
            request_id=ctx.request_id,
            idempotency_key=ctx.idempotency_key,
            previous_attributes=previous_attributes,
        )
        targets = self._webhook_targets(account, event_type)
        event["pending_webhooks"] = len(targets)
        account.add(event)
        deliveries = []
        for url, secret, version in targets:
            rendered = versions.render(
                dict(objects.snapshot(event), api_version=version),
                version,
                lambda charge: payments.refunds_list(account, charge),
            )
            deliveries.append((url, secret, json.dumps(rendered, indent=2).encode()))
        if deliveries:
            self.webhooks.publish(event["id"], event_type, deliveries)
        return event

    # Requests log ----------------------------------------------------------------------

    def log_request(self, entry):
        with self._requests_lock:
            self._requests.append(entry)

    def requests_log(self, api_key=None):
        """Requests seen by the API (control calls excluded), oldest first."""
        with self._requests_lock:
            entries = [e for e in self._requests if api_key is None or e["_key"] == api_key]
            return [{k: v for k, v in e.items() if k != "_key"} for e in entries]

    def clear_requests_log(self):
        with self._requests_lock:
            self._requests.clear()

    # Timers and reset ------------------------------------------------------------------

    def schedule(self, delay, callback):
        """Run ``callback`` later, under the state lock."""

        def locked():
            with self.lock:
                callback()
            self.state_changed()

        return self.scheduler.call_later(delay, locked)

    def reset(self):
        """Forget every account, object, key, fault, log and queued webhook."""
        with self.lock:
            self.scheduler.clear()
            self.registry.clear()
            self.idempotency.clear()
            self.faults.clear()
            self.webhooks.reset()
            self.latency_ms = 0
            self.clear_requests_log()
        self.state_changed()

    def state_changed(self):
        """Something may have changed the accounts: the state file is written soon."""
        if self.state_keeper:
            self.state_keeper.mark_changed()

    def render(self, api_key, object_id, expand=None):
        """An object as the API would answer it (for tests)."""
        with self.lock:
            account = self.registry.account(api_key)
            obj = account.find(object_id)
            if obj is None:
                raise KeyError(object_id)
            return queries.render(account, obj, expand)

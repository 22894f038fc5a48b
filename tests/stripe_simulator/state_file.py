"""Keep the simulator's accounts in a JSON file across restarts (``--state-file``).

An Odoo database outlives the simulator process: it keeps the ``tmr_`` ids of its readers, the
``cus_`` ids of its customers, the ``pm_`` ids of saved cards and the ``ch_`` ids behind its
payments. With a state file, a restarted simulator still knows all of them.

What is kept: every account (its key, webhook endpoint and MOTO switch), every object and the
facts Stripe knows but never shows (which test card a payment method came from...).

What is not: idempotency keys (a request repeated after a restart runs again), injected faults,
latency, the requests log, webhooks not yet delivered and timers (a refund of card 5126 that was
to fail later stays succeeded). A reader action in progress does not
survive either: a restarted simulator is a reader that was switched off and on again, so the
reader is idle and a card it had read but not charged goes back to its PaymentIntent.

Saving is cheap and frequent: every change marks the state dirty and a background thread writes
the file (atomically, through a temporary file) at most every ``min_interval`` seconds, and once
more when the simulator stops.
"""

import json
import logging
import os
import threading
from pathlib import Path

from .store import KINDS

_logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


def snapshot(sim):
    """The simulator's accounts as plain JSON-ready data (call under ``sim.lock``)."""
    accounts = []
    for account in sim.registry.accounts.values():
        accounts.append(
            {
                "api_key": account.api_key,
                "moto_enabled": account.moto_enabled,
                "country": account.country,
                "default_api_version": account.default_api_version,
                "disabled_payment_method_types": account.disabled_payment_method_types,
                "webhook_url": account.webhook_url,
                "webhook_secret": account.webhook_secret,
                "objects": {kind: list(account.objects[kind].values()) for kind in KINDS},
                # The run of an in-progress action holds a timer token of this process only.
                "hidden": {
                    object_id: {name: value for name, value in facts.items() if name != "run"}
                    for object_id, facts in account.hidden.items()
                },
            }
        )
    return {"format": FORMAT_VERSION, "accounts": accounts}


def restore(sim, data):
    """Replace the simulator's accounts with ``data`` (from :func:`snapshot`)."""
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"unknown simulator state format {data.get('format')!r}")
    with sim.lock:
        sim.registry.clear()
        for saved in data["accounts"]:
            account = sim.registry.account(saved["api_key"])
            account.moto_enabled = saved.get("moto_enabled")
            account.country = saved.get("country") or "US"
            account.default_api_version = saved.get("default_api_version")
            account.disabled_payment_method_types = saved.get("disabled_payment_method_types") or []
            account.webhook_url = saved.get("webhook_url")
            account.webhook_secret = saved.get("webhook_secret")
            for kind in KINDS:
                for obj in saved["objects"].get(kind, []):
                    account.add(obj)
            account.hidden.update(saved.get("hidden", {}))
            for reader in account.all("terminal.reader"):
                _switched_off_and_on(account, reader)


def _switched_off_and_on(account, reader):
    """A reader that restarts forgets the action on its screen."""
    action = reader.get("action")
    if not action or action.get("status") != "in_progress":
        return
    payload = action.get(action.get("type")) or {}
    intent = account.find(payload.get("payment_intent") or "")
    if intent and intent["status"] == "requires_confirmation":
        intent.update(status="requires_payment_method", payment_method=None)
    reader["action"] = None


def load(sim, path):
    """Restore from ``path``; return False when there is no file yet."""
    path = Path(path)
    if not path.is_file():
        return False
    restore(sim, json.loads(path.read_text(encoding="utf-8")))
    return True


def save(sim, path):
    """Write the state to ``path`` atomically (a reader of the file never sees half of it)."""
    path = Path(path)
    with sim.lock:
        text = json.dumps(snapshot(sim), separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class StateKeeper:
    """Loads the state file at start, writes it after changes and at stop."""

    def __init__(self, sim, path, min_interval=0.5):
        self.sim = sim
        self.path = Path(path)
        self.min_interval = min_interval
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._stopping.clear()
        if load(self.sim, self.path):
            counts = {
                "accounts": len(self.sim.registry.accounts),
                "readers": sum(
                    len(account.objects["terminal.reader"])
                    for account in self.sim.registry.accounts.values()
                ),
            }
            _logger.info(
                "Stripe simulator state loaded from %s (%s accounts, %s readers)",
                self.path,
                counts["accounts"],
                counts["readers"],
            )
        self._thread = threading.Thread(target=self._run, name="stripe-sim-state", daemon=True)
        self._thread.start()

    def mark_changed(self):
        self._dirty.set()

    def stop(self):
        self._stopping.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._write()

    def _run(self):
        while not self._stopping.is_set():
            self._dirty.wait()
            if self._stopping.is_set():
                return
            # Group the changes of a burst of requests into one write.
            self._stopping.wait(self.min_interval)
            self._dirty.clear()
            self._write()

    def _write(self):
        try:
            save(self.sim, self.path)
        except OSError:
            _logger.exception("Stripe simulator: could not write the state file %s", self.path)

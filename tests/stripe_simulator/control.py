"""The control API over HTTP: ``/_simulator/...`` with JSON bodies, no auth.

Each route calls the method of the same name on :class:`StripeSimulator`, so a
simulator in another process (or a browser page) can be driven like the
in-process one.  Errors come back as ``{"error": {"message": ...}}`` with 400
(or the Stripe-shaped error and status when the simulated API refused).
"""

import json
import re
from urllib.parse import parse_qs

from . import errors, reader_page

PREFIX = "/_simulator/"


def _body(body):
    return json.loads(body) if body.strip() else {}


def _query(query):
    return {name: values[-1] for name, values in parse_qs(query).items()}


_ROUTES = [
    ("GET", r"health", lambda sim, a, b, q: {"ok": True, "url": sim.url}),
    ("POST", r"accounts/configure", lambda sim, a, b, q: sim.configure_account(**b)),
    ("GET", r"objects", lambda sim, a, b, q: sim.account_objects(q["api_key"], q["kind"])),
    ("POST", r"readers", lambda sim, a, b, q: sim.add_reader(**b)),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/present_payment_method",
        lambda sim, a, b, q: sim.present_payment_method(a["reader"], **b),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/online",
        lambda sim, a, b, q: sim.set_reader_online(a["reader"], b["online"]),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/reported_status",
        lambda sim, a, b, q: sim.set_reader_reported_status(a["reader"], b["status"]),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/software",
        lambda sim, a, b, q: sim.set_reader_software(a["reader"], b["version"]),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/time_out_next_action",
        lambda sim, a, b, q: sim.time_out_next_reader_action(a["reader"]),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/hold_busy",
        lambda sim, a, b, q: sim.hold_reader_busy(a["reader"], b.get("count", 1)),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/expire_action",
        lambda sim, a, b, q: sim.expire_reader_action(a["reader"]),
    ),
    (
        "POST",
        r"readers/(?P<reader>[^/]+)/customer_cancel",
        lambda sim, a, b, q: sim.customer_cancel(a["reader"]),
    ),
    ("POST", r"refunds/(?P<refund>[^/]+)/fail", lambda sim, a, b, q: sim.fail_refund(a["refund"])),
    (
        "POST",
        r"idempotency/advance",
        lambda sim, a, b, q: sim.advance_idempotency_clock(b["seconds"]),
    ),
    ("GET", r"faults", lambda sim, a, b, q: sim.pending_faults()),
    ("POST", r"faults", lambda sim, a, b, q: sim.inject_fault(**b)),
    ("DELETE", r"faults", lambda sim, a, b, q: sim.clear_faults()),
    ("POST", r"latency", lambda sim, a, b, q: sim.set_latency(b["ms"])),
    ("POST", r"webhooks/mode", lambda sim, a, b, q: sim.set_webhook_mode(b["mode"])),
    ("POST", r"webhooks/flush", lambda sim, a, b, q: sim.flush_webhooks()),
    ("POST", r"webhooks/discard", lambda sim, a, b, q: sim.discard_held_webhooks()),
    ("POST", r"webhooks/wait", lambda sim, a, b, q: sim.wait_for_webhooks(**b)),
    ("GET", r"webhooks/deliveries", lambda sim, a, b, q: sim.webhook_deliveries()),
    ("GET", r"requests", lambda sim, a, b, q: sim.requests_log(q.get("api_key"))),
    ("DELETE", r"requests", lambda sim, a, b, q: sim.clear_requests_log()),
    ("POST", r"reset", lambda sim, a, b, q: sim.reset()),
    # The virtual reader page's data: what each reader shows (reader_page.py).
    ("GET", r"screens", lambda sim, a, b, q: reader_page.screens(sim, q.get("api_key"))),
]
_COMPILED = [
    (method, re.compile(f"^{PREFIX}{pattern}$"), call) for method, pattern, call in _ROUTES
]


def handle(sim, method, path, query, body):
    """Serve one control request; return (status, JSON payload)."""
    for route_method, pattern, call in _COMPILED:
        found = pattern.match(path)
        if found and route_method == method:
            try:
                result = call(
                    sim, found.groupdict(), _body(body) if method == "POST" else {}, _query(query)
                )
            except errors.StripeError as error:
                return error.status, error.body()
            except TimeoutError as error:
                return 408, {"error": {"message": str(error)}}
            except (KeyError, TypeError, ValueError) as error:
                return 400, {"error": {"message": f"{type(error).__name__}: {error}"}}
            finally:
                if method != "GET":
                    sim.state_changed()
            return 200, {"result": result}
    return 404, {"error": {"message": f"No control route {method} {path}"}}

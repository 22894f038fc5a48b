"""Identifiers and clocks shaped like Stripe's."""

import secrets
import string
import time

_ALPHABET = string.ascii_letters + string.digits

# ID prefix -> object kind (the value of the object's ``object`` field).
PREFIX_KINDS = {
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "pm": "payment_method",
    "cus": "customer",
    "seti": "setup_intent",
    "setatt": "setup_attempt",
    "tmr": "terminal.reader",
    "tml": "terminal.location",
    "evt": "event",
    "we": "webhook_endpoint",
}

KIND_PREFIXES = {kind: prefix for prefix, kind in PREFIX_KINDS.items()}


def random_token(length):
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix, length=24):
    return f"{prefix}_{random_token(length)}"


def new_object_id(kind):
    length = 14 if kind == "customer" else 24
    return new_id(KIND_PREFIXES[kind], length)


def kind_of(object_id):
    """The object kind an ID names, from its prefix (None if unknown)."""
    if not isinstance(object_id, str) or "_" not in object_id:
        return None
    return PREFIX_KINDS.get(object_id.split("_", 1)[0])


def request_id():
    return new_id("req", 14)


def now():
    """Stripe timestamps are whole seconds since the epoch."""
    return int(time.time())


def now_ms():
    """Reader ``last_seen_at`` is the one timestamp in milliseconds."""
    return int(time.time() * 1000)

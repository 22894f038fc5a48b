"""What changes with the API version a request (or a webhook endpoint) is on.

Stripe renders every answer in the request's ``Stripe-Version`` (the account's
default when the header is absent) and every webhook event in its endpoint's
``api_version``.  The simulator's objects are stored as the newest version it
knows (the one stripe-python 16.1.0 pins) and adapted here, so that one table
says what differs, with the changelog entry behind each line.
"""

from . import errors

# The version the simulator's objects are stored in (stripe-python 16.1.0 pins it).
LATEST = "2026-10-28.endive"
# An account's default version when none is set: what a Dashboard-made endpoint gets.
ACCOUNT_DEFAULT = LATEST

# (version the behaviour starts with, what changed, Stripe's changelog entry).
CHANGES = [
    (
        "2022-11-15",
        "Charge objects no longer embed `refunds`; `expand[]=refunds` (or the Refunds list) "
        "gives them.",
        "2022-11-15: Charge.refunds is no longer included by default",
    ),
    (
        "2026-09-30.endive",
        "`payment_method_types` is refused on PaymentIntents and SetupIntents (400 "
        "`payment_method_types_no_longer_supported`); `allowed_payment_method_types` "
        "replaces it, and the answer's `payment_method_types` is what Stripe computed.",
        "2026-09-30.endive: Removes the payment method types parameter from Payment "
        "Intents and Setup Intents",
    ),
]
CHARGE_REFUNDS_EXPANDABLE = "2022-11-15"
PAYMENT_METHOD_TYPES_REMOVED = "2026-09-30.endive"

# Request parameters a version no longer accepts: (method, route template, name) -> version.
REMOVED_PARAMETERS = {
    ("POST", "/v1/payment_intents", "payment_method_types"): PAYMENT_METHOD_TYPES_REMOVED,
    ("POST", "/v1/payment_intents/{intent}", "payment_method_types"): (
        PAYMENT_METHOD_TYPES_REMOVED
    ),
    ("POST", "/v1/payment_intents/{intent}/confirm", "payment_method_types"): (
        PAYMENT_METHOD_TYPES_REMOVED
    ),
    ("POST", "/v1/setup_intents", "payment_method_types"): PAYMENT_METHOD_TYPES_REMOVED,
    ("POST", "/v1/setup_intents/{intent}", "payment_method_types"): PAYMENT_METHOD_TYPES_REMOVED,
}


def key(version):
    """A sortable form of an API version: its date (the release name only follows it)."""
    return (version or ACCOUNT_DEFAULT).split(".", 1)[0]


def at_least(version, since):
    return key(version) >= key(since)


def known(version):
    """Whether the simulator can answer in ``version`` (any dated version is accepted)."""
    date = key(version)
    return len(date) == 10 and date[4] == "-" and date[7] == "-" and date.replace("-", "").isdigit()


def check_removed(method, template, raw, version):
    """Refuse a parameter ``version`` no longer accepts, as Stripe does (before anything runs,
    so an idempotency key is not used up by it)."""
    for name in raw:
        since = REMOVED_PARAMETERS.get((method, template, name))
        if since and at_least(version, since):
            raise errors.invalid_request(
                f"The `{name}` parameter is no longer supported in API version {since} and "
                f"later. Use `allowed_payment_method_types` instead.",
                code="payment_method_types_no_longer_supported",
                param=name,
            )


def render(value, version, refunds_of):
    """``value`` (an answer or an event's object, already copied) as ``version`` shows it.

    ``refunds_of(charge)`` returns the charge's refunds list, for versions that embed it.
    """
    if at_least(version, CHARGE_REFUNDS_EXPANDABLE):
        return value
    for obj in _objects(value):
        if obj.get("object") == "charge" and "refunds" not in obj:
            obj["refunds"] = refunds_of(obj)
    return value


def _objects(value):
    if isinstance(value, dict):
        if isinstance(value.get("object"), str):
            yield value
        for item in list(value.values()):
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)

"""PaymentIntents, Charges and Refunds."""

from . import errors, money, objects, payments, queries
from .params import merge_metadata

SUPPORTED_METHOD_TYPES = ("card", "card_present", "interac_present")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
PAYMENT_INTENT_SEARCH_FIELDS = ("amount", "created", "currency", "customer", "metadata", "status")


# PaymentIntents -------------------------------------------------------------------


def _method_types(params, currency, account):
    """Card-present types apply in the account's local currency only (Interac: a Canadian
    account in CAD); a keyed or online `card` in any currency."""
    local = money.terminal_currency(account.country) == currency

    def applies(method_type):
        if method_type in account.disabled_payment_method_types:
            return False
        if method_type == "interac_present":
            return local and account.country == "CA"
        return method_type != "card_present" or local

    return payments.method_types(params, SUPPORTED_METHOD_TYPES, applies)


def _check_descriptor(values, types):
    if values.get("statement_descriptor") and set(types) & {"card", "card_present"}:
        raise errors.invalid_request(
            "The statement_descriptor parameter is not supported for the "
            "payment_method_type card. To override the statement descriptor on a "
            "card transaction, use statement_descriptor_suffix.",
            param="statement_descriptor",
        )


def create_payment_intent(ctx, params):
    currency = money.check_currency(params["currency"])
    money.check_amount(params["amount"], currency)
    allowed, types = _method_types(params, currency, ctx.account)
    _check_descriptor(params, types)
    if params.get("customer"):
        ctx.get("customer", params["customer"], "customer")
    values = dict(
        params,
        currency=currency,
        allowed_payment_method_types=allowed,
        payment_method_types=types,
        payment_method_options=objects.payment_method_options(
            types, params.get("payment_method_options")
        ),
    )
    intent = ctx.account.add(objects.payment_intent(values))
    ctx.emit("payment_intent.created", intent)
    if params.get("payment_method"):
        pm = ctx.get("payment_method", params["payment_method"], "payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"
    if params.get("confirm"):
        _confirm(ctx, intent, params)
    return queries.render(ctx.account, intent, params.get("expand"))


def retrieve_payment_intent(ctx, params, intent):
    return queries.render(
        ctx.account, ctx.get("payment_intent", intent, "intent"), params.get("expand")
    )


UPDATABLE_STATES = ("requires_payment_method", "requires_confirmation", "requires_action")


def update_payment_intent(ctx, params, intent):
    obj = ctx.get("payment_intent", intent, "intent")
    changes = {k: v for k, v in params.items() if k not in ("expand", "metadata")}
    if changes and obj["status"] not in UPDATABLE_STATES:
        raise errors.invalid_request(
            f"This PaymentIntent's {', '.join(sorted(changes))} could not be updated "
            f"because it has a status of {obj['status']}. You may only update the "
            f"{', '.join(sorted(changes))} of a PaymentIntent with one of the "
            f"following statuses: {', '.join(UPDATABLE_STATES)}.",
            code="payment_intent_unexpected_state",
        )
    currency = money.check_currency(params.get("currency") or obj["currency"])
    if "amount" in params or "currency" in params:
        money.check_amount(params.get("amount") or obj["amount"], currency)
    if "payment_method_types" in params or "allowed_payment_method_types" in params:
        allowed, changes["payment_method_types"] = _method_types(params, currency, ctx.account)
        changes["allowed_payment_method_types"] = allowed
        changes["payment_method_options"] = objects.payment_method_options(
            changes["payment_method_types"], params.get("payment_method_options")
        )
    elif "payment_method_options" in params:
        changes["payment_method_options"] = objects.payment_method_options(
            obj["payment_method_types"], params["payment_method_options"]
        )
    _check_descriptor(
        {**obj, **changes}, changes.get("payment_method_types", obj["payment_method_types"])
    )
    if params.get("customer"):
        ctx.get("customer", params["customer"], "customer")
    if "payment_method" in params and params["payment_method"]:
        ctx.get("payment_method", params["payment_method"], "payment_method")
        changes["status"] = "requires_confirmation"
    previous = {k: obj.get(k) for k in changes}
    obj.update(changes, currency=currency)
    if "metadata" in params:
        previous["metadata"] = obj["metadata"]
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    ctx.emit("payment_intent.updated", obj, previous)
    return queries.render(ctx.account, obj, params.get("expand"))


def confirm_payment_intent(ctx, params, intent):
    obj = ctx.get("payment_intent", intent, "intent")
    _confirm(ctx, obj, params)
    return queries.render(ctx.account, obj, params.get("expand"))


def _confirm(ctx, intent, params):
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise errors.invalid_request(
            f"This PaymentIntent's status is {intent['status']}, but it must be "
            "requires_payment_method or requires_confirmation to be confirmed.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": objects.snapshot(intent)},
        )
    pm_id = params.get("payment_method") or intent["payment_method"]
    if not pm_id:
        raise errors.invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment "
            "method. To confirm the PaymentIntent with a saved card, pass "
            "payment_method.",
            code="payment_intent_unexpected_state",
            param="payment_method",
        )
    pm = ctx.get("payment_method", pm_id, "payment_method")
    if pm["type"] in payments.PRESENT_TYPES:
        raise errors.invalid_request(
            f"PaymentMethods of type {pm['type']} are confirmed on a reader "
            "(process_payment_intent or confirm_payment_intent), not through the API.",
            param="payment_method",
        )
    if pm["type"] not in intent["payment_method_types"]:
        raise errors.invalid_request(
            f"The PaymentIntent's payment_method_types don't include {pm['type']}.",
            code="payment_intent_incompatible_payment_method",
            param="payment_method",
        )
    if pm["customer"] and intent["customer"] and pm["customer"] != intent["customer"]:
        raise errors.invalid_request(
            f"The provided PaymentMethod {pm['id']} belongs to another customer.",
            param="payment_method",
        )
    if pm["customer"] is None and params.get("off_session"):
        raise errors.invalid_request(
            f"The provided PaymentMethod {pm['id']} was previously used without "
            "being attached to a Customer, and can't be used again.",
            param="payment_method",
        )
    if "setup_future_usage" in params:
        intent["setup_future_usage"] = params["setup_future_usage"]
    error = payments.authorize(ctx, intent, pm, channel="saved")
    if error is not None:
        error.extra["payment_intent"] = objects.snapshot(intent)
        raise error


def capture_payment_intent(ctx, params, intent):
    obj = ctx.get("payment_intent", intent, "intent")
    if obj["status"] != "requires_capture":
        raise errors.invalid_request(
            f"This PaymentIntent could not be captured because it has a status of "
            f"{obj['status']}. Only a PaymentIntent with one of the following "
            "statuses may be captured: requires_capture.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": objects.snapshot(obj)},
        )
    amount = params.get("amount_to_capture")
    if amount is not None and not 0 < amount <= obj["amount_capturable"]:
        raise errors.invalid_request(
            f"The amount_to_capture ({amount}) must be positive and at most the "
            f"amount_capturable ({obj['amount_capturable']}).",
            code="amount_too_large" if amount > 0 else "parameter_invalid_integer",
            param="amount_to_capture",
        )
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    payments.capture(ctx, obj, amount)
    return queries.render(ctx.account, obj, params.get("expand"))


def cancel_payment_intent(ctx, params, intent):
    obj = ctx.get("payment_intent", intent, "intent")
    if obj["status"] not in CANCELABLE:
        raise errors.invalid_request(
            f"You cannot cancel this PaymentIntent because it has a status of "
            f"{obj['status']}. Only a PaymentIntent with one of the following "
            f"statuses may be canceled: {', '.join(CANCELABLE)}.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": objects.snapshot(obj)},
        )
    payments.cancel(ctx, obj, params.get("cancellation_reason"))
    return queries.render(ctx.account, obj, params.get("expand"))


def list_payment_intents(ctx, params):
    found = [
        pi
        for pi in ctx.account.all("payment_intent")
        if (not params.get("customer") or pi["customer"] == params["customer"])
        and queries.created_matches(pi["created"], params.get("created"))
    ]
    return queries.page(ctx.account, found, params, "/v1/payment_intents", "payment_intent")


def search_payment_intents(ctx, params):
    return queries.search(
        ctx.account,
        ctx.account.all("payment_intent"),
        params,
        PAYMENT_INTENT_SEARCH_FIELDS,
        "payment_intents",
        "/v1/payment_intents/search",
    )


# Charges -----------------------------------------------------------------------------


def retrieve_charge(ctx, params, charge):
    return queries.render(ctx.account, ctx.get("charge", charge, "charge"), params.get("expand"))


def update_charge(ctx, params, charge):
    obj = ctx.get("charge", charge, "charge")
    for name, value in params.items():
        if name == "metadata":
            obj["metadata"] = merge_metadata(obj["metadata"], value)
        elif name in ("description", "receipt_email"):
            obj[name] = value
    return queries.render(ctx.account, obj, params.get("expand"))


def list_charges(ctx, params):
    found = [
        ch
        for ch in ctx.account.all("charge")
        if all(
            not params.get(name) or ch[name] == params[name]
            for name in ("payment_intent", "customer", "transfer_group")
        )
        and queries.created_matches(ch["created"], params.get("created"))
    ]
    return queries.page(ctx.account, found, params, "/v1/charges", "charge")


# Refunds -----------------------------------------------------------------------------


def create_refund(ctx, params):
    if params.get("charge"):
        charge_obj = ctx.get("charge", params["charge"], "charge")
    elif params.get("payment_intent"):
        intent = ctx.get("payment_intent", params["payment_intent"], "payment_intent")
        if not intent["latest_charge"] or intent["status"] not in ("succeeded", "requires_capture"):
            raise errors.invalid_request(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge_obj = ctx.get("charge", intent["latest_charge"])
    else:
        raise errors.invalid_request(
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            code="parameter_missing",
        )
    if charge_obj["payment_method_details"]["type"] == "interac_present":
        raise errors.invalid_request(
            "Interac (interac_present) payments can only be refunded in person, with "
            "the card on a Terminal reader: use the reader's refund_payment action.",
            code="charge_not_refundable",
            param="charge",
        )
    amount = payments.check_refund(ctx.account, charge_obj, params.get("amount"))
    refund_obj = payments.create_refund(
        ctx, charge_obj, amount, params.get("reason"), params.get("metadata")
    )
    return queries.render(ctx.account, refund_obj, params.get("expand"))


def retrieve_refund(ctx, params, refund):
    return queries.render(ctx.account, ctx.get("refund", refund, "refund"), params.get("expand"))


def update_refund(ctx, params, refund):
    obj = ctx.get("refund", refund, "refund")
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    return queries.render(ctx.account, obj, params.get("expand"))


def cancel_refund(ctx, params, refund):
    obj = ctx.get("refund", refund, "refund")
    if obj["status"] != "requires_action":
        raise errors.invalid_request(
            f"Refund {obj['id']} has a status of {obj['status']}; only refunds that "
            "require action can be canceled."
        )
    obj["status"] = "canceled"
    ctx.emit("refund.updated", obj, {"status": "requires_action"})
    return queries.render(ctx.account, obj, params.get("expand"))


def list_refunds(ctx, params):
    found = [
        r
        for r in ctx.account.all("refund")
        if all(
            not params.get(name) or r[name] == params[name] for name in ("payment_intent", "charge")
        )
        and queries.created_matches(r["created"], params.get("created"))
    ]
    return queries.page(ctx.account, found, params, "/v1/refunds", "refund")

"""Customers, PaymentMethods and SetupIntents."""

from . import errors, objects, payments, queries
from .params import merge_metadata

CUSTOMER_SEARCH_FIELDS = ("created", "email", "metadata", "name", "phone")
SETUP_METHOD_TYPES = ("card", "card_present")


# Customers ---------------------------------------------------------------------------


def create_customer(ctx, params):
    customer = ctx.account.add(objects.customer(params))
    ctx.emit("customer.created", customer)
    return queries.render(ctx.account, customer, params.get("expand"))


def _customer(ctx, customer_id, param="customer"):
    """A customer that exists and isn't deleted."""
    customer = ctx.get("customer", customer_id, param)
    if ctx.account.secret(customer_id, "deleted"):
        raise errors.resource_missing("customer", customer_id, param)
    return customer


def retrieve_customer(ctx, params, customer):
    obj = ctx.get("customer", customer, "id")
    if ctx.account.secret(customer, "deleted"):
        # Stripe still answers for a deleted customer, with the deleted stub.
        return objects.deleted(obj)
    return queries.render(ctx.account, obj, params.get("expand"))


def update_customer(ctx, params, customer):
    obj = _customer(ctx, customer)
    previous = {}
    for name, value in params.items():
        if name == "expand":
            continue
        previous[name] = obj.get(name)
        if name == "metadata":
            obj["metadata"] = merge_metadata(obj["metadata"], value)
        elif name == "address":
            obj["address"] = objects.address(value) if value else None
        elif name == "invoice_settings":
            default_pm = (value or {}).get("default_payment_method")
            if default_pm:
                ctx.get("payment_method", default_pm, "invoice_settings[default_payment_method]")
            obj["invoice_settings"]["default_payment_method"] = default_pm
        elif name in obj:
            obj[name] = value
    ctx.account.written(customer)
    ctx.emit("customer.updated", obj, previous)
    return queries.render(ctx.account, obj, params.get("expand"))


def delete_customer(ctx, params, customer):
    obj = _customer(ctx, customer)
    ctx.account.remember(customer, deleted=True)
    for pm in ctx.account.all("payment_method"):
        if pm["customer"] == customer:
            pm["customer"] = None
    ctx.emit("customer.deleted", obj)
    return objects.deleted(obj)


def _live_customers(ctx):
    return [c for c in ctx.account.all("customer") if not ctx.account.secret(c["id"], "deleted")]


def list_customers(ctx, params):
    found = [
        c
        for c in _live_customers(ctx)
        if (params.get("email") is None or c["email"] == params["email"])
        and queries.created_matches(c["created"], params.get("created"))
    ]
    return queries.page(ctx.account, found, params, "/v1/customers", "customer")


def search_customers(ctx, params):
    return queries.search(
        ctx.account,
        _live_customers(ctx),
        params,
        CUSTOMER_SEARCH_FIELDS,
        "customers",
        "/v1/customers/search",
    )


def list_customer_payment_methods(ctx, params, customer):
    _customer(ctx, customer)
    return _list_payment_methods(ctx, params, customer, f"/v1/customers/{customer}/payment_methods")


def retrieve_customer_payment_method(ctx, params, customer, payment_method):
    _customer(ctx, customer)
    pm = ctx.get("payment_method", payment_method, "payment_method")
    if pm["customer"] != customer:
        raise errors.resource_missing("PaymentMethod", payment_method, "payment_method")
    return queries.render(ctx.account, pm, params.get("expand"))


# PaymentMethods -------------------------------------------------------------------------


def _list_payment_methods(ctx, params, customer, url):
    found = [
        pm
        for pm in ctx.account.all("payment_method")
        if (customer is None or pm["customer"] == customer)
        and (not params.get("type") or pm["type"] == params["type"])
        and (
            not params.get("allow_redisplay") or pm["allow_redisplay"] == params["allow_redisplay"]
        )
    ]
    return queries.page(ctx.account, found, params, url, "PaymentMethod")


def list_payment_methods(ctx, params):
    if params.get("customer"):
        _customer(ctx, params["customer"])
    return _list_payment_methods(ctx, params, params.get("customer"), "/v1/payment_methods")


def retrieve_payment_method(ctx, params, payment_method):
    return queries.render(
        ctx.account,
        ctx.get("payment_method", payment_method, "payment_method"),
        params.get("expand"),
    )


def update_payment_method(ctx, params, payment_method):
    pm = ctx.get("payment_method", payment_method, "payment_method")
    if "metadata" in params:
        pm["metadata"] = merge_metadata(pm["metadata"], params["metadata"])
    if params.get("allow_redisplay"):
        pm["allow_redisplay"] = params["allow_redisplay"]
    if params.get("billing_details"):
        details = params["billing_details"]
        pm["billing_details"] = objects.billing_details(
            {
                **pm["billing_details"],
                **details,
                "address": {**pm["billing_details"]["address"], **(details.get("address") or {})},
            }
        )
    ctx.emit("payment_method.updated", pm)
    return queries.render(ctx.account, pm, params.get("expand"))


def attach_payment_method(ctx, params, payment_method):
    pm = ctx.get("payment_method", payment_method, "payment_method")
    customer = _customer(ctx, params["customer"])
    if pm["type"] in payments.PRESENT_TYPES:
        raise errors.invalid_request(
            f"PaymentMethods of type {pm['type']} can't be attached to a customer. "
            "Save the card with setup_future_usage or a SetupIntent: Stripe then "
            "generates a reusable card PaymentMethod (generated_card).",
            param="payment_method",
        )
    if pm["customer"] and pm["customer"] != customer["id"]:
        raise errors.invalid_request(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    ctx.account.remember(pm["id"], saved=True)
    payments.attach(ctx, pm, customer["id"])
    return queries.render(ctx.account, pm, params.get("expand"))


def detach_payment_method(ctx, params, payment_method):
    pm = ctx.get("payment_method", payment_method, "payment_method")
    if not pm["customer"]:
        raise errors.invalid_request(
            f"The payment method {pm['id']} is not attached to a customer.", param="payment_method"
        )
    previous = pm["customer"]
    pm["customer"] = None
    ctx.emit("payment_method.detached", pm, {"customer": previous})
    return queries.render(ctx.account, pm, params.get("expand"))


# SetupIntents ----------------------------------------------------------------------------


def create_setup_intent(ctx, params):
    allowed, types = payments.method_types(params, SETUP_METHOD_TYPES)
    if params.get("customer"):
        _customer(ctx, params["customer"])
    options = {}
    if "card_present" in types:
        options["card_present"] = {}
    if "card" in types:
        options["card"] = {
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        }
    intent = ctx.account.add(
        objects.setup_intent(
            dict(
                params,
                allowed_payment_method_types=allowed,
                payment_method_types=types,
                payment_method_options=options,
            )
        )
    )
    ctx.emit("setup_intent.created", intent)
    if params.get("confirm"):
        _confirm_setup(ctx, intent, params)
    return queries.render(ctx.account, intent, params.get("expand"))


def retrieve_setup_intent(ctx, params, intent):
    return queries.render(
        ctx.account, ctx.get("setup_intent", intent, "intent"), params.get("expand")
    )


def update_setup_intent(ctx, params, intent):
    obj = ctx.get("setup_intent", intent, "intent")
    for name in ("description", "customer"):
        if name in params:
            if name == "customer" and params[name]:
                _customer(ctx, params[name])
            obj[name] = params[name]
    if "allowed_payment_method_types" in params or "payment_method_types" in params:
        allowed, types = payments.method_types(params, SETUP_METHOD_TYPES)
        obj.update(allowed_payment_method_types=allowed, payment_method_types=types)
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    return queries.render(ctx.account, obj, params.get("expand"))


def cancel_setup_intent(ctx, params, intent):
    obj = ctx.get("setup_intent", intent, "intent")
    if obj["status"] in ("succeeded", "canceled"):
        raise errors.invalid_request(
            f"You cannot cancel this SetupIntent because it has a status of {obj['status']}.",
            code="setup_intent_unexpected_state",
        )
    obj.update(status="canceled", cancellation_reason=params.get("cancellation_reason"))
    ctx.emit("setup_intent.canceled", obj)
    return queries.render(ctx.account, obj, params.get("expand"))


def confirm_setup_intent(ctx, params, intent):
    obj = ctx.get("setup_intent", intent, "intent")
    _confirm_setup(ctx, obj, params)
    return queries.render(ctx.account, obj, params.get("expand"))


def _confirm_setup(ctx, intent, params):
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise errors.invalid_request(
            f"This SetupIntent's status is {intent['status']}; it can't be confirmed.",
            code="setup_intent_unexpected_state",
        )
    pm_id = params.get("payment_method") or intent["payment_method"]
    if not pm_id:
        raise errors.parameter_missing("payment_method")
    pm = ctx.get("payment_method", pm_id, "payment_method")
    if pm["type"] != "card":
        raise errors.invalid_request(
            f"PaymentMethods of type {pm['type']} are saved on a reader (process_setup_intent).",
            param="payment_method",
        )
    error, _ = payments.complete_setup(ctx, intent, pm, allow_redisplay=None)
    if error is not None:
        error.extra["setup_intent"] = objects.snapshot(intent)
        raise error


def list_setup_intents(ctx, params):
    found = [
        si
        for si in ctx.account.all("setup_intent")
        if (not params.get("customer") or si["customer"] == params["customer"])
        and (not params.get("payment_method") or si["payment_method"] == params["payment_method"])
        and queries.created_matches(si["created"], params.get("created"))
    ]
    return queries.page(ctx.account, found, params, "/v1/setup_intents", "setupintent")


def list_setup_attempts(ctx, params):
    found = [
        sa
        for sa in ctx.account.all("setup_attempt")
        if sa["setup_intent"] == params["setup_intent"]
    ]
    return queries.page(ctx.account, found, params, "/v1/setup_attempts", "setup attempt")

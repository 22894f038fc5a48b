"""Comparison of the simulator with Stripe's published reference, for tests.

- Objects: every key of Stripe's example object (``fixtures3.json``) must be
  in the simulator's object, with the same JSON type (null on either side is
  fine), recursively where the example has an object.  Hashes keyed by a
  ``type`` (``payment_method_details``, ``payment_method``,
  ``destination_details``...) only need the type-specific key when the types
  match: a ``card_present`` charge has no ``card`` hash.
- Request parameters: every parameter the tests sent must exist for that
  endpoint in Stripe's 2022 OpenAPI spec, or -- for endpoints and parameters
  added since -- in stripe-python 16's typed parameter classes, or in the
  explicit allow-list of gated parameters below.
"""

import functools
import importlib
import json
import os
import re

import pytest
from typing_extensions import is_typeddict

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PINNED_VERSION = "2026-10-28.endive"
# Refusals of parameters Stripe does not take, as Stripe words them: a test sent them on purpose.
REFUSED_AS_STRIPE_DOES = (
    "parameter_unknown",
    "parameter_missing",
    "payment_method_types_no_longer_supported",
)

# Fields of Stripe's example objects that answers carry only when expanded (`expand[]=refunds`
# on a charge since API version 2022-11-15).
INCLUDABLE_FIELDS = {"charge.refunds"}

# Gated (private-preview) parameters: real, sent fine by stripe-python, but in
# neither the public spec nor the SDK's typed parameters.  MOTO on Terminal
# readers needs Stripe to enable it on the account.
GATED_PARAMETERS = {
    ("POST", "/v1/terminal/readers/{reader}/process_payment_intent", "process_config[moto]"),
    ("POST", "/v1/terminal/readers/{reader}/process_setup_intent", "process_config[moto]"),
}

# Every route of the simulator -> stripe-python 16.1.0's typed parameters for it. Where the SDK
# has them they alone say what the pinned API version accepts (the 2022 spec only vouches for
# endpoints the SDK types nothing for: none today).
_P, _T, _H = "stripe.params", "stripe.params.terminal", "stripe.params.test_helpers.terminal"
SDK_PARAMETERS = {
    ("POST", "/v1/terminal/locations"): f"{_T}:LocationCreateParams",
    ("GET", "/v1/terminal/locations"): f"{_T}:LocationListParams",
    ("GET", "/v1/terminal/locations/{location}"): f"{_T}:LocationRetrieveParams",
    ("POST", "/v1/terminal/locations/{location}"): f"{_T}:LocationUpdateParams",
    ("DELETE", "/v1/terminal/locations/{location}"): f"{_T}:LocationDeleteParams",
    ("POST", "/v1/terminal/readers"): f"{_T}:ReaderCreateParams",
    ("GET", "/v1/terminal/readers"): f"{_T}:ReaderListParams",
    ("GET", "/v1/terminal/readers/{reader}"): f"{_T}:ReaderRetrieveParams",
    ("POST", "/v1/terminal/readers/{reader}"): f"{_T}:ReaderUpdateParams",
    ("DELETE", "/v1/terminal/readers/{reader}"): f"{_T}:ReaderDeleteParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/process_payment_intent",
    ): f"{_T}:ReaderProcessPaymentIntentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/process_setup_intent",
    ): f"{_T}:ReaderProcessSetupIntentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/collect_payment_method",
    ): f"{_T}:ReaderCollectPaymentMethodParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/confirm_payment_intent",
    ): f"{_T}:ReaderConfirmPaymentIntentParams",
    ("POST", "/v1/terminal/readers/{reader}/refund_payment"): f"{_T}:ReaderRefundPaymentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/set_reader_display",
    ): f"{_T}:ReaderSetReaderDisplayParams",
    ("POST", "/v1/terminal/readers/{reader}/cancel_action"): f"{_T}:ReaderCancelActionParams",
    (
        "POST",
        "/v1/test_helpers/terminal/readers/{reader}/present_payment_method",
    ): f"{_H}:ReaderPresentPaymentMethodParams",
    ("POST", "/v1/payment_intents"): f"{_P}:PaymentIntentCreateParams",
    ("GET", "/v1/payment_intents"): f"{_P}:PaymentIntentListParams",
    ("GET", "/v1/payment_intents/search"): f"{_P}:PaymentIntentSearchParams",
    ("GET", "/v1/payment_intents/{intent}"): f"{_P}:PaymentIntentRetrieveParams",
    ("POST", "/v1/payment_intents/{intent}"): f"{_P}:PaymentIntentUpdateParams",
    ("POST", "/v1/payment_intents/{intent}/confirm"): f"{_P}:PaymentIntentConfirmParams",
    ("POST", "/v1/payment_intents/{intent}/capture"): f"{_P}:PaymentIntentCaptureParams",
    ("POST", "/v1/payment_intents/{intent}/cancel"): f"{_P}:PaymentIntentCancelParams",
    ("GET", "/v1/charges"): f"{_P}:ChargeListParams",
    ("GET", "/v1/charges/{charge}"): f"{_P}:ChargeRetrieveParams",
    ("POST", "/v1/charges/{charge}"): f"{_P}:ChargeUpdateParams",
    ("POST", "/v1/refunds"): f"{_P}:RefundCreateParams",
    ("GET", "/v1/refunds"): f"{_P}:RefundListParams",
    ("GET", "/v1/refunds/{refund}"): f"{_P}:RefundRetrieveParams",
    ("POST", "/v1/refunds/{refund}"): f"{_P}:RefundUpdateParams",
    ("POST", "/v1/refunds/{refund}/cancel"): f"{_P}:RefundCancelParams",
    ("POST", "/v1/customers"): f"{_P}:CustomerCreateParams",
    ("GET", "/v1/customers"): f"{_P}:CustomerListParams",
    ("GET", "/v1/customers/search"): f"{_P}:CustomerSearchParams",
    ("GET", "/v1/customers/{customer}"): f"{_P}:CustomerRetrieveParams",
    ("POST", "/v1/customers/{customer}"): f"{_P}:CustomerUpdateParams",
    ("DELETE", "/v1/customers/{customer}"): f"{_P}:CustomerDeleteParams",
    (
        "GET",
        "/v1/customers/{customer}/payment_methods",
    ): f"{_P}:CustomerPaymentMethodListParams",
    (
        "GET",
        "/v1/customers/{customer}/payment_methods/{payment_method}",
    ): f"{_P}:CustomerPaymentMethodRetrieveParams",
    ("GET", "/v1/payment_methods"): f"{_P}:PaymentMethodListParams",
    ("GET", "/v1/payment_methods/{payment_method}"): f"{_P}:PaymentMethodRetrieveParams",
    ("POST", "/v1/payment_methods/{payment_method}"): f"{_P}:PaymentMethodUpdateParams",
    ("POST", "/v1/payment_methods/{payment_method}/attach"): f"{_P}:PaymentMethodAttachParams",
    ("POST", "/v1/payment_methods/{payment_method}/detach"): f"{_P}:PaymentMethodDetachParams",
    ("POST", "/v1/setup_intents"): f"{_P}:SetupIntentCreateParams",
    ("GET", "/v1/setup_intents"): f"{_P}:SetupIntentListParams",
    ("GET", "/v1/setup_intents/{intent}"): f"{_P}:SetupIntentRetrieveParams",
    ("POST", "/v1/setup_intents/{intent}"): f"{_P}:SetupIntentUpdateParams",
    ("POST", "/v1/setup_intents/{intent}/cancel"): f"{_P}:SetupIntentCancelParams",
    ("POST", "/v1/setup_intents/{intent}/confirm"): f"{_P}:SetupIntentConfirmParams",
    ("GET", "/v1/setup_attempts"): f"{_P}:SetupAttemptListParams",
    ("GET", "/v1/events"): f"{_P}:EventListParams",
    ("GET", "/v1/events/{id}"): f"{_P}:EventRetrieveParams",
    ("POST", "/v1/webhook_endpoints"): f"{_P}:WebhookEndpointCreateParams",
    ("GET", "/v1/webhook_endpoints"): f"{_P}:WebhookEndpointListParams",
    (
        "GET",
        "/v1/webhook_endpoints/{webhook_endpoint}",
    ): f"{_P}:WebhookEndpointRetrieveParams",
    (
        "POST",
        "/v1/webhook_endpoints/{webhook_endpoint}",
    ): f"{_P}:WebhookEndpointUpdateParams",
    (
        "DELETE",
        "/v1/webhook_endpoints/{webhook_endpoint}",
    ): f"{_P}:WebhookEndpointDeleteParams",
}


# Reference files ------------------------------------------------------------------


def reference_dir():
    candidates = [
        os.environ.get("STRIPE_OPENAPI_DIR"),
        os.path.join(_REPO, "..", "shared", "stripe-openapi"),
        "/work/shared/stripe-openapi",
    ]
    for candidate in candidates:
        if candidate and os.path.isfile(os.path.join(candidate, "fixtures3.json")):
            return candidate
    pytest.fail(
        "Stripe's OpenAPI reference (fixtures3.json, spec3-2022-04-12.json) was "
        "not found: set STRIPE_OPENAPI_DIR, or put it at ../shared/stripe-openapi "
        f"beside the repository. Looked in: {[c for c in candidates if c]}"
    )


@functools.cache
def fixtures():
    with open(os.path.join(reference_dir(), "fixtures3.json"), encoding="utf-8") as f:
        return json.load(f)["resources"]


@functools.cache
def spec():
    with open(os.path.join(reference_dir(), "spec3-2022-04-12.json"), encoding="utf-8") as f:
        return json.load(f)


# Objects ------------------------------------------------------------------------------


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "?")


def shape_problems(example, actual, path, skip=()):
    """Where ``actual`` lacks a key of ``example`` or has another JSON type."""
    problems = []
    variant = example.get("type") if isinstance(example.get("type"), str) else None
    for key, expected in example.items():
        where = f"{path}.{key}"
        if key == variant and key != "type" and actual.get("type") != variant:
            continue  # another variant of a type-keyed hash
        if key not in actual:
            problems.append(f"{where}: missing")
            continue
        value = actual[key]
        if expected is None or value is None or where in skip:
            continue
        if json_type(expected) != json_type(value):
            problems.append(f"{where}: {json_type(value)} instead of {json_type(expected)}")
        elif isinstance(expected, dict) and key != "metadata":  # metadata: free keys
            problems += shape_problems(expected, value, where, skip)
        elif isinstance(expected, list) and expected and value:
            if isinstance(expected[0], dict) and isinstance(value[0], dict):
                problems += shape_problems(expected[0], value[0], f"{where}[0]", skip)
    return problems


def example_for(obj):
    """Stripe's example for an object of the simulator (None: no example)."""
    kind = obj.get("object")
    if obj.get("deleted"):
        return fixtures().get(f"deleted_{kind}")
    if kind == "list":
        return fixtures()["charge"]["refunds"]  # Stripe's example of a list
    if kind == "search_result":
        schema = spec()["paths"]["/v1/customers/search"]["get"]["responses"]["200"]
        properties = schema["content"]["application/json"]["schema"]["properties"]
        return {
            "object": "search_result",
            "data": [],
            "has_more": False,
            "next_page": None,
            "url": "/v1/customers/search",
            **{k: None for k in properties if k != "total_count"},
        }
    return fixtures().get(kind)


def embedded_objects(value, found=None):
    """Every Stripe object in a JSON tree, nested ones included."""
    found = [] if found is None else found
    if isinstance(value, dict):
        if isinstance(value.get("object"), str):
            found.append(value)
        for item in value.values():
            embedded_objects(item, found)
    elif isinstance(value, list):
        for item in value:
            embedded_objects(item, found)
    return found


def kind_label(obj):
    return f"deleted_{obj['object']}" if obj.get("deleted") else obj["object"]


def object_problems(obj):
    example = example_for(obj)
    if example is None:
        return [f"{kind_label(obj)}: Stripe has no example object to compare with"]
    # An event's data.object is compared as an object of its own kind. Stripe's example shows
    # includable fields that an answer carries only when expanded.
    problems = shape_problems(example, obj, kind_label(obj), skip={"event.data.object"})
    left_out = {f"{field}: missing" for field in INCLUDABLE_FIELDS}
    return [problem for problem in problems if problem not in left_out]


# Request parameters ---------------------------------------------------------------------


def _template_pattern(template):
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")


@functools.cache
def _spec_templates():
    return [(template, _template_pattern(template)) for template in spec()["paths"]]


def _all_templates():
    seen = [t for t, _ in _spec_templates()]
    return seen + [t for _, t in SDK_PARAMETERS if t not in seen]


def template_for(path):
    # Fixed segments win over placeholders (/v1/customers/search, not /{customer}).
    matches = [t for t in _all_templates() if _template_pattern(t).match(path)]
    return min(matches, key=lambda t: t.count("{"), default=None)


def _resolve(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        node = spec()
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _spec_child(schema, key):
    """The schema of ``key`` under ``schema`` (None: unknown; True: free-form)."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return None
    for alternative in schema.get("anyOf", []):
        child = _spec_child(alternative, key)
        if child is not None:
            return child
    if schema.get("type") == "array":
        return _spec_child(schema.get("items", {}), key)
    properties = schema.get("properties", {})
    if key in properties:
        return properties[key]
    if schema.get("additionalProperties") not in (None, False):
        return True
    return None


def _spec_root(method, template):
    operation = spec()["paths"].get(template, {}).get(method.lower())
    if operation is None:
        return None
    if method == "POST":
        body = operation.get("requestBody", {}).get("content", {})
        return body.get("application/x-www-form-urlencoded", {}).get("schema", {})
    return {
        "type": "object",
        "properties": {
            p["name"]: p.get("schema", {})
            for p in operation.get("parameters", [])
            if p["in"] == "query"
        },
    }


def _in_spec(method, template, keys):
    schema = _spec_root(method, template)
    for key in keys:
        if schema is None:
            return False
        if schema is True:
            return True
        schema = _spec_child(schema, key)
    return schema is not None


@functools.cache
def _typed_fields(module_name, class_name):
    from stripe._request_options import RequestOptions

    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    # Top-level classes also carry the SDK's request options (api_key, ...).
    options = set(RequestOptions.__annotations__) if "api_key" in cls.__annotations__ else set()
    fields = {}
    for name, annotation in cls.__annotations__.items():
        if name in options:
            continue
        text = annotation if isinstance(annotation, str) else repr(annotation)
        nested = [
            n for n in re.findall(r"\b[A-Z]\w+", text) if is_typeddict(getattr(module, n, None))
        ]
        free = "Dict[" in text or "UntypedStripeObject" in text
        fields[name] = (
            "map" if free and not nested else (module.__name__, nested[0]) if nested else "value"
        )
    return fields


def _in_sdk(method, template, keys):
    target = SDK_PARAMETERS.get((method, template))
    if target is None:
        return False
    module_name, class_name = target.split(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    module_name = cls.__module__
    for index, key in enumerate(keys):
        fields = _typed_fields(module_name, class_name)
        if key not in fields:
            return False
        kind = fields[key]
        if kind == "map":
            return True
        if kind == "value":
            return index == len(keys) - 1
        module_name, class_name = kind
    return True


def parameter_paths(params, prefix=()):
    """Each leaf parameter as a key path (list indices dropped).

    The form encoding sends lists as ``name[0]=...``; those indices come back
    as numeric keys and are dropped too.
    """
    if isinstance(params, dict):
        for key, value in params.items():
            path = prefix if key.isdigit() else prefix + (key,)
            if isinstance(value, (dict, list)) and value:
                yield from parameter_paths(value, path)
            else:
                yield path
    elif isinstance(params, list):
        for item in params:
            if isinstance(item, (dict, list)):
                yield from parameter_paths(item, prefix)
            else:
                yield prefix


def bracketed(keys):
    return keys[0] + "".join(f"[{k}]" for k in keys[1:])


def parameter_problems(requests):
    """Parameters the logged requests sent that Stripe doesn't know."""
    problems = set()
    for entry in requests:
        # Requests a test sent wrong on purpose were refused as Stripe refuses them.
        if (
            not entry["params"]
            or entry["status"] == 401
            or entry["error_code"] in REFUSED_AS_STRIPE_DOES
            # Sent in another API version on purpose: the SDK types the pinned one.
            or entry.get("stripe_version") not in (None, PINNED_VERSION)
        ):
            continue
        template = template_for(entry["path"])
        if template is None:
            problems.add(f"{entry['method']} {entry['path']}: no such Stripe endpoint")
            continue
        for keys in parameter_paths(entry["params"]):
            name = bracketed(keys)
            if (entry["method"], template, name) in GATED_PARAMETERS:
                continue
            if (entry["method"], template) in SDK_PARAMETERS:
                known = _in_sdk(entry["method"], template, keys)
            else:
                known = _in_spec(entry["method"], template, keys)
            if not known:
                problems.add(f"{entry['method']} {template}: {name}")
    return sorted(problems)


def _sdk_class(module_name, class_name):
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls.__module__, class_name


def route_problems(routes, removed=()):
    """Where a simulator route's declared parameters differ from stripe-python 16.1.0's typed
    parameters of that endpoint: a parameter the SDK does not type (at any depth), or a
    top-level one the route does not declare. ``removed`` lists (method, template,
    name) that the pinned version refuses but older versions accept: declared so that the
    simulator can answer them as Stripe does."""
    from .params import Obj

    problems = []

    def compare(method, template, fields, module_name, class_name, prefix=()):
        typed = _typed_fields(module_name, class_name)
        for name in sorted(set(fields) | set(typed)):
            label = f"{method} {template}: {bracketed(prefix + (name,))}"
            exempt = (method, template, bracketed(prefix + (name,)))
            if name not in typed:
                if exempt not in removed and exempt not in GATED_PARAMETERS:
                    problems.append(f"{label} is not in the SDK")
            elif name not in fields:
                # Nested keys the simulator has no story for (payment_method_options of
                # methods it does not know) may be left out: it refuses them, never the reverse.
                if not prefix:
                    problems.append(f"{label} is missing")
            elif isinstance(fields[name], Obj) and isinstance(typed[name], tuple):
                compare(method, template, fields[name].fields, *typed[name], prefix + (name,))

    for route in routes:
        target = SDK_PARAMETERS.get((route.method, route.template))
        if target is None:
            problems.append(f"{route.method} {route.template}: no SDK parameters mapped")
            continue
        compare(route.method, route.template, route.fields, *_sdk_class(*target.split(":")))
    return problems

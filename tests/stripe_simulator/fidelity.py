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

# Gated (private-preview) parameters: real, sent fine by stripe-python, but in
# neither the public spec nor the SDK's typed parameters.  MOTO on Terminal
# readers needs Stripe to enable it on the account.
GATED_PARAMETERS = {
    ("POST", "/v1/terminal/readers/{reader}/process_payment_intent", "process_config[moto]"),
    ("POST", "/v1/terminal/readers/{reader}/process_setup_intent", "process_config[moto]"),
}

# Endpoint -> stripe-python 16 typed parameters, for what the 2022 spec lacks.
SDK_PARAMETERS = {
    (
        "POST",
        "/v1/terminal/readers/{reader}/process_payment_intent",
    ): "stripe.params.terminal:ReaderProcessPaymentIntentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/process_setup_intent",
    ): "stripe.params.terminal:ReaderProcessSetupIntentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/collect_payment_method",
    ): "stripe.params.terminal:ReaderCollectPaymentMethodParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/confirm_payment_intent",
    ): "stripe.params.terminal:ReaderConfirmPaymentIntentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/refund_payment",
    ): "stripe.params.terminal:ReaderRefundPaymentParams",
    (
        "POST",
        "/v1/terminal/readers/{reader}/set_reader_display",
    ): "stripe.params.terminal:ReaderSetReaderDisplayParams",
    (
        "POST",
        "/v1/test_helpers/terminal/readers/{reader}/present_payment_method",
    ): "stripe.params.test_helpers.terminal:ReaderPresentPaymentMethodParams",
    ("POST", "/v1/payment_intents"): "stripe.params:PaymentIntentCreateParams",
    ("POST", "/v1/payment_intents/{intent}"): "stripe.params:PaymentIntentUpdateParams",
    ("POST", "/v1/payment_intents/{intent}/confirm"): "stripe.params:PaymentIntentConfirmParams",
    ("POST", "/v1/payment_intents/{intent}/capture"): "stripe.params:PaymentIntentCaptureParams",
    ("POST", "/v1/setup_intents"): "stripe.params:SetupIntentCreateParams",
    ("POST", "/v1/customers"): "stripe.params:CustomerCreateParams",
    ("POST", "/v1/customers/{customer}"): "stripe.params:CustomerUpdateParams",
    (
        "GET",
        "/v1/customers/{customer}/payment_methods",
    ): "stripe.params:CustomerPaymentMethodListParams",
    ("GET", "/v1/payment_methods"): "stripe.params:PaymentMethodListParams",
    ("POST", "/v1/refunds"): "stripe.params:RefundCreateParams",
    ("POST", "/v1/terminal/locations"): "stripe.params.terminal:LocationCreateParams",
    ("POST", "/v1/webhook_endpoints"): "stripe.params:WebhookEndpointCreateParams",
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
    # An event's data.object is compared as an object of its own kind.
    return shape_problems(example, obj, kind_label(obj), skip={"event.data.object"})


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
            or entry["error_code"] in ("parameter_unknown", "parameter_missing")
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
            if not (
                _in_spec(entry["method"], template, keys)
                or _in_sdk(entry["method"], template, keys)
            ):
                problems.add(f"{entry['method']} {template}: {name}")
    return sorted(problems)

"""What happens to an API request between the socket and its handler.

In order: ``Request-Id``; authentication (Bearer or Basic, ``sk_test_`` keys,
one account each); decoding of the form or query string; an injected fault;
the route; the idempotency key (replay, mismatch, in use); the configured
latency; parameter validation; the handler, under the simulator's state lock;
the answer stored for the idempotency key; one line in the requests log.
"""

import base64
import binascii
import json
import logging
import re

from . import errors, forms, idempotency, ids, payments, routes, versions
from .context import Context
from .params import validate

_logger = logging.getLogger(__name__)

_SECRET_KEY = re.compile(r"^sk_test_[A-Za-z0-9_]+$")
DROP = object()  # answer: close the connection without a response


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    def encoded(self):
        return json.dumps(self.body, indent=2).encode()


def mask(api_key):
    return f"****{api_key[-4:]}" if api_key else None


def authenticate(headers):
    """The secret key of the request, or Stripe's 401."""
    authorization = (headers.get("Authorization") or "").strip()
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        key = value.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(value.strip()).decode().split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            key = value
    else:
        key = ""
    if not key:
        raise errors.missing_api_key()
    if key.startswith("pk_"):
        raise errors.publishable_key_used()
    if not _SECRET_KEY.match(key):
        raise errors.invalid_api_key(key)
    return key


class Gateway:
    def __init__(self, sim):
        self.sim = sim

    def handle(self, method, path, query, body, headers):
        sim = self.sim
        request_id = ids.request_id()
        version = headers.get("Stripe-Version")
        key = headers.get("Idempotency-Key") if method == "POST" else None
        answer_headers = {"Request-Id": request_id, "Stripe-Version": version or sim.api_version}
        if key:
            answer_headers["Idempotency-Key"] = key
        entry = {
            "method": method,
            "path": path,
            "api_key": None,
            "idempotency_key": key,
            "stripe_version": version,
            "status": None,
            "params": None,
            "request_id": request_id,
            "error_code": None,
            "replayed": False,
            "fault": None,
            "_key": None,
        }
        try:
            response = self._process(
                method, path, query, body, headers, key, version, request_id, entry
            )
        except errors.StripeError as error:
            response = Response(error.status, error.body(request_id), error.headers)
            entry["error_code"] = error.code
        if response is not DROP:
            response.headers = {**answer_headers, **response.headers}
            entry["status"] = response.status
        sim.log_request(entry)
        return response

    def _process(self, method, path, query, body, headers, key, version, request_id, entry):
        sim = self.sim
        api_key = authenticate(headers)
        entry.update(api_key=mask(api_key), _key=api_key)
        raw = forms.decode(body if method == "POST" else query)
        entry["params"] = raw
        fault = sim.faults.take(method, path)
        if fault:
            entry["fault"] = fault.kind
            if fault.kind == "http_500":
                raise errors.api_error()
            if fault.kind == "http_429":
                raise errors.rate_limited()
            if fault.kind == "error":
                error = dict(fault.error)
                raise errors.StripeError(
                    fault.status,
                    error.pop("type"),
                    error.pop("message", "Injected error."),
                    code=error.pop("code", None),
                    param=error.pop("param", None),
                    decline_code=error.pop("decline_code", None),
                    extra=error or None,
                )
            if fault.kind == "stored_500" and not key:
                raise errors.api_error()
            if fault.kind != "stored_500" and not fault.after_apply:
                return DROP
        route, arguments = routes.match(method, path)
        if route is None:
            raise errors.unrecognized_url(method, path)
        if key:
            stored = sim.idempotency.begin(api_key, key, idempotency.fingerprint(method, path, raw))
            if stored is not None:
                entry["replayed"] = True
                return (
                    DROP
                    if fault and fault.kind == "drop"
                    else Response(
                        stored.status,
                        stored.body,
                        dict(stored.headers, **{"Idempotent-Replayed": "true"}),
                    )
                )
        try:
            sim.wait_latency()
            with sim.lock:
                account_version = sim.registry.account(api_key).default_api_version
            versions.check_removed(method, route.template, raw, version or account_version)
            params = validate(route.fields, raw)
        except errors.StripeError:
            if key:
                sim.idempotency.abandon(api_key, key)  # never started executing
            raise
        if fault and fault.kind == "stored_500":
            error = errors.api_error()
            response = Response(error.status, error.body(request_id), error.headers)
        else:
            response = self._execute(route, arguments, params, api_key, key, version, request_id)
        if key:
            sim.idempotency.finish(
                api_key,
                key,
                idempotency.StoredResponse(response.status, response.body, response.headers),
            )
        if response.status >= 400:
            entry["error_code"] = response.body["error"].get("code")
        return DROP if fault and fault.kind == "drop" else response

    def _execute(self, route, arguments, params, api_key, key, version, request_id):
        sim = self.sim
        try:
            with sim.lock:
                account = sim.registry.account(api_key)
                version = version or account.default_api_version or versions.LATEST
                ctx = Context(sim, account, request_id, key, version)
                body = route.handler(ctx, params, **arguments)
                body = versions.render(
                    body, version, lambda charge: payments.refunds_list(account, charge)
                )
                return Response(200, body, {})
        except errors.StripeError as error:
            return Response(error.status, error.body(request_id), error.headers)
        except Exception:
            _logger.exception("Stripe simulator handler failed: %s", route.template)
            error = errors.api_error()
            return Response(error.status, error.body(request_id), {})
        finally:
            if route.method != "GET":
                sim.state_changed()

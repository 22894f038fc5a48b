# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The suite's only way to Stripe: one choke point over stripe-python's StripeClient.

Plain Python (no ORM): models build a client from their provider and call `call()`. Every request
carries the pinned API version and a timeout; POSTs carry the caller's idempotency key, derived
from the Odoo record and attempt, so a request retried by the SDK, by a worker or by the sweep can
never charge twice. Logs name the operation, the status and Stripe's request id, never a secret.
"""

import json
import logging
import time

import stripe

from . import const
from .errors import StripeTerminalError

_logger = logging.getLogger(__name__)

# Operations that change something on Stripe: they need an idempotency key.
_READ_ONLY_VERBS = ("retrieve", "list", "search")


class StripeTerminalClient:
    def __init__(self, secret_key, api_base=None, timeout=None, max_network_retries=None):
        if not secret_key:
            raise StripeTerminalError(
                "secret_key_required", technical="no secret key on the Stripe provider"
            )
        self.api_base = (api_base or const.STRIPE_API_BASE).rstrip("/")
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": self.api_base},
            stripe_version=const.API_VERSION,
            max_network_retries=(
                const.MAX_NETWORK_RETRIES if max_network_retries is None else max_network_retries
            ),
            http_client=stripe.RequestsClient(timeout=timeout or const.REQUEST_TIMEOUT),
        )

    def call(self, operation, *args, params=None, idempotency_key=None):
        """Run `operation` ("payment_intents.create", "terminal.readers.process_payment_intent",
        ...) with positional ids `args` and `params`; return the result as plain dicts/lists.

        :raise StripeTerminalError: for every Stripe or network error.
        """
        verb = operation.rsplit(".", 1)[-1]
        if verb not in _READ_ONLY_VERBS and verb != "delete" and not idempotency_key:
            # A write without a key could be applied twice by a retry: refuse it here, in code
            # review terms, rather than find the duplicate charge later.
            raise ValueError(f"{operation} needs an idempotency key")
        method = self._client.v1
        for part in operation.split("."):
            method = getattr(method, part)
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        started = time.monotonic()
        try:
            result = method(*args, params or {}, options)
        except stripe.StripeError as error:
            exc = StripeTerminalError.from_stripe(error, operation)
            _logger.info(
                "Stripe %s failed after %.0f ms: %s",
                operation,
                (time.monotonic() - started) * 1000,
                exc.technical,
            )
            raise exc from error
        _logger.debug(
            "Stripe %s %s in %.0f ms (key %s)",
            operation,
            "|".join(args),
            (time.monotonic() - started) * 1000,
            idempotency_key or "-",
        )
        return _plain(result)

    def list_all(self, operation, *args, params=None, limit=100):
        """Every object of a list endpoint, following Stripe's cursor pagination."""
        params = dict(params or {}, limit=limit)
        while True:
            page = self.call(operation, *args, params=params)
            yield from page["data"]
            if not page.get("has_more") or not page["data"]:
                return
            params["starting_after"] = page["data"][-1]["id"]


def verify_webhook(payload, signature_header, secret):
    """Verify a webhook's `Stripe-Signature` with stripe-python and return the event as a plain
    dict (raises stripe.SignatureVerificationError, or ValueError for a body that is not JSON).
    The body is parsed once, with json: no SDK object is built for a dict we need anyway."""
    stripe.WebhookSignature.verify_header(
        payload, signature_header, secret, tolerance=const.WEBHOOK_TOLERANCE
    )
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("a webhook body is a JSON object")
    return event


def _plain(result):
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return result

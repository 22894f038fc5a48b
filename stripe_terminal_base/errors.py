# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stripe errors as the suite sees them: a code that `const.ERRORS` explains to an accountant."""

from . import compat, const

# stripe-python exception class name -> the code used when Stripe's body names none.
_FALLBACK_CODES = {
    "AuthenticationError": "authentication_error",
    "PermissionError": "permission_error",
    "RateLimitError": "rate_limit",
    "APIConnectionError": "api_connection_error",
    "APIError": "api_error",
    "IdempotencyError": "idempotency_error",
    "InvalidRequestError": "invalid_request_error",
    "CardError": "card_declined",
}


class StripeTerminalError(Exception):
    """A failed Stripe request or reader action.

    `code` is Stripe's error code (or a fallback for errors that carry none), `decline_code` the
    card issuer's reason; `key` is what the message table is looked up with. `technical` holds
    the detail for the log: never shown to users, never containing a secret.
    """

    def __init__(
        self,
        code,
        decline_code=None,
        http_status=None,
        request_id=None,
        technical="",
        payment_intent=None,
        param=None,
        network=False,
        replayed=False,
        stripe_message=None,
    ):
        super().__init__(technical or code)
        self.code = code or "api_error"
        self.decline_code = decline_code
        self.http_status = http_status
        self.request_id = request_id
        self.technical = technical
        self.payment_intent = payment_intent
        self.param = param
        # True when the request may have reached Stripe without an answer coming back: the
        # caller must look at Stripe's state before doing anything else.
        self.network = network
        # Stripe answered with the answer it stored for this idempotency key.
        self.replayed = replayed
        # Stripe's own words, shown for a code the table does not know (a new code, or an
        # answer whose shape Stripe does not document).
        self.stripe_message = stripe_message

    @property
    def stored_failure(self):
        """A 5xx Stripe stored under the key once the request had started: every retry with
        that key gets it again, so only a new key (after looking for the object) can go on."""
        return self.replayed and (self.http_status or 0) >= 500

    @property
    def key(self):
        if self.decline_code and self.decline_code in const.ERRORS:
            return self.decline_code
        return self.code

    @property
    def info(self):
        return const.ERRORS.get(self.key)

    @property
    def retry_card(self):
        """Whether presenting another card on the same PaymentIntent makes sense."""
        return bool(self.info and self.info.retry_card)

    def user_message(self, env=None):
        """The accountant's message, in the language of `env` (the caller's when None)."""
        if self.info:
            return compat.translate(env, self.info.message)
        if self.stripe_message:
            return compat.translate(env, const.UNKNOWN_ERROR_STRIPE_MESSAGE) % {
                "code": self.key,
                "message": self.stripe_message,
            }
        return compat.translate(env, const.UNKNOWN_ERROR_MESSAGE) % {"code": self.key}

    def __str__(self):
        return self.user_message()

    @classmethod
    def from_stripe(cls, error, operation):
        """Build from a stripe-python exception raised by `operation`.

        The code is read from the error object of Stripe's answer: stripe-python passes it to
        the exception only for some HTTP statuses (400, 402, 404), not for a 401, 403, 409 or
        429, whose exceptions have `code` None."""
        error_object = getattr(error, "error", None)
        name = type(error).__name__
        code = (
            _field(error_object, "code")
            or getattr(error, "code", None)
            or _FALLBACK_CODES.get(name, "api_error")
        )
        decline_code = _field(error_object, "decline_code")
        payment_intent = _field(error_object, "payment_intent")
        if payment_intent is not None and hasattr(payment_intent, "to_dict"):
            payment_intent = payment_intent.to_dict()
        param = _field(error_object, "param") or getattr(error, "param", None)
        code = _refine_code(code, param, getattr(error, "user_message", None) or str(error))
        status = getattr(error, "http_status", None) or 0
        technical = (
            f"{operation}: {name} http={getattr(error, 'http_status', None)} code={code} "
            f"decline_code={decline_code} param={param} "
            f"request_id={getattr(error, 'request_id', None)} message={error.user_message!r}"
        )
        return cls(
            code,
            decline_code=decline_code,
            http_status=getattr(error, "http_status", None),
            request_id=getattr(error, "request_id", None),
            technical=technical,
            payment_intent=payment_intent,
            param=param,
            # No answer, a 5xx, or the same request still running on Stripe (409): whether
            # Stripe applied it is not known yet.
            network=name == "APIConnectionError"
            or status >= 500
            or code in const.OUTCOME_UNKNOWN_CODES,
            replayed=_replayed(getattr(error, "headers", None)),
            stripe_message=_field(error_object, "message") or getattr(error, "user_message", None),
        )

    @classmethod
    def from_reader_action(cls, action, last_error=None):
        """Build from a failed reader action (a dict), preferring its `api_error` when present.

        Readers on software older than 2.42 always leave `api_error` null: for a decline, the
        precise reason (a lost card is not to be presented again) is then the intent's
        `last_error` (`last_payment_error` or `last_setup_error`, a dict), which Stripe
        updates with each failed attempt."""
        api_error = action.get("api_error") or {}
        if not api_error and action.get("failure_code") == "card_declined":
            api_error = last_error or {}
        code = api_error.get("code") or action.get("failure_code") or "api_error"
        return cls(
            code,
            decline_code=api_error.get("decline_code"),
            technical=f"reader action {action.get('type')} failed: "
            f"{action.get('failure_code')} {action.get('failure_message')!r}",
            payment_intent=api_error.get("payment_intent"),
            stripe_message=api_error.get("message") or action.get("failure_message"),
        )


def _replayed(headers):
    return any(
        name.lower() == "idempotent-replayed" and str(value).lower() == "true"
        for name, value in (headers or {}).items()
    )


def _field(error_object, name):
    """A field of stripe-python's ErrorObject (None when the answer had no error object)."""
    return getattr(error_object, name, None) if error_object is not None else None


def _refine_code(code, param, message):
    """Give a precise code to errors Stripe reports generically."""
    lowered = (message or "").lower()
    if param == "amount" and "greater than" in lowered and "refund" in lowered:
        return "refund_exceeds_charge"
    if param == "currency" and "invalid currency" in lowered:
        return "currency_unsupported"
    # Nothing of allowed_payment_method_types applies to the intent (the currency, the
    # account's activated payment methods).
    if code == "invalid_request_error" and param == "allowed_payment_method_types":
        return "payment_method_type_unavailable"
    # Stripe treats the gated MOTO flag as an unknown parameter on accounts without MOTO.
    if code == "parameter_unknown" and param and param.endswith("[moto]"):
        return "moto_not_enabled"
    return code

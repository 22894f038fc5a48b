"""Stripe-shaped API errors.

Handlers raise :class:`StripeError`; the HTTP layer renders it as Stripe does:
``{"error": {...}}`` with the matching HTTP status.  The same error dict is
reused where Stripe embeds an error in an object (``last_payment_error``,
``last_setup_error``, a reader action's ``api_error``).
"""

DOC_URL = "https://stripe.com/docs/error-codes/{}"


class StripeError(Exception):
    """An error the simulated API answers with."""

    def __init__(
        self,
        status,
        error_type,
        message,
        *,
        code=None,
        param=None,
        decline_code=None,
        extra=None,
        headers=None,
    ):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        # Objects Stripe attaches to some errors (payment_intent, charge, ...).
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def to_dict(self, request_id=None):
        error = {}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL.format(self.code.replace("_", "-"))
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error["type"] = self.error_type
        return error

    def body(self, request_id=None):
        return {"error": self.to_dict(request_id)}


def invalid_request(message, *, code=None, param=None, status=400, extra=None):
    return StripeError(
        status, "invalid_request_error", message, code=code, param=param, extra=extra
    )


def resource_missing(label, object_id, param="id"):
    return invalid_request(
        f"No such {label}: '{object_id}'", code="resource_missing", param=param, status=404
    )


def parameter_unknown(name):
    return invalid_request(
        f"Received unknown parameter: {name}", code="parameter_unknown", param=name
    )


def parameter_missing(name):
    return invalid_request(f"Missing required param: {name}.", code="parameter_missing", param=name)


def unrecognized_url(method, path):
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        status=404,
    )


def card_error(code, message, *, decline_code=None, param=None, extra=None):
    return StripeError(
        402, "card_error", message, code=code, decline_code=decline_code, param=param, extra=extra
    )


def idempotency_mismatch(key):
    return StripeError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same "
        "parameters they were first used with. Try using a key other than "
        f"'{key}' if you meant to execute a different request.",
    )


def idempotency_in_use(key):
    return StripeError(
        409,
        "idempotency_error",
        "There is currently another in-progress request using this Stripe API "
        f"key (or its restricted key variant) and idempotency key '{key}'. "
        "This probably means you are making two identical requests at the "
        "same time; please try again later.",
        code="idempotency_key_in_use",
    )


def missing_api_key():
    return StripeError(
        401,
        "invalid_request_error",
        "You did not provide an API key. You need to provide your API key in "
        "the Authorization header, using Bearer auth (e.g. 'Authorization: "
        "Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
        "for details, or we can help at https://support.stripe.com/.",
        headers={"WWW-Authenticate": 'Basic realm="Stripe"'},
    )


def invalid_api_key(key):
    masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
    return StripeError(
        401,
        "invalid_request_error",
        f"Invalid API Key provided: {masked}",
        headers={"WWW-Authenticate": 'Basic realm="Stripe"'},
    )


def publishable_key_used():
    return StripeError(
        401,
        "invalid_request_error",
        "This API call cannot be made with a publishable API key. Please use a "
        "secret API key. You can find a list of your API keys at "
        "https://dashboard.stripe.com/account/apikeys.",
        code="secret_key_required",
    )


def rate_limited():
    # Stripe marks rate-limit and lock-timeout answers as safe to retry; the
    # header is what makes stripe-python retry a 429.
    return StripeError(
        429,
        "invalid_request_error",
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
        headers={"Stripe-Should-Retry": "true"},
    )


def api_error():
    return StripeError(
        500,
        "api_error",
        "Sorry, something went wrong. We've already been notified of the "
        "problem, but if you need any help, you can reach us at "
        "https://support.stripe.com/contact.",
    )

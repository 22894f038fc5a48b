"""Injected transport faults: the next N matching requests fail.

Kinds:

- ``http_500``: answer Stripe's 500 ``api_error`` without applying the request;
- ``http_429``: answer Stripe's 429 ``rate_limit`` (with ``Stripe-Should-Retry:
  true``) without applying the request;
- ``drop``: close the connection without an answer.  With ``after_apply=True``
  the request is applied first and its answer stored for idempotent replay --
  the case where the client can't know whether Stripe did it;
- ``stored_500``: the request starts executing and fails with Stripe's 500,
  which Stripe saves under the idempotency key: a retry with the same key gets
  the same 500 again (``Idempotent-Replayed: true``), a new key runs anew;
- ``error``: answer a Stripe error of the caller's choosing (``status`` and
  ``error``: the error object's fields) without applying the request, for the
  errors a simulated account cannot provoke (a reader's hardware fault, say).
"""

import re
import threading

KINDS = ("http_500", "http_429", "drop", "error", "stored_500")


class Fault:
    def __init__(self, kind, count, path, method, after_apply, status=None, error=None):
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if after_apply and kind != "drop":
            raise ValueError("after_apply only makes sense with kind='drop'")
        self.kind = kind
        self.remaining = count
        self.path = re.compile(path) if path else None
        self.method = method.upper() if method else None
        self.after_apply = after_apply
        if kind == "error" and not (status and error and error.get("type")):
            raise ValueError("an error fault needs a status and an error with a type")
        self.status = status
        self.error = dict(error or {})

    def matches(self, method, path):
        return (self.method is None or self.method == method) and (
            self.path is None or self.path.search(path) is not None
        )

    def describe(self):
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "path": self.path.pattern if self.path else None,
            "method": self.method,
            "after_apply": self.after_apply,
        }


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(
        self, kind, count=1, path=None, method=None, after_apply=False, status=None, error=None
    ):
        fault = Fault(kind, count, path, method, after_apply, status, error)
        with self._lock:
            self._faults.append(fault)
        return fault.describe()

    def take(self, method, path):
        """The fault the request must suffer, if any (consumes one use)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self):
        with self._lock:
            self._faults.clear()

    def pending(self):
        with self._lock:
            return [fault.describe() for fault in self._faults]

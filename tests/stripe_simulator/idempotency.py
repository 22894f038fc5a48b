"""Idempotency keys, as Stripe keeps them.

A POST with an ``Idempotency-Key`` is remembered per account with a
fingerprint of what was asked (method, path, parameters) and the answer it
got.  The same key with the same request replays the answer
(``Idempotent-Replayed: true``), with a different request it is an
``idempotency_error``; while the first request is still running, another one
with the same key gets 409 ``idempotency_key_in_use``.  Requests that fail
validation before execution starts are not remembered (Stripe does the same);
a request that fails with a 500 once it started is, and is replayed as a 500.

Stripe removes keys once they are at least 24 hours old: a key used again
after that runs as a new request. The store's clock can be moved forward
(``advance``) so that tests reach that point without waiting.
"""

import json
import threading
import time

from . import errors


def fingerprint(method, path, params):
    return json.dumps([method, path, params], sort_keys=True)


class StoredResponse:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers


class IdempotencyStore:
    _RUNNING = object()

    LIFETIME = 24 * 3600  # seconds a key is kept (Stripe: "at least 24 hours old")

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}  # (api_key, key) -> (fingerprint, StoredResponse|_RUNNING)
        self._claimed_at = {}  # (api_key, key) -> the store's clock when first used
        self._offset = 0.0

    def now(self):
        return time.time() + self._offset

    def advance(self, seconds):
        """Move the keys' clock forward: keys older than LIFETIME are forgotten."""
        with self._lock:
            self._offset += float(seconds)
            limit = self.now() - self.LIFETIME
            for entry_key in [k for k, at in self._claimed_at.items() if at <= limit]:
                if self._entries.get(entry_key, (None, None))[1] is not self._RUNNING:
                    self._entries.pop(entry_key, None)
                    self._claimed_at.pop(entry_key, None)

    def begin(self, api_key, key, request_fingerprint):
        """Return a stored answer to replay, or None after claiming the key."""
        with self._lock:
            entry = self._entries.get((api_key, key))
            if entry is None:
                self._entries[(api_key, key)] = (request_fingerprint, self._RUNNING)
                self._claimed_at[(api_key, key)] = self.now()
                return None
            stored_fingerprint, response = entry
            if response is self._RUNNING:
                raise errors.idempotency_in_use(key)
            if stored_fingerprint != request_fingerprint:
                raise errors.idempotency_mismatch(key)
            return response

    def finish(self, api_key, key, response):
        with self._lock:
            fingerprint_, _ = self._entries[(api_key, key)]
            self._entries[(api_key, key)] = (fingerprint_, response)

    def abandon(self, api_key, key):
        """Forget a claimed key whose request never started executing."""
        with self._lock:
            self._entries.pop((api_key, key), None)
            self._claimed_at.pop((api_key, key), None)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._claimed_at.clear()

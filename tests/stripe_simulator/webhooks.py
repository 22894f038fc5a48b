"""Asynchronous, signed webhook delivery with Stripe's retry behaviour, faster.

Events are posted as JSON by a worker thread, signed like Stripe
(``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``).
A delivery that gets no 2xx answer (or no answer) is retried after
``retry_delay`` seconds, doubling each time, up to ``max_attempts`` attempts,
then abandoned.  (Stripe retries for up to three days; tests need seconds.)

Delivery modes, to test a webhook consumer against what Stripe allows itself:

- ``deliver``: post each event once, in order (the default);
- ``drop``: lose them (recorded with ``outcome="dropped"``);
- ``duplicate``: post each event three times (same id, same body);
- ``reverse``: hold events; ``flush()`` posts the held ones newest first;
- ``hold``: hold events until ``flush()`` (a consumer's sweep runs first).
"""

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request

_logger = logging.getLogger(__name__)

MODES = ("deliver", "drop", "duplicate", "reverse", "hold")


def sign(payload, secret, timestamp=None):
    """The ``Stripe-Signature`` header value for ``payload`` (bytes)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _Delivery:
    def __init__(self, event_id, event_type, url, secret, payload):
        self.event_id = event_id
        self.event_type = event_type
        self.url = url
        self.secret = secret
        self.payload = payload
        self.attempts = 0


class WebhookDispatcher:
    def __init__(self, retry_delay=0.2, max_attempts=5, timeout=5.0):
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._condition = threading.Condition()
        self._queue = []  # heap of (due, seq, delivery)
        self._sequence = itertools.count()
        self._held = []  # (mode, delivery) waiting for flush()
        self._busy = 0  # deliveries being posted right now
        self._log = []
        self._mode = "deliver"
        self._stopping = False
        # Loopback receivers must not be sent through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._thread = threading.Thread(target=self._run, name="stripe-sim-webhooks", daemon=True)

    # Control ---------------------------------------------------------------

    def start(self):
        self._thread.start()

    def stop(self):
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=self.timeout + 5)

    @property
    def mode(self):
        return self._mode

    def set_mode(self, mode):
        if mode not in MODES:
            raise ValueError(f"webhook mode must be one of {', '.join(MODES)}")
        with self._condition:
            self._mode = mode

    def flush(self):
        """Release held events: ``hold`` ones in order, ``reverse`` ones newest first."""
        with self._condition:
            held, self._held = self._held, []
            in_order = [d for mode, d in held if mode == "hold"]
            backwards = [d for mode, d in held if mode == "reverse"][::-1]
            for delivery in in_order + backwards:
                self._enqueue(delivery, 0)
            self._condition.notify_all()
            return len(held)

    def discard_held(self):
        """Forget held events (a test ends without releasing them)."""
        with self._condition:
            count, self._held = len(self._held), []
            return count

    def wait(self, timeout=10):
        """Block until nothing is queued or being posted (held events excepted)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(self._queue) + self._busy} webhook deliveries still "
                        f"pending after {timeout} s"
                    )
                self._condition.wait(remaining)

    def deliveries(self):
        with self._condition:
            return [dict(entry) for entry in self._log]

    def reset(self):
        with self._condition:
            self._queue.clear()
            self._held.clear()
            self._log.clear()
            self._mode = "deliver"
            self._condition.notify_all()

    # Publishing ----------------------------------------------------------------

    def publish(self, event_id, event_type, endpoints):
        """Queue the event for each (url, secret, payload: its JSON bytes for that endpoint)."""
        with self._condition:
            mode = self._mode
            for url, secret, payload in endpoints:
                delivery = _Delivery(event_id, event_type, url, secret, payload)
                if mode == "drop":
                    self._record(delivery, None, None, "dropped")
                elif mode in ("hold", "reverse"):
                    self._held.append((mode, delivery))
                else:
                    copies = 3 if mode == "duplicate" else 1
                    for _ in range(copies):
                        self._enqueue(_Delivery(event_id, event_type, url, secret, payload), 0)
            self._condition.notify_all()

    def _enqueue(self, delivery, delay):
        heapq.heappush(self._queue, (time.monotonic() + delay, next(self._sequence), delivery))

    def _record(self, delivery, status, error, outcome):
        self._log.append(
            {
                "event_id": delivery.event_id,
                "type": delivery.event_type,
                "url": delivery.url,
                "attempt": delivery.attempts,
                "status_code": status,
                "error": error,
                "outcome": outcome,
                "at": time.time(),
            }
        )

    # Worker ----------------------------------------------------------------------

    def _run(self):
        while True:
            with self._condition:
                while not self._stopping:
                    if self._queue:
                        due = self._queue[0][0] - time.monotonic()
                        if due <= 0:
                            break
                        self._condition.wait(due)
                    else:
                        self._condition.wait()
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._busy += 1
            status, error = self._post(delivery)
            with self._condition:
                self._busy -= 1
                succeeded = status is not None and 200 <= status < 300
                if succeeded:
                    outcome = "delivered"
                elif delivery.attempts >= self.max_attempts:
                    outcome = "abandoned"
                else:
                    outcome = "retrying"
                    self._enqueue(delivery, self.retry_delay * 2 ** (delivery.attempts - 1))
                self._record(delivery, status, error, outcome)
                self._condition.notify_all()

    def _post(self, delivery):
        delivery.attempts += 1
        request = urllib.request.Request(
            delivery.url,
            data=delivery.payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(delivery.payload, delivery.secret),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (OSError, ValueError) as exc:
            _logger.info("Webhook delivery to %s failed: %s", delivery.url, exc)
            return None, str(exc)

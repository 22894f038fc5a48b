"""One timer thread for the simulator's delayed work (action timeouts, refunds
that fail later).  Timers wait on a Condition, never sleep, and stop at once
when the simulator stops."""

import heapq
import itertools
import logging
import threading
import time

_logger = logging.getLogger(__name__)


class Scheduler:
    def __init__(self):
        self._condition = threading.Condition()
        self._heap = []
        self._sequence = itertools.count()
        self._cancelled = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-sim-timers", daemon=True)

    def start(self):
        self._thread.start()

    def call_later(self, delay, callback):
        """Run ``callback()`` after ``delay`` seconds; return a cancel token."""
        token = next(self._sequence)
        with self._condition:
            heapq.heappush(self._heap, (time.monotonic() + delay, token, callback))
            self._condition.notify()
        return token

    def cancel(self, token):
        if token is not None:
            with self._condition:
                self._cancelled.add(token)

    def clear(self):
        with self._condition:
            self._heap.clear()
            self._cancelled.clear()

    def stop(self):
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self):
        while True:
            with self._condition:
                while not self._stopping:
                    if self._heap:
                        due = self._heap[0][0] - time.monotonic()
                        if due <= 0:
                            break
                        self._condition.wait(due)
                    else:
                        self._condition.wait()
                if self._stopping:
                    return
                _, token, callback = heapq.heappop(self._heap)
                if token in self._cancelled:
                    self._cancelled.discard(token)
                    continue
            try:
                callback()
            except Exception:  # a timer must not kill the thread
                _logger.exception("Stripe simulator timer failed")

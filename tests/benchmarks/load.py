"""Live-server measures: the overlay's status latency in a real browser, and many readers paying
at once through Odoo's HTTP server."""

import os
import random
import threading
import time

from tests.live_odoo import RpcError, wait_until

from .browser import Browser


def percentile(values, fraction):
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# === 3. Status latency === #


def status_latency(live, samples, webhooks, warmup=2, log=print):  # noqa: T201 - a CLI
    """Seconds from the simulator finishing the reader's action to the overlay showing
    "approved", `samples` times; webhooks on ("deliver") or off ("drop": the overlay's
    refresh)."""
    shop = live.new_shop(readers=1)
    live.simulator.set_webhook_mode("deliver" if webhooks else "drop")
    session = shop.session()
    browser = Browser(live.workdir)
    latencies = []
    pause = threading.Event()
    phases = random.Random(9)  # the same phases on every run
    try:
        browser.open_web_client(live.url, session.http.cookies["session_id"])
        for index in range(warmup + samples):
            payment_id = shop.collect([shop.invoice(40.0)], session=session)
            browser.open_overlay(payment_id)
            wait_until(
                lambda: browser.stage_shown_at("waiting_card"),
                timeout=30,
                interval=0.05,
                message="the overlay waiting for the card",
            )
            # The customer taps at any moment of the overlay's 2-second refresh cycle.
            pause.wait(phases.uniform(0, 2.0))
            started = time.time()
            shop.present_card(shop.readers[0])
            shown = wait_until(
                lambda: browser.stage_shown_at("approved"),
                timeout=30,
                interval=0.01,
                message="the overlay showing the approval",
            )
            shop.wait_db_state(payment_id, "done")
            if index >= warmup:
                latencies.append(shown - started)
                log(f"  latency ({'webhooks' if webhooks else 'refresh'}) {shown - started:.3f} s")
        shop.check()
    finally:
        browser.close()
        live.simulator.set_webhook_mode("deliver")
        shop.close()
    return latencies


# === 4. Concurrency === #


class DoneWatcher(threading.Thread):
    """Notes when each payment is committed as done (one SQL query every 50 ms, on a connection
    of its own): the moment the cashier's overlay gets the news by the bus."""

    def __init__(self, live):
        super().__init__(daemon=True)
        self.conn = live.db.connect()
        self.done = {}
        self.events = {}
        self.stop = threading.Event()

    def expect(self, payment_id):
        self.events.setdefault(payment_id, threading.Event())
        return self.events[payment_id]

    def run(self):
        while not self.stop.is_set():
            waiting = [pid for pid, event in list(self.events.items()) if not event.is_set()]
            if waiting:
                with self.conn.cursor() as cr:
                    cr.execute(
                        "SELECT id FROM stripe_terminal_payment "
                        "WHERE state = 'done' AND id = ANY(%s)",
                        (waiting,),
                    )
                    now = time.time()
                    for (payment_id,) in cr.fetchall():
                        self.done[payment_id] = now
                        self.events[payment_id].set()
            self.stop.wait(0.05)
        self.conn.close()


def concurrency(live, readers=20, payments=10, log=print):  # noqa: T201 - a CLI
    """`readers` cashiers taking `payments` card payments each, all at once: each collects,
    the customer taps at once, the overlay refreshes every 2 s until the payment is done (the
    bus would tell it sooner: the watcher plays that part). Returns the figures."""
    shop = live.new_shop(readers=readers)
    groups = [live.env["groups"]["user"], live.env["groups"]["invoice"]]
    sessions, invoices = [], []
    for index in range(readers):
        login = f"bench_cashier_{index:02d}"
        live.create_user(login, groups)
        sessions.append(live.session(login))
        invoices.append(shop.invoices_batch([40.0] * payments, partner=shop.partner()))
    requests_before = len(shop.stripe_requests())
    watcher = DoneWatcher(live)
    watcher.start()
    barrier = threading.Barrier(readers)
    timings, errors = [], []
    lock = threading.Lock()

    def cashier(index):
        session, reader = sessions[index], shop.readers[index]
        barrier.wait(timeout=60)
        for invoice in invoices[index]:
            started = time.time()
            try:
                payment_id = shop.collect(
                    [invoice], session=session, stripe_terminal_reader_id=reader["id"]
                )
                done = watcher.expect(payment_id)
                shop.present_card(reader)
                deadline = time.monotonic() + 120
                while not done.wait(2.0):  # the overlay's refresh, every 2 s
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"payment {payment_id} not done after 120 s")
                    try:
                        shop.overlay(payment_id, session=session)
                    except RpcError as error:
                        log(f"  refresh of {payment_id}: {error}")
            except Exception as error:  # reported with the figures
                with lock:
                    errors.append(repr(error))
                return
            with lock:
                timings.append((payment_id, started, watcher.done[payment_id]))

    threads = [threading.Thread(target=cashier, args=(i,), daemon=True) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    watcher.stop.set()
    watcher.join(timeout=10)
    first = min(started for _pid, started, _done in timings)
    last = max(done for _pid, _started, done in timings)
    durations = [done - started for _pid, started, done in timings]
    shop.settle_webhooks(timeout=120)
    stripe_requests = len(shop.stripe_requests()) - requests_before
    states = shop.check()  # every invoice paid once, no charge Odoo does not know
    db = live.db
    ids = [pid for pid, _started, _done in timings]
    booked = db.query(
        """
        SELECT count(*) AS payments, count(DISTINCT pay.stripe_terminal_payment_id) AS terminal,
               sum(CASE WHEN pay.is_reconciled AND move.state = 'posted' THEN 1 ELSE 0 END)
               AS reconciled
        FROM account_payment pay JOIN account_move move ON move.id = pay.move_id
        WHERE pay.stripe_terminal_payment_id = ANY(%s)
        """,
        (ids,),
    )[0]
    paid_invoices = db.value(
        "SELECT count(*) FROM account_move "
        "WHERE id = ANY(%s) AND payment_state IN ('paid', 'in_payment')",
        ([invoice for batch in invoices for invoice in batch],),
    )
    result = {
        "readers": readers,
        "payments": len(timings),
        "errors": errors,
        "seconds": last - first,
        "per_second": len(timings) / (last - first),
        "p95": percentile(durations, 0.95),
        "median": median(durations),
        "done": sum(1 for state in states.values() if state == "done"),
        "booked": booked["payments"],
        "booked_terminal": booked["terminal"],
        "reconciled": booked["reconciled"],
        "paid_invoices": paid_invoices,
        "stripe_requests_per_payment": stripe_requests / max(1, len(timings)),
        "workers": live.workers,
        "cores": os.cpu_count(),
    }
    for session in sessions:
        session.close()
    shop.close()
    return result

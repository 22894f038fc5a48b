"""Fault injection on a live Odoo: prefork workers, a cron worker and the Stripe simulator, each
in a process of its own (tests/live_odoo.py), driven over HTTP as the browser and Stripe drive
them.

Each test breaks something on the way (an answer lost after Stripe applied the request, a 500 or
a 429, a killed worker, webhooks doubled, reordered, late, lost or forged, a reader or a browser
gone, two users or two workers at once) and ends with `shop.check()`: every invoice is paid once
or not at all, every terminal payment is in a final state that tells the truth about Stripe, and
Stripe holds no charge Odoo does not know. The single-process variants of several of these paths
are in stripe_terminal_account/tests/test_flows.py; these add real concurrency, real commits and
real processes.
"""

import json
import os
import re
import threading
import time

import pytest

from tests.live_odoo import RpcError, sign_payload, wait_until

CARD = "4242424242424242"
DECLINED_INSUFFICIENT_FUNDS = "4000000000009995"


def requests_matching(shop, method, path):
    return [
        entry
        for entry in shop.stripe_requests()
        if entry["method"] == method and re.search(path, entry["path"])
    ]


def reader_action(shop, reader):
    return shop.stripe.v1.terminal.readers.retrieve(reader["stripe_id"]).to_dict().get("action")


def bookings(shop, payment_id):
    return shop.live.db.query(
        "SELECT id FROM account_payment WHERE stripe_terminal_payment_id = %s", (payment_id,)
    )


def in_thread(target, *args):
    """Run `target(*args)` in a thread; returns (thread, outcome dict with result or error)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target(*args)
        except Exception as error:  # reported to the test through `outcome`
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def make_poll_refresh(shop, payment_id):
    """The overlay's light refresh asks Stripe at most every 2 s: pretend the last check is a
    few seconds old (not old enough for the sweep)."""
    shop.live.db.execute(
        """
        UPDATE stripe_terminal_payment
        SET last_stripe_check = (now() at time zone 'utc') - interval '5 seconds'
        WHERE id = %s
        """,
        (payment_id,),
    )


# === The connection drops after Stripe applied the request === #


def test_answer_lost_after_the_intent_was_created(shop):
    shop.sim.inject_fault("drop", count=3, path=r"^/v1/payment_intents$", after_apply=True)
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    state = shop.overlay(payment_id, "action_stripe_terminal_state")
    assert state["stage"] == "checking"
    assert not state["can_retry"], "no retry before Stripe's state is known"
    creates = requests_matching(shop, "POST", r"^/v1/payment_intents$")
    assert [entry["fault"] for entry in creates] == ["drop"] * 3
    assert len({entry["idempotency_key"] for entry in creates}) == 1
    intents = shop.stripe_objects("payment_intent")
    assert len(intents) == 1, "three attempts, one PaymentIntent"
    # The overlay's refresh finds the intent again (replaying the creation with the same key)
    # and sends it to the reader: nobody has to press Retry.
    state = shop.wait_payment(payment_id, lambda s: s["stage"] != "checking")
    assert shop.payment(payment_id)["payment_intent_id"] == intents[0]["id"]
    assert state["stage"] == "waiting_card", state
    action = reader_action(shop, shop.readers[0])
    assert action["process_payment_intent"]["payment_intent"] == intents[0]["id"]
    shop.present_card(shop.readers[0])
    shop.wait_payment(payment_id, lambda s: s["done"])
    assert len(shop.stripe_objects("payment_intent")) == 1
    assert shop.check() == {payment_id: "done"}


def test_answer_lost_after_the_reader_got_the_payment(shop):
    shop.sim.inject_fault("drop", count=3, path=r"/process_payment_intent$", after_apply=True)
    payment_id = shop.collect([shop.invoice(40.0)])
    state = shop.overlay(payment_id, "action_stripe_terminal_state")
    assert (state["stage"], state["can_retry"]) == ("checking", False)
    pushes = requests_matching(shop, "POST", r"/process_payment_intent$")
    assert len(pushes) == 3 and len({entry["idempotency_key"] for entry in pushes}) == 1
    # Stripe did send it: the customer does not wait for Odoo and pays.
    action = reader_action(shop, shop.readers[0])
    intent_id = shop.payment(payment_id)["payment_intent_id"]
    assert action["process_payment_intent"]["payment_intent"] == intent_id
    shop.present_card(shop.readers[0])
    shop.wait_db_state(payment_id, "done")
    assert shop.check() == {payment_id: "done"}


def test_answer_lost_when_odoo_asks_whether_the_card_was_charged(shop):
    shop.sim.set_webhook_mode("drop")  # the refresh is the only way to learn it
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.present_card(shop.readers[0])
    shop.sim.inject_fault("drop", count=3, path=r"^/v1/payment_intents/pi_", method="GET")
    make_poll_refresh(shop, payment_id)
    state = shop.overlay(payment_id)
    assert not shop.sim.pending_faults(), "the refresh asked Stripe"
    assert (state["state"], state["done"]) == ("pending", False)
    assert not bookings(shop, payment_id)
    shop.wait_payment(payment_id, lambda s: s["done"])
    assert shop.check() == {payment_id: "done"}


def test_answer_lost_after_the_capture(shop):
    """An intent waiting for capture (manual capture set on Stripe's side) is captured by Odoo;
    the capture's answer is lost after Stripe applied it: the next refresh books it once."""
    shop.sim.set_webhook_mode("drop")
    payment_id = shop.collect([shop.invoice(40.0)])
    intent_id = shop.payment(payment_id)["payment_intent_id"]
    shop.stripe.v1.payment_intents.update(intent_id, {"capture_method": "manual"})
    shop.present_card(shop.readers[0])
    assert shop.stripe.v1.payment_intents.retrieve(intent_id).status == "requires_capture"
    shop.sim.inject_fault("drop", count=3, path=r"/capture$", after_apply=True)
    make_poll_refresh(shop, payment_id)
    try:
        state = shop.overlay(payment_id)
    except RpcError:
        state = None  # the overlay shows nothing new and refreshes again later
    assert not shop.sim.pending_faults(), "Odoo captured"
    assert not (state and state["done"])
    assert shop.stripe.v1.payment_intents.retrieve(intent_id).status == "succeeded"
    assert not bookings(shop, payment_id)
    shop.wait_payment(payment_id, lambda s: s["done"])
    captures = requests_matching(shop, "POST", r"/capture$")
    assert len({entry["idempotency_key"] for entry in captures}) == 1
    assert shop.check() == {payment_id: "done"}


# === 500 and 429 on each step, retried with the same idempotency key === #

STEPS = {
    # step: (method, path, what the test does)
    "customer": ("POST", r"^/v1/customers$", "pay"),
    "preflight": ("GET", r"^/v1/terminal/readers/tmr_", "pay"),
    "intent": ("POST", r"^/v1/payment_intents$", "pay"),
    "push": ("POST", r"/process_payment_intent$", "pay"),
    "refresh": ("GET", r"^/v1/payment_intents/pi_", "poll"),
    "cancel_action": ("POST", r"/cancel_action$", "cancel"),
    "cancel": ("POST", r"^/v1/payment_intents/pi_[^/]+/cancel$", "cancel"),
}


@pytest.mark.parametrize("kind", ["http_500", "http_429"])
@pytest.mark.parametrize("step", list(STEPS))
def test_refused_requests_are_retried_with_the_same_key(shop, step, kind):
    method, path, flow = STEPS[step]
    shop.sim.inject_fault(kind, count=2, path=path, method=method)  # the SDK retries twice
    if flow == "poll":
        shop.sim.set_webhook_mode("drop")
    payment_id = shop.collect([shop.invoice(40.0)])
    if flow == "cancel":
        state = shop.overlay(payment_id, "action_stripe_terminal_cancel")
        assert state["state"] == "canceled"
        assert shop.stripe_objects("payment_intent")[0]["status"] == "canceled"
        assert reader_action(shop, shop.readers[0]) is None
    else:
        assert shop.overlay(payment_id, "action_stripe_terminal_state")["stage"] == "waiting_card"
        shop.present_card(shop.readers[0])
        shop.wait_payment(payment_id, lambda s: s["done"])
    matching = requests_matching(shop, method, path)[:3]
    assert [entry["fault"] for entry in matching] == [kind, kind, None]
    assert matching[-1]["status"] == 200
    if method == "POST":
        assert len({entry["idempotency_key"] for entry in matching}) == 1
    assert len(shop.stripe_objects("payment_intent")) == 1
    assert len(shop.stripe_objects("customer")) == 1
    assert shop.check() == {payment_id: "canceled" if flow == "cancel" else "done"}


@pytest.mark.parametrize("kind", ["http_500", "http_429"])
def test_stripe_refusing_the_push_longer_than_the_sdk_retries(shop, kind):
    shop.sim.inject_fault(kind, count=3, path=r"/process_payment_intent$")
    payment_id = shop.collect([shop.invoice(40.0)])
    # A 500 leaves the outcome open (Odoo checks first); a 429 is known not to be applied.
    state = shop.wait_payment(payment_id, lambda s: s["can_retry"])
    assert state["state"] == "error"
    assert reader_action(shop, shop.readers[0]) is None
    state = shop.overlay(payment_id, "action_stripe_terminal_retry")
    assert state["stage"] == "waiting_card"
    pushes = requests_matching(shop, "POST", r"/process_payment_intent$")
    assert [entry["fault"] for entry in pushes] == [kind, kind, kind, None]
    keys = [entry["idempotency_key"] for entry in pushes]
    assert len(set(keys[:3])) == 1, "the SDK's retries of one push share its key"
    assert keys[3] != keys[0], "Retry is a new push (Stripe may have stored the refusal)"
    shop.present_card(shop.readers[0])
    shop.wait_payment(payment_id, lambda s: s["done"])
    assert shop.check() == {payment_id: "done"}


# === A worker killed while it finalises === #


def test_worker_killed_while_finalising_the_sweep_books_it_once(shop, live):
    shop.sim.set_webhook_mode("drop")  # only the overlay and the sweep can learn of the success
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])
    make_poll_refresh(shop, payment_id)
    with live.db.row_locked("account_move", invoice):
        # The overlay's refresh learns of the success and books it; it waits on the invoice.
        thread, outcome = in_thread(shop.overlay, payment_id)
        assert len(live.backend_waiting_on_lock()) == 1
        live.kill_worker_serving(os.getpid())
    thread.join(timeout=30)
    assert "error" in outcome, "the browser lost its answer"
    assert shop.payment(payment_id)["state"] == "pending", "nothing of the booking was committed"
    assert not bookings(shop, payment_id)
    shop.sweep_until(payment_id, "done")
    assert len(bookings(shop, payment_id)) == 1
    assert shop.check() == {payment_id: "done"}


def test_worker_killed_while_handling_the_webhook_stripe_retries_it(shop, live):
    shop.sim.set_webhook_mode("hold")
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])
    with live.db.row_locked("account_move", invoice):
        shop.sim.flush_webhooks()  # charge.succeeded first: its handler books, and waits
        assert len(live.backend_waiting_on_lock()) == 1
        live.kill_worker_serving(live.simulator.process.pid)
    shop.sim.set_webhook_mode("deliver")
    shop.wait_db_state(payment_id, "done")
    shop.sim.wait_for_webhooks(timeout=30)
    deliveries = [
        d
        for d in shop.sim.webhook_deliveries()
        if d["type"] == "charge.succeeded"
        and d["event_id"] in {e["id"] for e in shop.events("charge.succeeded")}
    ]
    assert deliveries[0]["outcome"] == "retrying", "the killed worker never answered"
    assert deliveries[-1]["outcome"] == "delivered"
    assert shop.check() == {payment_id: "done"}


# === Webhooks duplicated, out of order, late, lost, forged === #


def test_webhooks_duplicated_three_times_book_once(shop):
    shop.sim.set_webhook_mode("duplicate")
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.present_card(shop.readers[0])
    shop.sim.wait_for_webhooks(timeout=30)
    event_id = shop.events("charge.succeeded")[0]["id"]
    delivered = [d for d in shop.sim.webhook_deliveries() if d["event_id"] == event_id]
    assert [d["status_code"] for d in delivered] == [200, 200, 200]
    assert live_event_count(shop, event_id) == 1
    assert shop.check() == {payment_id: "done"}


def live_event_count(shop, event_id):
    return shop.live.db.value(
        "SELECT count(*) FROM stripe_terminal_event WHERE stripe_event_id = %s", (event_id,)
    )


def test_the_same_event_handled_by_several_workers_at_once_books_once(shop, live):
    shop.sim.set_webhook_mode("hold")
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])
    event = shop.events("charge.succeeded")[0]
    shop.sim.discard_held_webhooks()
    payload = json.dumps(event).encode()
    with live.db.row_locked("account_move", invoice):
        posts = [in_thread(shop.post_webhook, payload) for _copy in range(3)]
        # One worker books and waits on the invoice; the others wait on its event record.
        wait_until(
            lambda: len(live.backend_waiting_on_lock()) == 3,
            timeout=30,
            message="three deliveries of one event at once",
        )
    for thread, outcome in posts:
        thread.join(timeout=60)
        assert outcome["result"].status_code == 200
    assert live_event_count(shop, event["id"]) == 1
    assert shop.check() == {payment_id: "done"}


def test_webhooks_out_of_order_book_once(shop):
    shop.sim.set_webhook_mode("reverse")
    payment_id = shop.collect([shop.invoice(40.0)])
    # A decline, then the automatic retry on the same intent; news comes newest first.
    shop.present_card(shop.readers[0], DECLINED_INSUFFICIENT_FUNDS)
    shop.sim.flush_webhooks()
    shop.sim.wait_for_webhooks(timeout=30)
    wait_until(lambda: shop.payment(payment_id)["stage"] == "retrying", message="the retry")
    shop.present_card(shop.readers[0])
    shop.sim.flush_webhooks()
    shop.wait_db_state(payment_id, "done")
    assert shop.payment(payment_id)["attempt_count"] == 2
    assert len(shop.stripe_objects("payment_intent")) == 1
    assert shop.check() == {payment_id: "done"}


def test_webhooks_delayed_past_the_sweep(shop):
    shop.sim.set_webhook_mode("hold")
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.present_card(shop.readers[0])
    shop.sweep_until(payment_id, "done")
    # check() releases the late news first: it changes nothing.
    assert shop.check() == {payment_id: "done"}
    assert len(bookings(shop, payment_id)) == 1


def test_webhooks_lost_the_overlay_books_it(shop):
    shop.sim.set_webhook_mode("drop")
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.present_card(shop.readers[0])
    shop.wait_payment(payment_id, lambda s: s["done"])
    assert all(d["outcome"] == "dropped" for d in shop.sim.webhook_deliveries()[-3:])
    assert shop.check() == {payment_id: "done"}


def test_forged_stale_and_malformed_webhooks_change_nothing(shop, live):
    shop.sim.set_webhook_mode("hold")
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])  # charged; Stripe's news is held
    event = shop.events("charge.succeeded")[0]
    payload = json.dumps(event).encode()
    tampered = json.loads(payload)
    tampered["data"]["object"]["amount_captured"] = 1
    genuine_signature = sign_payload(payload, shop.webhook_secret)
    now = int(time.time())
    attempts = {
        "forged": shop.post_webhook(payload, secret="whsec_" + "0" * 32),
        "stale": shop.post_webhook(payload, timestamp=now - 3600),  # a replayed delivery
        "malformed": shop.post_webhook(b'{"id": "evt_x", "type": '),
        "malformed, unsigned": shop.post_webhook(b"{{{", signature="garbage"),
        "tampered": shop.post_webhook(json.dumps(tampered).encode(), signature=genuine_signature),
        "unsigned": shop.post_webhook(payload, signature="t=1,v1=00"),
    }
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 400)
    assert shop.payment(payment_id)["state"] == "pending"
    assert not bookings(shop, payment_id)
    assert live_event_count(shop, event["id"]) == 0
    assert live.db.value("SELECT payment_state FROM account_move WHERE id = %s", (invoice,)) == (
        "not_paid"
    )
    # The genuine news still books it, once.
    assert shop.check() == {payment_id: "done"}


# === The reader or the browser goes away === #


def test_reader_offline_during_a_payment_then_back(shop):
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.sim.set_reader_online(shop.readers[0]["stripe_id"], False)
    state = shop.wait_payment(payment_id, lambda s: s["stage"] == "offline")
    assert state["state"] == "pending"
    shop.sim.set_reader_online(shop.readers[0]["stripe_id"], True)
    shop.present_card(shop.readers[0])
    shop.wait_payment(payment_id, lambda s: s["done"])
    assert shop.check() == {payment_id: "done"}


def test_reader_offline_the_payment_can_be_canceled_all_the_same(shop):
    payment_id = shop.collect([shop.invoice(40.0)])
    reader = shop.readers[0]
    shop.sim.set_reader_online(reader["stripe_id"], False)
    shop.wait_payment(payment_id, lambda s: s["stage"] == "offline")
    state = shop.overlay(payment_id, "action_stripe_terminal_cancel")
    assert state["state"] == "canceled"
    # The reader comes back with the payment still on screen: the card can no longer be charged.
    shop.sim.set_reader_online(reader["stripe_id"], True)
    answer = shop.present_card(reader)
    assert answer["action"]["status"] == "failed"
    assert not [c for c in shop.stripe_objects("charge") if c["status"] == "succeeded"]
    assert shop.check() == {payment_id: "canceled"}


def test_a_reader_back_online_after_a_cancel_is_cleared_by_the_sweep(shop):
    payment_id = shop.collect([shop.invoice(40.0)])
    reader = shop.readers[0]
    shop.sim.set_reader_online(reader["stripe_id"], False)
    shop.wait_payment(payment_id, lambda s: s["stage"] == "offline")
    assert shop.overlay(payment_id, "action_stripe_terminal_cancel")["state"] == "canceled"
    shop.sim.set_reader_online(reader["stripe_id"], True)
    assert reader_action(shop, reader)["status"] == "in_progress", "the stale screen"
    shop.live.run_sweep()
    assert reader_action(shop, reader) is None
    next_payment = shop.collect([shop.invoice(30.0)])
    assert shop.overlay(next_payment, "action_stripe_terminal_state")["stage"] == "waiting_card"
    shop.present_card(reader)
    shop.wait_db_state(next_payment, "done")
    assert shop.check() == {payment_id: "canceled", next_payment: "done"}


def test_retry_after_the_reader_refused_the_push(shop):
    """The reader goes offline between the pre-flight and the push: Stripe refuses the push
    (and keeps that answer under its key); once the reader is back, Retry really retries."""
    invoice = shop.invoice(40.0)
    reader = shop.readers[0]["stripe_id"]
    shop.sim.set_latency(1500)
    thread, outcome = in_thread(shop.collect, [invoice])
    wait_until(
        lambda: any(r["path"] == "/v1/payment_intents" for r in shop.stripe_requests()),
        message="the PaymentIntent",
    )
    shop.sim.set_reader_online(reader, False)  # the push is waiting on Stripe's latency
    thread.join(timeout=30)
    shop.sim.set_latency(0)
    payment_id = outcome["result"]
    assert shop.overlay(payment_id, "action_stripe_terminal_state")["stage"] == "offline"
    shop.sim.set_reader_online(reader, True)
    state = shop.overlay(payment_id, "action_stripe_terminal_retry")
    assert state["stage"] == "waiting_card", state
    shop.present_card(shop.readers[0])
    shop.wait_payment(payment_id, lambda s: s["done"])
    assert shop.check() == {payment_id: "done"}


def test_reader_offline_then_back_the_payment_can_be_canceled(shop):
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.sim.set_reader_online(shop.readers[0]["stripe_id"], False)
    shop.wait_payment(payment_id, lambda s: s["stage"] == "offline")
    shop.sim.set_reader_online(shop.readers[0]["stripe_id"], True)
    state = shop.overlay(payment_id, "action_stripe_terminal_cancel")
    assert state["state"] == "canceled"
    assert shop.check() == {payment_id: "canceled"}


def test_browser_gone_the_webhooks_book_it(shop):
    payment_id = shop.collect([shop.invoice(40.0)])
    # No overlay any more: nobody refreshes.
    shop.present_card(shop.readers[0])
    shop.wait_db_state(payment_id, "done")
    assert shop.check() == {payment_id: "done"}


def test_browser_gone_and_webhooks_lost_the_sweep_books_it(shop):
    shop.sim.set_webhook_mode("drop")
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.present_card(shop.readers[0])
    shop.sweep_until(payment_id, "done")
    assert shop.check() == {payment_id: "done"}


def test_browser_gone_and_nobody_pays_the_sweep_cancels_it(shop):
    payment_id = shop.collect([shop.invoice(40.0)])
    assert reader_action(shop, shop.readers[0])["status"] == "in_progress"
    shop.sweep_until(payment_id, "canceled", abandoned=True)
    assert reader_action(shop, shop.readers[0]) is None
    assert shop.check() == {payment_id: "canceled"}


# === Two at once === #


def test_two_users_collect_on_the_same_reader_at_once(shop, live):
    invoices = [shop.invoice(40.0), shop.invoice(50.0)]
    sessions = [live.session("live_accountant"), live.session("live_accountant2")]
    barrier = threading.Barrier(2)

    def collect(invoice, session):
        barrier.wait(timeout=30)
        return shop.collect([invoice], session=session)

    runs = [
        in_thread(collect, invoice, session)
        for invoice, session in zip(invoices, sessions, strict=True)
    ]
    for thread, _outcome in runs:
        thread.join(timeout=60)
    outcomes = [outcome for _thread, outcome in runs]
    started = [o["result"] for o in outcomes if "result" in o]
    refused = [o["error"] for o in outcomes if "error" in o]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert refused[0].name == "odoo.exceptions.UserError"
    assert re.search(r"busy|taking another payment", refused[0].message), refused[0].message
    assert len(shop.stripe_objects("payment_intent")) == 1
    shop.present_card(shop.readers[0])
    shop.wait_db_state(started[0], "done")
    assert shop.check() == {started[0]: "done"}


def test_another_till_updating_the_reader_while_a_collect_talks_to_stripe(shop, live):
    """Another till's pre-flight (or Check Status) writes the reader's row while this Collect
    waits on Stripe: the Collect's own write of the reader conflicts with it. It starts again
    in a new transaction and opens its overlay, instead of failing as if the reader were busy
    with someone else's payment (Odoo's retry of the whole request saw its own push)."""
    invoice = shop.invoice(40.0)
    reader = shop.readers[0]
    shop.sim.set_latency(300)
    try:
        thread, outcome = in_thread(shop.collect, [invoice])
        wait_until(
            lambda: any(r["path"] == "/v1/payment_intents" for r in shop.stripe_requests()),
            message="the Collect to ask Stripe for its PaymentIntent",
        )
        live.db.execute(
            "UPDATE stripe_terminal_reader SET last_check_date = now() WHERE id = %s",
            (reader["id"],),
        )
        thread.join(timeout=60)
    finally:
        shop.sim.set_latency(0)
    assert "result" in outcome, outcome
    assert len(shop.stripe_objects("payment_intent")) == 1
    shop.present_card(reader)
    shop.wait_db_state(outcome["result"], "done")
    assert shop.check() == {outcome["result"]: "done"}


@pytest.mark.parametrize("intruder", ["sweep", "refresh"])
def test_a_payment_being_started_is_left_to_its_collect(shop, live, intruder):
    """While a Collect waits on Stripe (here: creating the customer's Stripe Customer), the
    cron's sweep, or the overlay's refresh from another tab once the payment is older than the
    refresh's throttle, must not start the payment a second time. They did: their own
    PaymentIntent lookup and push, then the Collect conflicted with what they had committed and
    pushed once more."""
    invoice = shop.invoice(40.0)
    shop.sim.set_latency(1200)
    try:
        thread, outcome = in_thread(shop.collect, [invoice])
        wait_until(
            lambda: requests_matching(shop, "POST", r"^/v1/customers$"),
            timeout=30,
            message="the Collect to create the Stripe Customer",
        )
        if intruder == "sweep":
            live.run_sweep()
        else:
            payment_id = live.db.value("SELECT max(id) FROM stripe_terminal_payment")
            state = shop.overlay(payment_id)
            assert state["stage"] == "starting", state
        thread.join(timeout=60)
    finally:
        shop.sim.set_latency(0)
    assert "result" in outcome, outcome
    assert len(requests_matching(shop, "POST", r"^/v1/payment_intents$")) == 1
    assert len(requests_matching(shop, "POST", r"/process_payment_intent$")) == 1
    assert shop.payment(outcome["result"])["stage"] == "waiting_card"
    shop.present_card(shop.readers[0])
    shop.wait_db_state(outcome["result"], "done")
    assert shop.check() == {outcome["result"]: "done"}


def test_two_readers_collecting_the_same_invoice_at_once(shop, live):
    invoice = shop.invoice(40.0)
    sessions = [live.session("live_accountant"), live.session("live_accountant2")]
    barrier = threading.Barrier(2)

    def collect(session, reader):
        barrier.wait(timeout=30)
        return shop.collect([invoice], session=session, stripe_terminal_reader_id=reader["id"])

    runs = [in_thread(collect, s, r) for s, r in zip(sessions, shop.readers, strict=True)]
    for thread, _outcome in runs:
        thread.join(timeout=60)
    started = [outcome["result"] for _thread, outcome in runs if "result" in outcome]
    refused = [outcome["error"] for _thread, outcome in runs if "error" in outcome]
    assert len(started) == 1 and len(refused) == 1, runs
    assert refused[0].name == "odoo.exceptions.UserError"
    shop.present_card(next(r for r in shop.readers if reader_action(shop, r)))
    shop.wait_db_state(started[0], "done")
    assert shop.check() == {started[0]: "done"}


def test_two_users_collecting_for_a_new_customer_at_once(shop, live):
    """Two Collects at once for a customer without a Stripe Customer yet, on two readers
    (Stripe slow, so that they overlap): both start, on one Stripe Customer."""
    invoices = [shop.invoice(40.0), shop.invoice(50.0)]
    sessions = [live.session("live_accountant"), live.session("live_accountant2")]
    barrier = threading.Barrier(2)

    def collect(invoice, session, reader):
        barrier.wait(timeout=30)
        return shop.collect([invoice], session=session, stripe_terminal_reader_id=reader["id"])

    shop.sim.set_latency(300)  # Stripe as slow as it is over the internet: the two overlap
    runs = [
        in_thread(collect, *args) for args in zip(invoices, sessions, shop.readers, strict=True)
    ]
    for thread, _outcome in runs:
        thread.join(timeout=60)
    shop.sim.set_latency(0)
    outcomes = [outcome for _thread, outcome in runs]
    assert all("result" in outcome for outcome in outcomes), outcomes
    assert len(shop.stripe_objects("customer")) == 1
    for reader in shop.readers:
        shop.present_card(reader)
    for outcome in outcomes:
        shop.wait_db_state(outcome["result"], "done")
    assert set(shop.check().values()) == {"done"}


def test_two_workers_finalise_the_same_payment_at_once(shop, live):
    shop.sim.set_webhook_mode("hold")
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])
    make_poll_refresh(shop, payment_id)
    manager = live.session("live_manager")
    with live.db.row_locked("account_move", invoice):
        # The overlay's refresh books the payment and waits on the invoice...
        poll_thread, poll = in_thread(shop.overlay, payment_id)
        wait_until(lambda: len(live.backend_waiting_on_lock()) == 1, message="the refresh")
        # ...while Stripe's webhook arrives on another worker and wants to book it too.
        shop.sim.flush_webhooks()
        wait_until(lambda: len(live.backend_waiting_on_lock()) == 2, message="the webhook")
        # A third look (a manager's overlay) does not wait: it sees the payment as it is.
        state = shop.overlay(payment_id, session=manager)
        assert state["state"] == "pending"
    poll_thread.join(timeout=60)
    assert poll["result"]["done"]
    shop.sim.wait_for_webhooks(timeout=30)
    assert shop.check() == {payment_id: "done"}
    assert len(bookings(shop, payment_id)) == 1


def test_invoice_paid_by_other_means_while_the_card_is_charged_is_booked_once(shop):
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    context = {"active_model": "account.move", "active_ids": [invoice]}
    wizard = shop.admin.call(
        "account.payment.register",
        "create",
        {"journal_id": shop.env["bank_journal"]},
        context=context,
    )
    shop.admin.call("account.payment.register", "action_create_payments", [wizard], context=context)
    shop.present_card(shop.readers[0])
    # The money was taken all the same: booked (not reconciled), for the accountant to look at.
    shop.wait_db_state(payment_id, "done")
    assert len(bookings(shop, payment_id)) == 1
    assert shop.check(other_payments={invoice: 40.0}) == {payment_id: "done"}


# === Refunds to the card === #


def paid_and_credited(shop, amount=40.0):
    """An invoice paid on the reader and its credit note; returns (payment, credit note)."""
    invoice = shop.invoice(amount)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])
    shop.wait_db_state(payment_id, "done")
    return payment_id, shop.credit_note(invoice)


def only_refund(shop):
    refunds = shop.refunds()
    assert len(refunds) == 1, refunds
    return refunds[0]


def test_answer_lost_after_the_refund_was_made(shop):
    payment_id, credit_note = paid_and_credited(shop)
    shop.sim.set_webhook_mode("hold")  # Stripe's news comes after the answer is lost
    shop.sim.inject_fault("drop", count=3, path=r"^/v1/refunds$", method="POST", after_apply=True)
    with pytest.raises(RpcError, match="did not answer"):
        shop.refund(credit_note)
    assert len(shop.stripe_objects("refund")) == 1, "Stripe made it"
    # Stripe's webhooks tell Odoo, which books the refund once.
    shop.sim.flush_webhooks()
    refund = only_refund(shop)
    wait_until(lambda: only_refund(shop)["state"] == "succeeded", message=f"refund {refund['id']}")
    creates = requests_matching(shop, "POST", r"^/v1/refunds$")
    assert len(creates) == 3 and len({entry["idempotency_key"] for entry in creates}) == 1
    assert shop.check() == {payment_id: "done"}


def test_answer_and_webhooks_lost_after_the_refund_the_sweep_finds_it(shop):
    payment_id, credit_note = paid_and_credited(shop)
    shop.sim.set_webhook_mode("drop")
    shop.sim.inject_fault("drop", count=3, path=r"^/v1/refunds$", method="POST", after_apply=True)
    with pytest.raises(RpcError, match="did not answer"):
        shop.refund(credit_note)
    refund = only_refund(shop)
    assert refund["state"] == "draft", "kept aside until Stripe tells"
    shop.refund_sweep_until(refund["id"], "succeeded")
    assert len(shop.stripe_objects("refund")) == 1
    assert shop.check() == {payment_id: "done"}


@pytest.mark.parametrize("kind", ["http_500", "http_429"])
def test_a_refused_refund_request_is_retried_with_the_same_key(shop, kind):
    payment_id, credit_note = paid_and_credited(shop)
    shop.sim.inject_fault(kind, count=2, path=r"^/v1/refunds$", method="POST")
    shop.refund(credit_note)
    assert only_refund(shop)["state"] == "succeeded"
    creates = requests_matching(shop, "POST", r"^/v1/refunds$")
    assert [entry["fault"] for entry in creates] == [kind, kind, None]
    assert len({entry["idempotency_key"] for entry in creates}) == 1
    assert shop.check() == {payment_id: "done"}


def test_a_refund_stripe_never_received_is_sent_again_once_by_the_sweep(shop):
    payment_id, credit_note = paid_and_credited(shop)
    shop.sim.inject_fault("http_500", count=3, path=r"^/v1/refunds$", method="POST")
    with pytest.raises(RpcError, match="did not answer"):
        shop.refund(credit_note)
    refund = only_refund(shop)
    assert not shop.stripe_objects("refund")
    shop.refund_sweep_until(refund["id"], "succeeded")
    creates = requests_matching(shop, "POST", r"^/v1/refunds$")
    assert len({entry["idempotency_key"] for entry in creates}) == 1
    assert len(shop.stripe_objects("refund")) == 1
    assert shop.check() == {payment_id: "done"}


def test_a_refund_made_while_its_answer_was_lost_is_not_reported_refused(shop):
    """Stripe makes the refund, its answer is lost, and while the SDK retries Stripe's webhooks
    book it: the accountant is told it was refunded, not that Stripe refused it."""
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice])
    shop.present_card(shop.readers[0])
    shop.wait_db_state(payment_id, "done")
    credit_note = shop.credit_note(invoice)
    shop.sim.set_webhook_mode("hold")
    shop.sim.inject_fault("drop", count=3, path=r"^/v1/refunds$", method="POST", after_apply=True)
    thread, outcome = in_thread(shop.refund, credit_note)
    wait_until(lambda: shop.stripe_objects("refund"), message="the refund on Stripe")
    shop.sim.set_latency(1000)  # the SDK's retries take a while: Stripe's news comes first
    shop.sim.flush_webhooks()
    shop.sim.set_webhook_mode("deliver")
    wait_until(
        lambda: shop.refunds() and shop.refunds()[0]["state"] == "succeeded",
        message="the webhooks booking the refund",
    )
    thread.join(timeout=60)
    shop.sim.set_latency(0)
    error = outcome.get("error")
    assert not (error and "refused" in error.message), error.message
    assert only_refund(shop)["state"] == "succeeded"
    assert shop.check() == {payment_id: "done"}

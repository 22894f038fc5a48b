"""Faults that reveal bugs in the addons, each a test that fails until the bug is fixed.

Not collected by the project's test command (the file name does not start with `test_`, and
nothing is skipped or marked): run them on purpose with

    python3 tools/dev.py quicktest tests/known_bugs.py

Once a test passes, move it to tests/test_faults.py or tests/test_bad_input.py. Each docstring
says what happens and what should happen; tests/README.md lists them with the code at fault.
"""

import re
import threading

from tests.live_odoo import RpcError, wait_until


def in_thread(target, *args):
    outcome = {}

    def run():
        try:
            outcome["result"] = target(*args)
        except Exception as error:  # reported to the test through `outcome`
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def pay_by_bank(shop, invoice):
    context = {"active_model": "account.move", "active_ids": [invoice]}
    wizard = shop.admin.call(
        "account.payment.register",
        "create",
        {"journal_id": shop.env["bank_journal"]},
        context=context,
    )
    shop.admin.call("account.payment.register", "action_create_payments", [wizard], context=context)


def test_cancel_while_the_reader_is_offline(shop):
    """stripe_terminal_account/models/stripe_terminal_payment.py, _stripe_terminal_cancel.

    Happens: with the reader offline, Cancel calls cancel_action, which Stripe refuses
    (terminal_reader_offline); the UserError leaves the PaymentIntent open and the payment
    pending. The refusal is stored under the idempotency key `cancel-action:<attempt>`, so every
    later Cancel (and the sweep's abandon) replays it, even once the reader is back online: the
    payment can never be canceled. Should: cancel the PaymentIntent anyway (Stripe allows it in
    requires_payment_method; a reader that comes back cannot charge a canceled intent), and
    never reuse the key of a refused cancel_action."""
    payment_id = shop.collect([shop.invoice(40.0)])
    shop.sim.set_reader_online(shop.readers[0]["stripe_id"], False)
    shop.wait_payment(payment_id, lambda s: s["stage"] == "offline")
    try:
        state = shop.overlay(payment_id, "action_stripe_terminal_cancel")
    except RpcError:
        state = None
    shop.sim.set_reader_online(shop.readers[0]["stripe_id"], True)
    if not state or state["state"] != "canceled":
        state = shop.overlay(payment_id, "action_stripe_terminal_cancel")  # replays the refusal
    assert state["state"] == "canceled"
    assert shop.check() == {payment_id: "canceled"}


def test_retry_after_the_reader_refused_the_push(shop):
    """stripe_terminal_account/models/stripe_terminal_payment.py, _stripe_terminal_push.

    Happens: the reader goes offline between the pre-flight and process_payment_intent; Stripe
    refuses the push (terminal_reader_offline) and that answer is stored under the key
    `process:<attempt_count + 1>`. attempt_count only grows on success, so Retry (after the
    reader is back, the pre-flight passes) sends the same key and Stripe replays the refusal:
    Retry can never succeed. Should: a new key for each push that reached Stripe (count failed
    attempts too), so that Retry really retries."""
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


def test_an_invoice_paid_after_register_payment_opened_is_not_charged(shop):
    """stripe_terminal_account/wizards/account_payment_register.py, _stripe_terminal_check.

    Happens: the residual is taken from the wizard's stored source amount, computed when
    Register Payment opened; if the invoice was paid meanwhile (another user, another reader),
    Collect still charges the card. Should: check the wizard's lines are still open (and
    recompute the residual) when Collect is pressed, before anything reaches Stripe."""
    invoice = shop.invoice(40.0)
    wizard = shop.wizard([invoice])
    pay_by_bank(shop, invoice)
    before = len(shop.stripe_requests())
    context = {"active_model": "account.move", "active_ids": [invoice]}
    try:
        shop.session().call(
            "account.payment.register",
            "action_stripe_terminal_collect",
            [wizard],
            context=context,
        )
    except RpcError as error:
        assert error.name == "odoo.exceptions.UserError"
    else:
        raise AssertionError("Collect charged a card for an invoice already paid")
    finally:
        for payment_id in shop.payment_ids():
            shop.overlay(payment_id, "action_stripe_terminal_cancel")
    assert len(shop.stripe_requests()) == before
    shop.check(other_payments={invoice: 40.0})


def test_two_readers_collecting_the_same_invoice_at_once(shop, live):
    """stripe_terminal_account/wizards/account_payment_register.py,
    _stripe_terminal_create_and_start (and the model's one-active-payment-per-reader index).

    Happens: two users open Register Payment on the same invoice and collect on two readers:
    both payments start, both cards can be charged, and the invoice is paid twice (the second
    charge is booked unreconciled, with a to-do).
    Should: at most one payment in progress per invoice line, refused like a busy reader."""
    known_customer(shop)
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
    for payment_id in started[1:]:
        shop.overlay(
            payment_id, "action_stripe_terminal_cancel", session=shop.session("live_manager")
        )
    assert len(started) == 1, f"{len(started)} payments for one invoice"


def known_customer(shop):
    """One payment first, so that the customer has its Stripe Customer."""
    payment_id = shop.collect([shop.invoice(10.0)])
    shop.present_card(shop.readers[0])
    shop.wait_db_state(payment_id, "done")


def test_two_users_collecting_for_a_new_customer_at_once(shop, live):
    """stripe_terminal_base/models/stripe_terminal_customer.py, _stripe_terminal_ensure (called
    by stripe_terminal_account's _stripe_terminal_start).

    Happens: two users collect invoices of the same customer, who has no Stripe Customer yet,
    on two readers at once. The advisory lock serializes them, but the second transaction's
    snapshot (Odoo's REPEATABLE READ) was taken before it waited, so it does not see the link
    the first committed: it adopts the first's Stripe Customer by its metadata and the insert
    breaks the unique constraint. The second user gets "A partner has one Stripe Customer per
    Stripe account."; their payment, committed before the start, stays a draft without an
    intent and blocks the reader ("taking another payment") until the sweep gives up on it half
    an hour later. Should: both payments start, on the one customer (take the lock before the
    transaction reads anything, or create the link in a transaction of its own; and never leave
    a draft behind on an unexpected error)."""
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
    try:
        assert all("result" in outcome for outcome in outcomes), outcomes
    finally:
        manager = shop.session("live_manager")
        for payment_id in shop.payment_ids():
            shop.overlay(payment_id, "action_stripe_terminal_cancel", session=manager)
    assert len(shop.stripe_objects("customer")) == 1


def test_unauthorized_users_make_no_stripe_request(shop, live):
    """stripe_terminal_base/models/stripe_terminal_reader.py, action_sync_all;
    stripe_terminal_base/models/payment_provider.py, action_stripe_terminal_sync;
    stripe_terminal_base/wizards/stripe_terminal_reader_register.py, action_register.

    Happens: a portal user or an employee without accounting rights calls these over JSON-RPC:
    Odoo refuses (AccessError) only after the server called Stripe with the company's secret
    key: the syncs list the account's locations and readers; action_register, called on a
    manager's register wizard (its fields were read with sudo, so they are in the cache),
    creates a location or registers a reader on Stripe. Should: check the user's rights
    (check_access_rights/check_access_rule on the records) before any Stripe request."""
    manager = shop.session("live_manager")
    register = manager.call(
        "stripe.terminal.reader.register",
        "create",
        {"provider_id": shop.provider, "name": "New", "registration_code": "simulated-wpe"},
    )
    calls = [
        ("stripe.terminal.reader", "action_sync_all", []),
        ("payment.provider", "action_stripe_terminal_sync", [[shop.provider]]),
        ("stripe.terminal.reader.register", "action_register", [[register]]),
    ]
    made = []
    for login in ("live_portal", "live_employee"):
        session = shop.session(login)
        for model, method, args in calls:
            before = len(shop.stripe_requests())
            try:
                session.call(model, method, *args)
            except RpcError as error:
                assert error.name == "odoo.exceptions.AccessError"
            requests = shop.stripe_requests()[before:]
            if requests:
                made.append((login, method, [(r["method"], r["path"]) for r in requests]))
    assert not made, made


def test_a_lost_intent_creation_answer_is_recovered_onto_the_reader(shop):
    """stripe_terminal_account/models/stripe_terminal_payment.py,
    _stripe_terminal_recover_intent.

    Happens: when the answer to the PaymentIntent creation is lost, the refresh recovers the
    intent (same key) but, unlike its docstring says, does not send it to the reader; the next
    lines then see a reader without the payment and set the payment to error with "The payment
    was canceled on the reader.", which is not what happened. Money is safe (Retry works).
    Should: push the recovered intent to the reader (or say what really happened)."""
    shop.sim.inject_fault("drop", count=3, path=r"^/v1/payment_intents$", after_apply=True)
    payment_id = shop.collect([shop.invoice(40.0)])
    state = shop.wait_payment(payment_id, lambda s: s["stage"] != "checking")
    try:
        assert state["stage"] == "waiting_card", state["message"]
        assert not re.search("canceled on the reader", state["message"])
    finally:
        shop.overlay(payment_id, "action_stripe_terminal_cancel")


def test_a_refund_made_while_its_answer_was_lost_is_not_reported_refused(shop):
    """stripe_terminal_refund/wizards/stripe_terminal_refund_wizard.py, action_confirm (with
    stripe_terminal_refund.py, _stripe_terminal_create_and_send).

    Happens: Stripe makes the refund but its answer is lost; while the SDK retries, Stripe's
    webhooks arrive and Odoo books the refund (succeeded, outgoing payment posted). The wizard
    then sees an error and a state other than draft and tells the accountant "Stripe refused the
    refund: Stripe cannot be reached": the money did go back to the card, and an accountant who
    believes it may refund the customer again by other means. Should: answer from the refund's
    state (refunded: say so), whatever error the lost answer left."""
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
    shop.check()

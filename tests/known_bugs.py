"""Faults that reveal bugs in the addons, each a test that fails until the bug is fixed.

Not collected by the project's test command (the file name does not start with `test_`, and
nothing is skipped or marked): run them on purpose with

    python3 tools/dev.py quicktest tests/known_bugs.py

Once a test passes, move it to tests/test_faults.py or tests/test_bad_input.py. Each docstring
says what happens and what should happen; tests/README.md lists them with the code at fault.
"""

import threading

from tests.live_odoo import wait_until


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


def test_two_users_collecting_for_a_new_customer_at_once(shop, live):
    """stripe_terminal_base/models/stripe_terminal_customer.py, _stripe_terminal_link (called
    from _stripe_terminal_ensure, from stripe_terminal_account's _stripe_terminal_start).

    Happens: two users collect invoices of the same customer, who has no Stripe Customer yet,
    on two readers at once. The second transaction's snapshot (Odoo's REPEATABLE READ) predates
    the link the first one committed, so its `INSERT ... ON CONFLICT DO NOTHING` of the link
    fails with "could not serialize access due to concurrent update": the second Collect answers
    "The card payment ... could not start" and that payment waits in error for a Retry. (Before
    f6ffe05 the same race broke the unique constraint and left a draft holding the reader.)
    Should: both payments start on the one customer: link the customer in a transaction of its
    own, or start again in a new transaction on a serialization failure (as the refund addon's
    run_in_retried_transactions does)."""
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

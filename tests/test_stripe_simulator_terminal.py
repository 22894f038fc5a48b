"""Terminal flows on the simulator, through stripe-python over HTTP: readers,
reader actions, test cards and amounts, MOTO, saved cards, Interac refunds."""
# ruff: noqa: F811 - pytest fixtures are imported by name and taken as arguments

import pytest
import stripe

from tests.stripe_simulator import StripeError, StripeSimulator
from tests.stripe_simulator.fidelity import parameter_problems
from tests.stripe_simulator.testing import (  # noqa: F401 - fixtures
    StripeAccount,
    WebhookReceiver,
    simulator,
    stripe_account,
)


def _error(excinfo):
    return excinfo.value.error


# Readers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, device_type, status",
    [
        ("simulated-wpe", "simulated_wisepos_e", "online"),
        ("simulated-s700", "simulated_stripe_s700", "online"),
        ("simulated-s710", "simulated_stripe_s710", "online"),
        ("simulated-p400", "verifone_P400", "online"),
        ("verifone_P400", "verifone_P400", "online"),
        ("stripe_m2", "stripe_m2", None),
        ("simulated-m2", "stripe_m2", None),
        ("bbpos_chipper2x", "bbpos_chipper2x", None),
        ("bbpos_wisepad3", "bbpos_wisepad3", None),
    ],
)
def test_registration_codes_make_the_documented_device_types(
    stripe_account, code, device_type, status
):
    reader = stripe_account.reader(code)
    assert reader.id.startswith("tmr_")
    assert (reader.device_type, reader.status, reader.label) == (device_type, status, code)
    if device_type.startswith("simulated_"):
        assert reader.serial_number.startswith(code + "-")
        assert reader.ip_address == "0.0.0.0"
    assert reader.last_seen_at is None or reader.last_seen_at > 10**12  # milliseconds


def test_unknown_registration_code_and_location_are_refused(stripe_account):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.reader("pumpkin-garden-bicycle")
    assert excinfo.value.param == "registration_code"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.reader(location="tml_doesnotexist")
    assert (excinfo.value.code, excinfo.value.http_status) == ("resource_missing", 404)


def test_reader_list_filters_update_and_delete(stripe_account):
    v1 = stripe_account.v1
    location = stripe_account.location()
    wpe = stripe_account.reader(location=location.id)
    stripe_account.reader("simulated-s700", location=location.id)
    listed = v1.terminal.readers.list(
        {"device_type": "simulated_wisepos_e", "location": location.id, "status": "online"}
    )
    assert [r.id for r in listed.data] == [wpe.id]
    updated = v1.terminal.readers.update(wpe.id, {"label": "Till 1", "metadata": {"odoo_id": "3"}})
    assert (updated.label, updated.metadata["odoo_id"]) == ("Till 1", "3")
    deleted = v1.terminal.readers.delete(wpe.id)
    assert deleted.deleted is True and deleted.id == wpe.id
    with pytest.raises(stripe.InvalidRequestError):
        v1.terminal.readers.retrieve(wpe.id)


# Card-present payments ------------------------------------------------------------------------


def test_card_present_payment_succeeds_with_card_details_on_the_charge(stripe_account):
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    intent = stripe_account.intent(1250, metadata={"odoo_tx": "TX1"})
    started = stripe_account.process(
        reader.id, intent.id, skip_tipping=True, enable_customer_cancellation=True
    )
    assert (started.action.type, started.action.status) == ("process_payment_intent", "in_progress")
    assert started.action.process_payment_intent.payment_intent == intent.id
    done = stripe_account.present(reader.id, "5555555555554444")
    assert done.action.status == "succeeded" and done.action.failure_code is None
    paid = v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert (paid.status, paid.amount_received, paid.payment_method) == (
        "succeeded",
        1250,
        paid.latest_charge.payment_method,
    )
    details = paid.latest_charge.payment_method_details
    assert details.type == "card_present"
    card = details.card_present
    assert (card.brand, card.last4, card.funding, card.network) == (
        "mastercard",
        "4444",
        "credit",
        "mastercard",
    )
    assert card.read_method == "contactless_emv" and card.exp_year > 2000
    assert card.receipt.application_preferred_name and card.generated_card is None
    assert paid.latest_charge.captured and paid.latest_charge.paid
    pm = v1.payment_methods.retrieve(paid.payment_method)
    assert pm.type == "card_present" and pm.card_present.last4 == "4444"
    assert [e.type for e in reversed(v1.events.list().data)][-3:] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "terminal.reader.action_succeeded",
    ]


DECLINE_CARDS = [
    ("4000000000000002", "card_declined", "generic_decline"),
    ("4000000000009995", "card_declined", "insufficient_funds"),
    ("4000000000009987", "card_declined", "lost_card"),
    ("4000000000009979", "card_declined", "stolen_card"),
    ("4000000000000069", "expired_card", "expired_card"),
    ("4000000000000119", "processing_error", "processing_error"),
]


def test_readers_older_than_2_42_leave_api_error_null(simulator, stripe_account):
    reader = stripe_account.reader()
    simulator.set_reader_software(reader.id, "2.41.3.0")
    intent = stripe_account.intent()
    stripe_account.process(reader.id, intent.id)
    action = stripe_account.present(reader.id, "4000000000009987").action
    assert (action.status, action.failure_code, action.api_error) == (
        "failed",
        "card_declined",
        None,
    )
    # The precise reason is still on the PaymentIntent.
    error = stripe_account.v1.payment_intents.retrieve(intent.id).last_payment_error
    assert (error.code, error.decline_code) == ("card_declined", "lost_card")
    simulator.set_reader_software(reader.id, "2.42.0.0")
    stripe_account.process(reader.id, intent.id)
    action = stripe_account.present(reader.id, "4000000000009987").action
    assert action.api_error.decline_code == "lost_card"


@pytest.mark.parametrize("number, code, decline_code", DECLINE_CARDS)
def test_decline_cards_fail_the_action_and_return_the_intent(
    stripe_account, number, code, decline_code
):
    reader = stripe_account.reader()
    intent = stripe_account.intent()
    stripe_account.process(reader.id, intent.id)
    failed = stripe_account.present(reader.id, number)
    action = failed.action
    assert (action.status, action.failure_code) == ("failed", "card_declined")
    assert (action.api_error.type, action.api_error.code, action.api_error.decline_code) == (
        "card_error",
        code,
        decline_code,
    )
    assert action.api_error.payment_intent.status == "requires_payment_method"
    after = stripe_account.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method" and after.payment_method is None
    assert (after.last_payment_error.code, after.last_payment_error.decline_code) == (
        code,
        decline_code,
    )
    charge = stripe_account.v1.charges.retrieve(after.latest_charge)
    assert (charge.status, charge.failure_code, charge.outcome.reason) == (
        "failed",
        code,
        decline_code,
    )


@pytest.mark.parametrize(
    "amount, decline_code",
    [
        (1000, None),
        (1002, None),
        (1003, None),
        (1001, "call_issuer"),
        (1005, "generic_decline"),
        (1055, "incorrect_pin"),
        (1060, "online_or_offline_pin_required"),
        (1065, "withdrawal_count_limit_exceeded"),
        (1075, "pin_try_exceeded"),
    ],
)
def test_test_amounts_decide_the_outcome(stripe_account, amount, decline_code):
    reader = stripe_account.reader()
    intent = stripe_account.pay(reader.id, amount)
    if decline_code is None:
        assert intent.status == "succeeded"
    else:
        assert intent.status == "requires_payment_method"
        assert intent.last_payment_error.decline_code == decline_code


def test_the_same_intent_is_retried_after_a_decline(stripe_account):
    reader = stripe_account.reader()
    intent = stripe_account.intent(2000)
    stripe_account.process(reader.id, intent.id)
    stripe_account.present(reader.id, "4000000000009995")
    stripe_account.process(reader.id, intent.id)
    stripe_account.present(reader.id, "4242424242424242")
    paid = stripe_account.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded" and paid.last_payment_error is None
    charges = stripe_account.v1.charges.list({"payment_intent": intent.id}).data
    assert [c.status for c in charges] == ["succeeded", "failed"]


def test_manual_capture_holds_then_captures_part(stripe_account):
    reader = stripe_account.reader()
    intent = stripe_account.pay(reader.id, 5000, capture_method="manual")
    assert (intent.status, intent.amount_capturable) == ("requires_capture", 5000)
    assert intent.latest_charge.payment_method_details.card_present.capture_before
    captured = stripe_account.v1.payment_intents.capture(intent.id, {"amount_to_capture": 4000})
    assert (captured.status, captured.amount_received) == ("succeeded", 4000)
    charge = stripe_account.v1.charges.retrieve(captured.latest_charge)
    assert (charge.amount_captured, charge.amount_refunded) == (4000, 1000)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.v1.payment_intents.capture(intent.id)
    assert excinfo.value.code == "payment_intent_unexpected_state"


def test_on_reader_tip_is_added_to_the_amount(stripe_account):
    reader = stripe_account.reader()
    intent = stripe_account.intent(2000)
    stripe_account.process(reader.id, intent.id, tipping={"amount_eligible": 2000})
    stripe_account.present(reader.id, amount_tip=300)
    paid = stripe_account.v1.payment_intents.retrieve(intent.id)
    assert (paid.amount, paid.amount_details.tip.amount, paid.amount_received) == (2300, 300, 2300)


def test_collect_then_confirm_split_flow(stripe_account, simulator):
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    intent = stripe_account.intent(1800)
    v1.terminal.readers.collect_payment_method(
        reader.id,
        {"payment_intent": intent.id, "collect_config": {"enable_customer_cancellation": True}},
    )
    collected = stripe_account.present(reader.id, "4242424242424242")
    assert collected.action.status == "in_progress"
    assert collected.action.collect_payment_method.payment_method.card_present.brand == "visa"
    assert v1.payment_intents.retrieve(intent.id).status == "requires_confirmation"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(reader.id, intent.id)
    assert excinfo.value.code == "terminal_reader_busy"
    confirmed = v1.terminal.readers.confirm_payment_intent(reader.id, {"payment_intent": intent.id})
    assert (confirmed.action.type, confirmed.action.status) == (
        "confirm_payment_intent",
        "succeeded",
    )
    assert v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert "terminal.reader.action_updated" in {e["type"] for e in stripe_account.objects("event")}


# Cancel, busy, offline, unreachable, timeout -----------------------------------------------


def test_cancel_action_then_cancel_the_intent(stripe_account):
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    intent = stripe_account.intent()
    stripe_account.process(reader.id, intent.id)
    idle = v1.terminal.readers.cancel_action(reader.id)
    assert idle.action is None
    canceled = v1.payment_intents.cancel(intent.id, {"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.canceled_at
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(reader.id, intent.id)
    assert excinfo.value.code == "intent_invalid_state"
    types = [e["type"] for e in stripe_account.objects("event")]
    assert "payment_intent.canceled" in types
    assert not [t for t in types if t.startswith("terminal.reader")]  # cancel_action: none


def test_busy_reader_refuses_another_action_but_a_cart_display_is_replaced(stripe_account):
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    shown = v1.terminal.readers.set_reader_display(
        reader.id,
        {
            "type": "cart",
            "cart": {
                "currency": "usd",
                "tax": 100,
                "total": 1100,
                "line_items": [{"amount": 1000, "description": "Invoice", "quantity": 1}],
            },
        },
    )
    assert shown.action.set_reader_display.cart.line_items[0].description == "Invoice"
    first = stripe_account.intent()
    stripe_account.process(reader.id, first.id)  # replaces the cart
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(reader.id, stripe_account.intent().id)
    assert (excinfo.value.code, excinfo.value.http_status) == ("terminal_reader_busy", 400)
    with pytest.raises(stripe.InvalidRequestError):
        v1.terminal.readers.set_reader_display(
            reader.id,
            {
                "type": "cart",
                "cart": {
                    "currency": "usd",
                    "total": 1,
                    "line_items": [{"amount": 1, "description": "x", "quantity": 1}],
                },
            },
        )


def test_offline_reader_refuses_actions_and_keeps_a_stuck_action(stripe_account, simulator):
    reader = stripe_account.reader()
    intent = stripe_account.intent()
    stripe_account.process(reader.id, intent.id)
    simulator.set_reader_online(reader.id, False)
    assert stripe_account.v1.terminal.readers.retrieve(reader.id).status == "offline"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(reader.id, stripe_account.intent().id)
    assert excinfo.value.code == "terminal_reader_offline"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_account.present(reader.id)
    simulator.set_reader_online(reader.id, True)
    stuck = stripe_account.v1.terminal.readers.retrieve(reader.id)
    assert stuck.action.status == "in_progress"
    assert stripe_account.v1.terminal.readers.cancel_action(reader.id).action is None


@pytest.mark.parametrize(
    "code", ["simulated-p400", "stripe_m2", "bbpos_chipper2x", "bbpos_wisepad3"]
)
def test_readers_without_server_driven_support_are_refused(stripe_account, code):
    reader = stripe_account.reader(code)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(reader.id, stripe_account.intent().id)
    assert excinfo.value.code == "terminal_reader_offline"
    assert reader.device_type in excinfo.value.user_message


def test_present_payment_method_needs_a_simulated_reader(stripe_account, simulator):
    real = simulator.add_reader(stripe_account.key, "bbpos_wisepos_e")
    intent = stripe_account.intent()
    stripe_account.process(real["id"], intent.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_account.present(real["id"])


def test_action_times_out_when_nobody_presents_a_card():
    with WebhookReceiver() as receiver, StripeSimulator(action_timeout_seconds=0.3).start() as sim:
        account = StripeAccount(sim)
        sim.configure_account(account.key, webhook_url=receiver.url)
        reader = account.reader()
        intent = account.intent()
        account.process(reader.id, intent.id)
        events = receiver.wait_for_types("terminal.reader.action_failed")
        failed = next(e for e in events if e["type"] == "terminal.reader.action_failed")
        action = failed["data"]["object"]["action"]
        assert (action["status"], action["failure_code"]) == ("failed", "connection_error")
        assert action["api_error"] is None
        assert account.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_expire_reader_action_and_customer_cancel(stripe_account, simulator):
    reader = stripe_account.reader()
    intent = stripe_account.intent()
    stripe_account.process(reader.id, intent.id)
    expired = simulator.expire_reader_action(reader.id)
    assert expired["action"]["failure_code"] == "connection_error"
    stripe_account.process(reader.id, intent.id)
    with pytest.raises(StripeError):  # no cancel button was asked for
        simulator.customer_cancel(reader.id)
    stripe_account.v1.terminal.readers.cancel_action(reader.id)
    stripe_account.process(reader.id, intent.id, enable_customer_cancellation=True)
    canceled = simulator.customer_cancel(reader.id)
    assert (canceled["action"]["status"], canceled["action"]["failure_code"]) == (
        "failed",
        "customer_canceled",
    )
    assert stripe_account.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


# MOTO ---------------------------------------------------------------------------------------

MOTO_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def test_moto_payment_keyed_on_the_reader(stripe_account):
    reader = stripe_account.reader("simulated-s700")
    intent = stripe_account.intent(4200, types=("card",))
    stripe_account.process(reader.id, intent.id, moto=True)
    done = stripe_account.present(reader.id, method_type="card", card=MOTO_CARD)
    assert done.action.status == "succeeded"
    paid = stripe_account.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    details = paid.latest_charge.payment_method_details
    assert (paid.status, details.type, details.card.last4, details.card.moto) == (
        "succeeded",
        "card",
        "4242",
        True,
    )
    assert details.card.checks.cvc_check == "pass"


def test_moto_is_refused_on_readers_without_it(stripe_account, simulator):
    t600 = simulator.add_reader(stripe_account.key, "simulated_stripe_t600")
    intent = stripe_account.intent(types=("card",))
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(t600["id"], intent.id, moto=True)
    assert excinfo.value.param == "process_config[moto]"
    wpe = stripe_account.reader()
    with pytest.raises(stripe.InvalidRequestError):  # a card_present-only intent
        stripe_account.process(wpe.id, stripe_account.intent().id, moto=True)


def test_moto_is_an_unknown_parameter_for_accounts_without_the_feature(stripe_account, simulator):
    simulator.configure_account(stripe_account.key, moto_enabled=False)
    reader = stripe_account.reader()
    intent = stripe_account.intent(types=("card",))
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.process(reader.id, intent.id, moto=True)
    assert (excinfo.value.code, excinfo.value.param) == (
        "parameter_unknown",
        "process_config[moto]",
    )


def test_no_moto_simulator_default_applies_to_every_account():
    with StripeSimulator(moto_enabled=False).start() as sim:
        account = StripeAccount(sim)
        reader = account.reader()
        with pytest.raises(stripe.InvalidRequestError) as excinfo:
            account.process(reader.id, account.intent(types=("card",)).id, moto=True)
        assert excinfo.value.code == "parameter_unknown"
        sim.configure_account(account.key, moto_enabled=True)
        assert (
            account.process(reader.id, account.intent(types=("card",)).id, moto=True).action.status
            == "in_progress"
        )


# Saved cards ----------------------------------------------------------------------------------


def test_saved_card_from_a_payment_then_charged_off_session(stripe_account):
    v1 = stripe_account.v1
    customer = v1.customers.create({"email": "jane@example.com"})
    reader = stripe_account.reader()
    intent = stripe_account.intent(3000, customer=customer.id, setup_future_usage="off_session")
    stripe_account.process(reader.id, intent.id, allow_redisplay="always")
    stripe_account.present(reader.id, "4242424242424242")
    paid = v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    generated = paid.latest_charge.payment_method_details.card_present.generated_card
    assert generated and generated.startswith("pm_")
    card = v1.payment_methods.retrieve(generated)
    assert (card.type, card.customer, card.allow_redisplay) == ("card", customer.id, "always")
    assert card.card.generated_from.charge == paid.latest_charge.id
    saved = v1.customers.payment_methods.list(customer.id, {"type": "card"}).data
    assert [pm.id for pm in saved] == [generated]
    later = v1.payment_intents.create(
        {
            "amount": 1500,
            "currency": "usd",
            "allowed_payment_method_types": ["card"],
            "customer": customer.id,
            "payment_method": generated,
            "off_session": True,
            "confirm": True,
        }
    )
    assert later.status == "succeeded"
    assert v1.charges.retrieve(later.latest_charge).payment_method_details.type == "card"


def test_off_session_charge_of_a_saved_card_that_declines(stripe_account):
    v1 = stripe_account.v1
    customer = v1.customers.create({"name": "Moto Saver"})
    reader = stripe_account.reader()
    setup = v1.setup_intents.create(
        {"customer": customer.id, "allowed_payment_method_types": ["card"]}
    )
    v1.terminal.readers.process_setup_intent(
        reader.id,
        {"setup_intent": setup.id, "allow_redisplay": "limited", "process_config": {"moto": True}},
    )
    stripe_account.present(
        reader.id, method_type="card", card=dict(MOTO_CARD, number="4000002760003184")
    )
    saved = v1.setup_intents.retrieve(setup.id)
    assert saved.status == "succeeded"
    with pytest.raises(stripe.CardError) as excinfo:
        v1.payment_intents.create(
            {
                "amount": 1500,
                "currency": "usd",
                "allowed_payment_method_types": ["card"],
                "customer": customer.id,
                "payment_method": saved.payment_method,
                "off_session": True,
                "confirm": True,
            }
        )
    assert excinfo.value.http_status == 402
    assert excinfo.value.code == "authentication_required"
    assert excinfo.value.error.payment_intent.status == "requires_payment_method"


def test_setup_intent_saves_a_card_on_the_reader(stripe_account):
    v1 = stripe_account.v1
    customer = v1.customers.create({"email": "save@example.com"})
    reader = stripe_account.reader("simulated-s700")
    setup = v1.setup_intents.create(
        {"customer": customer.id, "allowed_payment_method_types": ["card_present"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.terminal.readers.process_setup_intent(reader.id, {"setup_intent": setup.id})
    assert (excinfo.value.code, excinfo.value.param) == ("parameter_missing", "allow_redisplay")
    v1.terminal.readers.process_setup_intent(
        reader.id,
        {
            "setup_intent": setup.id,
            "allow_redisplay": "always",
            "process_config": {"enable_customer_cancellation": True},
        },
    )
    done = stripe_account.present(reader.id, "4000056655665556")
    generated = done.action.process_setup_intent.generated_card
    assert done.action.status == "succeeded" and generated.startswith("pm_")
    saved = v1.setup_intents.retrieve(setup.id, {"expand": ["latest_attempt"]})
    assert saved.status == "succeeded"
    assert saved.latest_attempt.payment_method_details.card_present.generated_card == generated
    assert v1.payment_methods.retrieve(saved.payment_method).type == "card_present"
    card = v1.payment_methods.retrieve(generated)
    assert (card.customer, card.card.funding) == (customer.id, "debit")
    assert card.card.generated_from.setup_attempt == saved.latest_attempt.id


def test_setup_intent_with_a_decline_card_fails_authentication(stripe_account):
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    setup = v1.setup_intents.create({"allowed_payment_method_types": ["card_present"]})
    v1.terminal.readers.process_setup_intent(
        reader.id, {"setup_intent": setup.id, "allow_redisplay": "limited"}
    )
    failed = stripe_account.present(reader.id, "4000000000000002")
    assert failed.action.api_error.code == "setup_intent_authentication_failure"
    after = v1.setup_intents.retrieve(setup.id)
    assert after.status == "requires_payment_method"
    assert after.last_setup_error.code == "setup_intent_authentication_failure"


# Interac ----------------------------------------------------------------------------------------


def test_interac_payments_are_refunded_on_the_reader_only(simulator):
    stripe_account = StripeAccount(simulator, country="CA")
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    intent = stripe_account.intent(
        5000, currency="cad", types=("card_present", "interac_present"), capture_method="manual"
    )
    stripe_account.process(reader.id, intent.id)
    stripe_account.present(reader.id, method_type="interac_present")
    paid = v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert paid.status == "succeeded"  # Interac captures at once, always
    assert paid.latest_charge.payment_method_details.type == "interac_present"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.refunds.create({"payment_intent": intent.id})
    assert excinfo.value.code == "charge_not_refundable"
    v1.terminal.readers.refund_payment(reader.id, {"payment_intent": intent.id, "amount": 1005})
    declined = stripe_account.present(reader.id, method_type="interac_present")
    assert (declined.action.status, declined.action.api_error.decline_code) == (
        "failed",
        "generic_decline",
    )
    v1.terminal.readers.refund_payment(
        reader.id, {"payment_intent": intent.id, "amount": 1000, "metadata": {"odoo_refund": "R1"}}
    )
    refunded = stripe_account.present(reader.id, method_type="interac_present")
    assert refunded.action.status == "succeeded"
    refund = v1.refunds.retrieve(refunded.action.refund_payment.refund)
    assert (refund.amount, refund.status, refund.metadata["odoo_refund"]) == (
        1000,
        "succeeded",
        "R1",
    )
    assert v1.charges.retrieve(paid.latest_charge.id).amount_refunded == 1000


def test_refund_payment_is_for_interac_only(stripe_account):
    reader = stripe_account.reader()
    paid = stripe_account.pay(reader.id, 1000)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_account.v1.terminal.readers.refund_payment(reader.id, {"payment_intent": paid.id})


def test_sent_parameters_exist_in_stripe_api(simulator):
    assert simulator.requests_log(), "the module sent no request"
    assert parameter_problems(simulator.requests_log()) == []


def test_a_reader_status_that_lags_does_not_decide_what_the_reader_takes(simulator, stripe_account):
    reader = stripe_account.reader()
    # Stripe missed a heartbeat: the status says offline, the reader still answers.
    simulator.set_reader_reported_status(reader.id, "offline")
    assert stripe_account.v1.terminal.readers.retrieve(reader.id).status == "offline"
    intent = stripe_account.intent(1000)
    pushed = stripe_account.process(reader.id, intent.id)
    assert pushed.action.status == "in_progress"
    stripe_account.present(reader.id)
    assert stripe_account.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    # Really switched off, the status still says online for a while: the action is refused.
    simulator.set_reader_online(reader.id, False)
    simulator.set_reader_reported_status(reader.id, "online")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_account.process(reader.id, stripe_account.intent(1000).id)
    assert caught.value.code == "terminal_reader_offline"


def test_a_timed_out_action_may_still_be_on_the_reader(simulator, stripe_account):
    reader = stripe_account.reader()
    intent = stripe_account.intent(1000)
    simulator.time_out_next_reader_action(reader.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_account.process(reader.id, intent.id)
    assert caught.value.error.code == "terminal_reader_timeout"
    # The reader got it all the same: it waits for the card, and takes it.
    shown = stripe_account.v1.terminal.readers.retrieve(reader.id).action
    assert (shown.status, shown.process_payment_intent.payment_intent) == ("in_progress", intent.id)
    stripe_account.present(reader.id)
    assert stripe_account.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_reader_held_busy_refuses_the_next_actions(simulator, stripe_account):
    reader = stripe_account.reader()
    intent = stripe_account.intent(1000)
    simulator.hold_reader_busy(reader.id, count=2)
    for _attempt in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_account.process(reader.id, intent.id)
        assert caught.value.error.code == "terminal_reader_busy"
    assert stripe_account.process(reader.id, intent.id).action.status == "in_progress"

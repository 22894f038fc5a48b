"""PaymentIntents, refunds, amounts and currencies, customers and payment
methods, lists, search and expansion on the simulator, through stripe-python."""
# ruff: noqa: F811 - pytest fixtures are imported by name and taken as arguments

import pytest
import stripe

from tests.stripe_simulator.fidelity import parameter_problems
from tests.stripe_simulator.testing import (  # noqa: F401 - fixtures
    ADDRESSES,
    StripeAccount,
    WebhookReceiver,
    simulator,
    stripe_account,
)


@pytest.fixture
def paid(stripe_account):
    """A captured 10.00 USD card-present payment, charge expanded."""
    reader = stripe_account.reader()
    return stripe_account.pay(reader.id, 1000)


# Refunds ---------------------------------------------------------------------------------


def test_partial_refunds_until_nothing_is_left(stripe_account, paid):
    v1 = stripe_account.v1
    first = v1.refunds.create(
        {
            "payment_intent": paid.id,
            "amount": 300,
            "reason": "requested_by_customer",
            "metadata": {"odoo_refund": "1"},
        }
    )
    assert (first.status, first.amount, first.charge) == ("succeeded", 300, paid.latest_charge.id)
    second = v1.refunds.create({"charge": paid.latest_charge.id, "amount": 200})
    charge = v1.charges.retrieve(paid.latest_charge.id)
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    # Since 2022-11-15 a charge embeds its refunds only when asked to.
    assert "refunds" not in charge
    charge = v1.charges.retrieve(paid.latest_charge.id, {"expand": ["refunds"]})
    assert [r.id for r in charge.refunds.data] == [second.id, first.id]
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.refunds.create({"payment_intent": paid.id, "amount": 501})
    assert excinfo.value.param == "amount"
    assert "($5.01)" in excinfo.value.user_message and "($5.00)" in excinfo.value.user_message
    rest = v1.refunds.create({"payment_intent": paid.id})  # the remaining 5.00
    assert rest.amount == 500
    charge = v1.charges.retrieve(paid.latest_charge.id)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.refunds.create({"payment_intent": paid.id, "amount": 1})
    assert excinfo.value.code == "charge_already_refunded"
    listed = v1.refunds.list({"payment_intent": paid.id}).data
    assert [r.amount for r in listed] == [500, 200, 300]
    types = [e["type"] for e in stripe_account.objects("event")]
    assert types.count("refund.created") == 3 and types.count("charge.refunded") == 3


def test_refunds_of_uncaptured_or_failed_payments_are_refused(stripe_account):
    reader = stripe_account.reader()
    held = stripe_account.pay(reader.id, 1000, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.v1.refunds.create({"payment_intent": held.id})
    assert excinfo.value.code == "charge_not_refundable"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_account.v1.refunds.create({"payment_intent": held.id, "amount": 0})
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.v1.refunds.create({})
    assert excinfo.value.code == "parameter_missing"


def test_refund_of_the_refund_fail_card_fails_later(simulator, stripe_account):
    with WebhookReceiver() as receiver:
        simulator.configure_account(stripe_account.key, webhook_url=receiver.url)
        reader = stripe_account.reader()
        intent = stripe_account.pay(reader.id, 2000, number="4000000000005126")
        refund = stripe_account.v1.refunds.create({"payment_intent": intent.id, "amount": 700})
        assert refund.status == "succeeded"
        events = receiver.wait_for_types("refund.updated", "charge.refund.updated")
        updated = next(e for e in events if e["type"] == "charge.refund.updated")
        assert updated["data"]["object"]["status"] == "failed"
        assert updated["data"]["object"]["failure_reason"] == "expired_or_canceled_card"
        assert updated["data"]["previous_attributes"] == {"status": "succeeded"}
    after = stripe_account.v1.refunds.retrieve(refund.id)
    assert after.status == "failed"
    assert stripe_account.v1.charges.retrieve(intent.latest_charge.id).amount_refunded == 0


def test_fail_refund_control_call(simulator, stripe_account, paid):
    refund = stripe_account.v1.refunds.create({"payment_intent": paid.id})
    failed = simulator.fail_refund(refund.id)
    assert (failed["status"], failed["failure_reason"]) == ("failed", "expired_or_canceled_card")
    charge = stripe_account.v1.charges.retrieve(paid.latest_charge.id)
    assert (charge.refunded, charge.amount_refunded) == (False, 0)
    again = stripe_account.v1.refunds.create({"payment_intent": paid.id})
    assert again.amount == 1000


# Amounts and currencies --------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, currency",
    [
        (50, "usd"),
        (500, "jpy"),
        (50, "jpy"),
        (5120, "kwd"),
        (30, "gbp"),
        (99_999_999, "usd"),
        (1, "xof"),
        (500, "isk"),
    ],
)
def test_valid_amounts(stripe_account, amount, currency):
    # An online card takes any currency (card-present only the account's, see below).
    intent = stripe_account.intent(amount, currency=currency.upper(), types=("card",))
    assert (intent.amount, intent.currency) == (amount, currency)


@pytest.mark.parametrize(
    "amount, currency, code",
    [
        (49, "usd", "amount_too_small"),
        (49, "jpy", "amount_too_small"),
        (29, "gbp", "amount_too_small"),
        (100_000_000, "usd", "amount_too_large"),
        (5125, "kwd", "invalid_charge_amount"),
        (1001, "bhd", "invalid_charge_amount"),
        (550, "isk", "invalid_charge_amount"),
    ],
)
def test_invalid_amounts(stripe_account, amount, currency, code):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.intent(amount, currency=currency)
    assert (excinfo.value.code, excinfo.value.param) == (code, "amount")


def test_unsupported_currency_and_bad_integer(stripe_account):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.intent(1000, currency="zzz")
    assert excinfo.value.param == "currency"
    assert excinfo.value.user_message.startswith("Invalid currency: zzz.")
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.v1.payment_intents.create({"amount": "ten", "currency": "usd"})
    assert (excinfo.value.code, excinfo.value.param) == ("parameter_invalid_integer", "amount")


def test_zero_decimal_amounts_are_charged_as_sent(simulator):
    japanese = StripeAccount(simulator, country="JP")
    reader = japanese.reader()
    intent = japanese.pay(reader.id, 1500, currency="jpy")
    assert (intent.status, intent.latest_charge.amount) == ("succeeded", 1500)


def test_a_reader_takes_the_local_currency_only(simulator, stripe_account):
    # card_present applies to a US account in USD only: elsewhere Stripe drops it.
    assert stripe_account.intent(1500, currency="usd").payment_method_types == ["card_present"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_account.intent(1500, currency="eur")
    assert caught.value.param == "allowed_payment_method_types"
    mixed = stripe_account.intent(1500, currency="eur", types=("card_present", "card"))
    assert mixed.payment_method_types == ["card"]
    # A reader whose location is in another country than its account's takes no payment.
    reader = stripe_account.reader(location=stripe_account.location(address=ADDRESSES["CA"]).id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_account.process(reader.id, stripe_account.intent(1500).id)
    assert caught.value.code == "terminal_reader_invalid_location_for_payment"


# PaymentIntents ---------------------------------------------------------------------------------


def test_intent_update_list_search_and_state_rules(stripe_account, paid):
    v1 = stripe_account.v1
    open_intent = stripe_account.intent(700, metadata={"odoo_invoice": "INV/1"})
    updated = v1.payment_intents.update(
        open_intent.id,
        {"amount": 800, "description": "Invoice INV/1", "metadata": {"odoo_tx": "9"}},
    )
    assert (updated.amount, updated.metadata.to_dict()) == (
        800,
        {"odoo_invoice": "INV/1", "odoo_tx": "9"},
    )
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.payment_intents.update(paid.id, {"amount": 5})
    assert excinfo.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.payment_intents.cancel(paid.id)
    assert excinfo.value.code == "payment_intent_unexpected_state"
    assert [pi.id for pi in v1.payment_intents.list().data] == [open_intent.id, paid.id]
    found = v1.payment_intents.search(
        {"query": "metadata['odoo_invoice']:'INV/1' AND status:'requires_payment_method'"}
    )
    assert [pi.id for pi in found.data] == [open_intent.id]
    assert found.object == "search_result"
    assert v1.payment_intents.search({"query": "status:'succeeded'"}).data[0].id == paid.id
    with pytest.raises(stripe.InvalidRequestError):
        v1.payment_intents.search({"query": "colour:'blue'"})


def test_statement_descriptor_is_refused_on_card_payments(stripe_account):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_account.intent(statement_descriptor="ODOO SHOP")
    assert excinfo.value.param == "statement_descriptor"
    intent = stripe_account.intent(statement_descriptor_suffix="INV 42")
    assert intent.statement_descriptor_suffix == "INV 42"


def test_cancel_releases_an_uncaptured_authorization(stripe_account):
    reader = stripe_account.reader()
    held = stripe_account.pay(reader.id, 1000, capture_method="manual")
    canceled = stripe_account.v1.payment_intents.cancel(held.id)
    assert (canceled.status, canceled.amount_capturable) == ("canceled", 0)
    charge = stripe_account.v1.charges.retrieve(held.latest_charge.id)
    assert (charge.refunded, charge.captured) == (True, False)


def test_card_present_capture_method_option(stripe_account):
    reader = stripe_account.reader()
    intent = stripe_account.pay(
        reader.id,
        1000,
        payment_method_options={"card_present": {"capture_method": "manual_preferred"}},
    )
    assert intent.status == "requires_capture"
    assert intent.payment_method_options.card_present.capture_method == "manual_preferred"


def test_expansion(stripe_account, paid):
    v1 = stripe_account.v1
    customer = v1.customers.create({"email": "exp@example.com"})
    intent = stripe_account.intent(customer=customer.id)
    expanded = v1.payment_intents.retrieve(intent.id, {"expand": ["customer"]})
    assert expanded.customer.email == "exp@example.com"
    charge = v1.charges.retrieve(
        paid.latest_charge.id, {"expand": ["payment_method", "payment_intent"]}
    )
    assert charge.payment_method.type == "card_present"
    assert charge.payment_intent.id == paid.id
    listed = v1.payment_intents.list({"expand": ["data.latest_charge"]})
    assert listed.data[-1].latest_charge.id == paid.latest_charge.id
    with pytest.raises(stripe.InvalidRequestError):
        v1.payment_intents.retrieve(paid.id, {"expand": ["amount"]})


def test_list_pagination(stripe_account):
    v1 = stripe_account.v1
    created = [v1.customers.create({"name": f"C{i}"}).id for i in range(5)]
    first = v1.customers.list({"limit": 2})
    assert [c.id for c in first.data] == created[:-3:-1] and first.has_more
    second = v1.customers.list({"limit": 2, "starting_after": first.data[-1].id})
    assert [c.id for c in second.data] == [created[2], created[1]]
    everything = [c.id for c in v1.customers.list({"limit": 2}).auto_paging_iter()]
    assert everything == created[::-1]


# Customers and payment methods --------------------------------------------------------------


def test_customer_dedupe_primitives(stripe_account):
    v1 = stripe_account.v1
    jane = v1.customers.create(
        {"email": "Jane@Example.com", "name": "Jane Doe", "metadata": {"odoo_partner_id": "7"}}
    )
    v1.customers.create(
        {"email": "john@example.com", "name": "John Roe", "metadata": {"odoo_partner_id": "8"}}
    )
    assert [c.id for c in v1.customers.list({"email": "Jane@Example.com"}).data] == [jane.id]
    assert v1.customers.list({"email": "jane@example.com"}).data == []  # case-sensitive
    for query in (
        "email:'Jane@Example.com'",
        "metadata['odoo_partner_id']:'7'",
        "name:'Jane Doe'",
        'name~"Jane"',
        "email:'Jane@Example.com' AND metadata['odoo_partner_id']:'7'",
    ):
        assert [c.id for c in v1.customers.search({"query": query}).data] == [jane.id], query
    both = v1.customers.search(
        {"query": "metadata['odoo_partner_id']:'7' OR metadata['odoo_partner_id']:'8'"}
    )
    assert len(both.data) == 2
    updated = v1.customers.update(
        jane.id, {"phone": "+15555550100", "metadata": {"odoo_partner_id": ""}}
    )
    assert updated.phone == "+15555550100" and "odoo_partner_id" not in updated.metadata
    deleted = v1.customers.delete(jane.id)
    assert deleted.deleted is True
    assert v1.customers.retrieve(jane.id).deleted is True
    assert [c.email for c in v1.customers.list().data] == ["john@example.com"]


@pytest.mark.parametrize(
    "params, param, code",
    [
        ({"email": "jane@example.com, john@example.com"}, "email", "email_invalid"),
        ({"email": "Jane Doe <jane@example.com>"}, "email", "email_invalid"),
        ({"email": "x" * 510 + "@example.com"}, "email", "invalid_request_error"),
        ({"phone": "+1 555 555 0100 extension 1234"}, "phone", "invalid_request_error"),
        ({"name": "N" * 257}, "name", "invalid_request_error"),
    ],
)
def test_customer_fields_stripe_refuses(stripe_account, params, param, code):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_account.v1.customers.create(params)
    error = raised.value.error
    assert (raised.value.http_status, error.param) == (400, param)
    assert (error.code or error.type) == code


def test_intent_descriptions_are_at_most_1000_characters(stripe_account):
    v1 = stripe_account.v1
    params = {"amount": 1000, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    assert v1.payment_intents.create(dict(params, description="D" * 1000)).description
    with pytest.raises(stripe.InvalidRequestError) as raised:
        v1.payment_intents.create(dict(params, description="D" * 1001))
    assert raised.value.error.param == "description"
    with pytest.raises(stripe.InvalidRequestError):
        v1.setup_intents.create(
            {"allowed_payment_method_types": ["card"], "description": "D" * 1001}
        )


def test_search_lags_behind_writes_where_lists_do_not(simulator, stripe_account):
    v1 = stripe_account.v1
    simulator.configure_account(stripe_account.key, search_lag_seconds=3600)
    customer = v1.customers.create({"name": "Fresh", "metadata": {"odoo_partner_id": "9"}})
    query = {"query": "metadata['odoo_partner_id']:'9'"}
    assert v1.customers.search(query).data == []
    assert [c.id for c in v1.customers.list().data] == [customer.id]
    assert v1.customers.retrieve(customer.id).name == "Fresh"
    simulator.configure_account(stripe_account.key, search_lag_seconds=0)
    assert [c.id for c in v1.customers.search(query).data] == [customer.id]


def test_payment_methods_attach_detach_and_list(stripe_account):
    v1 = stripe_account.v1
    customer = v1.customers.create({"email": "pm@example.com"})
    other = v1.customers.create({"email": "other@example.com"})
    reader = stripe_account.reader()
    intent = stripe_account.intent(setup_future_usage="off_session")  # no customer yet
    stripe_account.process(reader.id, intent.id)
    stripe_account.present(reader.id)
    charge = v1.charges.retrieve(v1.payment_intents.retrieve(intent.id).latest_charge)
    generated = charge.payment_method_details.card_present.generated_card
    assert v1.payment_methods.retrieve(generated).customer is None
    attached = v1.payment_methods.attach(generated, {"customer": customer.id})
    assert attached.customer == customer.id
    with pytest.raises(stripe.InvalidRequestError):
        v1.payment_methods.attach(generated, {"customer": other.id})
    with pytest.raises(stripe.InvalidRequestError):  # card_present can't be saved
        v1.payment_methods.attach(charge.payment_method, {"customer": customer.id})
    listed = v1.payment_methods.list({"customer": customer.id, "type": "card"}).data
    assert [pm.id for pm in listed] == [generated]
    assert v1.customers.payment_methods.retrieve(customer.id, generated).id == generated
    detached = v1.payment_methods.detach(generated)
    assert detached.customer is None
    assert v1.customers.payment_methods.list(customer.id).data == []


def test_events_are_listed_and_retrieved(stripe_account, paid):
    v1 = stripe_account.v1
    events = v1.events.list({"type": "payment_intent.succeeded"}).data
    assert [e.data.object.id for e in events] == [paid.id]
    event = v1.events.retrieve(events[0].id)
    assert event.type == "payment_intent.succeeded" and event.request.id.startswith("req_")
    assert event.api_version == "2026-10-28.endive"
    wildcard = {e.type for e in v1.events.list({"types": ["charge.*"], "limit": 100}).data}
    assert wildcard == {"charge.succeeded"}


def test_sent_parameters_exist_in_stripe_api(simulator):
    assert simulator.requests_log(), "the module sent no request"
    assert parameter_problems(simulator.requests_log()) == []

"""Fidelity with Stripe's published reference (read at run time, never copied):
every object kind the simulator returns carries the keys and JSON types of
Stripe's example object (``fixtures3.json``); every route declares exactly the
parameters stripe-python 16.1.0 types for its endpoint (the pinned API
version's), and every parameter the tests send is one of them; what the pinned
version removed is refused as Stripe refuses it."""
# ruff: noqa: F811 - pytest fixtures are imported by name and taken as arguments

import os

import stripe

from tests.stripe_simulator import fidelity, routes, versions
from tests.stripe_simulator.store import KINDS
from tests.stripe_simulator.testing import (  # noqa: F401 - fixtures
    StripeAccount,
    simulator,
    stripe_account,
)

MOTO_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
# Every kind of object the simulator answers with.
EXPECTED_KINDS = (
    set(KINDS)
    | {"list", "search_result"}
    | {
        f"deleted_{kind}"
        for kind in ("customer", "terminal.reader", "terminal.location", "webhook_endpoint")
    }
)


def test_reference_files_are_found():
    directory = fidelity.reference_dir()
    assert os.path.isfile(os.path.join(directory, "spec3-2022-04-12.json"))
    assert "terminal.reader" in fidelity.fixtures()


def _tour(account, sim):
    """Produce each kind of object, in each of its shapes; return the raw answers."""
    v1 = account.v1
    answers = []

    def keep(obj):
        answers.append(obj if isinstance(obj, dict) else obj.to_dict())
        return obj

    location = keep(account.location(metadata={"odoo_id": "1"}))
    keep(v1.terminal.locations.list())
    reader = keep(account.reader(location=location.id))
    customer = keep(
        v1.customers.create(
            {"email": "tour@example.com", "name": "Tour", "address": {"country": "US"}}
        )
    )
    keep(v1.customers.search({"query": "email:'tour@example.com'"}))
    # Card present, saved for later, manual capture, then a partial refund.
    intent = account.intent(
        2000, customer=customer.id, setup_future_usage="off_session", capture_method="manual"
    )
    keep(account.process(reader.id, intent.id, allow_redisplay="always"))
    keep(account.present(reader.id, "4000000000005126"))
    keep(v1.payment_intents.capture(intent.id))
    paid = keep(
        v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge", "payment_method"]})
    )
    generated = paid.latest_charge.payment_method_details.card_present.generated_card
    keep(v1.payment_methods.retrieve(generated))
    refund = keep(v1.refunds.create({"payment_intent": intent.id, "amount": 500}))
    keep(sim.render(account.key, sim.fail_refund(refund.id)["id"]))
    keep(v1.charges.retrieve(paid.latest_charge.id))
    # A decline: failed charge, last_payment_error, api_error with the intent in it.
    declined = account.intent(1000)
    account.process(reader.id, declined.id)
    keep(account.present(reader.id, "4000000000009995"))
    keep(v1.payment_intents.retrieve(declined.id, {"expand": ["latest_charge"]}))
    # Off-session, MOTO, Interac.
    keep(
        v1.payment_intents.create(
            {
                "amount": 900,
                "currency": "usd",
                "allowed_payment_method_types": ["card"],
                "customer": customer.id,
                "payment_method": generated,
                "off_session": True,
                "confirm": True,
                "expand": ["latest_charge"],
            }
        )
    )
    moto = account.intent(1200, types=("card",))
    keep(account.process(reader.id, moto.id, moto=True))
    account.present(reader.id, method_type="card", card=MOTO_CARD)
    keep(v1.payment_intents.retrieve(moto.id, {"expand": ["latest_charge", "payment_method"]}))
    canadian = StripeAccount(sim, country="CA")
    interac = canadian.intent(3000, currency="cad", types=("interac_present",))
    canadian_reader = canadian.reader()
    canadian.process(canadian_reader.id, interac.id)
    canadian.present(canadian_reader.id, method_type="interac_present")
    keep(
        canadian.v1.payment_intents.retrieve(
            interac.id, {"expand": ["latest_charge", "payment_method"]}
        )
    )
    # Split flow, cart display.
    split = account.intent(1500)
    v1.terminal.readers.collect_payment_method(reader.id, {"payment_intent": split.id})
    keep(account.present(reader.id))
    keep(v1.terminal.readers.confirm_payment_intent(reader.id, {"payment_intent": split.id}))
    keep(
        v1.terminal.readers.set_reader_display(
            reader.id,
            {
                "type": "cart",
                "cart": {
                    "currency": "usd",
                    "total": 500,
                    "line_items": [{"amount": 500, "description": "Invoice", "quantity": 1}],
                },
            },
        )
    )
    # Saving a card without paying, card present and MOTO.
    for types, present in (
        (["card_present"], {}),
        (["card"], {"method_type": "card", "card": MOTO_CARD}),
    ):
        setup = v1.setup_intents.create(
            {"customer": customer.id, "allowed_payment_method_types": types}
        )
        params = {"setup_intent": setup.id, "allow_redisplay": "limited"}
        if types == ["card"]:
            params["process_config"] = {"moto": True}
        v1.terminal.readers.process_setup_intent(reader.id, params)
        keep(account.present(reader.id, **present))
        keep(v1.setup_intents.retrieve(setup.id, {"expand": ["latest_attempt"]}))
    keep(v1.customers.payment_methods.list(customer.id))
    keep(v1.events.list({"limit": 100}))
    endpoint = keep(
        v1.webhook_endpoints.create({"url": "https://example.com/hook", "enabled_events": ["*"]})
    )
    # Deleted objects.
    keep(v1.webhook_endpoints.delete(endpoint.id))
    extra = account.reader("simulated-s710", location=location.id)
    keep(v1.terminal.readers.delete(extra.id))
    spare = account.location()
    keep(v1.terminal.locations.delete(spare.id))
    keep(v1.customers.delete(v1.customers.create({"name": "Gone"}).id))
    return answers


def test_every_object_kind_matches_stripes_example_objects(simulator, stripe_account):
    answers = _tour(stripe_account, simulator)
    found = [obj for answer in answers for obj in fidelity.embedded_objects(answer)]
    problems = sorted({problem for obj in found for problem in fidelity.object_problems(obj)})
    assert problems == []
    kinds = {fidelity.kind_label(obj) for obj in found}
    assert kinds == EXPECTED_KINDS
    # Variants that must have been compared, not only their kinds.
    methods = {obj["type"] for obj in found if obj["object"] == "payment_method"}
    assert methods == {"card", "card_present", "interac_present"}
    statuses = {obj["status"] for obj in found if obj["object"] == "refund"}
    assert statuses == {"succeeded", "failed"}


def test_shape_comparison_catches_a_missing_key_or_a_wrong_type():
    example = fidelity.fixtures()["terminal.location"]
    broken = dict(example, metadata="not an object")
    del broken["display_name"]
    assert sorted(fidelity.shape_problems(example, broken, "terminal.location")) == [
        "terminal.location.display_name: missing",
        "terminal.location.metadata: string instead of object",
    ]


def test_parameter_check_catches_an_unknown_parameter():
    bogus = [
        {
            "method": "POST",
            "path": "/v1/terminal/readers/tmr_1/process_payment_intent",
            "params": {
                "payment_intent": "pi_1",
                "process_config": {"volume": "11", "moto": "true"},
            },
            "status": 200,
            "error_code": None,
        }
    ]
    assert fidelity.parameter_problems(bogus) == [
        "POST /v1/terminal/readers/{reader}/process_payment_intent: process_config[volume]"
    ]


def test_every_route_declares_exactly_the_sdks_parameters():
    assert fidelity.route_problems(routes.ROUTES, versions.REMOVED_PARAMETERS) == []


def test_route_check_catches_a_parameter_the_sdk_does_not_type():
    route = routes.Route(
        "POST", "/v1/payment_intents", None, dict(routes.PI_CREATE, tip_jar=routes.Str())
    )
    assert fidelity.route_problems([route], versions.REMOVED_PARAMETERS) == [
        "POST /v1/payment_intents: tip_jar is not in the SDK"
    ]


def test_parameter_check_believes_the_sdk_over_the_2022_spec():
    # The 2022 spec has payment_method_types on PaymentIntents; the pinned version does not.
    sent = [
        {
            "method": "POST",
            "path": "/v1/payment_intents",
            "params": {"amount": "100", "currency": "usd", "payment_method_types": ["card"]},
            "status": 200,
            "error_code": None,
        }
    ]
    assert fidelity.parameter_problems(sent) == ["POST /v1/payment_intents: payment_method_types"]


def test_payment_method_types_is_refused_under_the_pinned_version(stripe_account):
    v1 = stripe_account.v1
    customer = v1.customers.create({"name": "Versions"})
    attempts = [
        lambda: v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method_types": ["card_present"]}
        ),
        lambda: v1.setup_intents.create(
            {"customer": customer.id, "payment_method_types": ["card_present"]}
        ),
        lambda: v1.payment_intents.update(
            stripe_account.intent().id, {"payment_method_types": ["card"]}
        ),
    ]
    for attempt in attempts:
        try:
            attempt()
        except stripe.InvalidRequestError as error:
            assert error.http_status == 400
            assert error.code == "payment_method_types_no_longer_supported"
            assert error.param == "payment_method_types"
        else:
            raise AssertionError("payment_method_types was accepted")
    assert stripe_account.objects("payment_intent") == [stripe_account.objects("payment_intent")[0]]


def test_payment_method_types_is_accepted_by_an_older_version(simulator, stripe_account):
    older = stripe.StripeClient(
        stripe_account.key,
        base_addresses={"api": simulator.url},
        stripe_version="2026-08-27.basil",
        max_network_retries=0,
    )
    intent = older.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method_types": ["card_present"]}
    )
    assert intent.payment_method_types == ["card_present"]
    assert intent.allowed_payment_method_types is None


def test_allowed_types_answer_what_applies_to_the_intent(simulator, stripe_account):
    both = ("card_present", "interac_present")
    in_dollars = stripe_account.intent(1000, "usd", types=both)
    assert in_dollars.allowed_payment_method_types == list(both)
    assert in_dollars.payment_method_types == ["card_present"]
    canadian = StripeAccount(simulator, country="CA")
    in_canadian_dollars = canadian.intent(1000, "cad", types=both)
    assert in_canadian_dollars.payment_method_types == list(both)
    try:
        stripe_account.intent(1000, "usd", types=("interac_present",))
    except stripe.InvalidRequestError as error:
        assert error.param == "allowed_payment_method_types"
    else:
        raise AssertionError("an intent with no usable payment method type was created")


def test_timestamps_are_seconds_but_last_seen_at_is_milliseconds(stripe_account):
    reader = stripe_account.reader()
    customer = stripe_account.v1.customers.create({"name": "Clock"})
    assert 10**9 < customer.created < 10**10
    assert 10**12 < reader.last_seen_at < 10**13
    assert stripe.api_version == "2026-10-28.endive"


def test_sent_parameters_exist_in_stripe_api(simulator):
    assert simulator.requests_log(), "the module sent no request"
    assert fidelity.parameter_problems(simulator.requests_log()) == []

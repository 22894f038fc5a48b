"""Webhooks from the simulator: Stripe's signature (checked with stripe-python's
own verifier), endpoints, delivery modes and retries, received by a small
stdlib HTTP server."""
# ruff: noqa: F811 - pytest fixtures are imported by name and taken as arguments

import pytest
import stripe

from tests.stripe_simulator import StripeSimulator
from tests.stripe_simulator.fidelity import parameter_problems
from tests.stripe_simulator.testing import (  # noqa: F401 - fixtures
    StripeAccount,
    WebhookReceiver,
    simulator,
    stripe_account,
)

SECRET = "whsec_simulatortestsecret"


@pytest.fixture
def receiver(simulator, stripe_account):
    with WebhookReceiver() as receiver:
        simulator.configure_account(
            stripe_account.key, webhook_url=receiver.url, webhook_secret=SECRET
        )
        yield receiver
        simulator.set_webhook_mode("deliver")
        simulator.wait_for_webhooks(timeout=10)


def _customer(account, name):
    return account.v1.customers.create({"name": name})


def test_deliveries_are_signed_like_stripe(simulator, stripe_account, receiver):
    reader = stripe_account.reader()
    intent = stripe_account.pay(reader.id, 1000)
    receiver.wait_for_types("payment_intent.succeeded", "terminal.reader.action_succeeded")
    for headers, body, _ in receiver.requests:
        event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
        assert event.id.startswith("evt_") and event.livemode is False
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            receiver.requests[0][1], receiver.requests[0][0]["Stripe-Signature"], "whsec_another"
        )
    succeeded = next(e for e in receiver.events() if e["type"] == "payment_intent.succeeded")
    assert succeeded["data"]["object"]["id"] == intent.id
    assert succeeded["pending_webhooks"] == 1
    stored = stripe_account.v1.events.retrieve(succeeded["id"])
    assert stored.type == "payment_intent.succeeded"


def test_endpoints_created_through_the_api_get_their_events(simulator, stripe_account):
    with WebhookReceiver() as receiver:
        endpoint = stripe_account.v1.webhook_endpoints.create(
            {
                "url": receiver.url,
                "enabled_events": ["customer.created"],
                "api_version": "2026-10-28.endive",
            }
        )
        assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
        assert "secret" not in stripe_account.v1.webhook_endpoints.retrieve(endpoint.id)
        reader = stripe_account.reader()
        stripe_account.pay(reader.id, 1000)
        customer = _customer(stripe_account, "Endpoint")
        events = receiver.wait_for_types("customer.created")
        simulator.wait_for_webhooks(timeout=5)
        assert [e["type"] for e in receiver.events()] == ["customer.created"]
        headers, body, _ = receiver.requests[0]
        event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], endpoint.secret)
        assert event.data.object.id == customer.id == events[0]["data"]["object"]["id"]
        stripe_account.v1.webhook_endpoints.update(endpoint.id, {"disabled": True})
        _customer(stripe_account, "Not sent")
        simulator.wait_for_webhooks(timeout=5)
        assert len(receiver.requests) == 1
        assert stripe_account.v1.webhook_endpoints.delete(endpoint.id).deleted is True


def test_drop_mode_loses_events(simulator, stripe_account, receiver):
    simulator.set_webhook_mode("drop")
    _customer(stripe_account, "Lost")
    simulator.wait_for_webhooks(timeout=5)
    assert receiver.requests == []
    assert [d["outcome"] for d in simulator.webhook_deliveries() if d["url"] == receiver.url] == [
        "dropped"
    ]
    assert stripe_account.v1.events.list().data[0].type == "customer.created"


def test_duplicate_mode_sends_each_event_three_times(simulator, stripe_account, receiver):
    simulator.set_webhook_mode("duplicate")
    _customer(stripe_account, "Thrice")
    events = receiver.wait_for(lambda events: len(events) == 3)
    assert len({e["id"] for e in events}) == 1
    assert len({body for _, body, _ in receiver.requests}) == 1


def test_reverse_mode_delivers_held_events_newest_first(simulator, stripe_account, receiver):
    simulator.set_webhook_mode("reverse")
    names = ["First", "Second", "Third"]
    for name in names:
        _customer(stripe_account, name)
    simulator.wait_for_webhooks(timeout=5)
    assert receiver.requests == []
    assert simulator.flush_webhooks() == 3
    events = receiver.wait_for(lambda events: len(events) == 3)
    assert [e["data"]["object"]["name"] for e in events] == names[::-1]


def test_hold_mode_waits_for_a_flush(simulator, stripe_account, receiver):
    simulator.set_webhook_mode("hold")
    reader = stripe_account.reader()
    intent = stripe_account.pay(reader.id, 1000)
    simulator.wait_for_webhooks(timeout=5)
    assert receiver.requests == []
    # A sweep that polls Stripe sees the result before any webhook arrives.
    assert stripe_account.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    simulator.set_webhook_mode("deliver")
    simulator.flush_webhooks()
    events = receiver.wait_for_types("payment_intent.succeeded", "terminal.reader.action_succeeded")
    types = [e["type"] for e in events]
    assert types.index("payment_intent.succeeded") < types.index("terminal.reader.action_succeeded")


def test_deliveries_are_retried_until_a_2xx():
    with (
        WebhookReceiver(statuses=[500, 503]) as receiver,
        StripeSimulator(
            webhook_url=receiver.url, webhook_secret=SECRET, webhook_retry_delay=0.05
        ).start() as sim,
    ):
        account = StripeAccount(sim)  # no endpoint of its own: the default applies
        _customer(account, "Persistent")
        receiver.wait_for(lambda events: len(events) == 3)
        sim.wait_for_webhooks(timeout=5)
        attempts = [
            (d["attempt"], d["status_code"], d["outcome"]) for d in sim.webhook_deliveries()
        ]
        assert attempts == [(1, 500, "retrying"), (2, 503, "retrying"), (3, 200, "delivered")]


def test_deliveries_are_abandoned_after_the_last_attempt():
    with (
        WebhookReceiver(statuses=[500] * 10) as receiver,
        StripeSimulator(webhook_retry_delay=0.02, webhook_max_attempts=3).start() as sim,
    ):
        account = StripeAccount(sim)
        sim.configure_account(account.key, webhook_url=receiver.url)
        _customer(account, "Unlucky")
        sim.wait_for_webhooks(timeout=5)
        assert [d["outcome"] for d in sim.webhook_deliveries()] == [
            "retrying",
            "retrying",
            "abandoned",
        ]
        assert len(receiver.requests) == 3


def test_unreachable_endpoint_counts_as_a_failed_attempt():
    with StripeSimulator(
        webhook_url="http://127.0.0.1:9/nowhere", webhook_retry_delay=0.01, webhook_max_attempts=2
    ).start() as sim:
        _customer(StripeAccount(sim), "Nobody listens")
        sim.wait_for_webhooks(timeout=10)
        deliveries = sim.webhook_deliveries()
        assert [d["outcome"] for d in deliveries] == ["retrying", "abandoned"]
        assert deliveries[0]["status_code"] is None and deliveries[0]["error"]


def test_wait_for_webhooks_has_a_deadline():
    with (
        WebhookReceiver(statuses=[500] * 10) as receiver,
        StripeSimulator(webhook_url=receiver.url, webhook_retry_delay=5).start() as sim,
    ):
        _customer(StripeAccount(sim), "Slow")
        receiver.wait_for(lambda events: len(events) == 1)
        with pytest.raises(TimeoutError):
            sim.wait_for_webhooks(timeout=0.2)


def test_sent_parameters_exist_in_stripe_api(simulator):
    assert simulator.requests_log(), "the module sent no request"
    assert parameter_problems(simulator.requests_log()) == []


def test_events_are_rendered_in_each_endpoints_api_version(simulator, stripe_account):
    # An account whose default version predates 2022-11-15 (charges embedded their refunds):
    # an endpoint made without a version (as in the Dashboard) gets events in that version.
    simulator.configure_account(stripe_account.key, default_api_version="2022-08-01")
    with WebhookReceiver() as older, WebhookReceiver() as pinned:
        v1 = stripe_account.v1
        for receiver, version in ((older, None), (pinned, "2026-10-28.endive")):
            params = {"url": receiver.url, "enabled_events": ["charge.refunded"]}
            endpoint = v1.webhook_endpoints.create(
                dict(params, api_version=version) if version else params
            )
            assert endpoint.api_version == version
        paid = stripe_account.pay(stripe_account.reader().id, 1000)
        refund = v1.refunds.create({"payment_intent": paid.id})
        (old_event,) = older.wait_for_types("charge.refunded")
        (new_event,) = pinned.wait_for_types("charge.refunded")
    assert old_event["id"] == new_event["id"]
    assert old_event["api_version"] == "2022-08-01"
    assert [r["id"] for r in old_event["data"]["object"]["refunds"]["data"]] == [refund.id]
    assert new_event["api_version"] == "2026-10-28.endive"
    assert "refunds" not in new_event["data"]["object"]

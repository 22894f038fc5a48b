"""The HTTP contract of the simulator, through stripe-python: authentication,
parameter validation, idempotency keys, headers, injected faults and latency,
the HTTP control API and the command line."""
# ruff: noqa: F811 - pytest fixtures are imported by name and taken as arguments

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import stripe

from tests.stripe_simulator import StripeSimulator
from tests.stripe_simulator.fidelity import parameter_problems
from tests.stripe_simulator.testing import (  # noqa: F401 - fixtures
    StripeAccount,
    client_for,
    simulator,
    stripe_account,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _raw(sim, method, path, body=None, headers=None):
    """A request without the SDK (to look at what it can't send)."""
    request = urllib.request.Request(
        sim.url + path,
        method=method,
        data=body.encode() if body is not None else None,
        headers=headers or {},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


# Authentication ----------------------------------------------------------------------------


def test_missing_and_invalid_keys_get_stripe_401(simulator):
    status, headers, body = _raw(simulator, "GET", "/v1/customers")
    assert status == 401 and body["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in body["error"]["message"]
    assert headers["Request-Id"].startswith("req_")
    for key in ("sk_live_nope", "not-a-key", "sk_test_"):
        with pytest.raises(stripe.AuthenticationError) as excinfo:
            client_for(simulator, key).v1.customers.list()
        assert excinfo.value.http_status == 401
        assert "Invalid API Key provided" in excinfo.value.user_message
    with pytest.raises(stripe.AuthenticationError) as excinfo:
        client_for(simulator, "pk_test_123").v1.customers.list()
    assert excinfo.value.error.code == "secret_key_required"  # the SDK sets no .code on 401


def test_basic_auth_with_the_key_as_user_name(simulator, stripe_account):
    customer = stripe_account.v1.customers.create({"name": "Basic"})
    token = base64.b64encode(f"{stripe_account.key}:".encode()).decode()
    status, _, body = _raw(
        simulator,
        "GET",
        f"/v1/customers/{customer.id}",
        headers={"Authorization": f"Basic {token}"},
    )
    assert (status, body["id"]) == (200, customer.id)


def test_each_key_is_its_own_account(simulator, stripe_account):
    customer = stripe_account.v1.customers.create({"name": "Mine"})
    other = StripeAccount(simulator)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        other.v1.customers.retrieve(customer.id)
    assert (excinfo.value.http_status, excinfo.value.code) == (404, "resource_missing")
    assert other.v1.customers.list().data == []


# Parameters --------------------------------------------------------------------------------


def test_unknown_parameters_are_refused_with_their_name(stripe_account):
    v1 = stripe_account.v1
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.payment_intents.create({"amount": 1000, "currency": "usd", "colour": "blue"})
    assert (excinfo.value.code, excinfo.value.param) == ("parameter_unknown", "colour")
    reader = stripe_account.reader()
    intent = stripe_account.intent()
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.terminal.readers.process_payment_intent(
            reader.id, {"payment_intent": intent.id, "process_config": {"volume": 11}}
        )
    assert excinfo.value.param == "process_config[volume]"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.payment_intents.create({"currency": "usd"})
    assert (excinfo.value.code, excinfo.value.param) == ("parameter_missing", "amount")
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        v1.payment_intents.create({"amount": 1000, "currency": "usd", "capture_method": "later"})
    assert excinfo.value.param == "capture_method"


def test_unknown_url_is_a_404(simulator, stripe_account):
    status, _, body = _raw(
        simulator, "GET", "/v1/unicorns", headers={"Authorization": f"Bearer {stripe_account.key}"}
    )
    assert status == 404 and "Unrecognized request URL" in body["error"]["message"]


def test_headers_request_id_and_pinned_version(simulator, stripe_account):
    customer = stripe_account.v1.customers.create({"name": "Headers"})
    response = customer.last_response
    assert response.request_id.startswith("req_")
    assert response.headers["Stripe-Version"] == stripe.api_version
    _, headers, _ = _raw(
        simulator,
        "GET",
        "/v1/customers",
        headers={"Authorization": f"Bearer {stripe_account.key}", "Stripe-Version": "2024-06-20"},
    )
    assert headers["Stripe-Version"] == "2024-06-20"


# Idempotency -------------------------------------------------------------------------------


def test_same_key_same_parameters_replays_the_stored_answer(stripe_account):
    v1 = stripe_account.v1
    params = {"amount": 1000, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    first = v1.payment_intents.create(params, {"idempotency_key": "odoo-tx-1-pi"})
    again = v1.payment_intents.create(params, {"idempotency_key": "odoo-tx-1-pi"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(stripe_account.objects("payment_intent")) == 1
    with pytest.raises(stripe.IdempotencyError) as excinfo:
        v1.payment_intents.create(dict(params, amount=2000), {"idempotency_key": "odoo-tx-1-pi"})
    assert excinfo.value.http_status == 400


def test_errors_from_execution_are_replayed_too(stripe_account):
    v1 = stripe_account.v1
    reader = stripe_account.reader()
    paid = stripe_account.pay(reader.id, 1000)
    v1.refunds.create({"payment_intent": paid.id})
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as excinfo:
            v1.refunds.create({"payment_intent": paid.id}, {"idempotency_key": "refund-2"})
        assert excinfo.value.code == "charge_already_refunded"
    assert excinfo.value.headers["Idempotent-Replayed"] == "true"
    # A request refused by validation is not stored: the key stays free.
    with pytest.raises(stripe.InvalidRequestError):
        v1.customers.create({"nickname": "x"}, {"idempotency_key": "cus-1"})
    assert v1.customers.create({"name": "ok"}, {"idempotency_key": "cus-1"}).name == "ok"


def test_a_500_after_execution_started_is_replayed_under_its_key(simulator):
    account = StripeAccount(simulator, retries=2)
    simulator.inject_fault("stored_500", path=r"^/v1/customers$", method="POST")
    with pytest.raises(stripe.APIError) as excinfo:
        account.v1.customers.create({"name": "Unlucky"}, {"idempotency_key": "cus-500"})
    assert excinfo.value.http_status == 500
    log = [e for e in account.requests() if e["path"] == "/v1/customers"]
    # The SDK's retries share the key and get the stored 500; nothing was made.
    assert [(e["status"], e["replayed"]) for e in log] == [(500, False), (500, True), (500, True)]
    assert account.objects("customer") == []
    with pytest.raises(stripe.APIError):
        account.v1.customers.create({"name": "Unlucky"}, {"idempotency_key": "cus-500"})
    assert account.v1.customers.create({"name": "Lucky"}, {"idempotency_key": "cus-new"}).id


def test_keys_older_than_24_hours_run_as_new_requests(simulator, stripe_account):
    v1 = stripe_account.v1
    first = v1.customers.create({"name": "Day one"}, {"idempotency_key": "daily"})
    simulator.advance_idempotency_clock(23 * 3600)
    assert v1.customers.create({"name": "Day one"}, {"idempotency_key": "daily"}).id == first.id
    simulator.advance_idempotency_clock(3600)
    second = v1.customers.create({"name": "Day two"}, {"idempotency_key": "daily"})
    assert second.id != first.id and second.name == "Day two"


def test_concurrent_requests_with_one_key_conflict(simulator, stripe_account):
    simulator.set_latency(300)
    results = []

    def create():
        try:
            results.append(
                stripe_account.v1.customers.create(
                    {"name": "Twin"}, {"idempotency_key": "same-time"}
                ).id
            )
        except stripe.APIError as error:
            results.append(error)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    conflicts = [r for r in results if isinstance(r, stripe.APIError)]
    assert len(results) == 2 and len(conflicts) == 1
    assert (conflicts[0].http_status, conflicts[0].error.code) == (409, "idempotency_key_in_use")
    assert len(stripe_account.objects("customer")) == 1


# Faults and latency ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind, status", [("http_500", 500), ("http_429", 429)])
def test_injected_errors_are_retried_by_the_sdk_with_the_same_key(simulator, kind, status):
    account = StripeAccount(simulator, retries=2)
    simulator.inject_fault(kind, path=r"^/v1/customers$", method="POST")
    customer = account.v1.customers.create({"name": "Retried"})
    log = [e for e in account.requests() if e["path"] == "/v1/customers"]
    assert [e["status"] for e in log] == [status, 200]
    assert log[0]["idempotency_key"] == log[1]["idempotency_key"]
    assert [c["id"] for c in account.objects("customer")] == [customer.id]
    simulator.clear_faults()


def test_injected_errors_without_retries_reach_the_caller(simulator, stripe_account):
    simulator.inject_fault("http_500", count=1)
    with pytest.raises(stripe.APIError) as excinfo:
        stripe_account.v1.customers.list()
    assert excinfo.value.http_status == 500
    simulator.inject_fault("http_429", count=1)
    with pytest.raises(stripe.RateLimitError):
        stripe_account.v1.customers.list()
    assert stripe_account.v1.customers.list().data == []


def test_dropped_connection_before_apply_is_retried(simulator):
    account = StripeAccount(simulator, retries=1)
    simulator.inject_fault("drop", path="^/v1/payment_intents$")
    intent = account.intent()
    assert [e["fault"] for e in account.requests()] == ["drop", None]
    assert [p["id"] for p in account.objects("payment_intent")] == [intent.id]


def test_dropped_connection_after_apply_replays_the_stored_result(simulator):
    account = StripeAccount(simulator, retries=1)
    simulator.inject_fault("drop", path="^/v1/payment_intents$", after_apply=True)
    intent = account.intent(metadata={"odoo_tx": "TX-drop"})
    log = account.requests()
    assert [(e["fault"], e["replayed"]) for e in log] == [("drop", False), (None, True)]
    assert log[0]["idempotency_key"] == log[1]["idempotency_key"]
    assert [p["id"] for p in account.objects("payment_intent")] == [intent.id]  # once
    events = [e["type"] for e in account.objects("event")]
    assert events == ["payment_intent.created"]


def test_dropped_connection_without_retries_is_a_connection_error(simulator, stripe_account):
    simulator.inject_fault("drop", after_apply=True, path="^/v1/customers$")
    with pytest.raises(stripe.APIConnectionError):
        stripe_account.v1.customers.create({"name": "Lost answer"})
    assert len(stripe_account.objects("customer")) == 1  # it was created anyway


def test_faults_count_and_filters(simulator, stripe_account):
    simulator.inject_fault("http_500", count=2, method="GET", path="/v1/customers")
    stripe_account.v1.payment_intents.list()  # other path: untouched
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            stripe_account.v1.customers.list()
    assert stripe_account.v1.customers.list().object == "list"
    assert simulator.pending_faults() == []
    with pytest.raises(ValueError):
        simulator.inject_fault("meteor")


def test_latency_delays_each_request(simulator, stripe_account):
    simulator.set_latency(150)
    started = time.monotonic()
    stripe_account.v1.customers.list()
    assert time.monotonic() - started >= 0.15
    simulator.set_latency(0)
    started = time.monotonic()
    stripe_account.v1.customers.list()
    assert time.monotonic() - started < 0.15


def test_requests_log_for_benchmarks(simulator, stripe_account):
    reader = stripe_account.reader()
    stripe_account.pay(reader.id, 1000)
    log = stripe_account.requests()
    assert [(e["method"], e["path"].split("/")[-1]) for e in log][-4:] == [
        ("POST", "payment_intents"),
        ("POST", "process_payment_intent"),
        ("POST", "present_payment_method"),
        ("GET", log[-1]["path"].split("/")[-1]),
    ]
    assert all(e["api_key"] == "****" + stripe_account.key[-4:] for e in log)
    assert log[-1]["params"] == {"expand": {"0": "latest_charge"}}


# Control API over HTTP ------------------------------------------------------------------------


def _control(sim, method, path, payload=None):
    status, _, body = _raw(
        sim,
        method,
        "/_simulator/" + path,
        json.dumps(payload) if payload is not None else None,
        {"Content-Type": "application/json"},
    )
    return status, body


def test_http_control_api_drives_a_simulator_in_another_process(simulator, stripe_account):
    assert _control(simulator, "GET", "health")[1]["result"]["ok"] is True
    status, body = _control(
        simulator,
        "POST",
        "accounts/configure",
        {"api_key": stripe_account.key, "moto_enabled": False},
    )
    assert (status, body["result"]["moto_enabled"]) == (200, False)
    reader = stripe_account.reader()
    intent = stripe_account.intent()
    stripe_account.process(reader.id, intent.id)
    status, body = _control(
        simulator,
        "POST",
        f"readers/{reader.id}/present_payment_method",
        {"type": "card_present", "number": "4000000000009995"},
    )
    assert body["result"]["action"]["api_error"]["decline_code"] == "insufficient_funds"
    assert (
        _control(simulator, "POST", f"readers/{reader.id}/online", {"online": False})[1]["result"][
            "status"
        ]
        == "offline"
    )
    _control(simulator, "POST", f"readers/{reader.id}/online", {"online": True})
    _control(simulator, "POST", "faults", {"kind": "http_500", "path": "^/v1/charges$"})
    assert _control(simulator, "GET", "faults")[1]["result"][0]["kind"] == "http_500"
    _control(simulator, "DELETE", "faults")
    status, body = _control(
        simulator, "GET", f"objects?api_key={stripe_account.key}&kind=payment_intent"
    )
    assert [pi["id"] for pi in body["result"]] == [intent.id]
    status, body = _control(simulator, "GET", f"requests?api_key={stripe_account.key}")
    assert len(body["result"]) == len(stripe_account.requests())
    assert _control(simulator, "POST", "readers/tmr_missing/expire_action")[0] == 404
    assert _control(simulator, "POST", "faults", {"kind": "meteor"})[0] == 400
    assert _control(simulator, "GET", "nothing-here")[0] == 404
    status, body = _control(simulator, "POST", "webhooks/wait", {"timeout": 1})
    assert status == 200


# Lifecycle and command line ----------------------------------------------------------------------


def test_context_manager_frees_the_port():
    with StripeSimulator() as sim:
        port = sim.port
        account = StripeAccount(sim)
        assert account.v1.customers.list().data == []
    with StripeSimulator(port=port) as again:
        assert again.port == port


def test_reset_forgets_everything():
    with StripeSimulator() as sim:
        account = StripeAccount(sim)
        account.v1.customers.create({"name": "Gone"})
        sim.inject_fault("http_500", path="^/v1/charges$")
        sim.reset()
        assert sim.pending_faults() == [] and sim.requests_log() == []
        assert account.v1.customers.list().data == []


def test_command_line_starts_serves_and_stops_on_sigterm():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.stripe_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--latency-ms",
            "1",
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        url = None
        deadline = time.monotonic() + 15
        reader = threading.Thread(
            target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True
        )
        reader.start()
        while url is None and time.monotonic() < deadline:
            found = [line for line in list(lines) if "Stripe simulator listening on" in line]
            if found:
                url = found[0].rsplit(" ", 1)[-1].strip()
            else:
                threading.Event().wait(0.05)
        assert url, f"no listening line within 15 s: {lines}"
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url})
        assert client.v1.customers.create({"name": "CLI"}).id.startswith("cus_")
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    reader.join(timeout=5)
    assert any("Stripe simulator stopped" in line for line in lines)


def test_sent_parameters_exist_in_stripe_api(simulator):
    assert simulator.requests_log(), "the module sent no request"
    assert parameter_problems(simulator.requests_log()) == []

"""`make stripe-check`'s scenarios on the simulator: the same code that runs against Stripe's
test mode, so the simulator agrees with what the check expects of Stripe."""
# ruff: noqa: F811 - pytest fixtures are imported by name and taken as arguments

import uuid

import pytest

from tests.stripe_check import SCENARIOS, Check, run
from tests.stripe_simulator.testing import new_api_key, simulator  # noqa: F401 - fixture


def simulated_check(simulator):
    """A check on a new simulator account whose webhooks go to the check's receiver, as
    `stripe listen --forward-to` would bring Stripe's."""
    key, secret = new_api_key(), "whsec_" + uuid.uuid4().hex
    check = Check(key, api_base=simulator.url, timeout=10, webhook_secret=secret)
    simulator.configure_account(key, webhook_url=check.webhooks.url, webhook_secret=secret)
    return check


@pytest.fixture
def check(simulator):
    check = simulated_check(simulator)
    check.setup()
    yield check
    check.teardown()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_scenario_passes_on_the_simulator(check, scenario):
    # On the simulator every scenario applies (MOTO is enabled): none may answer a reason.
    assert scenario(check) is None


def test_the_run_cleans_up_and_reports_each_scenario(simulator):
    check = simulated_check(simulator)
    lines = []
    results = run(check, report=lines.append)
    assert set(results) == {s.__name__ for s in SCENARIOS}
    assert all(status == "passed" for status, _detail in results.values()), results
    assert len(lines) == len(SCENARIOS)
    for kind in ("terminal.reader", "terminal.location"):
        assert simulator.account_objects(check.secret_key, kind) == [], f"{kind} left behind"


def test_the_command_runs_on_another_api_base(simulator, monkeypatch, capsys):
    from tools import stripe_check

    monkeypatch.setenv("STRIPE_TEST_SECRET_KEY", new_api_key())
    assert stripe_check.main(["--api-base", simulator.url, "collect_on_the_reader"]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
    assert stripe_check.main(["--api-base", simulator.url, "no_such_scenario"]) == 2


def test_a_live_key_is_refused():
    from tools import stripe_check

    for key in ("sk_live_abc", "rk_live_abc", "pk_test_abc", ""):
        with pytest.raises(SystemExit):
            stripe_check.test_key({"STRIPE_TEST_SECRET_KEY": key})
    assert stripe_check.test_key({"STRIPE_TEST_SECRET_KEY": "sk_test_abc"}) == "sk_test_abc"

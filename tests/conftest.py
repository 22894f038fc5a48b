"""Session fixtures of the repository-level tests: one live Odoo server (tests/live_odoo.py) for
the fault and bad-input suites, started on first use and dropped at the end."""

import pytest

from tests import live_odoo

# Our loggers and the SDK's at DEBUG on the live server: the suites check that no secret ever
# reaches its log.
LOG_HANDLERS = (
    "odoo.addons.stripe_terminal_base:DEBUG",
    "odoo.addons.stripe_terminal_account:DEBUG",
    "stripe:DEBUG",
)


@pytest.fixture(scope="session")
def live():
    with live_odoo.LiveOdoo(workers=3, cron_threads=1, log_handlers=LOG_HANDLERS) as server:
        yield server


@pytest.fixture
def shop(live):
    shop = live.new_shop()
    yield shop
    shop.close()

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import os

from .demo_data import ENV_SIMULATOR, ENV_WEBHOOK_SECRET, DemoBuilder

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Fill the database for the demo, on the simulator `make demo` started.

    Without the simulator's address there is nothing to talk to: the addon then installs empty
    (a developer's database that installs every addon of the repository, say)."""
    simulator_url = os.environ.get(ENV_SIMULATOR)
    if not simulator_url:
        _logger.warning(
            "%s is not set: the Stripe Terminal demo data was not created. "
            "Run `make demo` to get a demo database.",
            ENV_SIMULATOR,
        )
        return
    DemoBuilder(env, simulator_url, os.environ.get(ENV_WEBHOOK_SECRET)).build()

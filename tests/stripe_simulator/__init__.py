"""A stateful Stripe simulator for the Terminal (server-driven) flows.

See README.md in this folder for the routes, the behaviour and the control API.
"""

from .errors import StripeError
from .simulator import StripeSimulator

__all__ = ["StripeError", "StripeSimulator"]

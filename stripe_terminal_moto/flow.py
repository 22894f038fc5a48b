# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a MOTO payment that saves the card does next while its SetupIntent is on the reader.
Plain Python, no database; the moves of the account addon's flow.py, and one more:

======  ==================================  ==================================
move    when                                the model
======  ==================================  ==================================
SAVED   the SetupIntent saved the card      charges the saved card
======  ==================================  ==================================

A SetupIntent canceled on Stripe cancels the payment (CANCELED); one that waits for a card is
followed on the reader exactly as a PaymentIntent is (`flow.decide_waiting`).
"""

from odoo.addons.stripe_terminal_account import const as account_const
from odoo.addons.stripe_terminal_account import flow

SAVED = "saved"


def decide_setup(payment, setup, reader=None):
    """The move for `payment` (a flow.Snapshot whose intent is the SetupIntent) from its
    SetupIntent and, if known, the reader."""
    if payment.state in account_const.FINAL_STATES:
        return flow.Move(flow.NOTHING)
    if setup["status"] == "succeeded":
        return flow.Move(SAVED)
    if setup["status"] == "canceled":
        return flow.Move(flow.CANCELED)
    return flow.decide_waiting(payment, setup.get("last_setup_error"), reader)

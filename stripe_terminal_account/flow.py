# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a terminal payment does next, given what Stripe says. Plain Python, no database.

`decide(payment, intent, reader)` reads a snapshot of the payment (`Snapshot`), the
PaymentIntent and, when it was asked for, the reader (Stripe's objects, as dicts), and returns
the `Move` to make. The model carries moves out (`stripe.terminal.payment._stripe_terminal_move`)
through its `_set_*` helpers, which refuse a state change a payment cannot make. Nothing here
calls Stripe or writes.

Moves:

================  ===============================================  =======================
move              when                                              the model
================  ===============================================  =======================
NOTHING           a final payment; nothing new                      does nothing
BOOK              the intent succeeded                              books the charge
CAPTURE           the intent waits for its capture                  captures, then decides
CANCELED          the intent was canceled on Stripe                 cancels the payment
PROCESSING        Stripe is processing the card                     shows "processing"
PUSH_OWED         a new attempt is owed and the reader is free      sends it to the reader
ON_READER         the reader shows the payment                      shows `stage`
ATTEMPT_FAILED    the reader's attempt failed, or the intent        declines, then retries
                  records a failed attempt                          or waits for Retry
NOT_ON_READER     the reader shows something else                   error: Retry sends again
================  ===============================================  =======================
"""

from collections import namedtuple

from odoo.addons.stripe_terminal_base import const as base_const
from odoo.addons.stripe_terminal_base import reader_actions

from . import const

NOTHING = "nothing"
BOOK = "book"
CAPTURE = "capture"
CANCELED = "canceled"
PROCESSING = "processing"
PUSH_OWED = "push_owed"
ON_READER = "on_reader"
ATTEMPT_FAILED = "attempt_failed"
NOT_ON_READER = "not_on_reader"

# What the decision needs of the payment. `intent_id` is the intent on the reader (the
# PaymentIntent; for MOTO's card saving, the SetupIntent).
Snapshot = namedtuple("Snapshot", "state stage intent_id push_owed", defaults=(False,))

# `stage`: the overlay's stage to show (ON_READER), None to keep the current one.
# `action`: the failed reader action (ATTEMPT_FAILED from the reader), else None.
# `error`: the intent's last error (ATTEMPT_FAILED from the intent), else None.
Move = namedtuple("Move", "name stage action error", defaults=(None, None, None))

# Stages in which the payment waits on the reader: news of a failure or of another action
# on the reader is news about this payment's attempt.
WAITING_STAGES = ("waiting_card", "processing", "checking")
# Stages that already say the payment is on the reader (no write needed).
ON_READER_STAGES = ("waiting_card", "processing", "retrying")


def decide(payment, intent, reader=None):
    """The move for `payment` (a Snapshot) from its PaymentIntent and, if known, the reader."""
    if payment.state in const.FINAL_STATES:
        return Move(NOTHING)
    status = intent["status"]
    mapping = base_const.PAYMENT_INTENT_STATUS_MAPPING
    if status in mapping["succeeded"]:
        return Move(BOOK)
    if status in mapping["authorized"]:
        return Move(CAPTURE)
    if status in mapping["canceled"]:
        return Move(CANCELED)
    if status in mapping["processing"]:
        return Move(PROCESSING)
    return decide_waiting(payment, intent.get("last_payment_error"), reader)


def decide_waiting(payment, last_error, reader):
    """The move of a payment whose intent waits for a card (a PaymentIntent, or MOTO's
    SetupIntent): still on the reader, or the reader's attempt failed."""
    action = reader_actions.action_on(reader, payment.intent_id)
    in_progress = reader_actions.is_in_progress(action)
    if payment.push_owed and not in_progress:
        return Move(PUSH_OWED)
    if in_progress:
        if reader.get("status") == "offline":
            # Stripe keeps the action; the reader may come back and finish it.
            return Move(ON_READER, stage=None if payment.stage == "offline" else "offline")
        return Move(ON_READER, stage=None if payment.stage in ON_READER_STAGES else "waiting_card")
    if reader_actions.has_failed(action):
        # Only a payment waiting on the reader learns of its failure: a declined or failed
        # payment recorded it already (the reader keeps showing its last action).
        if payment.state == "pending":
            return Move(ATTEMPT_FAILED, action=action, error=last_error)
        return Move(NOTHING)
    if last_error and payment.stage in WAITING_STAGES:
        return Move(ATTEMPT_FAILED, error=last_error)
    if reader is not None and action is None and payment.stage in ("waiting_card", "checking"):
        # The reader does not show the payment (canceled there, or the push never arrived):
        # nothing to wait for.
        return Move(NOT_ON_READER)
    return Move(NOTHING)

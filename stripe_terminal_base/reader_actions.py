# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a reader is doing, read from Stripe's reader object (a dict). Plain Python.

A reader holds one action at a time (`process_payment_intent`, `process_setup_intent`,
`refund_payment`...), and keeps showing the last one, finished or not, until the next.
"""

from . import const

# The action types that work on an intent, and the field that names it.
INTENT_FIELDS = {
    "process_payment_intent": "payment_intent",
    "process_setup_intent": "setup_intent",
}


def current_action(reader):
    """The reader's action (a dict, empty when it has none or the reader is unknown)."""
    return (reader or {}).get("action") or {}


def action_intent(action):
    """The id of the PaymentIntent or SetupIntent a reader action works on, else None."""
    for action_type, field in INTENT_FIELDS.items():
        target = (action.get(action_type) or {}).get(field)
        if isinstance(target, dict):  # expanded
            target = target.get("id")
        if target:
            return target
    return None


def action_on(reader, intent_id):
    """The reader's action when it works on `intent_id`, else None: "is this action ours"."""
    action = current_action(reader)
    if intent_id and action_intent(action) == intent_id:
        return action
    return None


def is_in_progress(action):
    return bool(action) and action.get("status") == const.ACTION_IN_PROGRESS


def has_failed(action):
    return bool(action) and action.get("status") == const.ACTION_FAILED

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Refund states and the Stripe facts about refunds the addon relies on."""

from odoo import _lt

# The refund's lifecycle in Odoo.
REFUND_STATES = [
    ("draft", "Sending"),
    ("waiting", "On the Reader"),
    ("pending", "Pending"),
    ("succeeded", "Refunded"),
    ("failed", "Failed"),
    ("refused", "Refused"),
    ("canceled", "Canceled"),
]
# States whose amount is taken from what the payment can still refund: a refund Odoo recorded
# but whose answer from Stripe is unknown (draft) counts, so that nothing is refunded twice.
RESERVING_STATES = ("draft", "waiting", "pending", "succeeded")
# States in which the money is on its way back to the card.
REFUNDED_STATES = ("pending", "succeeded")
# A refund only moves forward: deliveries come in any order, an older news never undoes a
# newer one. Failed, refused and canceled are final.
STATE_RANK = {
    "draft": 0,
    "waiting": 1,
    "pending": 2,
    "succeeded": 3,
    "failed": 4,
    "refused": 4,
    "canceled": 4,
}
FINAL_STATES = ("failed", "refused", "canceled")

# Stripe refund `status` -> Odoo state.
STRIPE_REFUND_STATUS = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}

# Stripe refund `reason` values an accountant can choose.
REFUND_REASONS = [
    ("requested_by_customer", "Requested by the customer"),
    ("duplicate", "Duplicate payment"),
    ("fraudulent", "Fraudulent payment"),
]

# Payment method types Stripe refunds only on a reader, with the customer's card (Interac in
# Canada): `POST /v1/terminal/readers/{reader}/refund_payment` instead of `POST /v1/refunds`.
REFUND_ON_READER_TYPES = ("interac_present",)

# Stripe refund `failure_reason` -> what the accountant reads.
FAILURE_REASONS = {
    "expired_or_canceled_card": _lt("the card has expired or was canceled"),
    "lost_or_stolen_card": _lt("the card was reported lost or stolen"),
    "charge_for_pending_refund_disputed": _lt("the customer disputed the payment meanwhile"),
    "insufficient_funds": _lt("the Stripe balance could not cover the refund"),
    "declined": _lt("the card's bank declined the refund"),
    "merchant_request": _lt("the refund was canceled at the merchant's request"),
    "unknown": _lt("Stripe gives no reason"),
}

# Metadata the addon writes on Stripe refunds (found again from webhooks and the Dashboard).
METADATA_REFUND = "odoo_refund_id"
METADATA_REFERENCE = "odoo_reference"
METADATA_CREDIT_NOTE = "odoo_credit_note"
METADATA_REASON = "odoo_reason"

# How many times a refund's bookkeeping step is retried when another transaction changed the
# same rows at the same time (PostgreSQL serialization failures).
SERIALIZATION_RETRIES = 5

# The sweep (a scheduled action) asks Stripe about refunds left without news: a refund whose
# answer was lost after this many seconds, a refund waiting on a reader after these minutes.
SWEEP_MIN_AGE = 60
READER_SWEEP_MINUTES = 10

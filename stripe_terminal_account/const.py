# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""States of a terminal payment and what the overlay says about them."""

from odoo import _lt

# The record's lifecycle.
PAYMENT_STATES = [
    ("draft", "Draft"),
    ("pending", "On the Reader"),
    ("declined", "Declined"),
    ("error", "Error"),
    ("done", "Paid"),
    ("canceled", "Canceled"),
]
# States in which a payment occupies its reader (one at a time per reader).
ACTIVE_STATES = ("draft", "pending")
# States the server keeps following on Stripe until they end.
FOLLOWED_STATES = ("draft", "pending", "declined", "error")
FINAL_STATES = ("done", "canceled")
# The state machine: the states a payment may move to, each from the states it may leave.
# A final state never changes; nothing goes back to draft. `_set_state` enforces it.
PAYMENT_STATE_SOURCES = {
    "pending": FOLLOWED_STATES,
    # A decline is news of an attempt on the reader, which a draft never made.
    "declined": ("pending", "declined", "error"),
    "error": FOLLOWED_STATES,
    "done": FOLLOWED_STATES,
    "canceled": FOLLOWED_STATES,
}

# What the overlay shows (the step on the reader).
PAYMENT_STAGES = [
    ("starting", "Starting"),
    ("waiting_card", "Waiting for the card"),
    ("retrying", "Declined, waiting for another card"),
    ("processing", "Processing"),
    ("checking", "Checking with Stripe"),
    ("approved", "Approved"),
    ("declined", "Declined"),
    ("customer_canceled", "Canceled on the reader"),
    ("timed_out", "Timed out"),
    ("offline", "Reader offline"),
    ("busy", "Reader busy"),
    ("canceled", "Canceled"),
    ("error", "Error"),
]

STAGE_BY_ERROR_CODE = {
    "terminal_reader_offline": "offline",
    "terminal_reader_busy": "busy",
    "terminal_reader_timeout": "timed_out",
    "connection_error": "timed_out",
    "customer_canceled": "customer_canceled",
    "action_canceled": "customer_canceled",
    "card_declined": "declined",
    "expired_card": "declined",
    "incorrect_cvc": "declined",
    "incorrect_number": "declined",
    "processing_error": "declined",
    "payment_intent_authentication_failure": "declined",
    "payment_intent_payment_attempt_failed": "declined",
}

# Instructions under the status, by (mode, stage); mode None applies to every mode.
STAGE_INSTRUCTIONS = {
    (None, "starting"): _lt("Sending the payment to the reader..."),
    ("terminal", "waiting_card"): _lt("Ask the customer to tap or insert their card."),
    (None, "retrying"): _lt("Ask the customer to present another card."),
    (None, "processing"): _lt("The card is being authorized. Do not remove it."),
    (None, "checking"): _lt(
        "The connection was interrupted. Odoo is checking with Stripe whether the card was "
        "charged; do not retry yet."
    ),
    (None, "approved"): _lt("Payment approved. The invoice is paid."),
    (None, "declined"): _lt("Retry with another card, or cancel."),
    (None, "customer_canceled"): _lt("Retry when the customer is ready, or cancel."),
    (None, "timed_out"): _lt("No card was presented in time. Retry, or cancel."),
    (None, "offline"): _lt("Check the reader's power and network, then retry."),
    (None, "busy"): _lt("Wait until the reader is idle, then retry."),
    (None, "canceled"): _lt("Nothing was charged. The invoice is unchanged."),
    (None, "error"): _lt("Retry, or cancel."),
}

# The reader does not show the payment: canceled there, or the push never reached it.
NOT_ON_READER_MESSAGE = _lt(
    "The reader is not showing this payment (it was canceled on the reader, or never reached "
    "it). Nothing was charged: Retry sends it to the reader again."
)

# Bus notification type of the overlay's live status.
BUS_NOTIFICATION_TYPE = "stripe_terminal/status"

# Seconds between two Stripe checks of one payment from the overlay's refresh.
REFRESH_INTERVAL = 2
# New idempotency keys tried for a PaymentIntent creation whose key holds a stored 5xx.
INTENT_KEY_RENEWALS = 2
# Seconds without news after which the sweep asks Stripe about a payment.
SWEEP_MIN_AGE = 60
# Minutes during which a PaymentIntent recovered after a lost answer is still sent to the reader.
RECOVER_PUSH_MINUTES = 10
# Minutes after which a payment still waiting for a card is canceled by the sweep.
ABANDON_AFTER_MINUTES = 30

# How many declined cards are followed by an automatic retry on the same PaymentIntent.
AUTO_RETRIES_PARAM = "stripe_terminal.auto_retries"
DEFAULT_AUTO_RETRIES = 2

# Metadata on the PaymentIntent (found again from Stripe; shown in Stripe's Dashboard).
METADATA_PAYMENT = "odoo_terminal_payment_id"
METADATA_REFERENCE = "odoo_reference"
METADATA_INVOICES = "odoo_invoices"

# The overlay (an OWL client action).
OVERLAY_ACTION_TAG = "stripe_terminal_overlay"

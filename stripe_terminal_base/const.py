# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Protocol facts about Stripe Terminal, in one place.

Sources: Stripe's API reference (terminal readers, payment intents, errors, decline codes,
currencies) and stripe-python 16.1; see the project's docs for the details behind each table.
"""

from collections import namedtuple

from odoo import _lt

# The API version this suite is written against (the one stripe-python 16.1 pins). Sent on every
# request so that a Stripe account upgraded in the Dashboard cannot change the objects' shapes.
API_VERSION = "2026-10-28.endive"
STRIPE_API_BASE = "https://api.stripe.com"
# System parameter that points the suite at another API base (the project's simulator).
API_BASE_PARAM = "stripe_terminal.api_base"

# Seconds to wait for Stripe before giving up on one HTTP request, and how many times the SDK
# retries a request that failed on the network or with a 409/5xx (same idempotency key).
REQUEST_TIMEOUT = 20
MAX_NETWORK_RETRIES = 2

# === Readers === #

# Every device type Stripe lists (stripe-python 16.1, terminal reader `device_type`).
DEVICE_TYPES = [
    ("bbpos_wisepos_e", "BBPOS WisePOS E"),
    ("stripe_s700", "Stripe Reader S700"),
    ("stripe_s710", "Stripe Reader S710"),
    ("stripe_t600", "Stripe Reader T600"),
    ("verifone_p630", "Verifone P630"),
    ("verifone_ux700", "Verifone UX700"),
    ("verifone_v660p", "Verifone V660p"),
    ("verifone_m425", "Verifone M425"),
    ("verifone_P400", "Verifone P400 (legacy)"),
    ("stripe_m2", "Stripe Reader M2"),
    ("bbpos_chipper2x", "BBPOS Chipper 2X BT"),
    ("bbpos_wisepad3", "BBPOS WisePad 3"),
    ("mobile_phone_reader", "Tap to Pay (phone)"),
    ("simulated_wisepos_e", "Simulated WisePOS E"),
    ("simulated_stripe_s700", "Simulated S700"),
    ("simulated_stripe_s710", "Simulated S710"),
    ("simulated_stripe_t600", "Simulated T600"),
    ("simulated_verifone_p630", "Simulated Verifone P630"),
    ("simulated_verifone_ux700", "Simulated Verifone UX700"),
    ("simulated_verifone_v660p", "Simulated Verifone V660p"),
    ("simulated_verifone_m425", "Simulated Verifone M425"),
]

# Smart readers that take actions pushed from a server (server-driven integration).
SERVER_DRIVEN_DEVICE_TYPES = {
    "bbpos_wisepos_e",
    "stripe_s700",
    "stripe_s710",
    "verifone_p630",
    "verifone_ux700",
    "verifone_v660p",
    "verifone_m425",
    "simulated_wisepos_e",
    "simulated_stripe_s700",
    "simulated_stripe_s710",
    "simulated_verifone_p630",
    "simulated_verifone_ux700",
    "simulated_verifone_v660p",
    "simulated_verifone_m425",
}

# Readers on which Stripe lets an operator key a card for a mail or telephone order.
MOTO_DEVICE_TYPES = {
    "bbpos_wisepos_e",
    "stripe_s700",
    "stripe_s710",
    "simulated_wisepos_e",
    "simulated_stripe_s700",
    "simulated_stripe_s710",
}

# Why a reader cannot be driven from Odoo, by device type (shown on the reader's form).
NOT_SERVER_DRIVEN_REASONS = {
    "verifone_P400": _lt(
        "The Verifone P400 is a legacy reader that only works with Stripe's JavaScript, iOS, "
        "Android and React Native SDKs on the same local network; Stripe does not support "
        "pushing payments to it from a server. Use a WisePOS E, S700 or S710 instead."
    ),
    "stripe_m2": _lt(
        "The Stripe Reader M2 is a mobile reader paired over Bluetooth or USB with a phone or "
        "tablet app; it cannot receive payments from a server."
    ),
    "bbpos_chipper2x": _lt(
        "The BBPOS Chipper 2X BT is a mobile reader paired with a phone or tablet app; it "
        "cannot receive payments from a server."
    ),
    "bbpos_wisepad3": _lt(
        "The BBPOS WisePad 3 is a mobile reader paired with a phone or tablet app; it cannot "
        "receive payments from a server."
    ),
    "mobile_phone_reader": _lt(
        "Tap to Pay runs inside a phone app; it cannot receive payments from a server."
    ),
    "stripe_t600": _lt(
        "Stripe does not document the T600 for server-driven payments yet; it is not offered "
        "until it is."
    ),
    "simulated_stripe_t600": _lt(
        "Stripe does not document the T600 for server-driven payments yet; it is not offered "
        "until it is."
    ),
}

READER_STATUSES = [("online", "Online"), ("offline", "Offline"), ("unknown", "Unknown")]

# Registration codes that create simulated readers in test mode.
SIMULATED_REGISTRATION_CODES = ("simulated-wpe", "simulated-s700", "simulated-s710")

# Reader action statuses (`reader.action.status`).
ACTION_IN_PROGRESS = "in_progress"
ACTION_SUCCEEDED = "succeeded"
ACTION_FAILED = "failed"

# === Payment intents === #

# Odoo-side meaning of PaymentIntent statuses, keyed by the Odoo notion.
PAYMENT_INTENT_STATUS_MAPPING = {
    "waiting": ("requires_payment_method", "requires_confirmation", "requires_action"),
    "processing": ("processing",),
    "authorized": ("requires_capture",),
    "succeeded": ("succeeded",),
    "canceled": ("canceled",),
}

# Webhook events the suite listens to (the Terminal webhook endpoint subscribes to these).
HANDLED_WEBHOOK_EVENTS = [
    "terminal.reader.action_succeeded",
    "terminal.reader.action_failed",
    "terminal.reader.action_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.amount_capturable_updated",
    "charge.succeeded",
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "setup_intent.succeeded",
    "setup_intent.setup_failed",
]

# How to ask Stripe again for an event's object (by its `object`), when the event was rendered
# in another API version than API_VERSION.
RETRIEVE_OPERATIONS = {
    "payment_intent": "payment_intents.retrieve",
    "charge": "charges.retrieve",
    "refund": "refunds.retrieve",
    "setup_intent": "setup_intents.retrieve",
    "terminal.reader": "terminal.readers.retrieve",
}

# Seconds of tolerance on a webhook signature's timestamp (Stripe's default).
WEBHOOK_TOLERANCE = 300

# Stripe's limits on what the suite sends (longer values are refused with a 400).
DESCRIPTION_MAX_LENGTH = 1000  # PaymentIntent and SetupIntent `description`
CUSTOMER_NAME_MAX_LENGTH = 256
CUSTOMER_EMAIL_MAX_LENGTH = 512
CUSTOMER_PHONE_MAX_LENGTH = 20

# Metadata keys the suite writes on Stripe objects, so they can be found again from Stripe.
METADATA_PARTNER = "odoo_partner_id"
METADATA_DATABASE = "odoo_db"

# === Currencies === #

# Currencies Stripe charges in whole units.
ZERO_DECIMAL_CURRENCIES = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
# Currencies Stripe charges in thousandths, with a last digit that must be 0.
THREE_DECIMAL_CURRENCIES = {"BHD", "JOD", "KWD", "OMR", "TND"}
# Zero-decimal in practice, but sent as hundredths that must be divisible by 100.
HUNDREDS_ONLY_CURRENCIES = {"ISK", "UGX"}
# Largest amount Stripe accepts (8 digits in the smallest unit; IDR has 12).
MAX_AMOUNT_DIGITS = 8
MAX_AMOUNT_DIGITS_BY_CURRENCY = {"IDR": 12}
# Minimum charge per currency, in the currency's major unit.
MINIMUM_AMOUNTS = {
    "USD": 0.50,
    "AED": 2.00,
    "AUD": 0.50,
    "BGN": 1.00,
    "BRL": 0.50,
    "CAD": 0.50,
    "CHF": 0.50,
    "CZK": 15.00,
    "DKK": 2.50,
    "EUR": 0.50,
    "GBP": 0.30,
    "HKD": 4.00,
    "HUF": 175.00,
    "INR": 0.50,
    "JPY": 50,
    "MXN": 10,
    "MYR": 2,
    "NOK": 3.00,
    "NZD": 0.50,
    "PLN": 2.00,
    "RON": 2.00,
    "SEK": 3.00,
    "SGD": 0.50,
    "THB": 10,
}

# === Errors === #

# Codes after which Stripe may still apply the request: the answer says nothing of its outcome
# (a 409 while a request with the same idempotency key is still running on Stripe; a reader
# that did not answer in time, which Stripe says may have received the action).
OUTCOME_UNKNOWN_CODES = ("idempotency_key_in_use", "terminal_reader_timeout")

# What an accountant is told for each Stripe error or decline code. `retry_card` says whether the
# customer may simply present another card (the same PaymentIntent is reused); `category` groups
# the errors for the interface (reader, card, account, amount, refund, intent, network).
ErrorInfo = namedtuple("ErrorInfo", ["category", "retry_card", "message"])

ERRORS = {
    # Readers.
    "terminal_reader_offline": ErrorInfo(
        "reader",
        False,
        _lt(
            "The reader is offline. Check that it is switched on and connected to the "
            "network, then try again."
        ),
    ),
    "terminal_reader_busy": ErrorInfo(
        "reader",
        False,
        _lt(
            "The reader is busy with another action (a payment, an update, or a card still "
            "inserted). Wait until it is idle or cancel its current action, then try again."
        ),
    ),
    "terminal_reader_timeout": ErrorInfo(
        "reader",
        False,
        _lt(
            "The reader did not answer in time. It may still have received the request: check "
            "its screen before trying again."
        ),
    ),
    "terminal_reader_hardware_fault": ErrorInfo(
        "reader",
        False,
        _lt(
            "The reader reports a hardware fault. Restart it; if the fault remains, take it out "
            "of service and contact Stripe support."
        ),
    ),
    "terminal_reader_invalid_location_for_payment": ErrorInfo(
        "reader",
        False,
        _lt(
            "The reader's location cannot take this payment (its country must be the Stripe "
            "account's country). Move the reader to a valid location in Stripe."
        ),
    ),
    "terminal_reader_invalid_location_for_activation": ErrorInfo(
        "reader",
        False,
        _lt("The reader cannot be activated at this location. Choose another location."),
    ),
    "terminal_location_country_unsupported": ErrorInfo(
        "reader",
        False,
        _lt("Stripe Terminal is not available in this location's country."),
    ),
    "terminal_reader_unsupported_device": ErrorInfo(
        "reader",
        False,
        _lt(
            "This reader cannot take payments pushed from Odoo. Use a WisePOS E, S700 or S710 "
            "reader."
        ),
    ),
    "customer_canceled": ErrorInfo(
        "reader",
        True,
        _lt("The customer canceled the payment on the reader."),
    ),
    "action_canceled": ErrorInfo(
        "reader",
        True,
        _lt("The payment was canceled on the reader."),
    ),
    "connection_error": ErrorInfo(
        "reader",
        False,
        _lt(
            "The reader's action ended without a card payment: nobody presented a card in "
            "time, or the reader lost its connection. Stripe confirms nothing was charged."
        ),
    ),
    # Card declines (decline_code), then card error codes.
    "generic_decline": ErrorInfo(
        "card", True, _lt("The card was declined. Ask the customer for another card.")
    ),
    "card_declined": ErrorInfo(
        "card", True, _lt("The card was declined. Ask the customer for another card.")
    ),
    "insufficient_funds": ErrorInfo(
        "card",
        True,
        _lt("The card was declined for insufficient funds. Ask the customer for another card."),
    ),
    "lost_card": ErrorInfo(
        "card",
        False,
        _lt("The card was declined. Do not retry it; ask the customer for another card."),
    ),
    "stolen_card": ErrorInfo(
        "card",
        False,
        _lt("The card was declined. Do not retry it; ask the customer for another card."),
    ),
    "pickup_card": ErrorInfo(
        "card",
        False,
        _lt("The card was declined. Do not retry it; ask the customer for another card."),
    ),
    "fraudulent": ErrorInfo(
        "card",
        False,
        _lt("The card was declined. Do not retry it; ask the customer for another card."),
    ),
    "expired_card": ErrorInfo(
        "card", True, _lt("The card has expired. Ask the customer for another card.")
    ),
    "incorrect_cvc": ErrorInfo(
        "card", True, _lt("The security code (CVC) is incorrect. Check it and try again.")
    ),
    "invalid_cvc": ErrorInfo(
        "card", True, _lt("The security code (CVC) is not valid. Check it and try again.")
    ),
    "incorrect_number": ErrorInfo(
        "card", True, _lt("The card number is incorrect. Check it and try again.")
    ),
    "invalid_number": ErrorInfo(
        "card", True, _lt("The card number is not valid. Check it and try again.")
    ),
    "invalid_expiry_month": ErrorInfo(
        "card", True, _lt("The card's expiry month is not valid. Check it and try again.")
    ),
    "invalid_expiry_year": ErrorInfo(
        "card", True, _lt("The card's expiry year is not valid. Check it and try again.")
    ),
    "incorrect_zip": ErrorInfo(
        "card", True, _lt("The postal code does not match the card. Check it and try again.")
    ),
    "incorrect_pin": ErrorInfo(
        "card", True, _lt("The PIN is incorrect. Ask the customer to try again.")
    ),
    "invalid_pin": ErrorInfo(
        "card", True, _lt("The PIN is not valid. Ask the customer to try again.")
    ),
    "pin_try_exceeded": ErrorInfo(
        "card",
        True,
        _lt("Too many wrong PIN attempts on this card. Ask the customer for another card."),
    ),
    "offline_pin_required": ErrorInfo(
        "card",
        True,
        _lt("The card requires its PIN. Ask the customer to insert the card and enter the PIN."),
    ),
    "online_or_offline_pin_required": ErrorInfo(
        "card",
        True,
        _lt("The card requires its PIN. Ask the customer to insert the card and enter the PIN."),
    ),
    "call_issuer": ErrorInfo(
        "card",
        True,
        _lt("The card was declined: the customer must call their bank. Try another card."),
    ),
    "do_not_honor": ErrorInfo(
        "card",
        True,
        _lt("The bank declined the card without a reason. Ask the customer for another card."),
    ),
    "do_not_try_again": ErrorInfo(
        "card",
        False,
        _lt("The bank asks not to retry this card. Ask the customer for another card."),
    ),
    "withdrawal_count_limit_exceeded": ErrorInfo(
        "card",
        True,
        _lt("The card is over its limit. Ask the customer for another card."),
    ),
    "card_velocity_exceeded": ErrorInfo(
        "card",
        True,
        _lt("The card is over its limit. Ask the customer for another card."),
    ),
    "transaction_not_allowed": ErrorInfo(
        "card",
        True,
        _lt("The card cannot be used for this payment. Ask the customer for another card."),
    ),
    "not_permitted": ErrorInfo(
        "card",
        True,
        _lt("The card cannot be used for this payment. Ask the customer for another card."),
    ),
    "card_not_supported": ErrorInfo(
        "card",
        True,
        _lt("This kind of card is not supported. Ask the customer for another card."),
    ),
    "currency_not_supported": ErrorInfo(
        "card",
        True,
        _lt("The card cannot be charged in this currency. Ask the customer for another card."),
    ),
    "restricted_card": ErrorInfo(
        "card",
        True,
        _lt("The card is restricted. Ask the customer for another card."),
    ),
    "processing_error": ErrorInfo(
        "card",
        True,
        _lt("An error occurred while processing the card. Try again."),
    ),
    "issuer_not_available": ErrorInfo(
        "card",
        True,
        _lt("The card's bank could not be reached. Try again in a moment."),
    ),
    "try_again_later": ErrorInfo(
        "card",
        True,
        _lt("The card was declined for a temporary reason. Try again in a moment."),
    ),
    "authentication_required": ErrorInfo(
        "card",
        True,
        _lt(
            "The bank requires the cardholder to authenticate. Ask the customer to insert the "
            "card on the reader."
        ),
    ),
    "duplicate_transaction": ErrorInfo(
        "card",
        False,
        _lt(
            "The bank saw an identical payment moments ago. Check the customer's statement "
            "before retrying."
        ),
    ),
    "testmode_decline": ErrorInfo(
        "card",
        False,
        _lt("A test card was used with live keys. Use a real card."),
    ),
    # Account and connectivity.
    "authentication_error": ErrorInfo(
        "account",
        False,
        _lt(
            "Stripe rejected the secret key. Check the Stripe provider's keys in Accounting > "
            "Configuration > Payment Providers."
        ),
    ),
    "permission_error": ErrorInfo(
        "account",
        False,
        _lt("The Stripe key is not allowed to do this. Use a secret key with full access."),
    ),
    "moto_not_enabled": ErrorInfo(
        "account",
        False,
        _lt(
            "Mail and telephone orders are not enabled on this Stripe account. Ask Stripe "
            "support to enable MOTO payments on Terminal for the account."
        ),
    ),
    "rate_limit": ErrorInfo(
        "account",
        False,
        _lt("Stripe is receiving too many requests. Wait a moment and try again."),
    ),
    "api_connection_error": ErrorInfo(
        "network",
        False,
        _lt(
            "Stripe cannot be reached. Check the internet connection; nothing was charged "
            "twice, Odoo checks again before anything else happens."
        ),
    ),
    "api_error": ErrorInfo(
        "network",
        False,
        _lt("Stripe had a temporary problem. Try again in a moment."),
    ),
    "secret_key_required": ErrorInfo(
        "account",
        False,
        _lt("Stripe needs the account's secret key for this. Check the provider's keys."),
    ),
    "api_key_expired": ErrorInfo(
        "account",
        False,
        _lt("The Stripe secret key has expired. Enter a new one on the Stripe provider."),
    ),
    "testmode_charges_only": ErrorInfo(
        "account",
        False,
        _lt("The Stripe account is not activated for live payments yet."),
    ),
    "livemode_mismatch": ErrorInfo(
        "account",
        False,
        _lt(
            "Test and live Stripe data were mixed (a test reader with live keys, or the "
            "reverse). Use readers and keys of the same mode."
        ),
    ),
    # Amounts.
    "amount_too_small": ErrorInfo(
        "amount",
        False,
        _lt("The amount is below the minimum Stripe accepts for this currency."),
    ),
    "amount_too_large": ErrorInfo(
        "amount",
        False,
        _lt("The amount is above the maximum Stripe accepts in one payment."),
    ),
    "invalid_charge_amount": ErrorInfo(
        "amount",
        False,
        _lt("Stripe does not accept this amount for this currency."),
    ),
    "payment_method_type_unavailable": ErrorInfo(
        "amount",
        False,
        _lt(
            "Stripe offers no card-present payment for this amount: the Stripe account does not "
            "take this currency on its readers (Terminal takes the local currency of the "
            "account's country only), or card-present payments are not activated on it."
        ),
    ),
    "currency_unsupported": ErrorInfo(
        "amount",
        False,
        _lt("Stripe does not accept payments in this currency on this account."),
    ),
    # Refunds.
    "charge_already_refunded": ErrorInfo(
        "refund",
        False,
        _lt("This payment has already been refunded in full."),
    ),
    "refund_exceeds_charge": ErrorInfo(
        "refund",
        False,
        _lt("The refund is larger than what remains to be refunded on this payment."),
    ),
    "charge_disputed": ErrorInfo(
        "refund",
        False,
        _lt("The customer disputed this payment; it cannot be refunded, answer the dispute."),
    ),
    "refund_disputed_payment": ErrorInfo(
        "refund",
        False,
        _lt("The customer disputed this payment; it cannot be refunded, answer the dispute."),
    ),
    "charge_not_refundable": ErrorInfo(
        "refund",
        False,
        _lt("Stripe cannot refund this payment online."),
    ),
    "interac_refund_on_reader": ErrorInfo(
        "refund",
        False,
        _lt(
            "Interac payments can only be refunded on a reader, with the customer's card. "
            "Refund it from a reader."
        ),
    ),
    # Intent states.
    "intent_invalid_state": ErrorInfo(
        "intent",
        False,
        _lt(
            "The payment is not in a state that allows this (it may already be paid or "
            "canceled). Refresh to see its current state."
        ),
    ),
    "payment_intent_unexpected_state": ErrorInfo(
        "intent",
        False,
        _lt(
            "The payment is not in a state that allows this (it may already be paid or "
            "canceled). Refresh to see its current state."
        ),
    ),
    "payment_intent_authentication_failure": ErrorInfo(
        "intent",
        True,
        _lt("The cardholder's authentication failed. Ask the customer to try again."),
    ),
    "payment_intent_payment_attempt_failed": ErrorInfo(
        "intent",
        True,
        _lt("The payment attempt failed. Ask the customer to try again or use another card."),
    ),
    "setup_intent_authentication_failure": ErrorInfo(
        "intent",
        True,
        _lt("The card could not be saved: its authentication failed."),
    ),
    "resource_missing": ErrorInfo(
        "intent",
        False,
        _lt(
            "Stripe does not know this object (it was deleted, or belongs to another Stripe "
            "account or mode)."
        ),
    ),
    "idempotency_error": ErrorInfo(
        "intent",
        False,
        _lt(
            "Stripe refused a repeated request whose content changed. Refresh the payment; "
            "nothing was charged twice."
        ),
    ),
    "idempotency_key_in_use": ErrorInfo(
        "network",
        False,
        _lt(
            "Stripe is still working on the same request. Odoo checks its outcome before "
            "anything else happens; nothing is done twice."
        ),
    ),
    "email_invalid": ErrorInfo(
        "account",
        False,
        _lt(
            "Stripe refused the customer's email address. Correct it on the contact, then try "
            "again."
        ),
    ),
    "lock_timeout": ErrorInfo(
        "network",
        False,
        _lt("Stripe was busy with this payment. Try again in a moment."),
    ),
}

# Message for an error code the table does not know (the code is added for support).
UNKNOWN_ERROR_MESSAGE = _lt("Stripe refused the request (%(code)s).")
UNKNOWN_ERROR_STRIPE_MESSAGE = _lt("Stripe refused the request (%(code)s): %(message)s")

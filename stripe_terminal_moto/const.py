# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What MOTO changes in what the accountant reads, and the protocol facts of keyed cards."""

from odoo import _lt

MODE = "moto"

# Group allowed to key cards when a company has not chosen one (the installation default).
DEFAULT_GROUP_XMLID = "account.group_account_manager"

# The reader action's configuration that makes the reader ask for a keyed card.
PROCESS_CONFIG_MOTO = "moto"

# Steps of a MOTO payment that saves the card (Stripe's documented MOTO saving flow): the card is
# keyed and saved through a SetupIntent on the reader, then the saved card is charged.
SAVE_STEPS = [
    ("setup", "Keying and saving the card"),
    ("charge", "Charging the saved card"),
]

# Instructions under the status, by stage, for MOTO payments (the account addon's table gives
# the stages not listed here). Keys are stages of `stripe.terminal.payment`.
STAGE_INSTRUCTIONS = {
    "waiting_card": _lt(
        "Key the card number, expiry date and security code (CVC) the customer gives you on "
        "the reader's screen, then confirm on the reader."
    ),
    "retrying": _lt("Key the other card the customer gives you on the reader."),
    "processing": _lt("The keyed card is being authorized."),
    "timed_out": _lt("No card was keyed in time. Retry, or cancel."),
    "customer_canceled": _lt("The keyed payment was canceled on the reader. Retry, or cancel."),
}
# While a saved card is charged after the reader saved it.
CHARGING_SAVED_CARD = _lt("The card is saved; Odoo is charging it.")

# Messages for what Stripe answers only to MOTO, or means something else for a keyed card.
ERROR_MESSAGES = {
    "moto_unsupported_reader": _lt(
        "Stripe refused to key a card on this reader: only WisePOS E, S700 and S710 readers "
        "take mail and telephone orders. Choose one of them."
    ),
    "authentication_required": _lt(
        "The card's bank wants the cardholder to authenticate, which a card saved by phone "
        "cannot do. Clear Save the Card and key the card again, or send the customer a "
        "payment link."
    ),
}
# Refusals that no retry cures: the payment is canceled at once and Register Payment says why.
REFUSAL_CODES = ("moto_not_enabled", "moto_unsupported_reader")

"""Stripe's test cards and test amounts, and what they do.

``evaluate_*`` functions return ``None`` for an approval or a :class:`Decline`.
The tables follow Stripe's Terminal testing page (see the project's
stripe-terminal-api.md, section 4).
"""

from dataclasses import dataclass

DEFAULT_CARD_PRESENT = "4242424242424242"
DEFAULT_INTERAC = "4506445006931933"


@dataclass(frozen=True)
class CardFacts:
    brand: str
    funding: str = "credit"
    country: str = "US"
    # Outcome when the card is charged.
    decline: str = None  # decline code (None: approved)
    code: str = "card_declined"  # error code Stripe reports with the decline
    verification: str = "none"  # cardholder_verification_method on the receipt
    read_method: str = "contactless_emv"
    refund_fails: bool = False  # refunds succeed, then fail asynchronously
    # Online test cards: saving works, charging without the card declines
    # (MOTO and saved cards), or asks for authentication (saved cards only;
    # MOTO is exempt from SCA).
    not_present_decline: str = None
    needs_authentication: bool = False

    @property
    def network(self):
        return "interac" if self.brand == "interac" else self.brand

    @property
    def saveable(self):
        # Single-branded Interac and eftpos cards can't become reusable cards.
        return self.brand not in ("interac", "eftpos_au")


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str
    message: str


_CARDS = {
    "4242424242424242": CardFacts("visa"),
    "4000056655665556": CardFacts("visa", funding="debit"),
    "5555555555554444": CardFacts("mastercard"),
    "5200828282828210": CardFacts("mastercard", funding="debit"),
    "5105105105105100": CardFacts("mastercard", funding="prepaid"),
    "378282246310005": CardFacts("amex"),
    "371449635398431": CardFacts("amex"),
    "6011111111111117": CardFacts("discover"),
    "6011000990139424": CardFacts("discover"),
    "3056930009020004": CardFacts("diners"),
    "36227206271667": CardFacts("diners"),
    "3566002020360505": CardFacts("jcb", country="JP"),
    "6200000000000005": CardFacts("unionpay", country="CN"),
    "4506445006931933": CardFacts(
        "interac", funding="debit", country="CA", read_method="contact_emv"
    ),
    "6280000360000978": CardFacts("eftpos_au", funding="debit", country="AU"),
    "4000050360000001": CardFacts("visa", funding="debit", country="AU"),
    "5555050360000080": CardFacts("mastercard", funding="debit", country="AU"),
    "4001007020000002": CardFacts("visa", verification="offline_pin", read_method="contact_emv"),
    "4000008260000075": CardFacts("visa", verification="offline_pin", read_method="contact_emv"),
    "4001000360000005": CardFacts("visa", verification="online_pin", read_method="contact_emv"),
    "4000002760000008": CardFacts("visa", verification="online_pin", read_method="contact_emv"),
    "4000000000000002": CardFacts("visa", decline="generic_decline"),
    "4000000000009995": CardFacts("visa", decline="insufficient_funds"),
    "4000000000009987": CardFacts("visa", decline="lost_card"),
    "4000000000009979": CardFacts("visa", decline="stolen_card"),
    "4000000000000069": CardFacts("visa", decline="expired_card", code="expired_card"),
    "4000000000000119": CardFacts("visa", decline="processing_error", code="processing_error"),
    "4000000000005126": CardFacts("visa", refund_fails=True),
    # Online test cards, used for MOTO (type=card) and saved cards:
    # attaching works, charging it later declines / asks for authentication.
    "4000000000000341": CardFacts("visa", not_present_decline="generic_decline"),
    "4000002760003184": CardFacts("visa", needs_authentication=True),
    "4000002500003155": CardFacts("visa", needs_authentication=True),
}

# Physical test card amounts: last two digits of the amount (minor units).
AMOUNT_DECLINES = {
    1: "call_issuer",
    5: "generic_decline",
    55: "incorrect_pin",
    60: "online_or_offline_pin_required",
    65: "withdrawal_count_limit_exceeded",
    75: "pin_try_exceeded",
}
# Interac partial refunds with these endings are declined on the reader.
INTERAC_REFUND_DECLINES = {1, 5, 55, 65, 75}

_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "incorrect_pin": "Your card's PIN is incorrect.",
    "pin_try_exceeded": "The allowable number of PIN tries has been exceeded.",
    "online_or_offline_pin_required": "Your card requires a PIN. Insert the card "
    "and enter the PIN.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
    "incorrect_number": "Your card number is incorrect.",
    "test_mode_live_card": "Your card was declined. Your request was in test mode, "
    "but used a non test (live) card. For a list of valid test "
    "cards, visit: https://stripe.com/docs/testing.",
}


def decline(decline_code, code="card_declined"):
    return Decline(code, decline_code, _MESSAGES.get(decline_code, "Your card was declined."))


def luhn_valid(number):
    digits = [int(d) for d in number if d.isdigit()]
    if len(digits) != len(number) or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def facts(number):
    """What the simulator knows about a card number (None: not a test card)."""
    return _CARDS.get(number)


def brand_from_number(number):
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith("6"):
        return "discover"
    return "unknown"


def evaluate_payment(number, amount, channel="present"):
    """Outcome of charging ``amount`` to the card ``number``.

    ``channel`` is ``present`` (tapped or inserted on a reader: the test
    amounts apply), ``moto`` (keyed in on a reader) or ``saved`` (a saved card
    charged off-session).
    """
    card = facts(number)
    if card is None:
        if not luhn_valid(number):
            return decline("incorrect_number", code="incorrect_number")
        return decline("test_mode_live_card")
    if card.decline:
        return decline(card.decline, card.code)
    if channel == "present":
        by_amount = AMOUNT_DECLINES.get(amount % 100)
        return decline(by_amount) if by_amount else None
    if card.not_present_decline:
        return decline(card.not_present_decline)
    if channel == "saved" and card.needs_authentication:
        return decline("authentication_required", code="authentication_required")
    return None


def evaluate_setup(number):
    """Saving a card: every decline card fails authentication."""
    card = facts(number)
    if card is None or card.decline:
        return Decline(
            "setup_intent_authentication_failure",
            None,
            "The latest attempt to set up the payment method has "
            "failed because authentication failed.",
        )
    return None


def evaluate_interac_refund(amount):
    if amount % 100 in INTERAC_REFUND_DECLINES:
        return decline(AMOUNT_DECLINES[amount % 100])
    return None


def describe(number):
    """Card facts for any number: the test card's, or a guess from its prefix."""
    return facts(number) or CardFacts(brand_from_number(number))

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Conversion between Odoo amounts and Stripe's integer amounts in the smallest currency unit."""

from decimal import ROUND_HALF_UP, Decimal

from . import const


class AmountError(ValueError):
    """An amount Stripe would refuse; `code` is the error code of `const.ERRORS`."""

    def __init__(self, code, amount, currency):
        super().__init__(f"{code}: {amount} {currency}")
        self.code = code
        self.amount = amount
        self.currency = currency


def stripe_exponent(currency):
    """Number of decimals of the integer Stripe expects for `currency` (an ISO code)."""
    code = currency.upper()
    if code in const.ZERO_DECIMAL_CURRENCIES and code not in const.HUNDREDS_ONLY_CURRENCIES:
        return 0
    if code in const.THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_stripe_amount(amount, currency):
    """Return `amount` (major units) as Stripe's integer, or raise AmountError when Stripe would
    refuse it or when it cannot be sent without changing what the customer pays."""
    code = currency.upper()
    value = Decimal(str(amount))
    exponent = stripe_exponent(code)
    minor = value.scaleb(exponent)
    rounded = minor.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if value <= 0:
        raise AmountError("invalid_charge_amount", amount, code)
    if rounded != minor:
        # More decimals than the currency has: charging a rounded amount would not match the
        # invoice, so refuse instead of guessing.
        raise AmountError("invalid_charge_amount", amount, code)
    minor = int(rounded)
    if code in const.THREE_DECIMAL_CURRENCIES and minor % 10:
        raise AmountError("invalid_charge_amount", amount, code)
    if code in const.HUNDREDS_ONLY_CURRENCIES and minor % 100:
        raise AmountError("invalid_charge_amount", amount, code)
    max_digits = const.MAX_AMOUNT_DIGITS_BY_CURRENCY.get(code, const.MAX_AMOUNT_DIGITS)
    if minor >= 10**max_digits:
        raise AmountError("amount_too_large", amount, code)
    minimum = const.MINIMUM_AMOUNTS.get(code)
    if minimum is not None and value < Decimal(str(minimum)):
        raise AmountError("amount_too_small", amount, code)
    return minor


def from_stripe_amount(minor, currency):
    """Return Stripe's integer `minor` as a Decimal in major units."""
    return Decimal(int(minor)).scaleb(-stripe_exponent(currency))

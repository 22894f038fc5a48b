# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..amounts import AmountError, from_stripe_amount, to_stripe_amount


@tagged("post_install", "-at_install")
class TestAmounts(BaseCase):
    def test_two_decimal_currencies(self):
        self.assertEqual(to_stripe_amount(10.0, "usd"), 1000)
        self.assertEqual(to_stripe_amount(0.5, "EUR"), 50)
        self.assertEqual(to_stripe_amount("1234.56", "GBP"), 123456)
        self.assertEqual(from_stripe_amount(123456, "GBP"), Decimal("1234.56"))

    def test_zero_decimal_currencies(self):
        self.assertEqual(to_stripe_amount(500, "JPY"), 500)
        self.assertEqual(to_stripe_amount(15000, "KRW"), 15000)
        self.assertEqual(from_stripe_amount(500, "jpy"), Decimal(500))
        with self.assertRaises(AmountError) as caught:
            to_stripe_amount(500.5, "JPY")
        self.assertEqual(caught.exception.code, "invalid_charge_amount")

    def test_three_decimal_currencies_need_a_trailing_zero(self):
        self.assertEqual(to_stripe_amount("5.120", "KWD"), 5120)
        self.assertEqual(from_stripe_amount(5120, "KWD"), Decimal("5.120"))
        with self.assertRaises(AmountError) as caught:
            to_stripe_amount("5.125", "KWD")
        self.assertEqual(caught.exception.code, "invalid_charge_amount")

    def test_hundreds_only_currencies(self):
        self.assertEqual(to_stripe_amount(5, "ISK"), 500)
        self.assertEqual(to_stripe_amount(1000, "UGX"), 100000)
        with self.assertRaises(AmountError):
            to_stripe_amount("5.5", "ISK")

    def test_too_many_decimals_is_refused_not_rounded(self):
        with self.assertRaises(AmountError):
            to_stripe_amount("10.005", "USD")

    def test_minimum_and_maximum(self):
        with self.assertRaises(AmountError) as caught:
            to_stripe_amount("0.49", "USD")
        self.assertEqual(caught.exception.code, "amount_too_small")
        self.assertEqual(to_stripe_amount("0.30", "GBP"), 30)
        with self.assertRaises(AmountError) as caught:
            to_stripe_amount(1000000, "USD")
        self.assertEqual(caught.exception.code, "amount_too_large")
        self.assertEqual(to_stripe_amount("999999.99", "USD"), 99999999)

    def test_zero_and_negative_amounts(self):
        for amount in (0, -1, "-0.01"):
            with self.assertRaises(AmountError) as caught:
                to_stripe_amount(amount, "USD")
            self.assertEqual(caught.exception.code, "invalid_charge_amount")

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The database itself keeps a card refund exactly once, on every series (19.0 ignores
`_sql_constraints`; these are declared with compat.Constraint)."""

from odoo.tests import tagged

from .common import StripeTerminalRefundCase


@tagged("post_install", "-at_install")
class TestConstraints(StripeTerminalRefundCase):
    def test_a_card_refund_is_recorded_and_booked_once(self):
        invoice, _payment = self.paid_invoice(40.0)
        refund = self.refund(self.credit_note(invoice))
        self.assertEqual(refund.state, "succeeded")
        self.assertTrue(refund.stripe_refund_id and refund.account_payment_id)
        self.assert_refuses_copy(refund, "stripe_refund_uniq")
        self.assert_refuses_update(refund, "amount_positive", amount_minor="0")
        self.assert_refuses_copy(refund.account_payment_id, "stripe_terminal_refund_uniq")

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.tests import tagged

from .common import StripeTerminalRefundCase


@tagged("post_install", "-at_install")
class TestRefundBrowser(StripeTerminalRefundCase):
    def setUp(self):
        super().setUp()
        # The HTTP server lists the addons' static folders on its first static request, parsing
        # every manifest. Chromium's parallel first requests can run that in several threads at
        # once, which CPython 3.11's parser does not always survive ("AST constructor recursion
        # depth mismatch"): list them once here, before the browser starts.
        # 19.0 reads the manifests once, when the server starts (static_path, no statics).
        if hasattr(http.root, "static_path"):
            self.assertTrue(http.root.static_path("stripe_terminal_refund"))
        else:
            self.assertIn("stripe_terminal_refund", http.root.statics)

    def test_tour_refund_to_card_from_the_credit_note(self):
        invoice, payment = self.paid_invoice(64.0)
        credit_note = self.credit_note(invoice)
        self.env.flush_all()
        url = f"/web#id={credit_note.id}&model=account.move&view_type=form"
        # The browser drives the test: Stripe's webhooks may reach Odoo meanwhile.
        with self.webhooks_mode("deliver"):
            self.start_tour(url, "stripe_terminal_refund_to_card", login=self.accountant.login)
        self.env.invalidate_all()
        refund = payment.refund_ids
        self.assert_refunded(refund, credit_note, 64.0)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(refund.user_id, self.accountant)

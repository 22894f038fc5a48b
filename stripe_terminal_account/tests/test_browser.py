# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import CardPresenter, StripeTerminalAccountCase


@tagged("post_install", "-at_install")
class TestBrowser(StripeTerminalAccountCase):
    def test_tour_opens_the_accounting_app(self):
        self.start_tour("/web", "stripe_terminal_open_accounting", login="admin")

    def test_tour_collects_an_invoice_on_the_reader(self):
        self.accountant.stripe_terminal_reader_id = self.reader
        invoice = self.create_invoice(86.0)
        presenter = CardPresenter(self.simulator, self.secret_key, self.reader.stripe_reader_id)
        presenter.start()
        with self.webhooks_mode("deliver"):
            self.start_tour(
                f"/web#model=account.move&id={invoice.id}&view_type=form",
                "stripe_terminal_collect_invoice",
                login=self.accountant.login,
            )
        presenter.join(timeout=5)
        self.assertIsNone(presenter.error)
        self.assertTrue(presenter.presented.is_set())
        self.env.invalidate_all()
        self.assertEqual(invoice.payment_state, "paid")
        payment = self.env["stripe.terminal.payment"].search([("invoice_ids", "=", invoice.id)])
        self.assert_paid_once(payment)

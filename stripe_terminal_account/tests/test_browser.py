# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading
import time

from odoo.tests import tagged

from .common import StripeTerminalAccountCase


class CardPresenter(threading.Thread):
    """The customer at the counter: waits until the reader shows a payment, then taps a card.
    Talks to the simulator only (never to Odoo's database, which the browser is using)."""

    def __init__(self, stripe_client, reader_id, number="4242424242424242", timeout=60):
        super().__init__(daemon=True)
        self.stripe = stripe_client
        self.reader_id = reader_id
        self.number = number
        self.timeout = timeout
        self.presented = threading.Event()
        self.error = None

    def run(self):
        deadline = time.monotonic() + self.timeout
        pause = threading.Event()
        try:
            while time.monotonic() < deadline:
                reader = self.stripe.v1.terminal.readers.retrieve(self.reader_id)
                if reader.action and reader.action.status == "in_progress":
                    self.stripe.v1.test_helpers.terminal.readers.present_payment_method(
                        self.reader_id,
                        {"type": "card_present", "card_present": {"number": self.number}},
                    )
                    self.presented.set()
                    return
                pause.wait(0.1)
            self.error = "the reader never waited for a card"
        except Exception as error:  # reported by the test
            self.error = repr(error)


@tagged("post_install", "-at_install")
class TestBrowser(StripeTerminalAccountCase):
    def test_tour_opens_the_accounting_app(self):
        self.start_tour("/web", "stripe_terminal_open_accounting", login="admin")

    def test_tour_collects_an_invoice_on_the_reader(self):
        self.accountant.stripe_terminal_reader_id = self.reader
        invoice = self.create_invoice(86.0)
        presenter = CardPresenter(self.stripe, self.reader.stripe_reader_id)
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

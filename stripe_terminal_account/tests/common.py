# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test API for invoice collection, reused by the refund and MOTO addons' tests."""

import threading

from odoo import Command, fields
from odoo.tests import Form

from odoo.addons.stripe_terminal_base import compat
from odoo.addons.stripe_terminal_base.tests.common import StripeTerminalCase, wait_until

from .. import const


class CardPresenter(threading.Thread):
    """The customer at the counter, for browser tours: once the reader shows a payment and the
    overlay follows it (its refresh asked Odoo, which asked Stripe, about the PaymentIntent),
    presents a card. Talks to the simulator only, never to Odoo's database, which the browser
    is using meanwhile.

    `card` is the test helper's parameters: {"type": "card_present", "card_present": {...}} by
    default; {"type": "card", "card": {...}} keys a card for MOTO.
    """

    def __init__(self, simulator, secret_key, reader_id, card=None, timeout=60):
        super().__init__(daemon=True)
        self.simulator = simulator
        self.secret_key = secret_key
        self.stripe = StripeTerminalCase.stripe_client(secret_key)
        self.reader_id = reader_id
        self.card = card or {
            "type": "card_present",
            "card_present": {"number": "4242424242424242"},
        }
        self.timeout = timeout
        self.presented = threading.Event()
        self.error = None

    def _intent_on_reader(self):
        action = self.stripe.v1.terminal.readers.retrieve(self.reader_id).to_dict().get("action")
        if action and action["status"] == "in_progress":
            return (action.get("process_payment_intent") or {}).get("payment_intent")
        return None

    def _overlay_follows(self, intent_id):
        return any(
            entry["method"] == "GET" and entry["path"] == f"/v1/payment_intents/{intent_id}"
            for entry in self.simulator.requests_log(api_key=self.secret_key)
        )

    def run(self):
        try:
            intent_id = wait_until(
                self._intent_on_reader, timeout=self.timeout, message="a payment on the reader"
            )
            wait_until(
                lambda: self._overlay_follows(intent_id),
                timeout=self.timeout,
                message="the overlay following the payment",
            )
            self.stripe.v1.test_helpers.terminal.readers.present_payment_method(
                self.reader_id, self.card
            )
            self.presented.set()
        except Exception as error:  # reported by the test
            self.error = repr(error)


class StripeTerminalAccountCase(StripeTerminalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.company.currency_id
        cls.journal = cls.env["account.journal"].create(
            {
                "name": "Stripe",
                "code": "STRP",
                "type": "bank",
                "company_id": cls.company.id,
                "is_stripe_journal": True,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Card Customer", "email": "card.customer@example.com"}
        )
        accounts = cls.env["account.account"]
        # The company's domain: account.account has company_id until 17, company_ids from 18.
        cls.income_account = accounts.search(
            [*accounts._check_company_domain(cls.company), ("account_type", "=", "income")],
            limit=1,
        )

    def setUp(self):
        super().setUp()
        self.reader = self.create_reader(label="Front desk")

    def set_auto_retries(self, count):
        """How many declined cards are followed by an automatic new attempt."""
        self.env["ir.config_parameter"].sudo().set_param(const.AUTO_RETRIES_PARAM, count)

    # === Invoices === #

    @classmethod
    def create_invoice(
        cls, amount=100.0, partner=None, currency=None, move_type="out_invoice", post=True
    ):
        invoice = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or cls.customer).id,
                "currency_id": (currency or cls.currency).id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Goods",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                            "account_id": cls.income_account.id,
                        }
                    )
                ],
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def other_bank_journal(self):
        """A bank journal of the company that is not the Stripe one (cash, transfers...)."""
        return self.env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", self.company.id),
                ("id", "!=", self.journal.id),
            ],
            limit=1,
        )

    def register_wizard(self, invoices, user=None, **values):
        """Register Payment on `invoices`, Stripe journal chosen, as `user` (the accountant by
        default): the form the accountant fills in."""
        user = user or self.accountant
        context = {"active_model": "account.move", "active_ids": invoices.ids}
        wizard_form = Form(
            self.env["account.payment.register"].with_user(user).with_context(**context)
        )
        wizard_form.journal_id = values.pop("journal", self.journal)
        for name, value in values.items():
            setattr(wizard_form, name, value)
        return wizard_form.save()

    def collect(self, invoices, user=None, **values):
        """Collect and return the terminal payment the overlay follows."""
        values.setdefault("stripe_terminal_reader_id", self.reader)
        wizard = self.register_wizard(invoices, user=user, **values)
        action = wizard.action_stripe_terminal_collect()
        self.assertEqual(action["type"], "ir.actions.client")
        self.assertEqual(action["tag"], "stripe_terminal_overlay")
        self.env.invalidate_all()
        return self.env["stripe.terminal.payment"].browse(action["params"]["payment_id"])

    def pay(self, payment, number="4242424242424242", **extra):
        """The customer presents a card; Stripe's webhooks reach Odoo."""
        self.present_card(payment.reader_id, number, **extra)
        self.deliver_webhooks()
        return payment

    def assert_paid_once(self, payment, invoices=None):
        invoices = invoices or payment.invoice_ids
        self.assertEqual(payment.state, "done")
        account_payments = self.env["account.payment"].search(
            [("stripe_terminal_payment_id", "=", payment.id)]
        )
        self.assertEqual(len(account_payments), 1)
        self.assertEqual(account_payments, payment.account_payment_id)
        self.assertIn(account_payments.state, compat.PAYMENT_BOOKED_STATES)
        self.assertIn(payment.payment_intent_id, account_payments[compat.payment_memo_field()])
        charges = [
            charge
            for charge in self.simulator.account_objects(self.secret_key, "charge")
            if charge["payment_intent"] == payment.payment_intent_id and charge["paid"]
        ]
        self.assertEqual(len(charges), 1, "one charge on Stripe")
        return account_payments

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeTerminalAccountCase


@tagged("post_install", "-at_install")
class TestCollect(StripeTerminalAccountCase):
    def test_card_present_payment_posts_and_reconciles(self):
        invoice = self.create_invoice(125.0)
        payment = self.collect(invoice)
        self.assertEqual(payment.state, "pending")
        self.assertEqual(payment.stage, "waiting_card")
        self.assertEqual(payment.amount_minor, 12500)
        self.assertEqual(payment.user_id, self.accountant)
        self.assertEqual(payment.invoice_ids, invoice)
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.amount, 12500)
        self.assertEqual(intent.currency, "usd")
        self.assertEqual(list(intent.payment_method_types), ["card_present"])
        self.assertEqual(intent.customer, payment.stripe_customer_id)
        self.assertEqual(intent.metadata["odoo_invoices"], invoice.name)
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertEqual(reader.action.status, "in_progress")
        self.assertEqual(reader.action.process_payment_intent.payment_intent, intent.id)

        self.pay(payment)
        self.assertEqual(payment.stage, "approved")
        account_payment = self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(account_payment.amount, 125.0)
        self.assertEqual(account_payment.journal_id, self.journal)
        self.assertEqual(payment.card_brand, "visa")
        self.assertEqual(payment.card_last4, "4242")
        self.assertEqual(account_payment.stripe_terminal_card, "Visa •••• 4242")
        notes = invoice.message_ids.filtered(lambda m: "Visa •••• 4242" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn(payment.payment_intent_id, notes.body)
        self.assertFalse(payment.token_id, "the card is saved only when asked")

    def test_default_reader_is_preselected(self):
        second = self.create_reader("simulated-s700", label="Back office")
        self.accountant.stripe_terminal_reader_id = second
        wizard = self.register_wizard(self.create_invoice(10.0))
        self.assertTrue(wizard.is_stripe_journal)
        self.assertEqual(wizard.stripe_terminal_reader_id, second)

    def test_partial_payment(self):
        invoice = self.create_invoice(200.0)
        payment = self.pay(self.collect(invoice, amount=80.0))
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 120.0)
        # The booked payment released the invoice: the rest can be collected.
        rest = self.pay(self.collect(invoice))
        self.assert_paid_once(rest)
        self.assertEqual(invoice.payment_state, "paid")

    def test_several_invoices_of_one_customer_at_once(self):
        invoices = self.create_invoice(30.0) | self.create_invoice(45.5)
        payment = self.collect(invoices, group_payment=True)
        self.assertEqual(payment.amount_minor, 7550)
        self.pay(payment)
        account_payment = self.assert_paid_once(payment)
        self.assertEqual(set(invoices.mapped("payment_state")), {"paid"})
        self.assertEqual(account_payment.amount, 75.5)

    def test_a_payment_of_many_invoices_has_a_description_stripe_takes(self):
        # Stripe refuses a description over 1,000 characters; 70 invoice names are longer.
        invoices = self.env["account.move"]
        for _index in range(70):
            invoices |= self.create_invoice(1.0, post=False)
        invoices.action_post()
        payment = self.collect(invoices, group_payment=True)
        self.assertEqual(payment.state, "pending", payment.failure_message)
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertLessEqual(len(intent.description), 1000)
        self.assertTrue(intent.description.startswith(f"Invoices {min(invoices.mapped('name'))}, "))
        self.assertRegex(intent.description, r"and \d+ more$")
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_zero_decimal_currency(self):
        # Yen is Terminal's currency in Japan only: a Japanese Stripe account and location.
        self.use_fresh_account(country="JP")
        self.reader = self.create_reader(label="Tokyo counter")
        jpy = self.env.ref("base.JPY")
        jpy.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": jpy.id, "rate": 150.0, "company_id": self.company.id}
        )
        invoice = self.create_invoice(5000, currency=jpy)
        payment = self.collect(invoice)
        self.assertEqual(payment.amount_minor, 5000)
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual((intent.amount, intent.currency), (5000, "jpy"))
        self.pay(payment)
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")

    def test_refused_before_anything_reaches_the_reader(self):
        invoice = self.create_invoice(100.0)
        requests_before = len(self.stripe_requests())
        for values, message in (
            ({"amount": 0.0}, "must be positive"),
            ({"amount": -5.0}, "must be positive"),
            ({"amount": 150.0}, "more than"),
            ({"amount": 0.2}, "below the minimum"),
        ):
            with self.subTest(values=values):
                wizard = self.register_wizard(
                    invoice, stripe_terminal_reader_id=self.reader, **values
                )
                with self.assertRaisesRegex(UserError, message):
                    wizard.action_stripe_terminal_collect()
        self.assertEqual(len(self.stripe_requests()), requests_before)
        self.assertFalse(self.env["stripe.terminal.payment"].search([]))

    def test_vendor_bills_are_refused(self):
        bill = self.create_invoice(100.0, move_type="in_invoice")
        wizard = self.register_wizard(bill, stripe_terminal_reader_id=self.reader)
        with self.assertRaisesRegex(UserError, "customer payments only"):
            wizard.action_stripe_terminal_collect()

    def test_a_currency_stripe_refuses(self):
        kwd = self.env.ref("base.KWD")
        kwd.write({"active": True, "rounding": 0.001})
        self.env["res.currency.rate"].create(
            {"currency_id": kwd.id, "rate": 0.3, "company_id": self.company.id}
        )
        invoice = self.create_invoice(10.0, currency=kwd)
        # Stripe takes thousandths of a dinar that end in 0: 5.125 cannot be charged as is.
        wizard = self.register_wizard(invoice, stripe_terminal_reader_id=self.reader, amount=5.125)
        self.assertEqual((wizard.currency_id, wizard.amount), (kwd, 5.125))
        with self.assertRaisesRegex(UserError, "Stripe cannot charge"):
            wizard.action_stripe_terminal_collect()

    def test_an_offline_reader_refuses_the_payment_with_a_clear_message(self):
        # Stripe's status does not block the Collect; the reader action answers, and the
        # overlay says what to do, with Retry and Cancel.
        self.simulator.set_reader_online(self.reader.stripe_reader_id, False)
        payment = self.collect(self.create_invoice(10.0))
        self.assertEqual((payment.state, payment.stage), ("error", "offline"))
        self.assertEqual(payment.failure_code, "terminal_reader_offline")
        self.assertIn("offline", payment.failure_message)
        state = payment.with_user(self.accountant).action_stripe_terminal_state()
        self.assertTrue(state["can_retry"] and state["can_cancel"])
        self.env.invalidate_all()
        self.assertEqual(self.reader.status, "offline", "the reader list shows what Stripe said")
        # Back online, Retry sends the same PaymentIntent.
        self.simulator.set_reader_online(self.reader.stripe_reader_id, True)
        payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual((payment.state, payment.stage), ("pending", "waiting_card"))
        self.pay(payment)
        self.assertEqual(payment.state, "done")
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)

    def test_a_reader_stripe_says_is_offline_still_takes_the_payment(self):
        # A missed heartbeat: the status says offline, the reader answers.
        self.simulator.set_reader_reported_status(self.reader.stripe_reader_id, "offline")
        payment = self.collect(self.create_invoice(10.0))
        self.assertEqual((payment.state, payment.stage), ("pending", "waiting_card"))
        self.pay(payment)
        self.assertEqual(payment.state, "done")

    def test_busy_reader_is_refused(self):
        first = self.collect(self.create_invoice(10.0))
        self.assertEqual(first.state, "pending")
        wizard = self.register_wizard(
            self.create_invoice(20.0), stripe_terminal_reader_id=self.reader
        )
        with self.assertRaisesRegex(UserError, "busy"):
            wizard.action_stripe_terminal_collect()

    def test_one_payment_per_reader_even_if_stripe_says_idle(self):
        first = self.collect(self.create_invoice(10.0))
        # The reader's action ended on Stripe's side, but Odoo still follows the payment.
        self.stripe.v1.terminal.readers.cancel_action(self.reader.stripe_reader_id)
        wizard = self.register_wizard(
            self.create_invoice(20.0), stripe_terminal_reader_id=self.reader
        )
        with self.assertRaisesRegex(UserError, first.name):
            wizard.action_stripe_terminal_collect()

    def test_reader_of_another_company_is_refused(self):
        other_company = self.env["res.company"].create(
            {"name": "Other Co", "country_id": self.env.ref("base.us").id}
        )
        other_provider = self.setup_stripe_provider(other_company)
        other_reader = self.register_reader(
            other_provider, self.create_location(other_provider), label="Elsewhere"
        )
        wizard = self.register_wizard(self.create_invoice(10.0), user=self.env.user)
        wizard.stripe_terminal_reader_id = other_reader
        with self.assertRaisesRegex(UserError, "another Stripe account|belongs to"):
            wizard.action_stripe_terminal_collect()

    def test_legacy_reader_is_refused(self):
        p400 = self.create_reader("verifone_P400", label="Old P400")
        wizard = self.register_wizard(self.create_invoice(10.0))
        wizard.stripe_terminal_reader_id = p400
        with self.assertRaisesRegex(UserError, "cannot take payments from Odoo"):
            wizard.action_stripe_terminal_collect()

    def test_saved_card_for_repeat_customers(self):
        invoice = self.create_invoice(60.0)
        payment = self.pay(
            self.collect(invoice, stripe_terminal_save_card=True), number="5555555555554444"
        )
        self.assert_paid_once(payment)
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.setup_future_usage, "off_session")
        self.assertTrue(payment.token_id)
        self.assertEqual(payment.token_id.partner_id, self.customer)
        self.assertEqual(payment.token_id.payment_details, "4444")
        # The next payment of the customer reuses the same Stripe Customer.
        second = self.pay(self.collect(self.create_invoice(10.0)))
        self.assertEqual(second.stripe_customer_id, payment.stripe_customer_id)
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "customer")), 1)

    def test_journal_flag_rules(self):
        # A journal of its own: 19.0's company has no cash journal by default.
        cash = self.env["account.journal"].create(
            {"name": "Till", "code": "TILL", "type": "cash", "company_id": self.company.id}
        )
        with self.assertRaisesRegex(Exception, "Only bank journals"):
            cash.is_stripe_journal = True
        self.journal.outbound_payment_method_line_ids.unlink()
        self.assertIn("no outgoing payment method", self.journal.stripe_terminal_outbound_warning)

    def test_interac_debit_cards_in_canada(self):
        cad = self.env.ref("base.CAD")
        cad.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": cad.id, "rate": 1.35, "company_id": self.company.id}
        )
        self.company.country_id = self.env.ref("base.ca")
        self.use_fresh_account(country="CA")
        self.reader = self.create_reader(label="Toronto counter")
        invoice = self.create_invoice(48.0, currency=cad)
        payment = self.collect(invoice)
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(list(intent.payment_method_types), ["card_present", "interac_present"])
        self.present_card(self.reader, "4506445006931933", card_type="interac_present")
        self.deliver_webhooks()
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        # Elsewhere, card-present only.
        self.company.country_id = self.env.ref("base.us")
        self.use_fresh_account(country="US")
        self.reader = self.create_reader(label="Front desk")
        us_payment = self.collect(self.create_invoice(10.0))
        intent = self.stripe.v1.payment_intents.retrieve(us_payment.payment_intent_id)
        self.assertEqual(list(intent.payment_method_types), ["card_present"])

    def test_a_currency_the_reader_does_not_take_is_refused_before_stripe(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        wizard = self.register_wizard(
            self.create_invoice(10.0, currency=eur), stripe_terminal_reader_id=self.reader
        )
        before = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "takes USD only"):
            wizard.action_stripe_terminal_collect()
        self.assertEqual(len(self.stripe_requests()), before)
        self.assertFalse(self.env["stripe.terminal.payment"].search([]))

    def test_an_intent_stripe_made_without_card_present_never_reaches_the_reader(self):
        # allowed_payment_method_types drops silently what does not apply: a Canadian account
        # whose card-present payments are not activated answers Interac only.
        cad = self.env.ref("base.CAD")
        cad.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": cad.id, "rate": 1.35, "company_id": self.company.id}
        )
        self.company.country_id = self.env.ref("base.ca")
        self.use_fresh_account(country="CA")
        self.simulator.configure_account(
            self.secret_key, disabled_payment_method_types=["card_present"]
        )
        self.reader = self.create_reader(label="Toronto counter")
        invoice = self.create_invoice(48.0, currency=cad)
        payment = self.collect(invoice)
        self.assertEqual(
            (payment.state, payment.failure_code), ("canceled", "payment_method_type_unavailable")
        )
        self.assertIn("interac_present, not card_present", payment.failure_message)
        paths = [entry["path"] for entry in self.stripe_requests()]
        self.assertFalse([path for path in paths if path.endswith("/process_payment_intent")])
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.status, "canceled")
        self.assertFalse(self.env["stripe.terminal.payment.hold"].search([]), "the invoice is free")
        # Nothing usable at all: Stripe refuses the intent, the overlay says why.
        self.simulator.configure_account(
            self.secret_key, disabled_payment_method_types=["card_present", "interac_present"]
        )
        refused = self.collect(self.create_invoice(20.0, currency=cad))
        self.assertEqual(
            (refused.state, refused.failure_code), ("error", "payment_method_type_unavailable")
        )
        self.assertIn("local currency", refused.failure_message)

    def test_a_card_charged_for_invoices_paid_meanwhile_is_booked_for_review(self):
        invoice = self.create_invoice(70.0)
        payment = self.collect(invoice)
        bank = self.other_bank_journal()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": bank.id})._create_payments()
        self.assertEqual(invoice.payment_state, "paid")
        self.pay(payment)
        booked = self.assert_paid_once(payment)
        self.assertFalse(booked.is_reconciled)
        self.assertEqual(booked.amount, 70.0)
        activity = payment.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)
        self.assertIn(booked.name, activity.note)

    def test_collect_needs_a_stripe_journal(self):
        bank = self.other_bank_journal()
        wizard = self.register_wizard(self.create_invoice(10.0), journal=bank)
        self.assertFalse(wizard.is_stripe_journal)
        requests_before = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "Choose a Stripe journal"):
            wizard.action_stripe_terminal_collect()
        self.assertEqual(len(self.stripe_requests()), requests_before)

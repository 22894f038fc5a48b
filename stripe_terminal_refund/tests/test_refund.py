# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from unittest.mock import patch

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.stripe_terminal_base.const import ERRORS

from ..models.stripe_terminal_refund import run_in_retried_transactions
from .common import StripeTerminalRefundCase


@tagged("post_install", "-at_install")
class TestRefund(StripeTerminalRefundCase):
    def test_full_refund_to_the_card(self):
        invoice, payment = self.paid_invoice(100.0)
        credit_note = self.credit_note(invoice)
        self.assertTrue(credit_note.stripe_terminal_can_refund)
        self.assertEqual(credit_note.stripe_terminal_origin_payment_ids, payment)

        wizard = self.refund_wizard(credit_note, description="Goods returned")
        self.assertEqual(wizard.payment_ids, payment)
        self.assertEqual(wizard.terminal_payment_id, payment)
        self.assertEqual(wizard.residual, 100.0)
        self.assertEqual(wizard.amount, 100.0, "the credit note's residual is proposed")
        self.assertFalse(wizard.warning)
        self.assertFalse(wizard.on_reader)
        line = wizard.payment_ids
        self.assertEqual(
            (line.card_summary, line.amount, line.refunded_amount, line.refundable_amount),
            ("Visa •••• 4242", 100.0, 0.0, 100.0),
        )
        action = wizard.action_confirm()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Visa •••• 4242", action["params"]["message"])
        self.env.invalidate_all()

        refund = payment.refund_ids
        self.assertEqual(len(refund), 1)
        account_payment = self.assert_refunded(refund, credit_note, 100.0)
        self.assertEqual(refund.user_id, self.accountant)
        self.assertEqual(refund.credit_note_id, credit_note)
        self.assertEqual(refund.invoice_id, invoice)
        self.assertEqual(refund.description, "Goods returned")
        self.assertEqual(account_payment.create_uid, self.accountant)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertFalse(credit_note.stripe_terminal_can_refund)
        self.assertEqual(invoice.payment_state, "paid", "the invoice stays paid")

        # Against the original PaymentIntent, with a key of this refund record.
        stripe_refund = self.stripe.v1.refunds.retrieve(refund.stripe_refund_id)
        self.assertEqual(stripe_refund.reason, "requested_by_customer")
        self.assertEqual(stripe_refund.metadata["odoo_refund_id"], str(refund.id))
        self.assertEqual(stripe_refund.metadata["odoo_credit_note"], credit_note.name)
        self.assertEqual(stripe_refund.metadata["odoo_reason"], "Goods returned")
        (request,) = self.refund_requests()
        self.assertEqual(request["idempotency_key"], refund._key())
        self.assertEqual(request["status"], 200)

        # The card payment counts and lists its refunds.
        self.assertEqual(payment.refund_count, 1)
        self.assertEqual(payment.refunded_amount, 100.0)
        self.assertEqual(payment.refundable_amount, 0.0)
        action = payment.action_view_stripe_terminal_refunds()
        self.assertEqual(action["res_id"], refund.id)

        # Who, when, how much, which card, Stripe's id: on the invoice, the credit note and the
        # card payment.
        for record in (invoice, credit_note, payment):
            notes = record.message_ids.filtered(lambda m: refund.stripe_refund_id in (m.body or ""))
            self.assertEqual(len(notes), 1, record.display_name)
            for text in ("100.00", "Visa •••• 4242", self.accountant.name):
                self.assertIn(text, notes.body, record.display_name)
            self.assertEqual(notes.author_id, self.accountant.partner_id)

    def test_two_partial_refunds_of_one_payment(self):
        invoice, payment = self.paid_invoice(100.0)
        credit_note = self.credit_note(invoice)
        first = self.refund(credit_note, amount=30.0, reason="duplicate")
        self.assert_refunded(first, credit_note, 30.0)
        self.assertEqual(credit_note.payment_state, "partial")
        self.assertAlmostEqual(credit_note.amount_residual, 70.0)
        self.assertEqual(payment.refundable_amount, 70.0)

        # Later, a second refund of the same payment.
        wizard = self.refund_wizard(credit_note)
        self.assertEqual(wizard.payment_ids.refunded_amount, 30.0)
        self.assertEqual(wizard.amount, 70.0)
        wizard.amount = 50.0
        wizard.action_confirm()
        self.env.invalidate_all()
        second = payment.refund_ids - first
        self.assert_refunded(second, credit_note, 50.0)
        self.assertAlmostEqual(credit_note.amount_residual, 20.0)
        self.assertEqual(sorted(r["amount"] for r in self.stripe_refunds(payment)), [3000, 5000])
        self.assertEqual(
            self.stripe.v1.refunds.retrieve(first.stripe_refund_id).reason, "duplicate"
        )
        keys = [request["idempotency_key"] for request in self.refund_requests()]
        self.assertEqual(keys, [first._key(), second._key()])
        self.assertEqual((payment.refund_count, payment.refunded_amount), (2, 80.0))
        self.assertEqual(self.refund_wizard(credit_note).amount, 20.0)

    def test_over_refund_is_blocked_before_stripe(self):
        invoice, payment = self.paid_invoice(100.0)
        returned = self.credit_note(invoice, amount=60.0)
        self.refund(returned)
        self.assertEqual(payment.refundable_amount, 40.0)
        requests = len(self.stripe_requests())

        # A second return of the same goods: 60 credited, only 40 left on the card.
        again = self.credit_note(invoice, amount=60.0)
        wizard = self.refund_wizard(again)
        self.assertEqual(wizard.amount, 40.0, "capped by what the payment can still refund")
        for amount, message in (
            (50.0, r"At most \$\s40.00 can still be refunded"),
            (61.0, r"more than the \$\s60.00 left to refund"),
            (0.0, "must be positive"),
            (-5.0, "must be positive"),
        ):
            with self.subTest(amount=amount):
                wizard.amount = amount
                with self.assertRaisesRegex(UserError, message):
                    wizard.action_confirm()
        self.assertEqual(len(self.stripe_requests()), requests, "Stripe was not called")
        self.assertEqual(len(payment.refund_ids), 1)

        # Below Stripe's minimum charge is fine for a refund.
        small = self.refund_wizard(again, amount=0.2)
        small.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(payment.refund_ids.sorted("id")[-1].amount_minor, 20)

        # Everything refunded: the wizard says so.
        self.refund(again, amount=39.8)
        third = self.credit_note(invoice, amount=10.0)
        wizard = self.refund_wizard(third)
        self.assertEqual(wizard.amount, 0.0)
        self.assertIn("nothing left to refund", wizard.warning)
        wizard.amount = 5.0
        with self.assertRaisesRegex(UserError, "nothing left to refund"):
            wizard.action_confirm()

    def test_stripe_errors_are_mapped_when_reached(self):
        """Refunds made in Stripe's Dashboard that Odoo does not know yet (their webhooks are
        still on the way): Stripe's own refusal reaches the accountant in words."""
        invoice, payment = self.paid_invoice(100.0)
        credit_note = self.credit_note(invoice)
        self.stripe.v1.refunds.create({"payment_intent": payment.payment_intent_id, "amount": 7000})
        wizard = self.refund_wizard(credit_note, amount=50.0)
        with self.assertRaisesRegex(UserError, str(ERRORS["refund_exceeds_charge"].message)):
            wizard.action_confirm()
        self.env.invalidate_all()
        refused = payment.refund_ids
        self.assertEqual(refused.state, "refused")
        self.assertEqual(refused.failure_code, "refund_exceeds_charge")
        self.assertFalse(refused.account_payment_id)
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertEqual(payment.refundable_amount, 100.0, "a refused refund reserves nothing")

        self.stripe.v1.refunds.create({"payment_intent": payment.payment_intent_id})
        wizard = self.refund_wizard(credit_note, amount=20.0)
        with self.assertRaisesRegex(UserError, str(ERRORS["charge_already_refunded"].message)):
            wizard.action_confirm()

        # Once Stripe's webhooks arrive, Odoo knows about the Dashboard's refunds.
        self.deliver_webhooks()
        outside = payment.refund_ids.filtered(lambda r: r.origin == "stripe")
        self.assertEqual(sorted(outside.mapped("amount")), [30.0, 70.0])
        self.assertEqual(set(outside.mapped("state")), {"succeeded"})
        self.assertEqual(payment.refundable_amount, 0.0)
        self.assertEqual(len(outside.activity_ids), 2)
        self.assertEqual(outside.activity_ids.user_id, self.accountant, "the collector is told")
        self.assertFalse(
            self.env["account.payment"].search([("stripe_terminal_refund_id", "in", outside.ids)])
        )
        wizard = self.refund_wizard(credit_note)
        self.assertIn("nothing left to refund", wizard.warning)

    def test_two_users_refund_at_once(self):
        """Two accountants refund two credit notes of one invoice at the same time; each saw
        the whole payment refundable when they checked. The second refund is recorded right
        after the first one: under the payment's lock it is computed again, and refused before
        Stripe is called."""
        invoice, payment = self.paid_invoice(100.0)
        first_note = self.credit_note(invoice, amount=60.0)
        second_note = self.credit_note(invoice, amount=60.0)
        first = self.refund_wizard(first_note, user=self.accountant)
        second = self.refund_wizard(second_note, user=self.manager)
        self.assertEqual((first.amount, second.amount), (60.0, 60.0))

        refund_class = type(self.env["stripe.terminal.refund"])
        create_and_send = refund_class._stripe_terminal_create_and_send
        interleaved = []

        def first_one_gets_there_first(model, values):
            # The second wizard passed its own checks; the first accountant's refund is
            # recorded and sent before the second one is recorded.
            if values["user_id"] == self.manager.id and not interleaved:
                interleaved.append(first.action_confirm())
            return create_and_send(model, values)

        with patch.object(
            refund_class, "_stripe_terminal_create_and_send", first_one_gets_there_first
        ):
            with self.assertRaisesRegex(UserError, r"At most \$\s40.00 can still be refunded"):
                second.action_confirm()
        self.assertTrue(interleaved, "the second refund was computed after the first")
        self.env.invalidate_all()
        self.assertEqual(len(self.refund_requests()), 1, "Stripe saw one refund")
        self.assertEqual(len(self.stripe_refunds(payment)), 1)
        self.assertEqual(payment.refund_ids.user_id, self.accountant)
        self.assertEqual(payment.refund_ids.state, "succeeded")

        # Seen one after the other, the wizard's own check says the same.
        with self.assertRaisesRegex(UserError, r"At most \$\s40.00 can still be refunded"):
            second.action_confirm()
        second.amount = 40.0
        second.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(payment.refundable_amount, 0.0)
        self.assertEqual(sum(r["amount"] for r in self.stripe_refunds(payment)), 10000)

    def test_two_refunds_of_one_credit_note_at_once(self):
        """Two card payments paid one invoice; two users refund its credit note from each at
        the same time: together they would refund more than the credit note."""
        invoice = self.create_invoice(100.0)
        first_payment = self.pay(self.collect(invoice, amount=50.0))
        second_payment = self.pay(self.collect(invoice, amount=50.0))
        credit_note = self.credit_note(invoice, amount=60.0)
        self.assertEqual(
            credit_note.stripe_terminal_origin_payment_ids, first_payment | second_payment
        )
        first = self.refund_wizard(
            credit_note, user=self.accountant, terminal_payment_id=first_payment
        )
        second = self.refund_wizard(
            credit_note, user=self.manager, terminal_payment_id=second_payment
        )
        self.assertEqual((first.amount, second.amount), (50.0, 50.0))

        refund_class = type(self.env["stripe.terminal.refund"])
        create_and_send = refund_class._stripe_terminal_create_and_send

        def first_one_gets_there_first(model, values):
            if values["user_id"] == self.manager.id and not first_payment.refund_ids:
                first.action_confirm()
            return create_and_send(model, values)

        with patch.object(
            refund_class, "_stripe_terminal_create_and_send", first_one_gets_there_first
        ):
            with self.assertRaisesRegex(UserError, r"more than the \$\s10.00 left to refund"):
                second.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(len(self.refund_requests()), 1)
        self.assertFalse(second_payment.refund_ids)
        self.assertAlmostEqual(credit_note.amount_residual, 10.0)

    def test_a_refund_whose_answer_was_lost_stays_reserved(self):
        """Stripe made the refund but its answer never came back (the SDK's retries too): the
        refund keeps its amount reserved, so a second refund cannot take it again; Check with
        Stripe (or its webhook) finds it, and it is booked once."""
        invoice, payment = self.paid_invoice(100.0)
        credit_note = self.credit_note(invoice, amount=70.0)
        self.simulator.inject_fault(
            "drop", count=3, path="^/v1/refunds$", method="POST", after_apply=True
        )
        wizard = self.refund_wizard(credit_note)
        with self.assertRaisesRegex(UserError, "Stripe did not answer"):
            wizard.action_confirm()
        self.env.invalidate_all()
        lost = payment.refund_ids
        self.assertEqual(lost.state, "draft")
        self.assertFalse(lost.stripe_refund_id)
        self.assertEqual(len(self.stripe_refunds(payment)), 1, "Stripe did make it")
        self.assertEqual(payment.refundable_amount, 30.0)
        self.assertEqual(credit_note.payment_state, "not_paid")

        other = self.credit_note(invoice, amount=50.0)
        with self.assertRaisesRegex(UserError, r"At most \$\s30.00"):
            self.refund_wizard(other, amount=50.0).action_confirm()
        # The same credit note cannot be refunded twice either while the first is on its way.
        with self.assertRaisesRegex(UserError, "left to refund"):
            self.refund_wizard(credit_note, amount=10.0).action_confirm()

        lost.with_user(self.accountant).action_stripe_terminal_check()
        self.env.invalidate_all()
        self.assert_refunded(lost, credit_note, 70.0)
        self.assertEqual(credit_note.payment_state, "paid")
        # The webhooks of that refund change nothing more.
        self.deliver_webhooks()
        self.assertEqual(len(self.stripe_refunds(payment)), 1)
        self.assertEqual(
            self.env["account.payment"].search_count([("stripe_terminal_refund_id", "=", lost.id)]),
            1,
        )
        notes = credit_note.message_ids.filtered(lambda m: lost.stripe_refund_id in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertFalse(payment.refund_ids.filtered(lambda r: r.origin == "stripe"))

    def test_a_refund_still_running_on_stripe_is_not_refused(self):
        """409 idempotency_key_in_use (the same request is still being processed on Stripe,
        also after the SDK's retries): Stripe may yet make the refund, so its amount stays
        reserved, and Check with Stripe settles it once the request is done."""
        invoice, payment = self.paid_invoice(60.0)
        credit_note = self.credit_note(invoice)
        self.simulator.inject_fault(
            "error",
            count=3,
            path="^/v1/refunds$",
            method="POST",
            status=409,
            error={
                "type": "idempotency_error",
                "code": "idempotency_key_in_use",
                "message": "There is currently another in-progress request using this "
                "Idempotent Key (that probably means you submitted twice, and the other request "
                "is still going through).",
            },
        )
        with self.assertRaisesRegex(UserError, "still working on the same request"):
            self.refund_wizard(credit_note).action_confirm()
        self.env.invalidate_all()
        running = payment.refund_ids
        self.assertEqual(running.state, "draft")
        self.assertEqual(running.failure_code, "idempotency_key_in_use")
        self.assertEqual(payment.refundable_amount, 0.0, "its amount stays reserved")
        with self.assertRaisesRegex(UserError, "left to refund"):
            self.refund_wizard(credit_note, amount=10.0).action_confirm()
        self.assertEqual(len(self.refund_requests()), 3)
        # The other request has finished meanwhile: Check sends the same key, and Stripe
        # answers with the one refund.
        self.simulator.clear_faults()
        running.with_user(self.accountant).action_stripe_terminal_check()
        self.env.invalidate_all()
        self.assert_refunded(running, credit_note, 60.0)
        self.assertEqual(len(self.stripe_refunds(payment)), 1)

    def test_the_sweep_sends_again_a_refund_that_never_reached_stripe(self):
        invoice, payment = self.paid_invoice(40.0)
        credit_note = self.credit_note(invoice)
        self.simulator.inject_fault("drop", count=3, path="^/v1/refunds$", method="POST")
        with self.assertRaisesRegex(UserError, "Stripe did not answer"):
            self.refund_wizard(credit_note).action_confirm()
        self.env.invalidate_all()
        refund = payment.refund_ids
        self.assertEqual(refund.state, "draft")
        self.assertFalse(self.stripe_refunds(payment), "nothing reached Stripe")

        refunds = self.env["stripe.terminal.refund"]
        refunds._cron_stripe_terminal_check()
        self.assertEqual(refund.state, "draft", "too recent: its answer may still come")
        self.env.cr.execute(
            "UPDATE stripe_terminal_refund SET create_date = create_date - interval '5 minutes' "
            "WHERE id = %s",
            (refund.id,),
        )
        self.env.invalidate_all()
        refunds._cron_stripe_terminal_check()
        self.env.invalidate_all()
        self.assert_refunded(refund, credit_note, 40.0)
        keys = {request["idempotency_key"] for request in self.refund_requests()}
        self.assertEqual(keys, {refund._key()}, "sent again with the same key")
        refunds._cron_stripe_terminal_check()
        self.assertEqual(len(self.stripe_refunds(payment)), 1)

    def test_lost_answer_found_by_the_webhook(self):
        invoice, payment = self.paid_invoice(40.0)
        credit_note = self.credit_note(invoice)
        self.simulator.inject_fault(
            "drop", count=3, path="^/v1/refunds$", method="POST", after_apply=True
        )
        with self.assertRaisesRegex(UserError, "Stripe did not answer"):
            self.refund_wizard(credit_note).action_confirm()
        self.deliver_webhooks()
        self.assert_refunded(payment.refund_ids, credit_note, 40.0)

    def test_missing_outbound_payment_method(self):
        invoice, payment = self.paid_invoice(100.0)
        credit_note = self.credit_note(invoice)
        self.journal.outbound_payment_method_line_ids.unlink()
        wizard = self.refund_wizard(credit_note)
        self.assertIn("has no outgoing payment method", wizard.warning)
        requests = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "Stripe has no outgoing payment method|no outgoing"):
            wizard.action_confirm()
        self.assertEqual(len(self.stripe_requests()), requests, "nothing was sent to Stripe")
        self.assertFalse(payment.refund_ids)

    def test_multi_invoice_payment_refunds_the_right_payment(self):
        """One card payment settled two invoices; another card payment paid a third. The credit
        note of the first invoice refunds from the shared payment only."""
        first = self.create_invoice(30.0)
        second = self.create_invoice(45.5)
        shared = self.pay(self.collect(first | second, group_payment=True))
        other_invoice, other = self.paid_invoice(20.0)
        self.assertEqual(shared.amount, 75.5)

        credit_note = self.credit_note(first)
        wizard = self.refund_wizard(credit_note)
        self.assertEqual(wizard.payment_ids, shared)
        self.assertEqual(wizard.amount, 30.0, "the credit note's residual, not the whole payment")
        wizard.action_confirm()
        self.env.invalidate_all()
        refund = shared.refund_ids
        self.assert_refunded(refund, credit_note, 30.0)
        self.assertEqual(refund.invoice_id, first)
        (stripe_refund,) = self.stripe_refunds()
        self.assertEqual(stripe_refund["payment_intent"], shared.payment_intent_id)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(second.payment_state, "paid", "the other invoice is untouched")
        self.assertFalse(other.refund_ids)

        second_note = self.credit_note(second)
        self.assertEqual(self.refund_wizard(second_note).amount, 45.5)
        self.refund(second_note)
        self.assertEqual((shared.refunded_amount, shared.refundable_amount), (75.5, 0.0))
        self.assertEqual(self.credit_note(other_invoice).stripe_terminal_origin_payment_ids, other)

    def test_payment_in_another_currency_is_not_refunded_silently(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "rate": 0.5, "company_id": self.company.id}
        )
        # An invoice in euros, paid on the reader in its local dollars.
        invoice = self.create_invoice(100.0, currency=eur)
        payment = self.pay(self.collect(invoice, currency_id=self.currency))
        self.assertEqual((payment.currency_id, payment.amount), (self.currency, 200.0))
        self.assertEqual(invoice.payment_state, "paid")
        credit_note = self.credit_note(invoice)
        wizard = self.refund_wizard(credit_note)
        self.assertEqual(wizard.terminal_payment_id, payment)
        self.assertEqual(wizard.amount, 0.0)
        self.assertIn("was charged in USD", wizard.warning)
        wizard.amount = 10.0
        requests = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "charged in USD and .* is in EUR"):
            wizard.action_confirm()
        self.assertEqual(len(self.stripe_requests()), requests)

    def test_no_button_without_a_card_payment(self):
        invoice = self.create_invoice(50.0)
        self.assertFalse(self.credit_note(invoice).stripe_terminal_can_refund)
        paid_invoice, _payment = self.paid_invoice(50.0)
        self.assertFalse(paid_invoice.stripe_terminal_can_refund, "invoices have no such button")
        with self.assertRaisesRegex(UserError, "not an open customer credit note"):
            invoice.action_stripe_terminal_refund()


@tagged("post_install", "-at_install")
class TestRetriedTransactions(TransactionCase):
    def test_a_serialization_failure_is_tried_again_in_a_new_transaction(self):
        calls = []

        class FakeCursor:
            def commit(self):
                calls.append("commit")

            def rollback(self):
                calls.append("rollback")

        def record():
            calls.append("run")
            if calls.count("run") == 1:
                raise psycopg2.errors.SerializationFailure()
            return 42

        self.assertEqual(run_in_retried_transactions(FakeCursor(), record), 42)
        self.assertEqual(calls, ["run", "rollback", "run", "commit"])

        def always_conflicts():
            raise psycopg2.errors.SerializationFailure()

        with self.assertRaises(psycopg2.errors.SerializationFailure):
            run_in_retried_transactions(FakeCursor(), always_conflicts)

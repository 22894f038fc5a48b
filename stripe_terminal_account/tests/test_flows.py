# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How a payment moves after Collect: webhooks, the overlay's refresh and the sweep, declines,
retries, cancellation, and the ways Stripe's news can be late, doubled or lost."""

import json
from datetime import timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.stripe_terminal_base import const as base_const

from .. import const
from .common import StripeTerminalAccountCase


@tagged("post_install", "-at_install")
class TestFlows(StripeTerminalAccountCase):
    def later(self, seconds):
        """Odoo's clock `seconds` ahead (the simulator keeps real time)."""
        return freeze_time(fields.Datetime.now() + timedelta(seconds=seconds))

    def poll(self, payment, user=None):
        with self.later(const.REFRESH_INTERVAL + 1):
            state = payment.with_user(user or self.accountant).action_stripe_terminal_poll()
        self.env.invalidate_all()
        return state

    # === Who sees the success first === #

    def test_overlay_first_without_webhooks(self):
        invoice = self.create_invoice(40.0)
        payment = self.collect(invoice)
        with self.webhooks_mode("drop"):
            self.present_card(self.reader)
        state = self.poll(payment)
        self.assertTrue(state["done"])
        self.assertEqual(state["stage"], "approved")
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")

    def test_sweep_only_after_a_closed_browser_and_lost_webhooks(self):
        invoice = self.create_invoice(40.0)
        payment = self.collect(invoice)
        with self.webhooks_mode("drop"):
            self.present_card(self.reader)
        with self.later(const.SWEEP_MIN_AGE + 5):
            self.env["stripe.terminal.payment"]._cron_sweep()
        self.env.invalidate_all()
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")
        # Later news changes nothing.
        self.poll(payment)
        self.deliver_webhooks()
        self.assert_paid_once(payment)

    def test_the_light_refresh_is_throttled(self):
        payment = self.collect(self.create_invoice(40.0))
        requests_before = len(self.stripe_requests())
        for _round in range(5):
            payment.with_user(self.accountant).action_stripe_terminal_poll()
        self.assertEqual(len(self.stripe_requests()), requests_before)

    def test_duplicated_webhooks_book_once(self):
        payment = self.collect(self.create_invoice(40.0))
        with self.webhooks_mode("duplicate"):
            self.present_card(self.reader)
            with self.odoo_answers_requests():
                self.simulator.wait_for_webhooks(timeout=15)
        self.env.invalidate_all()
        self.assert_paid_once(payment)

    def test_webhooks_out_of_order_book_once(self):
        self.set_auto_retries(1)
        payment = self.collect(self.create_invoice(40.0))
        with self.webhooks_mode("reverse"):
            # A decline, the automatic retry, then success: delivered newest first.
            self.present_card(self.reader, "4000000000009995")
            self.deliver_webhooks()  # the decline must reach Odoo for the retry to happen
        self.assertEqual(payment.stage, "retrying")
        with self.webhooks_mode("reverse"):
            self.present_card(self.reader)
            self.simulator.flush_webhooks()
            with self.odoo_answers_requests():
                self.simulator.wait_for_webhooks(timeout=15)
        self.env.invalidate_all()
        self.assert_paid_once(payment)
        self.assertEqual(payment.attempt_count, 2)

    def test_webhooks_delayed_past_the_sweep(self):
        payment = self.collect(self.create_invoice(40.0))
        self.present_card(self.reader)  # held: not yet delivered
        with self.later(const.SWEEP_MIN_AGE + 5):
            self.env["stripe.terminal.payment"]._cron_sweep()
        self.env.invalidate_all()
        self.assert_paid_once(payment)
        self.deliver_webhooks()
        self.assert_paid_once(payment)

    # === Declines and retries === #

    def test_each_decline_is_explained(self):
        self.set_auto_retries(0)
        cases = {
            "4000000000000002": "generic_decline",
            "4000000000009995": "insufficient_funds",
            "4000000000009987": "lost_card",
            "4000000000009979": "stolen_card",
            "4000000000000069": "expired_card",
            "4000000000000119": "processing_error",
        }
        for number, key in cases.items():
            with self.subTest(number=number):
                invoice = self.create_invoice(40.0)
                payment = self.pay(self.collect(invoice), number)
                self.assertEqual(payment.state, "declined")
                self.assertEqual(payment.failure_code, key)
                state = payment.with_user(self.accountant).action_stripe_terminal_state()
                self.assertEqual(state["message"], str(base_const.ERRORS[key].message))
                self.assertTrue(state["can_retry"])
                self.assertTrue(state["can_cancel"])
                self.assertEqual(invoice.payment_state, "not_paid")
                payment.with_user(self.accountant).action_stripe_terminal_cancel()

    def test_declines_on_a_reader_older_than_2_42_are_explained_from_the_intent(self):
        # Such readers leave the action's api_error null: the PaymentIntent says why.
        self.simulator.set_reader_software(self.reader.stripe_reader_id, "2.41.3.0")
        self.set_auto_retries(2)
        payment = self.pay(self.collect(self.create_invoice(40.0)), "4000000000009987")
        self.assertEqual((payment.state, payment.failure_code), ("declined", "lost_card"))
        self.assertEqual(payment.attempt_count, 1, "a lost card is not asked for again")
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertEqual(reader.action.status, "failed")
        state = payment.with_user(self.accountant).action_stripe_terminal_state()
        self.assertEqual(state["message"], str(base_const.ERRORS["lost_card"].message))
        payment.with_user(self.accountant).action_stripe_terminal_cancel()
        # A decline another card may follow is presented again, with its reason.
        payment = self.pay(self.collect(self.create_invoice(41.0)), "4000000000009995")
        self.assertEqual((payment.stage, payment.failure_code), ("retrying", "insufficient_funds"))
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_a_declined_payment_refreshed_again_changes_nothing(self):
        self.set_auto_retries(0)
        payment = self.pay(self.collect(self.create_invoice(40.0)), "4000000000000002")
        self.assertEqual(payment.state, "declined")
        messages = len(payment.message_ids)
        for _round in range(2):
            payment._stripe_terminal_refresh(force=True)
        self.assertEqual((payment.state, payment.attempt_count), ("declined", 1))
        self.assertEqual(len(payment.message_ids), messages)

    def test_a_push_that_timed_out_but_reached_the_reader_is_followed(self):
        # Stripe: after terminal_reader_timeout the reader may have received the action.
        self.simulator.time_out_next_reader_action(self.reader.stripe_reader_id)
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual(payment.state, "pending", "not refused: the outcome is unknown")
        self.assertEqual(payment.failure_code, "terminal_reader_timeout")
        payment._stripe_terminal_refresh(force=True)
        self.assertEqual(payment.stage, "waiting_card", "the reader shows the payment")
        self.pay(payment)
        self.assert_paid_once(payment)
        pushes = [
            entry
            for entry in self.stripe_requests()
            if entry["path"].endswith("/process_payment_intent")
        ]
        self.assertEqual(len(pushes), 1)

    def test_retry_finds_its_own_action_on_the_reader(self):
        # A Retry whose push timed out, though the reader got it: the next Retry does not
        # push again onto a reader busy with this very payment, it follows it.
        self.set_auto_retries(0)
        payment = self.pay(self.collect(self.create_invoice(40.0)), "4000000000000002")
        self.simulator.time_out_next_reader_action(self.reader.stripe_reader_id)
        payment.with_user(self.accountant).action_stripe_terminal_retry()
        payment.write({"state": "error", "stage": "timed_out"})  # as after a lost refresh
        state = payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual((state["state"], state["stage"]), ("pending", "waiting_card"))
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_the_automatic_new_attempt_survives_a_busy_reader(self):
        # After a decline the reader may still be busy with the card (being removed): the
        # payment is offered again once the reader takes it.
        self.set_auto_retries(1)
        payment = self.collect(self.create_invoice(40.0))
        self.simulator.hold_reader_busy(self.reader.stripe_reader_id, count=1)
        self.pay(payment, "4000000000009995")
        busy = [
            entry
            for entry in self.stripe_requests()
            if entry["path"].endswith("/process_payment_intent")
            and entry["error_code"] == "terminal_reader_busy"
        ]
        self.assertEqual(len(busy), 1, "the first new attempt met a busy reader")
        # The decline's other webhook or the next refresh sends it again.
        payment._stripe_terminal_refresh(force=True)
        self.assertEqual((payment.state, payment.stage), ("pending", "retrying"))
        self.assertEqual(payment.failure_code, "insufficient_funds")
        self.assertFalse(payment.reader_push_due)
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertEqual(
            (reader.action.status, reader.action.process_payment_intent.payment_intent),
            ("in_progress", payment.payment_intent_id),
        )
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_a_reader_that_stays_busy_leaves_the_new_attempt_owed(self):
        self.set_auto_retries(1)
        payment = self.collect(self.create_invoice(40.0))
        self.simulator.hold_reader_busy(self.reader.stripe_reader_id, count=10)
        self.pay(payment, "4000000000009995")
        payment._stripe_terminal_refresh(force=True)
        self.assertEqual((payment.state, payment.stage), ("declined", "retrying"))
        self.assertTrue(payment.reader_push_due)
        state = payment.with_user(self.accountant).action_stripe_terminal_state()
        self.assertIn("insufficient funds", state["message"])
        self.assertTrue(state["can_retry"] and state["can_cancel"])
        payment.with_user(self.accountant).action_stripe_terminal_cancel()
        self.assertEqual(payment.state, "canceled")

    def test_a_stored_500_on_the_intent_creation_does_not_stick_the_payment(self):
        # Stripe saves a 500 once the request started: the same key gets it again, so the
        # creation is looked up, then made with a new key.
        self.simulator.inject_fault("stored_500", path="^/v1/payment_intents$", method="POST")
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual((payment.state, payment.stage), ("pending", "waiting_card"))
        creations = [
            entry
            for entry in self.stripe_requests()
            if (entry["method"], entry["path"]) == ("POST", "/v1/payment_intents")
        ]
        self.assertEqual([entry["status"] for entry in creations][-1], 200)
        self.assertEqual(len({entry["idempotency_key"] for entry in creations}), 2)
        # A later refresh lands on the same intent (the same series of keys).
        payment._stripe_terminal_refresh(force=True)
        self.pay(payment)
        self.assert_paid_once(payment)
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)

    def test_amount_based_declines(self):
        self.set_auto_retries(0)
        for amount, key in (
            (10.05, "generic_decline"),
            (10.01, "call_issuer"),
            (10.65, "withdrawal_count_limit_exceeded"),
        ):
            with self.subTest(amount=amount):
                payment = self.pay(self.collect(self.create_invoice(amount)))
                self.assertEqual(payment.state, "declined")
                self.assertEqual(payment.failure_code, key)
                payment.with_user(self.accountant).action_stripe_terminal_cancel()

    def test_automatic_retry_on_the_same_intent_then_success(self):
        invoice = self.create_invoice(40.0)
        payment = self.pay(self.collect(invoice), "4000000000009995")
        self.assertEqual(payment.state, "pending")
        self.assertEqual(payment.stage, "retrying")
        self.assertEqual(payment.failure_code, "insufficient_funds")
        self.assertEqual(payment.attempt_count, 2)
        state = payment.with_user(self.accountant).action_stripe_terminal_state()
        self.assertIn("insufficient funds", state["message"])
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertEqual(
            reader.action.process_payment_intent.payment_intent, payment.payment_intent_id
        )
        self.pay(payment)
        self.assert_paid_once(payment)
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)

    def test_manual_retry_after_the_automatic_ones(self):
        self.set_auto_retries(1)
        payment = self.pay(self.collect(self.create_invoice(40.0)), "4000000000000002")
        self.pay(payment, "4000000000000002")
        self.assertEqual(payment.state, "declined")
        self.assertEqual(payment.attempt_count, 2)
        state = payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual(state["stage"], "waiting_card")
        self.assertEqual(payment.attempt_count, 3)
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_retry_refused_on_a_reader_that_went_offline(self):
        self.set_auto_retries(0)
        payment = self.pay(self.collect(self.create_invoice(40.0)), "4000000000000002")
        self.simulator.set_reader_online(self.reader.stripe_reader_id, False)
        # Stripe's status does not stop the Retry: the reader action answers.
        state = payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual((state["state"], state["stage"]), ("error", "offline"))
        self.assertIn("offline", state["message"])
        self.assertTrue(self.notes_of(payment, "Could not start"))
        self.simulator.set_reader_online(self.reader.stripe_reader_id, True)
        state = payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual(state["stage"], "waiting_card")

    def test_a_paid_payment_cannot_be_retried(self):
        payment = self.pay(self.collect(self.create_invoice(40.0)))
        self.assert_paid_once(payment)
        with self.assertRaisesRegex(UserError, "cannot be retried now"):
            payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assert_paid_once(payment)

    def notes_of(self, record, text):
        return record.message_ids.filtered(lambda message: text in (message.body or ""))

    def test_a_payment_cleared_from_the_reader_is_reported_then_retried(self):
        # Someone cleared the reader (the Stripe dashboard, another till): no webhook says so.
        payment = self.collect(self.create_invoice(40.0))
        self.stripe.v1.terminal.readers.cancel_action(self.reader.stripe_reader_id)
        state = self.poll(payment)
        self.assertEqual((state["state"], state["stage"]), ("error", "error"))
        self.assertEqual(payment.failure_code, "not_on_reader")
        self.assertIn("Nothing was charged", state["message"])
        self.assertTrue(state["can_retry"])
        self.assertTrue(self.notes_of(payment, "is not showing this payment"))
        state = payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual(state["stage"], "waiting_card")
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_a_lost_intent_found_after_the_accountant_left_waits_for_retry(self):
        self.simulator.inject_fault(
            "drop", count=3, path=r"^/v1/payment_intents$", after_apply=True
        )
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual(payment.stage, "checking")
        with self.later(60 * (const.RECOVER_PUSH_MINUTES + 1)):
            state = payment.with_user(self.accountant).action_stripe_terminal_poll()
        self.env.invalidate_all()
        # Found on Stripe, but not sent to a reader nobody may be standing at any more.
        self.assertEqual((state["state"], payment.failure_code), ("error", "not_on_reader"))
        self.assertTrue(payment.payment_intent_id)
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertIsNone(reader.action)
        payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.pay(payment)
        self.assert_paid_once(payment)
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)

    def test_an_intent_creation_lost_for_a_day_is_looked_up_then_given_up(self):
        # The request never reached Stripe and its idempotency key has expired since:
        # Stripe is searched by the payment's metadata, finds nothing, and nothing is charged.
        self.simulator.inject_fault("drop", count=3, path=r"^/v1/payment_intents$")
        invoice = self.create_invoice(40.0)
        payment = self.collect(invoice)
        self.assertFalse(payment.payment_intent_id)
        with self.later(24 * 3600):
            state = payment.with_user(self.accountant).action_stripe_terminal_poll()
        self.env.invalidate_all()
        self.assertEqual(state["state"], "canceled")
        self.assertTrue(self.notes_of(payment, "nothing was charged"))
        self.assertFalse(self.simulator.account_objects(self.secret_key, "payment_intent"))
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.collect(invoice).state, "pending", "the invoice is free again")

    def test_customer_cancels_on_the_reader(self):
        payment = self.collect(self.create_invoice(40.0))
        self.simulator.customer_cancel(self.reader.stripe_reader_id)
        self.deliver_webhooks()
        self.assertEqual(payment.state, "declined")
        self.assertEqual(payment.stage, "customer_canceled")
        self.assertTrue(payment._stripe_terminal_overlay_state()["can_retry"])

    def test_nobody_presents_a_card_in_time(self):
        payment = self.collect(self.create_invoice(40.0))
        self.simulator.expire_reader_action(self.reader.stripe_reader_id)
        self.deliver_webhooks()
        self.assertEqual(payment.stage, "timed_out")
        self.assertEqual(payment.state, "declined")
        self.assertIn("nothing was charged", payment.failure_message)

    def test_reader_goes_offline_during_a_payment(self):
        payment = self.collect(self.create_invoice(40.0))
        self.simulator.set_reader_online(self.reader.stripe_reader_id, False)
        state = self.poll(payment)
        self.assertEqual(state["stage"], "offline")
        self.assertEqual(state["state"], "pending")
        self.simulator.set_reader_online(self.reader.stripe_reader_id, True)
        self.pay(payment)
        self.assert_paid_once(payment)

    # === Cancel === #

    def test_cancel_in_one_click(self):
        invoice = self.create_invoice(40.0)
        payment = self.collect(invoice)
        state = payment.with_user(self.accountant).action_stripe_terminal_cancel()
        self.assertEqual(state["state"], "canceled")
        self.assertTrue(state["final"])
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.status, "canceled")
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertIsNone(reader.action)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(
            self.env["account.payment"].search([("stripe_terminal_payment_id", "=", payment.id)])
        )
        # The reader is free for the next payment.
        self.assertEqual(self.collect(self.create_invoice(5.0)).state, "pending")

    def test_cancel_after_the_card_was_charged_books_the_payment(self):
        invoice = self.create_invoice(40.0)
        payment = self.collect(invoice)
        self.present_card(self.reader)  # charged on Stripe; the webhooks are still on the way
        state = payment.with_user(self.accountant).action_stripe_terminal_cancel()
        self.assertTrue(state["done"])
        self.assert_paid_once(payment)
        self.assertEqual(invoice.payment_state, "paid")

    def test_only_the_collector_or_a_manager_acts_on_a_payment(self):
        payment = self.collect(self.create_invoice(40.0))
        colleague = new_test_user(
            self.env, login="st_colleague", groups="base.group_user,account.group_account_invoice"
        )
        with self.assertRaisesRegex(UserError, "Only"):
            payment.with_user(colleague).action_stripe_terminal_cancel()
        state = payment.with_user(self.manager).action_stripe_terminal_cancel()
        self.assertEqual(state["state"], "canceled")
        self.assertIn(self.manager.name, payment.message_ids[0].body)

    def test_users_cannot_write_a_payment_state(self):
        payment = self.collect(self.create_invoice(40.0))
        with self.assertRaises(AccessError):
            payment.with_user(self.accountant).write({"state": "done"})

    # === Exactly once === #

    def test_finalizing_twice_books_once(self):
        payment = self.collect(self.create_invoice(40.0))
        with self.webhooks_mode("drop"):
            self.present_card(self.reader)
        intent = self.stripe.v1.payment_intents.retrieve(
            payment.payment_intent_id, {"expand": ["latest_charge"]}
        ).to_dict()
        collector = payment._as_collector()
        collector._stripe_terminal_finalize(intent, intent["latest_charge"])
        collector._stripe_terminal_finalize(intent, intent["latest_charge"])
        self.assert_paid_once(payment)

    def test_the_database_refuses_a_second_booking(self):
        payment = self.pay(self.collect(self.create_invoice(40.0)))
        booked = self.assert_paid_once(payment)
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            booked.copy({"stripe_terminal_payment_id": payment.id})
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            payment.sudo().copy({"payment_intent_id": payment.payment_intent_id})

    def test_a_charge_for_another_amount_is_not_booked(self):
        payment = self.collect(self.create_invoice(40.0))
        with self.webhooks_mode("drop"):
            self.present_card(self.reader)
        intent = self.stripe.v1.payment_intents.retrieve(
            payment.payment_intent_id, {"expand": ["latest_charge"]}
        ).to_dict()
        intent["amount_received"] = 3900
        with (
            self.assertRaisesRegex(UserError, "instead of"),
            mute_logger("odoo.addons.stripe_terminal_account.models.stripe_terminal_payment"),
        ):
            payment._as_collector()._stripe_terminal_finalize(intent, intent["latest_charge"])
        self.assertNotEqual(payment.state, "done")

    def test_dropped_answer_after_the_intent_was_created(self):
        self.simulator.inject_fault(
            "drop", count=1, path=r"^/v1/payment_intents$", after_apply=True
        )
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual(payment.state, "pending")
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_dropped_answer_after_the_reader_got_the_payment(self):
        self.simulator.inject_fault(
            "drop", count=1, path=r"process_payment_intent$", after_apply=True
        )
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual(payment.stage, "waiting_card")
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_stripe_unreachable_at_push_then_the_sweep_recovers(self):
        self.simulator.inject_fault("drop", count=10, path=r"process_payment_intent$")
        payment = self.collect(self.create_invoice(40.0))
        self.simulator.clear_faults()
        self.assertEqual(payment.stage, "checking")
        state = payment.with_user(self.accountant).action_stripe_terminal_state()
        self.assertFalse(state["can_retry"], "no retry before Stripe's state is known")
        self.poll(payment)
        self.assertTrue(payment._stripe_terminal_overlay_state()["can_retry"])
        payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.pay(payment)
        self.assert_paid_once(payment)

    # === The overlay's live status === #

    def test_status_is_pushed_to_the_collecting_user(self):
        payment = self.collect(self.create_invoice(40.0))
        self.pay(payment)
        notifications = (
            self.env["bus.bus"]
            .sudo()
            .search(
                [("channel", "like", f'"res.partner",{self.accountant.partner_id.id}]')],
                order="id",
            )
        )
        payloads = [
            json.loads(n.message)["payload"]
            for n in notifications
            if json.loads(n.message)["type"] == const.BUS_NOTIFICATION_TYPE
        ]
        self.assertTrue(payloads)
        self.assertEqual(payloads[-1]["id"], payment.id)
        self.assertEqual(payloads[-1]["stage"], "approved")
        self.assertIn("waiting_card", [p["stage"] for p in payloads])
        self.assertNotIn(self.secret_key, json.dumps(payloads))

    # === Found by the fault suite === #

    def test_cancel_while_the_reader_is_offline(self):
        invoice = self.create_invoice(40.0)
        payment = self.collect(invoice)
        self.simulator.set_reader_online(self.reader.stripe_reader_id, False)
        state = payment.with_user(self.accountant).action_stripe_terminal_cancel()
        self.assertEqual(state["state"], "canceled")
        intent = self.stripe.v1.payment_intents.retrieve(payment.payment_intent_id)
        self.assertEqual(intent.status, "canceled", "a reader back online cannot charge it")
        self.assertTrue(payment.reader_cleanup_pending)
        self.simulator.set_reader_online(self.reader.stripe_reader_id, True)
        self.assertEqual(invoice.payment_state, "not_paid")
        # Back online, the sweep clears the reader's screen.
        self.env["stripe.terminal.payment"]._cron_sweep()
        self.env.invalidate_all()
        self.assertFalse(payment.reader_cleanup_pending)
        reader = self.stripe.v1.terminal.readers.retrieve(self.reader.stripe_reader_id)
        self.assertIsNone(reader.action)

    def test_retry_after_the_reader_refused_the_push(self):
        self.simulator.inject_fault(
            "error",
            count=1,
            path="process_payment_intent$",
            status=400,
            error={
                "type": "invalid_request_error",
                "code": "terminal_reader_offline",
                "message": "Reader is offline.",
            },
        )
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual((payment.state, payment.stage), ("error", "offline"))
        state = payment.with_user(self.accountant).action_stripe_terminal_retry()
        self.assertEqual(state["stage"], "waiting_card")
        keys = [
            entry["idempotency_key"]
            for entry in self.stripe_requests()
            if entry["path"].endswith("process_payment_intent")
        ]
        self.assertEqual(len(keys), len(set(keys)), "each push has a key of its own")
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_an_invoice_paid_after_register_payment_opened_is_not_charged(self):
        invoice = self.create_invoice(40.0)
        wizard = self.register_wizard(invoice, stripe_terminal_reader_id=self.reader)
        bank = self.other_bank_journal()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": bank.id})._create_payments()
        before = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "already paid"):
            wizard.action_stripe_terminal_collect()
        self.assertEqual(len(self.stripe_requests()), before)

    def test_one_card_payment_at_a_time_per_invoice(self):
        invoice = self.create_invoice(40.0)
        first = self.collect(invoice)
        other_reader = self.create_reader("simulated-s700", label="Back office")
        wizard = self.register_wizard(invoice, stripe_terminal_reader_id=other_reader)
        with self.assertRaisesRegex(UserError, f"being collected.*{first.name}"):
            wizard.action_stripe_terminal_collect()
        first.with_user(self.accountant).action_stripe_terminal_cancel()
        second = self.collect(invoice, stripe_terminal_reader_id=other_reader)
        self.pay(second)
        self.assert_paid_once(second)

    def test_a_lost_intent_creation_answer_is_recovered_onto_the_reader(self):
        self.simulator.inject_fault(
            "drop", count=3, path=r"^/v1/payment_intents$", after_apply=True
        )
        payment = self.collect(self.create_invoice(40.0))
        self.assertEqual(payment.stage, "checking")
        self.assertFalse(payment.payment_intent_id)
        state = self.poll(payment)
        self.assertEqual(state["stage"], "waiting_card", state["message"])
        self.assertEqual(len(self.simulator.account_objects(self.secret_key, "payment_intent")), 1)
        self.pay(payment)
        self.assert_paid_once(payment)

    def test_a_payment_that_could_not_start_is_reported_not_left_pending(self):
        with (
            patch.object(
                type(self.env["stripe.terminal.payment"]),
                "_stripe_terminal_push",
                side_effect=RuntimeError("boom"),
            ),
            mute_logger("odoo.addons.stripe_terminal_account.wizards.account_payment_register"),
        ):
            wizard = self.register_wizard(
                self.create_invoice(40.0), stripe_terminal_reader_id=self.reader
            )
            with self.assertRaisesRegex(UserError, "could not start"):
                wizard.action_stripe_terminal_collect()
        payment = self.env["stripe.terminal.payment"].search([])
        self.assertEqual(payment.state, "error")
        self.assertIn("boom", payment.failure_message)
        # The reader is free again.
        self.assertEqual(self.collect(self.create_invoice(5.0)).state, "pending")

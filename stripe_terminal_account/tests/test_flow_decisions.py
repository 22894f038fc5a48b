# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The decision core of a terminal payment (flow.py), on every combination it accepts: no
database, no simulator, milliseconds."""

import itertools

from odoo.tests import BaseCase, tagged

from .. import const, flow
from ..flow import Move, Snapshot

INTENT = "pi_1"
STATES = [state for state, _label in const.PAYMENT_STATES]
STAGES = [stage for stage, _label in const.PAYMENT_STAGES]
WAITING_STATUSES = ("requires_payment_method", "requires_confirmation", "requires_action")
DECLINE = {"code": "card_declined", "decline_code": "insufficient_funds"}


def reader(status="online", action_status=None, intent=INTENT, action_type=None):
    """A Stripe reader; `action_status` None: no action."""
    result = {"id": "tmr_1", "object": "terminal.reader", "status": status, "action": None}
    if action_status:
        action_type = action_type or "process_payment_intent"
        field = "setup_intent" if action_type == "process_setup_intent" else "payment_intent"
        result["action"] = {
            "type": action_type,
            "status": action_status,
            action_type: {field: intent},
            "failure_code": "card_declined" if action_status == "failed" else None,
        }
    return result


# Every reader the core may be given: unknown (not asked), idle, and each action of ours or
# of another intent, online and offline.
READERS = {
    "not asked": None,
    "idle": reader(),
    "ours in progress": reader(action_status="in_progress"),
    "ours in progress, offline": reader(status="offline", action_status="in_progress"),
    "ours failed": reader(action_status="failed"),
    "ours succeeded": reader(action_status="succeeded"),
    "another's in progress": reader(action_status="in_progress", intent="pi_other"),
    "another's failed": reader(action_status="failed", intent="pi_other"),
    "a SetupIntent's": reader(
        action_status="in_progress", intent="seti_1", action_type="process_setup_intent"
    ),
}


def every_case(states=STATES, statuses=WAITING_STATUSES):
    for state, stage, status, (reader_name, stripe_reader), push_owed, error in itertools.product(
        states, STAGES, statuses, READERS.items(), (False, True), (None, DECLINE)
    ):
        intent = {"id": INTENT, "status": status, "last_payment_error": error}
        snapshot = Snapshot(state, stage, INTENT, push_owed=push_owed)
        yield (
            snapshot,
            intent,
            reader_name,
            stripe_reader,
            flow.decide(snapshot, intent, stripe_reader),
        )


@tagged("post_install", "-at_install")
class TestFlowDecisions(BaseCase):
    def test_a_final_payment_never_moves(self):
        every_status = (
            *WAITING_STATUSES,
            "processing",
            "requires_capture",
            "succeeded",
            "canceled",
        )
        for case in every_case(states=const.FINAL_STATES, statuses=every_status):
            self.assertEqual(case[-1], Move(flow.NOTHING), case)

    def test_what_stripe_settled_decides_whatever_the_reader_shows(self):
        followed = const.FOLLOWED_STATES
        for status, expected in (
            ("succeeded", flow.BOOK),
            ("canceled", flow.CANCELED),
            ("requires_capture", flow.CAPTURE),
            ("processing", flow.PROCESSING),
        ):
            for case in every_case(states=followed, statuses=(status,)):
                self.assertEqual(case[-1].name, expected, case)

    def test_a_waiting_payment_follows_the_reader(self):
        pending = Snapshot("pending", "waiting_card", INTENT)
        waiting = {"id": INTENT, "status": "requires_payment_method"}
        cases = {
            # The reader shows the payment: nothing to write, or the stage to show.
            ("ours in progress", "waiting_card"): Move(flow.ON_READER),
            ("ours in progress", "retrying"): Move(flow.ON_READER),
            ("ours in progress", "starting"): Move(flow.ON_READER, stage="waiting_card"),
            ("ours in progress", "timed_out"): Move(flow.ON_READER, stage="waiting_card"),
            ("ours in progress, offline", "waiting_card"): Move(flow.ON_READER, stage="offline"),
            ("ours in progress, offline", "offline"): Move(flow.ON_READER),
            # Its attempt failed there.
            ("ours failed", "waiting_card"): Move(
                flow.ATTEMPT_FAILED, action=READERS["ours failed"]["action"]
            ),
            # It shows something else: canceled there, or never arrived.
            ("idle", "waiting_card"): Move(flow.NOT_ON_READER),
            ("idle", "checking"): Move(flow.NOT_ON_READER),
            ("another's in progress", "waiting_card"): Move(flow.NOT_ON_READER),
            ("a SetupIntent's", "checking"): Move(flow.NOT_ON_READER),
            # Nothing known of the reader, or a stage that does not wait on it: nothing.
            ("not asked", "waiting_card"): Move(flow.NOTHING),
            ("idle", "processing"): Move(flow.NOTHING),
            ("idle", "retrying"): Move(flow.NOTHING),
            ("ours succeeded", "waiting_card"): Move(flow.NOTHING),
        }
        for (reader_name, stage), expected in cases.items():
            snapshot = pending._replace(stage=stage)
            self.assertEqual(
                flow.decide(snapshot, waiting, READERS[reader_name]),
                expected,
                (reader_name, stage),
            )

    def test_a_failure_is_news_once(self):
        # The reader keeps showing its failed action: a payment that recorded the decline
        # (declined, error) does not fail again on each refresh.
        for state in const.FOLLOWED_STATES:
            for stage in STAGES:
                move = flow.decide(
                    Snapshot(state, stage, INTENT),
                    {"id": INTENT, "status": "requires_payment_method"},
                    READERS["ours failed"],
                )
                expected = flow.ATTEMPT_FAILED if state == "pending" else flow.NOTHING
                self.assertEqual(move.name, expected, (state, stage))

    def test_the_intent_s_last_error_fails_a_waiting_attempt(self):
        # Readers that report no action (not asked, or offline since): the intent's record of
        # a failed attempt is the news.
        for stage in STAGES:
            move = flow.decide(
                Snapshot("pending", stage, INTENT),
                {"id": INTENT, "status": "requires_payment_method", "last_payment_error": DECLINE},
                None,
            )
            if stage in flow.WAITING_STAGES:
                self.assertEqual(move, Move(flow.ATTEMPT_FAILED, error=DECLINE), stage)
            else:
                self.assertEqual(move, Move(flow.NOTHING), stage)

    def test_an_owed_attempt_waits_for_the_reader_to_be_free_of_the_payment(self):
        for case in every_case(states=const.FOLLOWED_STATES):
            snapshot, _intent, reader_name, _reader, move = case
            if not snapshot.push_owed:
                continue
            if reader_name.startswith("ours in progress"):
                self.assertEqual(move.name, flow.ON_READER, case)
            else:
                self.assertEqual(move, Move(flow.PUSH_OWED), case)

    def test_each_move_only_where_it_belongs(self):
        for case in every_case(states=const.FOLLOWED_STATES):
            snapshot, intent, reader_name, stripe_reader, move = case
            if move.name == flow.NOT_ON_READER:
                self.assertIsNotNone(stripe_reader, case)
                self.assertFalse(reader_name.startswith("ours"), case)
                self.assertIn(snapshot.stage, ("waiting_card", "checking"), case)
            elif move.name == flow.ON_READER:
                self.assertTrue(reader_name.startswith("ours in progress"), case)
                if move.stage:
                    self.assertNotEqual(move.stage, snapshot.stage, case)
            elif move.name == flow.ATTEMPT_FAILED:
                self.assertTrue(move.action or move.error, case)
                if move.action:
                    self.assertEqual(snapshot.state, "pending", case)
                else:
                    self.assertEqual(move.error, intent["last_payment_error"], case)

    def test_an_expanded_intent_on_the_reader_is_recognized(self):
        expanded = reader(action_status="in_progress")
        expanded["action"]["process_payment_intent"]["payment_intent"] = {
            "id": INTENT,
            "object": "payment_intent",
        }
        move = flow.decide(
            Snapshot("pending", "starting", INTENT),
            {"id": INTENT, "status": "requires_payment_method"},
            expanded,
        )
        self.assertEqual(move, Move(flow.ON_READER, stage="waiting_card"))

    def test_the_state_machine_keeps_final_states_and_never_goes_back_to_draft(self):
        self.assertNotIn("draft", const.PAYMENT_STATE_SOURCES)
        for target, sources in const.PAYMENT_STATE_SOURCES.items():
            self.assertIn(target, STATES)
            self.assertFalse(set(sources) & set(const.FINAL_STATES), target)
            self.assertLessEqual(set(sources), set(STATES), target)

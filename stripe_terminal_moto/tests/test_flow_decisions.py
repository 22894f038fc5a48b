# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The card-saving flow's decisions (flow.py): no database, no simulator."""

from odoo.tests import BaseCase, tagged

from odoo.addons.stripe_terminal_account import const as account_const
from odoo.addons.stripe_terminal_account import flow as account_flow
from odoo.addons.stripe_terminal_account.flow import Move, Snapshot

from .. import flow

SETUP = "seti_1"


def keying(status="in_progress", setup=SETUP, reader_status="online"):
    """A reader keying the card of SetupIntent `setup`."""
    return {
        "status": reader_status,
        "action": {
            "type": "process_setup_intent",
            "status": status,
            "process_setup_intent": {"setup_intent": setup},
            "failure_code": "card_declined" if status == "failed" else None,
        },
    }


@tagged("post_install", "-at_install")
class TestMotoFlowDecisions(BaseCase):
    def test_the_setup_intent_s_end_decides(self):
        for state in account_const.FOLLOWED_STATES:
            payment = Snapshot(state, "waiting_card", SETUP)
            for reader in (None, keying(), keying("failed")):
                self.assertEqual(
                    flow.decide_setup(payment, {"status": "succeeded"}, reader), Move(flow.SAVED)
                )
                self.assertEqual(
                    flow.decide_setup(payment, {"status": "canceled"}, reader),
                    Move(account_flow.CANCELED),
                )
        for state in account_const.FINAL_STATES:
            for status in ("succeeded", "canceled", "requires_payment_method"):
                self.assertEqual(
                    flow.decide_setup(Snapshot(state, "approved", SETUP), {"status": status}),
                    Move(account_flow.NOTHING),
                )

    def test_a_setup_intent_on_the_reader_is_followed_as_a_payment_intent(self):
        waiting = {"status": "requires_payment_method"}
        payment = Snapshot("pending", "waiting_card", SETUP)
        self.assertEqual(
            flow.decide_setup(payment, waiting, keying()), Move(account_flow.ON_READER)
        )
        self.assertEqual(
            flow.decide_setup(payment, waiting, keying(reader_status="offline")),
            Move(account_flow.ON_READER, stage="offline"),
        )
        failed = keying("failed")
        self.assertEqual(
            flow.decide_setup(payment, waiting, failed),
            Move(account_flow.ATTEMPT_FAILED, action=failed["action"]),
        )
        # Recorded already: the reader's failed action is no news to a declined payment.
        self.assertEqual(
            flow.decide_setup(payment._replace(state="declined"), waiting, failed),
            Move(account_flow.NOTHING),
        )
        self.assertEqual(
            flow.decide_setup(payment, waiting, keying(setup="seti_other")),
            Move(account_flow.NOT_ON_READER),
        )
        # A busy reader refused the new attempt after a decline: sent once it is free.
        self.assertEqual(
            flow.decide_setup(payment._replace(push_owed=True), waiting, keying("failed")),
            Move(account_flow.PUSH_OWED),
        )

    def test_the_setup_intent_s_last_error_is_the_news_not_a_payment_intent_s(self):
        error = {"code": "setup_intent_authentication_failure"}
        payment = Snapshot("pending", "waiting_card", SETUP)
        self.assertEqual(
            flow.decide_setup(
                payment, {"status": "requires_payment_method", "last_setup_error": error}
            ),
            Move(account_flow.ATTEMPT_FAILED, error=error),
        )
        self.assertEqual(
            flow.decide_setup(
                payment, {"status": "requires_payment_method", "last_payment_error": error}
            ),
            Move(account_flow.NOTHING),
        )

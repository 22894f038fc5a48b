# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import time
from unittest.mock import MagicMock, patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import StripeTerminalCase


def make_event(event_id="evt_test_1", event_type="payment_intent.succeeded", object_id="pi_1"):
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2026-10-28.endive",
        "data": {"object": {"id": object_id, "object": "payment_intent"}},
    }


@tagged("post_install", "-at_install")
class TestWebhook(StripeTerminalCase):
    def setUp(self):
        super().setUp()
        self.events = self.env["stripe.terminal.event"]
        self.handler = MagicMock()
        model_class = type(self.events)
        patcher_handlers = patch.object(
            model_class,
            "_stripe_terminal_event_handlers",
            lambda _self: {
                "payment_intent.succeeded": [("stripe.terminal.event", "_test_handler")]
            },
        )
        patcher_method = patch.object(model_class, "_test_handler", self.handler, create=True)
        for patcher in (patcher_handlers, patcher_method):
            patcher.start()
            self.addCleanup(patcher.stop)

    def recorded(self, event_id):
        self.env.invalidate_all()
        return self.events.search([("stripe_event_id", "=", event_id)])

    def test_a_signed_event_is_recorded_and_dispatched_once(self):
        event = make_event()
        response = self.post_webhook(event)
        self.assertEqual(response.status_code, 200)
        record = self.recorded("evt_test_1")
        self.assertEqual(record.event_type, "payment_intent.succeeded")
        self.assertEqual(record.object_id, "pi_1")
        self.assertEqual(record.provider_id, self.provider)
        self.assertEqual(self.handler.call_count, 1)
        dispatched_event, dispatched_provider = self.handler.call_args.args
        self.assertEqual(dispatched_event["id"], "evt_test_1")
        self.assertEqual(dispatched_provider, self.provider)
        # Stripe delivers again (at-least-once): accepted, nothing processed twice.
        for _attempt in range(3):
            self.assertEqual(self.post_webhook(event).status_code, 200)
        self.assertEqual(self.handler.call_count, 1)
        self.assertEqual(len(self.recorded("evt_test_1")), 1)

    def test_unknown_event_types_are_acknowledged_and_ignored(self):
        response = self.post_webhook(make_event("evt_unknown", "customer.created"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.recorded("evt_unknown"))
        self.handler.assert_not_called()

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_forged_signature_is_refused(self):
        response = self.post_webhook(make_event("evt_forged"), secret="whsec_not_the_secret")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.recorded("evt_forged"))
        self.handler.assert_not_called()

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_stale_timestamp_is_refused(self):
        response = self.post_webhook(make_event("evt_stale"), timestamp=time.time() - 3600)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.recorded("evt_stale"))

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_tampered_body_is_refused(self):
        payload = b'{"id": "evt_tampered", "type": "payment_intent.succeeded"}'
        signature = self.sign_payload(payload, self.webhook_secret)
        response = self.post_webhook(None, raw=payload + b" ", signature=signature)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.recorded("evt_tampered"))

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_malformed_body_is_refused(self):
        payload = b"this is not json"
        response = self.post_webhook(None, raw=payload)
        self.assertEqual(response.status_code, 400)
        self.handler.assert_not_called()

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_missing_signature_is_refused(self):
        response = self.url_open(
            "/stripe_terminal/webhook",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 400)

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_no_signing_secret_no_processing(self):
        self.provider.sudo().stripe_terminal_webhook_secret = False
        response = self.post_webhook(make_event("evt_nosecret"))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.recorded("evt_nosecret"))
        self.handler.assert_not_called()

    @mute_logger("odoo.addons.stripe_terminal_base.models.stripe_terminal_event")
    def test_a_failing_handler_answers_500_and_the_event_can_be_redelivered(self):
        self.handler.side_effect = RuntimeError("boom")
        response = self.post_webhook(make_event("evt_retry"))
        self.assertEqual(response.status_code, 500)
        self.assertFalse(self.recorded("evt_retry"), "rolled back, so Stripe's retry counts")
        self.handler.side_effect = None
        self.assertEqual(self.post_webhook(make_event("evt_retry")).status_code, 200)
        self.assertTrue(self.recorded("evt_retry"))

    def test_the_simulator_signs_like_stripe(self):
        # An event emitted by the simulator for this account reaches the route and verifies.
        self.stripe.v1.customers.create({"name": "Nobody"})
        intent = self.stripe.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
        )
        reader = self.create_reader()
        self.stripe.v1.terminal.readers.process_payment_intent(
            reader.stripe_reader_id, {"payment_intent": intent.id}
        )
        self.present_card(reader)
        self.deliver_webhooks()
        self.assertEqual(self.handler.call_count, 1)
        self.assertTrue(self.events.search([("object_id", "=", intent.id)]))

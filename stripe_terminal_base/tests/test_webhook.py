# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import time
from unittest.mock import MagicMock, patch

from odoo.exceptions import UserError
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

    def test_an_event_in_another_api_version_is_read_in_ours(self):
        """An endpoint made by hand in Stripe's Dashboard sends the account's version: Odoo
        asks Stripe for the object again and says so on the provider."""
        intent = self.stripe.v1.payment_intents.create(
            {"amount": 1500, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
        )
        event = make_event("evt_old_version", object_id=intent.id)
        event["api_version"] = "2024-06-20"
        self.assertEqual(self.post_webhook(event).status_code, 200)
        dispatched_event, _provider = self.handler.call_args.args
        self.assertEqual(dispatched_event["data"]["object"]["status"], "requires_payment_method")
        self.assertEqual(dispatched_event["data"]["object"]["amount"], 1500)
        self.env.invalidate_all()
        self.assertEqual(self.provider.stripe_terminal_webhook_api_version, "2024-06-20")
        # Events in Odoo's version again (the endpoint was made anew): the warning goes.
        self.assertEqual(self.post_webhook(make_event("evt_our_version")).status_code, 200)
        self.env.invalidate_all()
        self.assertFalse(self.provider.stripe_terminal_webhook_api_version)

    def test_the_webhook_button_makes_a_new_endpoint_each_time(self):
        provider = self.provider
        provider.action_stripe_terminal_create_webhook()
        endpoints = self.stripe.v1.webhook_endpoints.list().data
        self.assertEqual(len(endpoints), 1)
        self.assertEqual(endpoints[0].api_version, "2026-10-28.endive")
        first_secret = provider.sudo().stripe_terminal_webhook_secret
        # Deleted on Stripe, made again from Odoo: a new endpoint, not the old answer replayed
        # with a secret no endpoint signs with any more.
        self.stripe.v1.webhook_endpoints.delete(endpoints[0].id)
        provider.action_stripe_terminal_create_webhook()
        endpoints = self.stripe.v1.webhook_endpoints.list().data
        self.assertEqual(len(endpoints), 1)
        second_secret = provider.sudo().stripe_terminal_webhook_secret
        self.assertNotEqual(first_secret, second_secret)
        # Made again while it exists (its secret lost in Odoo): replaced, still one.
        provider.action_stripe_terminal_create_webhook()
        self.assertEqual(len(self.stripe.v1.webhook_endpoints.list().data), 1)
        self.assertNotEqual(provider.sudo().stripe_terminal_webhook_secret, second_secret)

    def test_an_endpoint_made_in_the_dashboard_in_another_version_is_explained(self):
        self.stripe.v1.webhook_endpoints.create(
            {
                "url": self.provider.stripe_terminal_webhook_url,
                "enabled_events": ["*"],
                "api_version": "2025-03-31.basil",
            }
        )
        with self.assertRaisesRegex(UserError, "2025-03-31.basil.*Delete that endpoint"):
            self.provider.action_stripe_terminal_create_webhook()
        self.assertEqual(len(self.stripe.v1.webhook_endpoints.list().data), 1, "left as it was")

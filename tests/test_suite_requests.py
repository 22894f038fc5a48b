"""Every request the addons send to Stripe exists in Stripe's definition of that endpoint.

The flows below exercise the suite's Stripe calls against the simulator; the simulator's log of
what was sent is then checked, parameter by parameter, against Stripe's published spec (and the
stripe-python 16 parameter types for endpoints newer than the spec).
"""

from odoo.addons.stripe_terminal_account.tests.common import StripeTerminalAccountCase

from tests.stripe_simulator import fidelity


class TestSuiteRequestsExistAtStripe(StripeTerminalAccountCase):
    def test_every_parameter_the_suite_sends_is_stripes(self):
        # Readers: register (wizard), sync, check, cancel an action.
        wizard = self.env["stripe.terminal.reader.register"].create(
            {
                "provider_id": self.provider.id,
                "name": "Counter",
                "registration_code": "simulated-s710",
                "location_mode": "new",
                "new_location_name": "Counter",
            }
        )
        self.company.write({"street": "1 Main St", "city": "Springfield", "zip": "12345"})
        wizard.action_register()
        self.provider.action_stripe_terminal_sync()
        self.reader.action_check_status()
        # Payments: saved card, decline and automatic retry, success, cancel.
        payment = self.collect(self.create_invoice(42.0), stripe_terminal_save_card=True)
        self.pay(payment, "4000000000009995")
        self.pay(payment)
        self.assertEqual(payment.state, "done")
        other = self.collect(self.create_invoice(10.0))
        other.with_user(self.accountant).action_stripe_terminal_cancel()
        # Customers: details changed, synced.
        self.customer.name = "Card Customer Renamed"
        self.env["stripe.terminal.customer"]._cron_sync_changed_customers()
        # The webhook endpoint.
        self.provider.sudo().stripe_terminal_webhook_secret = False
        self.provider.action_stripe_terminal_create_webhook()

        requests = self.stripe_requests()
        operations = {(entry["method"], fidelity.template_for(entry["path"])) for entry in requests}
        for expected in (
            ("POST", "/v1/payment_intents"),
            ("POST", "/v1/terminal/readers/{reader}/process_payment_intent"),
            ("POST", "/v1/customers"),
            ("POST", "/v1/webhook_endpoints"),
        ):
            self.assertIn(expected, operations)
        self.assertEqual(fidelity.parameter_problems(requests), [])
        self.assertTrue(all(entry["stripe_version"] == "2026-10-28.endive" for entry in requests))
        writes = [entry for entry in requests if entry["method"] == "POST"]
        self.assertTrue(all(entry["idempotency_key"] for entry in writes))

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import StripeTerminalMotoCase


@tagged("post_install", "-at_install")
class TestMotoRequestsExistAtStripe(StripeTerminalMotoCase):
    def test_every_parameter_moto_sends_is_stripes(self):
        # A keyed payment with a decline and its automatic retry; a keyed card saved, declined
        # when charged, replaced and charged; a saving canceled on the reader.
        self.key_card(
            self.key_card(self.collect_moto(self.create_invoice(20.0)), "4000000000000002")
        )
        saved = self.collect_moto(self.create_invoice(30.0), stripe_terminal_save_card=True)
        self.key_card(saved, "4000000000000341")
        self.key_card(saved)
        self.assertEqual(saved.state, "done")
        canceled = self.collect_moto(self.create_invoice(40.0), stripe_terminal_save_card=True)
        canceled.with_user(self.manager).action_stripe_terminal_cancel()
        self.assertEqual(canceled.state, "canceled")

        from tests.stripe_simulator import fidelity  # on the path once the simulator runs

        requests = self.stripe_requests()
        operations = {(entry["method"], fidelity.template_for(entry["path"])) for entry in requests}
        for expected in (
            ("POST", "/v1/setup_intents"),
            ("POST", "/v1/setup_intents/{intent}/cancel"),
            ("POST", "/v1/terminal/readers/{reader}/process_setup_intent"),
            ("POST", "/v1/payment_intents/{intent}/confirm"),
            ("POST", "/v1/payment_methods/{payment_method}/detach"),
        ):
            self.assertIn(expected, operations)
        self.assertEqual(fidelity.parameter_problems(requests), [])
        self.assertTrue(all(entry["stripe_version"] == "2026-10-28.endive" for entry in requests))
        writes = [entry for entry in requests if entry["method"] == "POST"]
        self.assertTrue(all(entry["idempotency_key"] for entry in writes))

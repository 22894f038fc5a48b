# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test API for MOTO payments, on top of the account addon's."""

from odoo.addons.stripe_terminal_account.tests.common import StripeTerminalAccountCase

APPROVED_CARD = "4242424242424242"


class StripeTerminalMotoCase(StripeTerminalAccountCase):
    def collect_moto(self, invoices, user=None, **values):
        """Collect a MOTO payment, as an accounting manager (allowed by default)."""
        values.setdefault("stripe_terminal_mode", "moto")
        return self.collect(invoices, user=user or self.manager, **values)

    def key_card(self, payment, number=APPROVED_CARD, **card):
        """The accountant keys the card the customer reads out; Stripe's webhooks reach Odoo."""
        return self.pay(payment, number=number, card_type="card", **card)

    def reader_action(self, reader=None):
        stripe_reader = self.stripe.v1.terminal.readers.retrieve(
            (reader or self.reader).stripe_reader_id
        )
        return stripe_reader.to_dict().get("action") or {}

    def reader_requests(self, action):
        """The parameters Odoo sent for the reader action `action`, oldest first."""
        return [
            entry["params"]
            for entry in self.stripe_requests()
            if entry["method"] == "POST" and entry["path"].endswith(f"/{action}")
        ]

    def overlay(self, payment, user=None):
        return payment.with_user(user or payment.user_id).action_stripe_terminal_state()

    def disable_moto_on_the_account(self):
        """Stripe has not enabled MOTO on this test's account."""
        self.simulator.configure_account(self.secret_key, moto_enabled=False)

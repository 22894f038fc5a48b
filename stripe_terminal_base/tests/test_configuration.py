# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What an integrator sees when the Stripe configuration is incomplete: a message that says
what to set and where, and no request to Stripe."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestConfiguration(StripeTerminalCase):
    def test_a_provider_without_secret_key_says_where_to_enter_it(self):
        reader = self.create_reader()
        # Odoo requires the key of an enabled provider: a key is missing once it is disabled.
        self.provider.sudo().write({"state": "disabled", "stripe_secret_key": False})
        requests_before = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "has no secret key.*Payment Providers"):
            reader.with_user(self.accountant).action_check_status()
        with self.assertRaisesRegex(UserError, "has no secret key"):
            reader._stripe_terminal_preflight(self.company)
        self.assertEqual(len(self.stripe_requests()), requests_before)

    def test_sync_without_an_enabled_provider_says_where_to_configure_one(self):
        self.provider.sudo().state = "disabled"
        with self.assertRaisesRegex(UserError, "No Stripe provider is enabled"):
            self.env["stripe.terminal.reader"].with_user(self.manager).action_sync_all()

    def test_a_new_location_needs_the_company_country(self):
        self.company.country_id = False
        wizard = self.register_wizard("Back office")
        requests_before = len(self.stripe_requests())
        with self.assertRaisesRegex(UserError, "country of the reader's location"):
            wizard.action_register()
        self.assertEqual(len(self.stripe_requests()), requests_before)
        self.assertFalse(self.env["stripe.terminal.reader"].search([("name", "=", "Back office")]))

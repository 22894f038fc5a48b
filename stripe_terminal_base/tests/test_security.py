# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestSecurity(StripeTerminalCase):
    fresh_account_per_test = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reader = cls.register_reader(cls.provider, cls.location, label="Main till")
        cls.other_company = cls.env["res.company"].create(
            {"name": "Second Co", "country_id": cls.env.ref("base.us").id}
        )
        cls.other_provider = cls.setup_stripe_provider(cls.other_company)
        cls.other_reader = cls.register_reader(
            cls.other_provider, cls.create_location(cls.other_provider), label="Second till"
        )
        cls.portal = new_test_user(cls.env, login="st_portal", groups="base.group_portal")
        cls.employee = new_test_user(cls.env, login="st_employee", groups="base.group_user")

    def test_accountants_use_readers_managers_manage_them(self):
        readers = self.env["stripe.terminal.reader"]
        self.assertEqual(readers.with_user(self.accountant).search([]), self.reader)
        with self.assertRaises(AccessError):
            self.reader.with_user(self.accountant).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            readers.with_user(self.accountant).create(
                {
                    "name": "X",
                    "stripe_reader_id": "tmr_x",
                    "device_type": "stripe_s700",
                    "provider_id": self.provider.id,
                }
            )
        self.reader.with_user(self.manager).write({"name": "Renamed"})
        self.assertEqual(self.reader.name, "Renamed")
        with self.assertRaises(AccessError):
            self.env["stripe.terminal.reader.register"].with_user(self.accountant).create(
                {"provider_id": self.provider.id, "name": "X", "registration_code": "x"}
            )

    def test_second_company_readers_are_invisible_and_unusable(self):
        readers = self.env["stripe.terminal.reader"].with_user(self.manager)
        self.assertNotIn(self.other_reader, readers.search([]))
        with self.assertRaises(AccessError):
            self.other_reader.with_user(self.manager).read(["name"])
        with self.assertRaisesRegex(UserError, "belongs to"):
            self.other_reader._stripe_terminal_preflight(self.company)
        # Each company's provider talks to its own Stripe account.
        self.assertNotEqual(
            self.provider.sudo().stripe_secret_key, self.other_provider.sudo().stripe_secret_key
        )
        ids_on_first_account = [r.id for r in self.stripe.v1.terminal.readers.list().data]
        self.assertNotIn(self.other_reader.stripe_reader_id, ids_on_first_account)

    def test_portal_and_employees_reach_nothing(self):
        for user in (self.portal, self.employee):
            for model in (
                "stripe.terminal.reader",
                "stripe.terminal.location",
                "stripe.terminal.customer",
                "stripe.terminal.event",
            ):
                with self.assertRaises(AccessError, msg=f"{user.login} on {model}"):
                    self.env[model].with_user(user).search([])

    def test_only_system_administrators_read_the_keys(self):
        provider = self.provider.with_user(self.manager)
        with self.assertRaises(AccessError):
            provider.read(["stripe_secret_key"])
        with self.assertRaises(AccessError):
            provider.read(["stripe_terminal_webhook_secret"])
        self.assertTrue(
            self.provider.with_user(self.env.ref("base.user_admin")).read(
                ["stripe_secret_key", "stripe_terminal_webhook_secret"]
            )
        )

    def test_only_system_administrators_change_the_api_base(self):
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.manager).set_param(
                "stripe_terminal.api_base", "http://evil.example"
            )

    def test_users_set_their_default_reader_in_preferences(self):
        user = self.accountant.with_user(self.accountant)
        user.write({"stripe_terminal_reader_id": self.reader.id})
        self.assertEqual(self.accountant.stripe_terminal_reader_id, self.reader)
        self.assertIn("stripe_terminal_reader_id", user.SELF_WRITEABLE_FIELDS)
        with self.assertRaises(ValidationError), mute_logger("odoo.sql_db"):
            user.sudo().write({"stripe_terminal_reader_id": self.other_reader.id})
        # The preferences form shows it.
        view = self.env.ref("base.view_users_form_simple_modif")
        arch = self.env["res.users"].with_user(self.accountant).get_view(view.id)["arch"]
        self.assertIn("stripe_terminal_reader_id", arch)

    def test_menu_is_for_accounting_managers(self):
        menu = self.env.ref("stripe_terminal_base.menu_stripe_terminal_reader")
        visible_for = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertIn(menu.id, visible_for)
        visible_for = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertNotIn(menu.id, visible_for)

    def test_unauthorized_users_make_no_stripe_request(self):
        """Refused before the server calls Stripe with the company's key."""
        register = (
            self.env["stripe.terminal.reader.register"]
            .with_user(self.manager)
            .create(
                {
                    "provider_id": self.provider.id,
                    "name": "New",
                    "registration_code": "simulated-wpe",
                }
            )
        )
        calls = (
            lambda user: self.env["stripe.terminal.reader"].with_user(user).action_sync_all(),
            lambda user: self.provider.with_user(user).action_stripe_terminal_sync(),
            lambda user: self.provider.with_user(user).action_stripe_terminal_create_webhook(),
            lambda user: register.with_user(user).action_register(),
            lambda user: self.reader.with_user(user).action_check_status(),
            lambda user: self.reader.with_user(user).action_cancel_reader_action(),
        )
        for user in (self.portal, self.employee, self.accountant):
            for index, call in enumerate(calls):
                if user == self.accountant and index >= 4:
                    continue  # accountants use readers
                with self.subTest(user=user.login, call=index):
                    before = len(self.stripe_requests())
                    with self.assertRaises(AccessError):
                        call(user)
                    self.assertEqual(len(self.stripe_requests()), before)

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import psycopg2

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import StripeTerminalCase


@tagged("post_install", "-at_install")
class TestReaders(StripeTerminalCase):
    def test_register_wizard_registers_a_simulated_reader(self):
        wizard_form = Form(self.env["stripe.terminal.reader.register"].with_user(self.manager))
        wizard_form.name = "Front desk"
        wizard_form.registration_code = "simulated-s700"
        wizard_form.location_mode = "existing"
        wizard_form.location_id = self.location
        action = wizard_form.save().action_register()
        reader = self.env["stripe.terminal.reader"].browse(action["res_id"])
        self.assertEqual(reader.name, "Front desk")
        self.assertEqual(reader.device_type, "simulated_stripe_s700")
        self.assertTrue(reader.stripe_reader_id.startswith("tmr_"))
        self.assertTrue(reader.is_server_driven)
        self.assertTrue(reader.supports_moto)
        self.assertEqual(reader.status, "online")
        self.assertEqual(reader.location_id, self.location)
        self.assertEqual(reader.company_id, self.company)

    def test_register_wizard_creates_a_location_from_the_company_address(self):
        self.company.write({"street": "5 Rue Neuve", "city": "Lyon", "zip": "69001"})
        wizard = self.register_wizard("Back office")
        reader = self.env["stripe.terminal.reader"].browse(wizard.action_register()["res_id"])
        self.assertEqual(reader.location_id.name, "Back office")
        self.assertTrue(reader.location_id.stripe_location_id.startswith("tml_"))
        self.assertEqual(reader.location_id.country_code, self.company.country_id.code)

    def test_register_wizard_makes_the_location_again_after_the_address_is_fixed(self):
        # The first click made a location at the wrong address, then the code was refused;
        # with the address fixed, the same wizard must make a new location, not replay the
        # first one (Stripe replays an idempotency key's first answer for 24 hours).
        self.company.write({"street": "5 Rue Neuve", "city": "Lyon", "zip": "69001"})
        wizard = self.register_wizard("Back office", "not-a-real-code")
        with self.assertRaisesRegex(UserError, "registration code"):
            wizard.action_register()
        self.company.street = "7 Rue Neuve"
        wizard.registration_code = "simulated-wpe"
        reader = self.env["stripe.terminal.reader"].browse(wizard.action_register()["res_id"])
        location = self.stripe.v1.terminal.locations.retrieve(reader.location_id.stripe_location_id)
        self.assertEqual(location.address.line1, "7 Rue Neuve")
        # Clicked again with the same address: the location made then is found, not a third.
        replayed = [e for e in self.stripe_requests() if e["replayed"]]
        self.assertFalse(replayed)

    def test_register_wizard_explains_a_wrong_code(self):
        wizard = self.register_wizard("Typo", "not-a-real-code", location=self.location)
        with self.assertRaisesRegex(UserError, "registration code"):
            wizard.action_register()
        self.assertFalse(self.env["stripe.terminal.reader"].search([("name", "=", "Typo")]))

    def test_sync_imports_updates_and_archives(self):
        first = self.stripe.v1.terminal.readers.create(
            {
                "registration_code": "simulated-wpe",
                "label": "Till 1",
                "location": self.location.stripe_location_id,
            }
        )
        self.stripe.v1.terminal.readers.create(
            {
                "registration_code": "verifone_P400",
                "label": "Old P400",
                "location": self.location.stripe_location_id,
            }
        )
        self.provider.action_stripe_terminal_sync()
        readers = self.env["stripe.terminal.reader"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(set(readers.mapped("name")), {"Till 1", "Old P400"})
        p400 = readers.filtered(lambda r: r.name == "Old P400")
        self.assertFalse(p400.is_server_driven)
        self.assertIn("legacy", p400.unsupported_reason)
        # Renamed on Stripe, then deleted: the next sync follows.
        self.stripe.v1.terminal.readers.update(first.id, {"label": "Till One"})
        self.provider.action_stripe_terminal_sync()
        self.assertTrue(readers.filtered(lambda r: r.name == "Till One"))
        self.stripe.v1.terminal.readers.delete(first.id)
        self.provider.action_stripe_terminal_sync()
        till = readers.filtered(lambda r: r.stripe_reader_id == first.id)
        self.assertFalse(till.active)

    def test_check_status_reports_what_stripe_says(self):
        reader = self.create_reader()
        action = reader.action_check_status()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("online", action["params"]["message"])
        self.simulator.set_reader_online(reader.stripe_reader_id, False)
        action = reader.action_check_status()
        self.assertEqual(reader.status, "offline")
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("offline", action["params"]["message"])
        self.assertTrue(reader.last_check_date)

    def test_preflight_accepts_an_idle_online_reader(self):
        reader = self.create_reader()
        stripe_reader = reader._stripe_terminal_preflight(self.company)
        self.assertEqual(stripe_reader["id"], reader.stripe_reader_id)

    def test_preflight_does_not_refuse_a_reader_stripe_says_is_offline(self):
        # Stripe's status lags behind the reader: the reader action decides (see the account
        # addon's tests for a reader that is really offline).
        reader = self.create_reader()
        self.simulator.set_reader_reported_status(reader.stripe_reader_id, "offline")
        stripe_reader = reader._stripe_terminal_preflight(self.company)
        self.assertEqual(stripe_reader["status"], "offline")
        self.assertEqual(reader.status, "offline")

    def test_preflight_refuses_a_busy_reader(self):
        reader = self.create_reader()
        intent = self.stripe.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
        )
        self.stripe.v1.terminal.readers.process_payment_intent(
            reader.stripe_reader_id, {"payment_intent": intent.id}
        )
        with self.assertRaisesRegex(UserError, "busy"):
            reader._stripe_terminal_preflight(self.company)
        # The reader form's cancel button frees it.
        reader.action_cancel_reader_action()
        reader._stripe_terminal_preflight(self.company)

    def test_preflight_refuses_a_reader_deleted_on_stripe(self):
        reader = self.create_reader()
        self.stripe.v1.terminal.readers.delete(reader.stripe_reader_id)
        with self.assertRaisesRegex(UserError, "no longer exists on Stripe"):
            reader._stripe_terminal_preflight(self.company)

    def test_preflight_refuses_readers_that_cannot_be_driven(self):
        for code in ("verifone_P400", "stripe_m2", "bbpos_chipper2x"):
            reader = self.create_reader(code)
            requests_before = len(self.stripe_requests())
            with self.assertRaisesRegex(UserError, "cannot take payments from Odoo"):
                reader._stripe_terminal_preflight(self.company)
            # Refused locally: no request to Stripe.
            self.assertEqual(len(self.stripe_requests()), requests_before)

    def test_preflight_refuses_another_company(self):
        reader = self.create_reader()
        other = self.env["res.company"].create({"name": "Other Co"})
        with self.assertRaisesRegex(UserError, "belongs to"):
            reader._stripe_terminal_preflight(other)

    def test_preflight_refuses_moto_on_a_reader_without_it(self):
        reader = self.create_reader("simulated-wpe")
        reader.device_type = "verifone_p630"
        with self.assertRaisesRegex(UserError, "mail or telephone orders"):
            reader._stripe_terminal_preflight(self.company, moto=True)

    def test_reader_id_is_unique_per_company(self):
        reader = self.create_reader()
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            reader.copy({"stripe_reader_id": reader.stripe_reader_id})

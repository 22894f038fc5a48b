# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The demo database: what an integrator finds after `make demo`.

Everything is made the way a user would make it, through the suite's own code: its Stripe client
(pointed at the project's simulator), its location, reader and customer models, and Register
Payment's card collection for the two invoices that were "paid on a reader last week" (one of
them saved the card, the other has a credit note waiting to be refunded to that card). The
customer's taps are the simulator's test helper, as in the tests; switching a reader off is the
one thing Stripe's API cannot do, so it goes through the simulator's control API.

The records get XML ids of this addon (`stripe_terminal_demo.reader_front_desk`...), so tests and
the screenshot script find them without guessing.
"""

import json
import logging
import urllib.request
from datetime import timedelta

from odoo import Command, _, fields
from odoo.exceptions import UserError

from odoo.addons.stripe_terminal_base import const as base_const
from odoo.addons.stripe_terminal_base.errors import StripeTerminalError

_logger = logging.getLogger(__name__)

ENV_SIMULATOR = "STRIPE_TERMINAL_DEMO_SIMULATOR"
ENV_WEBHOOK_SECRET = "STRIPE_TERMINAL_DEMO_WEBHOOK_SECRET"
MODULE = "stripe_terminal_demo"
CONTROL_TIMEOUT = 10

COMPANY = {
    "name": "Bluebird Furniture (demo)",
    "street": "500 Market Street",
    "city": "San Francisco",
    "zip": "94105",
    "email": "hello@bluebird-furniture.example",
    "phone": "+1 415 555 0100",
}
LOCATION = {
    "display_name": "Showroom",
    "address": {
        "line1": "500 Market Street",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "country": "US",
    },
}
# (xml id, registration code, label, switched on). Two readers Odoo drives, one switched off,
# and a Verifone P400, which Stripe cannot drive from a server: Odoo says why on its form.
READERS = [
    ("reader_front_desk", "simulated-wpe", "Front desk", True),
    ("reader_back_office", "simulated-s700", "Back office", True),
    ("reader_warehouse", "simulated-s710", "Warehouse", False),
    ("reader_old_counter", "simulated-p400", "Old counter (P400)", True),
]
# Amounts avoid Stripe's test amounts (minor units ending in 01, 05, 55, 60, 65, 75 decline):
# the virtual reader's buttons choose the outcome.
CUSTOMERS = [
    {
        "xml_id": "partner_lumen",
        "name": "Lumen Architects",
        "email": "accounts@lumen-architects.example",
        "phone": "+1 415 555 0142",
        "city": "Oakland",
    },
    {
        "xml_id": "partner_harbor",
        "name": "Harbor Café",
        "email": "owner@harbor-cafe.example",
        "phone": "+1 415 555 0177",
        "city": "Sausalito",
    },
    {
        "xml_id": "partner_kiyomi",
        "name": "Kiyomi Trading K.K.",
        "email": "keiri@kiyomi-trading.example",
        "city": "Osaka",
        "country": "base.jp",
    },
    {
        "xml_id": "partner_cedar",
        "name": "Cedar & Pine Studio",
        "email": "studio@cedar-pine.example",
        "phone": "+1 415 555 0123",
        "city": "San Rafael",
    },
    {
        "xml_id": "partner_nordic",
        "name": "Nordic Goods",
        "email": "ap@nordic-goods.example",
        "phone": "+1 415 555 0199",
        "city": "Berkeley",
    },
]
# (xml id, customer, currency or None for the company's, days ago, [(label, quantity, price)]).
OPEN_INVOICES = [
    (
        "invoice_lumen_table",
        "partner_lumen",
        None,
        3,
        [("Oak conference table", 1, 1180.00), ("Delivery and assembly", 1, 70.00)],
    ),
    ("invoice_harbor_chairs", "partner_harbor", None, 2, [("Bistro chair", 6, 70.00)]),
    ("invoice_harbor_stools", "partner_harbor", None, 1, [("Espresso bar stool", 2, 44.95)]),
    (
        "invoice_kiyomi_shelves",
        "partner_kiyomi",
        "base.JPY",
        4,
        [("Walnut shelving unit", 1, 36800)],
    ),
    ("invoice_nordic_sofa", "partner_nordic", None, 1, [("Lounge sofa", 1, 2340.00)]),
]
# Invoices paid on the Front desk reader a week ago.
PAID_INVOICES = [
    # The card is saved for Nordic Goods' later payments.
    ("invoice_nordic_sample", "partner_nordic", 9, [("Sample chair", 1, 145.00)], True),
    # One lamp came back: its credit note is refunded to this card (the customer has nothing
    # else to pay, so the credit is not proposed against another invoice).
    ("invoice_cedar_lamps", "partner_cedar", 8, [("Brass desk lamp", 4, 60.00)], False),
]
CREDIT_NOTE = ("credit_note_cedar_lamp", "invoice_cedar_lamps", [("Brass desk lamp", 1, 60.00)])
JPY_PER_USD = 150.0


class DemoBuilder:
    def __init__(self, env, simulator_url, webhook_secret=None):
        admin = env.ref("base.user_admin")
        # As the admin user (who collects the demo's past payments), with every right.
        self.env = env(user=admin.id, su=True, context=dict(env.context, tracking_disable=True))
        self.admin = self.env.user
        self.simulator_url = simulator_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.company = self.env.ref("base.main_company")
        self.today = fields.Date.context_today(self.admin)
        self.records = {}

    def build(self):
        _logger.info("Stripe Terminal demo: building the demo data on %s", self.simulator_url)
        try:
            self._company()
            self._currency()
            self._provider()
            self._location_and_readers()
            self._journal()
            self._customers()
            self._open_invoices()
            self._paid_invoices()
            self._credit_note()
        except StripeTerminalError as error:
            raise UserError(
                _(
                    "The demo data could not be created on the Stripe simulator at %(url)s: "
                    "%(error)s",
                    url=self.simulator_url,
                    error=error.technical,
                )
            ) from error
        _logger.info(
            "Stripe Terminal demo ready: %s readers, %s customers, %s invoices",
            len(READERS),
            len(CUSTOMERS),
            len(OPEN_INVOICES) + len(PAID_INVOICES),
        )

    # === Helpers === #

    def _remember(self, xml_id, record):
        self.records[xml_id] = record
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": f"{MODULE}.{xml_id}", "record": record, "noupdate": True}]
        )
        return record

    def _key(self, *parts):
        return self.provider._stripe_terminal_idempotency_key("demo", *parts)

    def _control(self, path, body):
        """A call to the simulator's control API (no Stripe equivalent)."""
        request = urllib.request.Request(
            f"{self.simulator_url}/_simulator/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT) as response:
            return json.loads(response.read())["result"]

    # === Steps === #

    def _company(self):
        values = dict(COMPANY, country_id=self.env.ref("base.us").id)
        if self.company.currency_id != self.env.ref("base.USD"):
            values["currency_id"] = self.env.ref("base.USD").id
        self.company.write(values)
        if not self.company.chart_template:
            # A database without Odoo's demo data has no chart of accounts until someone picks
            # one; the demo takes the one Odoo proposes for the company's country when its
            # module is installed, else the generic chart (19.0 proposes l10n_us_account's,
            # a module that an install's post-init hook cannot install).
            charts = self.env["account.chart.template"]
            code = charts._guess_chart_template(self.company.country_id)
            module = charts._get_chart_template_mapping(get_all=True).get(code, {}).get("module")
            installed = self.env["ir.module.module"].search_count(
                [("name", "=", module), ("state", "=", "installed")]
            )
            charts.try_loading(
                code if installed else "generic_coa", self.company, install_demo=False
            )

    def _currency(self):
        """The zero-decimal currency of the Japanese customer, at a rate that makes sense."""
        yen = self.env.ref("base.JPY")
        yen.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": yen.id,
                "company_id": self.company.id,
                "name": self.today - timedelta(days=30),
                "rate": JPY_PER_USD,
            }
        )

    def _provider(self):
        """Odoo's Stripe provider in test mode, on fake keys the simulator accepts, pointed at the
        simulator (the system parameter every Stripe call of the suite reads)."""
        self.env["ir.config_parameter"].set_param(base_const.API_BASE_PARAM, self.simulator_url)
        database_tag = self.env["ir.config_parameter"].get_param("database.uuid", "")[:12]
        secret_key = f"sk_test_odoo_demo_{database_tag.replace('-', '')}"
        provider = self.env.ref("payment.payment_provider_stripe")
        values = {
            "company_id": self.company.id,
            "state": "test",
            "stripe_secret_key": secret_key,
            "stripe_publishable_key": "pk_test_" + secret_key[len("sk_test_") :],
        }
        if self.webhook_secret:
            values["stripe_terminal_webhook_secret"] = self.webhook_secret
        provider.write(values)
        self.provider = provider
        self.client = provider._stripe_terminal_client()

    def _location_and_readers(self):
        location = self.client.call(
            "terminal.locations.create", params=LOCATION, idempotency_key=self._key("location")
        )
        locations = self.env["stripe.terminal.location"]
        self.location = self._remember(
            "location_showroom", locations._stripe_terminal_upsert(self.provider, location)
        )
        readers = self.env["stripe.terminal.reader"]
        for xml_id, code, label, switched_on in READERS:
            stripe_reader = self.client.call(
                "terminal.readers.create",
                params={"registration_code": code, "label": label, "location": location["id"]},
                idempotency_key=self._key("reader", xml_id),
            )
            if not switched_on:
                stripe_reader = self._control(
                    f"readers/{stripe_reader['id']}/online", {"online": False}
                )
            reader = readers._stripe_terminal_upsert(
                self.provider, stripe_reader, {location["id"]: self.location}
            )
            self._remember(xml_id, reader)
        self.front_desk = self.records["reader_front_desk"]
        self.admin.stripe_terminal_reader_id = self.front_desk

    def _journal(self):
        """A bank journal for card payments, first in Register Payment's list (sequence)."""
        journal = self.env["account.journal"].create(
            {
                "name": "Stripe",
                "code": "STRP",
                "type": "bank",
                "sequence": 1,
                "company_id": self.company.id,
                "is_stripe_journal": True,
            }
        )
        self.journal = self._remember("journal_stripe", journal)

    def _customers(self):
        partners = self.env["res.partner"]
        for values in CUSTOMERS:
            values = dict(values)
            xml_id = values.pop("xml_id")
            country = values.pop("country", "base.us")
            partner = partners.create(
                dict(values, is_company=True, country_id=self.env.ref(country).id)
            )
            self._remember(xml_id, partner)

    def _invoice(self, xml_id, partner_key, currency_ref, days_ago, lines, move_type="out_invoice"):
        currency = self.env.ref(currency_ref) if currency_ref else self.company.currency_id
        invoice_date = self.today - timedelta(days=days_ago)
        invoice = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.records[partner_key].id,
                "currency_id": currency.id,
                "invoice_date": invoice_date,
                "invoice_date_due": invoice_date + timedelta(days=30),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "quantity": quantity,
                            "price_unit": price,
                            # Round demo amounts: the prices are final, no tax on top.
                            "tax_ids": [Command.clear()],
                        }
                    )
                    for label, quantity, price in lines
                ],
            }
        )
        invoice.action_post()
        return self._remember(xml_id, invoice)

    def _open_invoices(self):
        for xml_id, partner_key, currency_ref, days_ago, lines in OPEN_INVOICES:
            self._invoice(xml_id, partner_key, currency_ref, days_ago, lines)

    def _paid_invoices(self):
        for xml_id, partner_key, days_ago, lines, save_card in PAID_INVOICES:
            invoice = self._invoice(xml_id, partner_key, None, days_ago, lines)
            payment = self._collect_on_reader(invoice, save_card)
            self._remember(f"{xml_id}_card_payment", payment)
            if payment.token_id:
                self._remember(f"{partner_key}_saved_card", payment.token_id)

    def _collect_on_reader(self, invoice, save_card):
        """What Register Payment > Collect does, and the customer's tap on the reader."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": self.journal.id,
                    "payment_date": invoice.invoice_date,
                    "stripe_terminal_reader_id": self.front_desk.id,
                    "stripe_terminal_save_card": save_card,
                }
            )
        )
        provider = wizard._stripe_terminal_check()
        self.front_desk._stripe_terminal_preflight(self.company)
        payment = (
            self.env["stripe.terminal.payment"]
            .create(wizard._stripe_terminal_payment_vals(provider))
            ._as_collector()
        )
        payment._stripe_terminal_start()
        self.client.call(
            "test_helpers.terminal.readers.present_payment_method",
            self.front_desk.stripe_reader_id,
            params={"type": "card_present", "card_present": {"number": "4242424242424242"}},
            idempotency_key=self._key("tap", payment.id),
        )
        payment._stripe_terminal_refresh(force=True)
        # The reader is free again only once the database says so (one active payment per
        # reader is a unique index); Collect commits here, the hook flushes.
        self.env.flush_all()
        if payment.state != "done":
            raise UserError(
                _(
                    "The demo payment %(ref)s did not succeed on the simulator: %(state)s "
                    "(%(message)s).",
                    ref=payment.name,
                    state=payment.state,
                    message=payment.failure_message or "",
                )
            )
        return payment

    def _credit_note(self):
        """A credit note of a card-paid invoice, posted and open: ready to refund to the card."""
        xml_id, invoice_key, lines = CREDIT_NOTE
        invoice = self.records[invoice_key]
        credit_note = invoice._reverse_moves(
            [
                {
                    "ref": _("Returned: %(lines)s", lines=", ".join(line[0] for line in lines)),
                    "invoice_date": self.today - timedelta(days=1),
                }
            ]
        )
        credit_note.write(
            {
                "invoice_line_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": label,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                    for label, quantity, price in lines
                ]
            }
        )
        credit_note.action_post()
        self._remember(xml_id, credit_note)

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import compat
from ..errors import StripeTerminalError

_logger = logging.getLogger(__name__)


class StripeTerminalReaderRegister(models.TransientModel):
    _name = "stripe.terminal.reader.register"
    _description = "Register a Stripe Terminal Reader"

    provider_id = fields.Many2one(
        "payment.provider",
        required=True,
        domain="[('code', '=', 'stripe'), ('state', 'in', ('enabled', 'test')), "
        "('company_id', 'in', allowed_company_ids)]",
        default=lambda self: self.env["payment.provider"]._stripe_terminal_get_provider(
            self.env.company
        ),
    )
    name = fields.Char(string="Label", required=True, help="How the reader is named in Odoo.")
    registration_code = fields.Char(
        required=True,
        help="The three words the reader shows under Settings > Generate pairing code (in test "
        "mode: simulated-wpe, simulated-s700 or simulated-s710).",
    )
    location_mode = fields.Selection(
        [("existing", "An existing location"), ("new", "A new location")],
        default="existing",
        required=True,
    )
    location_id = fields.Many2one(
        "stripe.terminal.location", domain="[('company_id', '=', company_id)]"
    )
    new_location_name = fields.Char(string="Location Name")
    company_id = fields.Many2one(related="provider_id.company_id")

    @api.onchange("provider_id")
    def _onchange_provider_id(self):
        locations = self.env["stripe.terminal.location"].search(
            [("provider_id", "=", self.provider_id.id)]
        )
        self.location_id = locations[:1]
        self.location_mode = "existing" if locations else "new"
        if not self.new_location_name:
            self.new_location_name = self.sudo().provider_id.company_id.name

    def _location_params(self):
        company = self.sudo().provider_id.company_id
        if not company.country_id:
            raise UserError(
                _(
                    "Stripe needs the country of the reader's location: set the address of "
                    "%(company)s first.",
                    company=company.name,
                )
            )
        address = {
            "country": company.country_id.code,
            "line1": company.street or "",
            "city": company.city or "",
            "postal_code": company.zip or "",
        }
        if company.state_id:
            address["state"] = company.state_id.code
        return {
            "display_name": self.new_location_name or company.name,
            "address": {key: value for key, value in address.items() if value},
        }

    def action_register(self):
        self.ensure_one()
        # Someone else's wizard, or no right to register readers: refused before Stripe hears.
        compat.check_access(self, "write")
        provider = self.sudo().provider_id
        client = provider._stripe_terminal_client()
        key = provider._stripe_terminal_idempotency_key
        digest = provider._stripe_terminal_params_digest
        try:
            if self.location_mode == "new" or not self.location_id:
                # A second click with the same address finds the location made by the first;
                # an address corrected in between makes a new one.
                location_params = self._location_params()
                stripe_location = client.call(
                    "terminal.locations.create",
                    params=location_params,
                    idempotency_key=key("location", self.id, digest(location_params)),
                )
                location = self.env["stripe.terminal.location"]._stripe_terminal_upsert(
                    provider, stripe_location
                )
            else:
                location = self.location_id
            reader_params = {
                "registration_code": self.registration_code.strip(),
                "label": self.name,
                "location": location.stripe_location_id,
            }
            stripe_reader = client.call(
                "terminal.readers.create",
                params=reader_params,
                idempotency_key=key("reader", self.id, digest(reader_params)),
            )
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal registration: %s", error.technical)
            if error.param == "registration_code":
                raise UserError(
                    _(
                        "Stripe did not accept the registration code %(code)s: check the three "
                        "words on the reader's screen (codes are valid for a few minutes).",
                        code=self.registration_code,
                    )
                ) from error
            raise UserError(error.user_message(self.env)) from error
        reader = self.env["stripe.terminal.reader"]._stripe_terminal_upsert(
            provider, stripe_reader, {location.stripe_location_id: location}
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "stripe.terminal.reader",
            "res_id": reader.id,
            "view_mode": "form",
            "target": "current",
        }

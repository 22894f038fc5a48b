# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .. import compat


class StripeTerminalLocation(models.Model):
    _name = "stripe.terminal.location"
    _description = "Stripe Terminal Location"
    _order = "name, id"

    name = fields.Char(required=True)
    stripe_location_id = fields.Char(string="Stripe Location ID", readonly=True, copy=False)
    country_code = fields.Char(readonly=True)
    address = fields.Char(readonly=True)
    provider_id = fields.Many2one(
        "payment.provider",
        required=True,
        ondelete="cascade",
        domain="[('code', '=', 'stripe')]",
    )
    company_id = fields.Many2one(
        "res.company", related="provider_id.company_id", store=True, index=True
    )
    reader_ids = fields.One2many("stripe.terminal.reader", "location_id")
    active = fields.Boolean(default=True)

    _stripe_location_uniq = compat.Constraint(
        "unique(stripe_location_id, provider_id)",
        "This Stripe location is already known for this provider.",
    )

    @api.model
    def _stripe_terminal_upsert(self, provider, location):
        """Create or update the local copy of a Stripe location (a dict)."""
        address = location.get("address") or {}
        values = {
            "name": location.get("display_name") or location["id"],
            "country_code": address.get("country"),
            "address": ", ".join(
                part
                for part in (
                    address.get("line1"),
                    address.get("postal_code"),
                    address.get("city"),
                    address.get("country"),
                )
                if part
            ),
            "active": True,
        }
        record = self.with_context(active_test=False).search(
            [("provider_id", "=", provider.id), ("stripe_location_id", "=", location["id"])],
            limit=1,
        )
        if record:
            record.write(values)
        else:
            record = self.create(
                dict(values, provider_id=provider.id, stripe_location_id=location["id"])
            )
        return record

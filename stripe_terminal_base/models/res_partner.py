# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

SYNCED_FIELDS = ("name", "email", "phone")


class ResPartner(models.Model):
    _inherit = "res.partner"

    stripe_terminal_customer_ids = fields.One2many(
        "stripe.terminal.customer", "partner_id", string="Stripe Customers"
    )

    def write(self, vals):
        result = super().write(vals)
        if any(field in vals for field in SYNCED_FIELDS):
            # The scheduled action sends the new details to Stripe; a payment does it at once.
            links = (
                self.env["stripe.terminal.customer"]
                .sudo()
                .search([("partner_id", "in", self.commercial_partner_id.ids)])
            )
            links.write({"synced_fingerprint": False})
        return result

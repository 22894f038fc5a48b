# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PaymentToken(models.Model):
    _inherit = "payment.token"

    stripe_terminal_card_brand = fields.Char(string="Card Brand", readonly=True)
    stripe_terminal_card_expiry = fields.Char(string="Card Expiry", readonly=True)
    stripe_terminal_source_charge = fields.Char(
        string="Saved From Charge",
        readonly=True,
        help="The in-person Stripe charge whose card was saved for later (generated card).",
    )

    @api.model
    def _stripe_terminal_save_generated_card(self, provider, partner, customer_id, charge):
        """Store the reusable card Stripe generated from a card-present charge (a dict) as a
        payment token of the Stripe provider, the shape Odoo's own Stripe integration uses
        (provider_ref = customer, stripe_payment_method = the card PaymentMethod).

        Returns the token, or an empty recordset when Stripe generated no card (digital wallets,
        single-branded debit cards)."""
        details = (charge.get("payment_method_details") or {}).get("card_present") or {}
        generated_card = details.get("generated_card")
        if not generated_card or not customer_id:
            return self.browse()
        existing = self.sudo().search(
            [("provider_id", "=", provider.id), ("stripe_payment_method", "=", generated_card)],
            limit=1,
        )
        if existing:
            return existing
        card_method = self.env.ref("payment.payment_method_card", raise_if_not_found=False)
        expiry = ""
        if details.get("exp_month") and details.get("exp_year"):
            expiry = f"{int(details['exp_month']):02d}/{details['exp_year']}"
        return self.sudo().create(
            {
                "provider_id": provider.id,
                "payment_method_id": card_method.id,
                "partner_id": partner.commercial_partner_id.id,
                "provider_ref": customer_id,
                "stripe_payment_method": generated_card,
                "payment_details": details.get("last4") or "",
                "stripe_terminal_card_brand": details.get("brand") or "",
                "stripe_terminal_card_expiry": expiry,
                "stripe_terminal_source_charge": charge.get("id"),
            }
        )

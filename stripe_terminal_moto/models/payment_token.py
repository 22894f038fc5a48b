# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class PaymentToken(models.Model):
    _inherit = "payment.token"

    @api.model
    def _stripe_terminal_save_keyed_card(self, provider, partner, customer_id, charge):
        """Store the card keyed on a reader for a mail or telephone order as a payment token,
        exactly like the cards saved from card-present payments (provider_ref = the Stripe
        customer, stripe_payment_method = the card PaymentMethod). A keyed card is a `card`
        PaymentMethod that is itself reusable once a SetupIntent saved it on the customer, where
        a card-present payment yields a separate generated card.

        `charge` (a dict) is the charge the saved card paid. Returns the token, or an empty
        recordset when the charge was not paid with a keyed card."""
        details = (charge.get("payment_method_details") or {}).get("card")
        if not details or not charge.get("payment_method"):
            return self.browse()
        # The base addon stores tokens from a card-present charge's generated card: describe
        # the keyed card in that shape so that both kinds of token are made by one method.
        as_generated = {
            "id": charge.get("id"),
            "payment_method_details": {
                "card_present": dict(details, generated_card=charge["payment_method"])
            },
        }
        return self._stripe_terminal_save_generated_card(
            provider, partner, customer_id, as_generated
        )

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, models
from odoo.exceptions import UserError


class StripeTerminalReader(models.Model):
    _inherit = "stripe.terminal.reader"

    def _stripe_terminal_preflight(self, company, moto=False, own_intents=()):
        stripe_reader = super()._stripe_terminal_preflight(
            company, moto=moto, own_intents=own_intents
        )
        # The pre-flight refreshed the device type from Stripe: a reader replaced on Stripe by
        # one without MOTO (same id, another device) is refused before anything is created.
        if moto and not self.supports_moto:
            raise UserError(
                _(
                    "Stripe reports %(reader)s as a %(device)s, which cannot take mail or "
                    "telephone orders: only WisePOS E, S700 and S710 readers can.",
                    reader=self.name,
                    device=stripe_reader.get("device_type") or self.device_type,
                )
            )
        return stripe_reader

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payment_vals_from_wizard(self, batch_result):
        values = super()._create_payment_vals_from_wizard(batch_result)
        if self.env.context.get("stripe_terminal_refund_id"):
            values["stripe_terminal_refund_id"] = self.env.context["stripe_terminal_refund_id"]
        return values

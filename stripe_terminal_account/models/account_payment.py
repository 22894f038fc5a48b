# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from odoo.addons.stripe_terminal_base import compat


class AccountPayment(models.Model):
    _inherit = "account.payment"

    stripe_terminal_payment_id = fields.Many2one(
        "stripe.terminal.payment",
        string="Terminal Payment",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
    )
    stripe_terminal_card = fields.Char(
        string="Card", compute="_compute_stripe_terminal_card", store=True
    )
    stripe_terminal_payment_intent = fields.Char(
        string="PaymentIntent", related="stripe_terminal_payment_id.payment_intent_id"
    )

    _stripe_terminal_payment_uniq = compat.Constraint(
        "unique(stripe_terminal_payment_id)", "A terminal payment is booked once."
    )

    @api.depends("stripe_terminal_payment_id.card_brand", "stripe_terminal_payment_id.card_last4")
    def _compute_stripe_terminal_card(self):
        for payment in self:
            terminal = payment.stripe_terminal_payment_id
            payment.stripe_terminal_card = (
                terminal._stripe_terminal_card_summary() if terminal.card_last4 else False
            )

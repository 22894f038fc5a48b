# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from odoo.addons.stripe_terminal_base import compat


class AccountPayment(models.Model):
    _inherit = "account.payment"

    stripe_terminal_refund_id = fields.Many2one(
        "stripe.terminal.refund",
        string="Card Refund",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
    )

    _stripe_terminal_refund_uniq = compat.Constraint(
        "unique(stripe_terminal_refund_id)", "A card refund is booked once."
    )

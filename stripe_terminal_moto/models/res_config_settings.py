# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    stripe_terminal_moto_group_id = fields.Many2one(
        related="company_id.stripe_terminal_moto_group_id", readonly=False
    )

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from odoo.addons.stripe_terminal_base import compat

from .. import const


class ResCompany(models.Model):
    _inherit = "res.company"

    def _default_stripe_terminal_moto_group(self):
        return self.env.ref(const.DEFAULT_GROUP_XMLID, raise_if_not_found=False)

    stripe_terminal_moto_group_id = fields.Many2one(
        "res.groups",
        string="MOTO Payments Group",
        default=_default_stripe_terminal_moto_group,
        ondelete="set null",
        help="Users of this group may key mail and telephone order card payments on a Stripe "
        "Terminal reader. Empty: every user who registers payments may.",
    )

    def _stripe_terminal_moto_allowed(self, user):
        """Whether `user` may key a MOTO card payment for this company."""
        self.ensure_one()
        group = self.sudo().stripe_terminal_moto_group_id
        if not group:
            return True
        return group in user[compat.USER_ALL_GROUPS_FIELD]

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResUsers(models.Model):
    _inherit = "res.users"

    stripe_terminal_reader_id = fields.Many2one(
        "stripe.terminal.reader",
        string="Default Terminal Reader",
        domain="[('company_id', 'in', company_ids), ('is_server_driven', '=', True)]",
        help="The reader Register Payment proposes first when collecting a card payment.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["stripe_terminal_reader_id"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["stripe_terminal_reader_id"]

    @api.constrains("stripe_terminal_reader_id", "company_ids")
    def _check_stripe_terminal_reader_company(self):
        for user in self:
            reader = user.sudo().stripe_terminal_reader_id
            if reader and reader.company_id not in user.company_ids:
                raise ValidationError(
                    _(
                        "The default reader %(reader)s belongs to %(company)s, a company "
                        "%(user)s cannot access.",
                        reader=reader.name,
                        company=reader.company_id.name,
                        user=user.name,
                    )
                )

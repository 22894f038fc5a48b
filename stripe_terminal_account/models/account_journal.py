# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AccountJournal(models.Model):
    _inherit = "account.journal"

    is_stripe_journal = fields.Boolean(
        help="Register Payment on this journal collects the amount on a Stripe Terminal "
        "reader. Only for bank journals of a company with a Stripe provider.",
    )
    stripe_terminal_outbound_warning = fields.Char(
        compute="_compute_stripe_terminal_outbound_warning"
    )

    @api.depends("is_stripe_journal", "outbound_payment_method_line_ids")
    def _compute_stripe_terminal_outbound_warning(self):
        for journal in self:
            journal.stripe_terminal_outbound_warning = (
                _(
                    "This journal has no outgoing payment method: refunds to the card cannot "
                    "be recorded on it. Add one in the Outgoing Payments tab."
                )
                if journal.is_stripe_journal and not journal.outbound_payment_method_line_ids
                else False
            )

    @api.constrains("is_stripe_journal", "type", "company_id")
    def _check_stripe_journal(self):
        providers = self.env["payment.provider"]
        for journal in self.filtered("is_stripe_journal"):
            if journal.type != "bank":
                raise ValidationError(
                    _(
                        "Only bank journals can be Stripe journals (%(journal)s is not).",
                        journal=journal.name,
                    )
                )
            if not providers.sudo()._stripe_terminal_get_provider(journal.company_id):
                raise ValidationError(
                    _(
                        "%(company)s has no Stripe provider in test or enabled state: configure "
                        "it in Accounting > Configuration > Payment Providers first.",
                        company=journal.company_id.name,
                    )
                )

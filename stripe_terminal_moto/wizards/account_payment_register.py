# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import const


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    stripe_terminal_mode = fields.Selection(
        selection_add=[(const.MODE, "MOTO (mail or phone order: key the card on the reader)")],
        ondelete={const.MODE: "set default"},
    )
    # MOTO offers the readers that can key a card only: `in [True, False]` for the other modes.
    stripe_terminal_reader_id = fields.Many2one(
        domain="[('company_id', '=', company_id), ('is_server_driven', '=', True), "
        "('supports_moto', 'in', [True, stripe_terminal_mode == 'moto'])]"
    )

    def _stripe_terminal_reader_domain(self):
        domain = super()._stripe_terminal_reader_domain()
        if self.stripe_terminal_mode == const.MODE:
            # Two domains side by side are ANDed (odoo.osv.expression is deprecated in 19.0).
            domain = [*domain, ("supports_moto", "=", True)]
        return domain

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        """Users who may not key cards are not offered MOTO at all."""
        result = super().fields_get(allfields=allfields, attributes=attributes)
        mode = result.get("stripe_terminal_mode")
        if (
            mode
            and mode.get("selection")
            and not self.env.su
            and not self.env.company._stripe_terminal_moto_allowed(self.env.user)
        ):
            mode["selection"] = [option for option in mode["selection"] if option[0] != const.MODE]
        return result

    def _stripe_terminal_check(self):
        self.ensure_one()
        if self.stripe_terminal_mode == const.MODE:
            self._stripe_terminal_check_moto_allowed()
        return super()._stripe_terminal_check()

    def _stripe_terminal_check_moto_allowed(self):
        company = self.company_id
        if company._stripe_terminal_moto_allowed(self.env.user):
            return
        raise UserError(
            _(
                "In %(company)s, mail and telephone order payments are keyed by the users of "
                "the group %(group)s only. Ask one of them to collect this payment, or an "
                "administrator to change the group in the Invoicing settings.",
                company=company.name,
                group=company.sudo().stripe_terminal_moto_group_id.full_name,
            )
        )

    def _stripe_terminal_create_and_start(self, values):
        """Refusals that no retry cures (MOTO not enabled on the Stripe account, a reader that
        cannot key cards) end the payment at once and are said here, in Register Payment."""
        payment_id = super()._stripe_terminal_create_and_start(values)
        if values.get("mode") != const.MODE:
            return payment_id
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            payment = env["stripe.terminal.payment"].browse(payment_id)
            if payment.state != "error" or payment.failure_code not in const.REFUSAL_CODES:
                return payment_id
            message = payment.failure_message
            payment._as_collector()._stripe_terminal_cancel(canceled_by=env.user)
        raise UserError(message)

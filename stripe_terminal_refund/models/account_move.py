# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const


class AccountMove(models.Model):
    _inherit = "account.move"

    stripe_terminal_refund_ids = fields.One2many(
        "stripe.terminal.refund", "credit_note_id", string="Card Refunds", readonly=True
    )
    stripe_terminal_refund_count = fields.Integer(compute="_compute_stripe_terminal_refund_count")
    stripe_terminal_origin_payment_ids = fields.Many2many(
        "stripe.terminal.payment",
        string="Card Payments of the Invoice",
        compute="_compute_stripe_terminal_origin_payment_ids",
        help="The Stripe Terminal payments that paid the invoice this credit note reverses.",
    )
    stripe_terminal_can_refund = fields.Boolean(
        compute="_compute_stripe_terminal_origin_payment_ids"
    )

    @api.depends("stripe_terminal_refund_ids")
    def _compute_stripe_terminal_refund_count(self):
        for move in self:
            move.stripe_terminal_refund_count = len(move.sudo().stripe_terminal_refund_ids)

    @api.depends(
        "move_type", "state", "payment_state", "reversed_entry_id.amount_residual", "company_id"
    )
    def _compute_stripe_terminal_origin_payment_ids(self):
        for move in self:
            payments = move._stripe_terminal_origin_payments()
            move.stripe_terminal_origin_payment_ids = payments
            move.stripe_terminal_can_refund = bool(
                payments
                and move.state == "posted"
                and move.payment_state in ("not_paid", "partial")
            )

    def _stripe_terminal_origin_payments(self):
        """The card payments that paid the invoice this customer credit note reverses (found
        through the reconciliation, so a payment that settled several invoices is found from
        each of them). Read as superuser: the button's visibility must not depend on rights to
        payments; the wizard reads them with the user's rights."""
        self.ensure_one()
        invoice = self.reversed_entry_id
        payments = self.env["stripe.terminal.payment"]
        if self.move_type != "out_refund" or not invoice:
            return payments
        account_payments = invoice.sudo()._get_reconciled_payments()
        terminal_payments = account_payments.stripe_terminal_payment_id.filtered(
            lambda p: p.state == "done" and p.company_id == self.company_id
        )
        return payments.browse(terminal_payments.ids)

    def _stripe_terminal_refund_left(self):
        """What can still be refunded on the credit note: its residual minus the refunds on
        their way whose payment is not booked yet. Read from the database: the caller holds
        the credit note's row lock."""
        self.ensure_one()
        self.env.cr.execute(
            """
            SELECT COALESCE(SUM(amount), 0) FROM stripe_terminal_refund
            WHERE credit_note_id = %s AND state IN %s AND account_payment_id IS NULL
            """,
            (self.id, const.RESERVING_STATES),
        )
        on_their_way = self.env.cr.fetchone()[0]
        return self.currency_id.round(self.amount_residual - float(on_their_way))

    def action_stripe_terminal_refund(self):
        """The Refund to Card button: the guided wizard."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(_("Only accounting users can refund card payments."))
        if not self.stripe_terminal_can_refund:
            raise UserError(
                _(
                    "%(move)s is not an open customer credit note whose invoice was paid on a "
                    "Stripe reader.",
                    move=self.display_name,
                )
            )
        for payment in self.stripe_terminal_origin_payment_ids:
            if not payment.payment_method_type:
                # Payments booked before this addon: ask Stripe once whether they are Interac.
                payment._stripe_terminal_refund_method_type()
        return {
            "type": "ir.actions.act_window",
            "name": _("Refund to Card"),
            "res_model": "stripe.terminal.refund.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_credit_note_id": self.id},
        }

    def action_view_stripe_terminal_refunds(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stripe_terminal_refund.action_stripe_terminal_refund"
        )
        action["domain"] = [("credit_note_id", "=", self.id)]
        action["context"] = {"create": False}
        if len(self.stripe_terminal_refund_ids) == 1:
            action.update(views=[(False, "form")], res_id=self.stripe_terminal_refund_ids.id)
        return action

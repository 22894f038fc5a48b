# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.stripe_terminal_base.amounts import (
    AmountError,
    stripe_exponent,
    to_stripe_amount,
)
from odoo.addons.stripe_terminal_base.const import ERRORS

from .. import const


class StripeTerminalRefundWizard(models.TransientModel):
    _name = "stripe.terminal.refund.wizard"
    _description = "Refund to Card"

    credit_note_id = fields.Many2one(
        "account.move",
        required=True,
        readonly=True,
        domain="[('move_type', '=', 'out_refund')]",
    )
    company_id = fields.Many2one(related="credit_note_id.company_id")
    currency_id = fields.Many2one(related="credit_note_id.currency_id")
    partner_id = fields.Many2one(related="credit_note_id.partner_id", string="Customer")
    invoice_id = fields.Many2one(related="credit_note_id.reversed_entry_id", string="Invoice")
    residual = fields.Monetary(
        string="Left to Refund",
        compute="_compute_residual",
        help="What the credit note still owes the customer (refunds on their way excluded).",
    )
    payment_ids = fields.Many2many(
        "stripe.terminal.payment",
        string="Card Payments",
        compute="_compute_payment_ids",
        help="The card payments that paid the invoice the credit note reverses.",
    )
    terminal_payment_id = fields.Many2one(
        "stripe.terminal.payment",
        string="Refund From",
        compute="_compute_terminal_payment_id",
        store=True,
        readonly=False,
        domain="[('id', 'in', payment_ids)]",
    )
    payment_currency_id = fields.Many2one(
        related="terminal_payment_id.currency_id", string="Payment Currency"
    )
    payment_refundable = fields.Monetary(
        string="Refundable on This Payment",
        related="terminal_payment_id.refundable_amount",
        currency_field="payment_currency_id",
    )
    on_reader = fields.Boolean(
        string="Refunded on a Reader",
        compute="_compute_on_reader",
        help="Interac payments are refunded on a reader, with the customer's card.",
    )
    reader_id = fields.Many2one(
        "stripe.terminal.reader",
        compute="_compute_reader_id",
        store=True,
        readonly=False,
        domain="[('company_id', '=', company_id), ('is_server_driven', '=', True)]",
    )
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        help="Partial refunds are allowed; a payment can be refunded several times, up to what "
        "was charged.",
    )
    reason = fields.Selection(const.REFUND_REASONS, default="requested_by_customer", required=True)
    description = fields.Char(string="Reason Given", help="Kept in the chatter and on Stripe.")
    warning = fields.Text(compute="_compute_warning")

    @api.depends("credit_note_id")
    def _compute_residual(self):
        for wizard in self:
            wizard.residual = (
                wizard.credit_note_id._stripe_terminal_refund_left()
                if wizard.credit_note_id
                else 0.0
            )

    @api.depends("credit_note_id")
    def _compute_payment_ids(self):
        for wizard in self:
            wizard.payment_ids = wizard.credit_note_id.stripe_terminal_origin_payment_ids

    @api.depends("credit_note_id")
    def _compute_terminal_payment_id(self):
        for wizard in self:
            payments = wizard.payment_ids
            wizard.terminal_payment_id = (
                payments.filtered(
                    lambda p, w=wizard: p.currency_id == w.currency_id and p.refundable_amount > 0
                )[:1]
                or payments[:1]
            )

    @api.depends("terminal_payment_id")
    def _compute_on_reader(self):
        for wizard in self:
            wizard.on_reader = wizard.terminal_payment_id._stripe_terminal_refund_on_reader()

    @api.depends("terminal_payment_id", "on_reader")
    def _compute_reader_id(self):
        for wizard in self:
            if not wizard.on_reader:
                wizard.reader_id = False
                continue
            candidates = (
                wizard.terminal_payment_id.reader_id
                | self.env.user.stripe_terminal_reader_id
                | wizard.reader_id
            )
            wizard.reader_id = candidates.filtered(
                lambda r, w=wizard: r.active and r.is_server_driven and r.company_id == w.company_id
            )[:1]

    @api.depends("terminal_payment_id", "residual")
    def _compute_amount(self):
        for wizard in self:
            payment = wizard.terminal_payment_id
            if not payment or payment.currency_id != wizard.currency_id:
                wizard.amount = 0.0
                continue
            wizard.amount = max(min(wizard.residual, payment.refundable_amount), 0.0)

    @api.depends("terminal_payment_id", "residual", "amount")
    def _compute_warning(self):
        for wizard in self:
            messages = []
            payment = wizard.terminal_payment_id
            if payment and payment.currency_id != wizard.currency_id:
                messages.append(wizard._currency_message())
            elif payment and payment.refundable_amount <= 0:
                messages.append(
                    self.env["stripe.terminal.refund"]._stripe_terminal_over_refund_message(
                        payment, 0
                    )
                )
            if payment and not payment.journal_id.outbound_payment_method_line_ids:
                messages.append(self._no_outbound_message(payment.journal_id))
            wizard.warning = "\n".join(messages) or False

    # === Messages === #

    def _currency_message(self):
        payment = self.terminal_payment_id
        return _(
            "%(ref)s was charged in %(payment_currency)s and %(credit_note)s is in "
            "%(currency)s: Odoo refunds a card payment in its own currency only. Make the credit "
            "note in %(payment_currency)s, or refund the payment from Stripe's Dashboard.",
            ref=payment.name,
            payment_currency=payment.currency_id.name,
            credit_note=self.credit_note_id.name,
            currency=self.currency_id.name,
        )

    @api.model
    def _no_outbound_message(self, journal):
        return _(
            "The journal %(journal)s has no outgoing payment method, so Odoo cannot record the "
            "money going back to the card; nothing was sent to Stripe. Add an outgoing payment "
            "method in the journal's Outgoing Payments tab (Accounting > Configuration > "
            "Journals).",
            journal=journal.name,
        )

    # === Confirm === #

    def _stripe_terminal_amount_minor(self):
        """The amount as Stripe refunds it. Refunds have no minimum (charges do)."""
        try:
            return to_stripe_amount(self.amount, self.currency_id.name)
        except AmountError as error:
            if error.code == "amount_too_small":
                exponent = stripe_exponent(self.currency_id.name)
                return int(Decimal(str(self.amount)).scaleb(exponent))
            raise UserError(
                _(
                    "Stripe cannot refund %(amount)s: %(reason)s",
                    amount=self.currency_id.format(self.amount),
                    reason=str(ERRORS[error.code].message),
                )
            ) from error

    def _stripe_terminal_check(self):
        """Refuse, with the reason and before anything reaches Stripe, what cannot be refunded.
        What is refundable is checked again under the payment's lock when recording."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_invoice"):
            raise UserError(_("Only accounting users can refund card payments."))
        credit_note = self.credit_note_id
        if credit_note.move_type != "out_refund" or credit_note.state != "posted":
            raise UserError(_("Card refunds start from a posted customer credit note."))
        payment = self.terminal_payment_id
        if not payment:
            raise UserError(_("Choose the card payment to refund."))
        if payment not in credit_note.stripe_terminal_origin_payment_ids:
            raise UserError(
                _(
                    "%(ref)s did not pay %(invoice)s, the invoice %(credit_note)s reverses.",
                    ref=payment.name,
                    invoice=credit_note.reversed_entry_id.name or "",
                    credit_note=credit_note.name,
                )
            )
        if payment.currency_id != self.currency_id:
            raise UserError(self._currency_message())
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(_("The amount to refund must be positive."))
        if not payment.journal_id.outbound_payment_method_line_ids:
            raise UserError(self._no_outbound_message(payment.journal_id))
        left = credit_note._stripe_terminal_refund_left()
        if self.currency_id.compare_amounts(self.amount, left) > 0:
            raise UserError(
                _(
                    "%(amount)s is more than the %(left)s left to refund on %(credit_note)s.",
                    amount=self.currency_id.format(self.amount),
                    left=self.currency_id.format(left),
                    credit_note=credit_note.name,
                )
            )
        amount_minor = self._stripe_terminal_amount_minor()
        refundable = payment._stripe_terminal_refundable_minor()
        if amount_minor > refundable:
            raise UserError(
                self.env["stripe.terminal.refund"]._stripe_terminal_over_refund_message(
                    payment, refundable
                )
            )
        on_reader = payment._stripe_terminal_refund_on_reader()
        if on_reader:
            self._stripe_terminal_check_reader()
        return amount_minor, on_reader

    def _stripe_terminal_check_reader(self):
        reader = self.reader_id
        if not reader:
            raise UserError(
                _(
                    "%(message)s Choose the reader where the customer presents the card.",
                    message=str(ERRORS["interac_refund_on_reader"].message),
                )
            )
        # Local checks and one request: the reader exists, is online and idle.
        reader._stripe_terminal_preflight(self.company_id)

    def _stripe_terminal_refund_values(self, amount_minor, on_reader):
        self.ensure_one()
        payment = self.terminal_payment_id
        return {
            "terminal_payment_id": payment.id,
            "company_id": payment.company_id.id,
            "credit_note_id": self.credit_note_id.id,
            "invoice_id": self.credit_note_id.reversed_entry_id.id,
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "amount_minor": amount_minor,
            "reason": self.reason,
            "description": self.description,
            "method": "reader" if on_reader else "online",
            "reader_id": self.reader_id.id if on_reader else False,
            "user_id": self.env.user.id,
        }

    def action_confirm(self):
        """Record the refund, send it to Stripe (or to the reader), book the outgoing payment
        and reconcile it with the credit note."""
        self.ensure_one()
        amount_minor, on_reader = self._stripe_terminal_check()
        values = self._stripe_terminal_refund_values(amount_minor, on_reader)
        result = self.env["stripe.terminal.refund"]._stripe_terminal_create_and_send(values)
        error = result["error"]
        if error is not None:
            if result["state"] == "draft":
                raise UserError(
                    _(
                        "Stripe did not answer (%(message)s). The refund %(ref)s is kept aside "
                        "until Stripe confirms it; open it and click Check with Stripe in a "
                        "moment.",
                        message=error.user_message(self.env),
                        ref=result["name"],
                    )
                )
            if result["state"] in const.FINAL_STATES:
                raise UserError(
                    _(
                        "Stripe refused the refund: %(message)s",
                        message=error.user_message(self.env),
                    )
                )
            # The answer was lost but Stripe's news arrived meanwhile: say what the refund is.
        if result["state"] == "waiting":
            message = _(
                "Ask the customer to present the card that paid (%(card)s) on %(reader)s to "
                "receive %(amount)s.",
                card=result["card"],
                reader=result["reader"],
                amount=result["amount"],
            )
            kind = "info"
        else:
            message = _(
                "%(amount)s refunded to %(card)s (%(ref)s).",
                amount=result["amount"],
                card=result["card"],
                ref=result["name"],
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "title": _("Refund to Card"),
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

from odoo.addons.stripe_terminal_base import compat, locks
from odoo.addons.stripe_terminal_base.amounts import AmountError, to_stripe_amount
from odoo.addons.stripe_terminal_base.const import ERRORS

from .. import const

_logger = logging.getLogger(__name__)


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    is_stripe_journal = fields.Boolean(related="journal_id.is_stripe_journal")
    stripe_terminal_mode = fields.Selection(
        [("terminal", "Terminal (tap or insert the card)")],
        string="Card Payment",
        default="terminal",
    )
    stripe_terminal_reader_id = fields.Many2one(
        "stripe.terminal.reader",
        string="Reader",
        compute="_compute_stripe_terminal_reader_id",
        store=True,
        readonly=False,
        domain="[('company_id', '=', company_id), ('is_server_driven', '=', True)]",
    )
    stripe_terminal_save_card = fields.Boolean(
        string="Save the Card",
        help="Keep the card for later payments of this customer (the customer agrees).",
    )

    @api.depends("journal_id", "company_id", "stripe_terminal_mode")
    def _compute_stripe_terminal_reader_id(self):
        for wizard in self:
            if not wizard.is_stripe_journal:
                wizard.stripe_terminal_reader_id = False
                continue
            if wizard.stripe_terminal_reader_id and wizard._stripe_terminal_reader_fits(
                wizard.stripe_terminal_reader_id
            ):
                continue
            default = self.env.user.stripe_terminal_reader_id
            if default and wizard._stripe_terminal_reader_fits(default):
                wizard.stripe_terminal_reader_id = default
            else:
                wizard.stripe_terminal_reader_id = self.env["stripe.terminal.reader"].search(
                    wizard._stripe_terminal_reader_domain(), limit=1
                )

    def _stripe_terminal_reader_domain(self):
        return [("company_id", "=", self.company_id.id), ("is_server_driven", "=", True)]

    def _stripe_terminal_reader_fits(self, reader):
        return bool(reader.filtered_domain(self._stripe_terminal_reader_domain()))

    # === Collect === #

    def _stripe_terminal_check(self):
        """Refuse, with the reason, what cannot be collected on a reader."""
        self.ensure_one()
        if not self.is_stripe_journal:
            raise UserError(_("Choose a Stripe journal to collect a card payment."))
        # 17.0's Register Payment refuses entries that are not posted; from 18.0 it opens on
        # drafts too, and a card must never pay an invoice that may still change.
        unposted = self.line_ids.move_id.filtered(lambda move: move.state != "posted")
        if unposted:
            raise UserError(
                _(
                    "Only posted invoices can be collected on a reader; %(invoices)s is not "
                    "posted.",
                    invoices=", ".join(unposted.mapped("display_name")),
                )
            )
        if self.payment_type != "inbound" or self.partner_type != "customer":
            raise UserError(
                _(
                    "Card readers collect customer payments only; vendor bills and refunds "
                    "cannot be paid on a reader."
                )
            )
        if not self.can_edit_wizard or (self.can_group_payments and not self.group_payment):
            raise UserError(
                _(
                    "One card payment pays the invoices of one customer at once: select "
                    "invoices of a single customer and keep Group Payments checked."
                )
            )
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(_("The amount to collect must be positive."))
        residual = self._stripe_terminal_residual()
        if self.currency_id.is_zero(residual):
            raise UserError(
                _(
                    "%(invoices)s is already paid: there is nothing left to collect.",
                    invoices=", ".join(self.line_ids.move_id.mapped("name")),
                )
            )
        if self.currency_id.compare_amounts(self.amount, residual) > 0:
            raise UserError(
                _(
                    "%(amount)s is more than the %(residual)s left to pay: a reader collects "
                    "at most what is due.",
                    amount=self.currency_id.format(self.amount),
                    residual=self.currency_id.format(residual),
                )
            )
        try:
            to_stripe_amount(self.amount, self.currency_id.name)
        except AmountError as error:
            raise UserError(
                _(
                    "Stripe cannot charge %(amount)s: %(reason)s",
                    amount=self.currency_id.format(self.amount),
                    reason=str(ERRORS[error.code].message),
                )
            ) from error
        reader = self.stripe_terminal_reader_id
        if not reader:
            raise UserError(_("Choose the reader that takes the payment."))
        local_currency = reader._stripe_terminal_local_currency()
        if local_currency and local_currency != self.currency_id:
            raise UserError(
                _(
                    "The reader %(reader)s takes %(local)s only: Stripe Terminal accepts the "
                    "local currency of the reader's country (%(country)s), and %(invoices)s is "
                    "in %(currency)s. Register this payment on another journal, or collect it "
                    "in %(local)s.",
                    reader=reader.name,
                    local=local_currency.name,
                    country=reader.location_id.country_code or self.company_id.country_id.code,
                    invoices=", ".join(self.line_ids.move_id.mapped("name")),
                    currency=self.currency_id.name,
                )
            )
        provider = self.env["payment.provider"]._stripe_terminal_get_provider(self.company_id)
        if not provider:
            raise UserError(
                _(
                    "%(company)s has no Stripe provider in test or enabled state.",
                    company=self.company_id.name,
                )
            )
        if reader.provider_id != provider:
            raise UserError(
                _(
                    "The reader %(reader)s belongs to another Stripe account than the one of "
                    "%(company)s.",
                    reader=reader.name,
                    company=self.company_id.name,
                )
            )
        return provider

    def _stripe_terminal_residual(self):
        """What is left to pay on the wizard's lines now, in the wizard's currency (not what
        was left when Register Payment opened: the invoice may have been paid meanwhile)."""
        lines = self.line_ids
        lines.invalidate_recordset(["amount_residual", "amount_residual_currency", "reconciled"])
        residual = 0.0
        for line in lines.filtered(lambda line: not line.reconciled):
            if line.currency_id == self.currency_id:
                residual += abs(line.amount_residual_currency)
            else:
                residual += line.company_currency_id._convert(
                    abs(line.amount_residual), self.currency_id, self.company_id, self.payment_date
                )
        return residual

    def _stripe_terminal_payment_vals(self, provider):
        self.ensure_one()
        return {
            "company_id": self.company_id.id,
            "provider_id": provider.id,
            "reader_id": self.stripe_terminal_reader_id.id,
            "user_id": self.env.user.id,
            "mode": self.stripe_terminal_mode or "terminal",
            "partner_id": self.partner_id.commercial_partner_id.id,
            "invoice_ids": [fields.Command.set(self.line_ids.move_id.ids)],
            "move_line_ids": [fields.Command.set(self.line_ids.ids)],
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "amount_minor": to_stripe_amount(self.amount, self.currency_id.name),
            "save_card": self.stripe_terminal_save_card,
            "journal_id": self.journal_id.id,
            "payment_method_line_id": self.payment_method_line_id.id,
            "payment_date": self.payment_date,
            "communication": self.communication,
            "payment_difference_handling": self.payment_difference_handling,
            "writeoff_account_id": self.writeoff_account_id.id,
            "writeoff_label": self.writeoff_label,
            "auto_retries_left": self.env["stripe.terminal.payment"]._default_auto_retries(),
            # The pre-flight has just asked Stripe. It also keeps the sweep away from the
            # payment while this Collect starts it (the sweep takes unchecked payments first).
            "last_stripe_check": fields.Datetime.now(),
        }

    def action_stripe_terminal_collect(self):
        """Collect: check, create the terminal payment, send it to the reader, open the
        overlay. Returns the overlay's client action with the payment's id."""
        self.ensure_one()
        compat.check_access(self, "write")
        provider = self._stripe_terminal_check()
        values = self._stripe_terminal_payment_vals(provider)
        payment_id = self._stripe_terminal_create_and_start(values)
        return {
            "type": "ir.actions.client",
            "tag": const.OVERLAY_ACTION_TAG,
            "name": _("Card Payment"),
            "target": "current",
            "params": {"payment_id": payment_id},
        }

    def _stripe_terminal_create_and_start(self, values):
        """Check the reader, create the payment and start it in a transaction of its own,
        committed before and after the Stripe calls: once Stripe holds a PaymentIntent, Odoo
        must hold its payment record whatever happens to this request (the sweep recovers from
        there). This request's own transaction only reads, so the two never wait on each
        other."""
        registry = self.env.registry
        with registry.cursor() as cr:
            env = self.env(cr=cr)
            reader = env["stripe.terminal.reader"].browse(values["reader_id"])
            try:
                reader._stripe_terminal_preflight(
                    env["res.company"].browse(values["company_id"]),
                    moto=values["mode"] == "moto",
                )
            except UserError:
                # Keep what Stripe said of the reader (offline, busy...) for the reader list.
                cr.commit()  # pylint: disable=invalid-commit
                raise
            try:
                with cr.savepoint():
                    # No creation log: the payment's fields say it, its chatter tells what
                    # happens next (declines, retries, the booking or the cancel).
                    payment = (
                        env["stripe.terminal.payment"]
                        .sudo()
                        .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
                        .create(values)
                    )
                payment = payment._as_collector()
            except psycopg2.errors.UniqueViolation as error:
                raise self._stripe_terminal_busy_error(env, values, error) from error
            # The record must exist before Stripe is called (see the docstring).
            cr.commit()  # pylint: disable=invalid-commit
            try:
                self._stripe_terminal_start_retried(cr, payment)
            except Exception as error:
                # Never leave a draft holding the reader: record the failure, let the accountant
                # retry or cancel it from the card payment.
                _logger.exception("Stripe Terminal payment %s could not start", payment.name)
                cr.rollback()
                payment.invalidate_recordset()
                payment._set_error(
                    failure_code="internal_error",
                    failure_message=_("The payment could not start: %(error)s", error=error),
                )
                cr.commit()  # pylint: disable=invalid-commit
                raise UserError(
                    _(
                        "The card payment %(ref)s could not start. Open it from Card Payments to "
                        "retry or cancel it.",
                        ref=payment.name,
                    )
                ) from error
            return payment.id

    @staticmethod
    def _stripe_terminal_start_retried(cr, payment, attempts=3):
        """Start the payment; on a concurrency error (another worker linked the same new Stripe
        customer, or another till's pre-flight updated the reader: this transaction's snapshot
        predates it), start again in a new transaction, which sees what the other one
        committed. The payment record is committed already and every Stripe write is
        idempotent, so starting again repeats nothing."""
        for attempt in range(attempts):
            try:
                with cr.savepoint(flush=False):
                    # Hold the payment while Stripe is asked: the sweep and the refresh skip a
                    # locked payment instead of starting it too; a cancel waits for the start.
                    locks.lock(payment)
                    payment._stripe_terminal_start()
                    # Write now, inside the retry: a conflict left to the final commit would
                    # escape to Odoo's own retry of the whole request, whose pre-flight then
                    # finds the reader busy with this very payment.
                    payment.env.flush_all()
                return
            except psycopg2.OperationalError as error:
                if error.pgcode not in PG_CONCURRENCY_ERRORS_TO_RETRY or attempt == attempts - 1:
                    raise
                _logger.info(
                    "Stripe Terminal payment %s: starting again after %s",
                    payment.name,
                    error.pgcode,
                )
                cr.rollback()
                payment.invalidate_recordset()

    def _stripe_terminal_busy_error(self, env, values, error):
        """The payment the database refused this one for: the reader's, or the invoice's.
        Looked up in a fresh transaction: it was committed after this one's snapshot."""
        with self.env.registry.cursor() as lookup_cr:
            return self._stripe_terminal_busy_message(self.env(cr=lookup_cr), values, error)

    def _stripe_terminal_busy_message(self, env, values, error):
        payments = env["stripe.terminal.payment"].sudo()
        if error.diag.constraint_name == "stripe_terminal_payment_hold_move_line_uniq":
            line_ids = values["move_line_ids"][0][2]
            holder = (
                env["stripe.terminal.payment.hold"]
                .sudo()
                .search([("move_line_id", "in", line_ids)], limit=1)
                .payment_id
            )
            return UserError(
                _(
                    "%(invoices)s is being collected by another card payment (%(ref)s by "
                    "%(user)s on %(reader)s). Wait until it ends, or cancel it.",
                    invoices=", ".join(self.line_ids.move_id.mapped("name")),
                    ref=holder.name or "",
                    user=holder.user_id.name or "",
                    reader=holder.reader_id.name or "",
                )
            )
        busy = payments.search(
            [
                ("reader_id", "=", values["reader_id"]),
                ("state", "in", list(const.ACTIVE_STATES)),
            ],
            limit=1,
        )
        return UserError(
            _(
                "The reader %(reader)s is taking another payment (%(ref)s by %(user)s). "
                "Wait until it ends, or cancel it.",
                reader=busy.reader_id.name or "",
                ref=busy.name or "",
                user=busy.user_id.name or "",
            )
        )

    def _create_payment_vals_from_wizard(self, batch_result):
        values = super()._create_payment_vals_from_wizard(batch_result)
        if self.env.context.get("stripe_terminal_payment_id"):
            values["stripe_terminal_payment_id"] = self.env.context["stripe_terminal_payment_id"]
        return values

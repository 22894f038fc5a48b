# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A refund of a Stripe Terminal payment back to the card that paid.

The refund is recorded before Stripe is called, in a transaction of its own, while the terminal
payment's row is locked: what is still refundable is computed from the database under that lock,
counting every refund recorded, even one whose answer from Stripe is not known yet. Stripe's
answer, the webhooks and the Check button then move the refund forward (never back), and the
first time Stripe accepts it an outgoing payment is posted and reconciled with the credit note.
"""

import logging
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from odoo.addons.stripe_terminal_base import compat, locks
from odoo.addons.stripe_terminal_base import const as base_const
from odoo.addons.stripe_terminal_base.amounts import from_stripe_amount
from odoo.addons.stripe_terminal_base.errors import StripeTerminalError

from .. import const

_logger = logging.getLogger(__name__)


def run_in_retried_transactions(cr, function):
    """Run `function` and commit; start again in a fresh transaction when PostgreSQL refuses
    it because another transaction changed the same rows meanwhile (REPEATABLE READ)."""
    for attempt in range(const.SERIALIZATION_RETRIES):
        try:
            result = function()
            cr.commit()  # pylint: disable=invalid-commit
            return result
        except psycopg2.errors.SerializationFailure:
            cr.rollback()
            if attempt == const.SERIALIZATION_RETRIES - 1:
                raise
            _logger.info("Stripe Terminal refund: concurrent update, trying again")
    return None


class StripeTerminalRefund(models.Model):
    _name = "stripe.terminal.refund"
    _description = "Stripe Terminal Refund"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index=True
    )
    state = fields.Selection(
        const.REFUND_STATES,
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    origin = fields.Selection(
        [("odoo", "Odoo"), ("stripe", "Stripe (outside Odoo)")],
        default="odoo",
        required=True,
        readonly=True,
        help="Refunds made outside Odoo (in Stripe's Dashboard) are recorded from Stripe's "
        "webhooks, so that what remains refundable stays true.",
    )
    method = fields.Selection(
        [("online", "Online"), ("reader", "On a Reader")],
        default="online",
        required=True,
        readonly=True,
        help="Interac payments are refunded on a reader, with the customer's card.",
    )
    terminal_payment_id = fields.Many2one(
        "stripe.terminal.payment",
        string="Card Payment",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    provider_id = fields.Many2one(related="terminal_payment_id.provider_id")
    partner_id = fields.Many2one(
        related="terminal_payment_id.partner_id", string="Customer", store=True
    )
    payment_intent_id = fields.Char(
        related="terminal_payment_id.payment_intent_id", string="PaymentIntent"
    )
    card = fields.Char(compute="_compute_card")
    credit_note_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    invoice_id = fields.Many2one(
        "account.move",
        readonly=True,
        help="The invoice the credit note reverses.",
    )
    amount = fields.Monetary(required=True, readonly=True, tracking=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_minor = fields.Integer(
        string="Amount (smallest unit)",
        required=True,
        readonly=True,
        help="The amount as Stripe refunds it (cents, yen, fils...).",
    )
    reason = fields.Selection(const.REFUND_REASONS, readonly=True)
    description = fields.Char(string="Reason Given", readonly=True)
    reader_id = fields.Many2one("stripe.terminal.reader", readonly=True, ondelete="restrict")
    user_id = fields.Many2one(
        "res.users", string="Refunded By", readonly=True, default=lambda self: self.env.user
    )
    refund_date = fields.Datetime(string="Refunded On", readonly=True, copy=False)
    stripe_refund_id = fields.Char(string="Stripe Refund ID", readonly=True, copy=False, index=True)
    failure_code = fields.Char(readonly=True, copy=False)
    failure_message = fields.Char(readonly=True, copy=False)
    account_payment_id = fields.Many2one(
        "account.payment", string="Payment", readonly=True, copy=False, index="btree_not_null"
    )
    account_payment_state = fields.Selection(
        string="Refund Payment Status", related="account_payment_id.state"
    )

    _stripe_refund_uniq = compat.Constraint(
        "unique(stripe_refund_id)", "A Stripe refund is recorded once."
    )
    _amount_positive = compat.Constraint(
        "CHECK(amount_minor > 0)", "A refund needs a positive amount."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("stripe.terminal.refund") or "/"
        return super().create(vals_list)

    @api.depends("terminal_payment_id.card_brand", "terminal_payment_id.card_last4")
    def _compute_card(self):
        for refund in self:
            refund.card = refund.terminal_payment_id._stripe_terminal_card_summary()

    # === Helpers === #

    def _as_refunder(self):
        """The refund as the server moves it: with the rights of the system, on behalf of the
        user who asked for it (the author of the chatter and of the outgoing payment), in its
        company. Users only read refunds; these server methods change them."""
        self.ensure_one()
        user = self.user_id or self.terminal_payment_id.user_id
        return self.with_user(user).sudo().with_company(self.company_id)

    def _key(self, *parts):
        return self.terminal_payment_id.provider_id._stripe_terminal_idempotency_key(
            "refund", self.id, *parts
        )

    def _client(self):
        return self.terminal_payment_id.provider_id._stripe_terminal_client()

    def _lock(self):
        """Lock the refund's row and read it again: a webhook, the Check button and the answer
        of the request that created it may all move it at once."""
        locks.lock(self)

    def _amount_text(self):
        self.ensure_one()
        return self.currency_id.format(self.amount)

    def _notify_user(self, kind, message):
        """A notification in the browser of the user who asked for the refund (reader refunds
        and later failures end while nobody waits for them)."""
        for refund in self.filtered("user_id"):
            compat.bus_send(
                refund.user_id.partner_id,
                "simple_notification",
                {"type": kind, "title": refund.name, "message": message, "sticky": False},
            )

    @api.model
    def _stripe_terminal_minor_to_major(self, minor, currency):
        return float(from_stripe_amount(minor, currency.name))

    # === Recording a refund (under the payment's lock) === #

    @api.model
    def _stripe_terminal_reserve(self, values):
        """Check what is refundable and create the refund, in the current transaction; the
        caller commits it before Stripe is called.

        The terminal payment and the credit note rows are *updated*, not only locked: under
        REPEATABLE READ a second refund that waited for the lock then fails to serialize and is
        computed again in a new transaction, which sees the refund recorded by the first."""
        payment = self.env["stripe.terminal.payment"].browse(values["terminal_payment_id"])
        credit_note = self.env["account.move"].browse(values.get("credit_note_id"))
        cr = self.env.cr
        cr.execute(
            "UPDATE stripe_terminal_payment SET refund_version = COALESCE(refund_version, 0) + 1 "
            "WHERE id = %s",
            (payment.id,),
        )
        if credit_note:
            cr.execute(
                "UPDATE account_move SET write_date = write_date WHERE id = %s", (credit_note.id,)
            )
        self.env.invalidate_all()
        if payment.state != "done":
            raise UserError(
                _("%(ref)s is not a paid card payment: it cannot be refunded.", ref=payment.name)
            )
        refundable = payment._stripe_terminal_refundable_minor()
        if values["amount_minor"] > refundable:
            raise UserError(self._stripe_terminal_over_refund_message(payment, refundable))
        if credit_note:
            left = credit_note._stripe_terminal_refund_left()
            if credit_note.currency_id.compare_amounts(values["amount"], left) > 0:
                raise UserError(
                    _(
                        "%(amount)s is more than the %(left)s left to refund on %(credit_note)s "
                        "(other refunds of it may be on their way).",
                        amount=credit_note.currency_id.format(values["amount"]),
                        left=credit_note.currency_id.format(left),
                        credit_note=credit_note.name,
                    )
                )
        return self.sudo().create(values)

    @api.model
    def _stripe_terminal_over_refund_message(self, payment, refundable_minor):
        refundable = payment.currency_id.format(
            self._stripe_terminal_minor_to_major(max(refundable_minor, 0), payment.currency_id)
        )
        if refundable_minor <= 0:
            return _(
                "%(ref)s (%(card)s) has nothing left to refund: %(charged)s were charged and "
                "all of it is refunded or being refunded.",
                ref=payment.name,
                card=payment._stripe_terminal_card_summary(),
                charged=payment._stripe_terminal_amount_text(),
            )
        return _(
            "At most %(refundable)s can still be refunded on %(ref)s (%(card)s): %(charged)s "
            "were charged, the rest is refunded or being refunded.",
            refundable=refundable,
            ref=payment.name,
            card=payment._stripe_terminal_card_summary(),
            charged=payment._stripe_terminal_amount_text(),
        )

    @api.model
    def _stripe_terminal_create_and_send(self, values):
        """Record the refund and send it to Stripe, each step in a transaction of its own that
        is committed, whatever happens to the caller's request: once Stripe may hold a refund,
        Odoo holds its record. The request's own transaction only reads.

        :return: what the caller shows, read in that transaction (the caller's own snapshot
            predates the refund): {id, name, state, error (StripeTerminalError or None)}
        """
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            model = env[self._name]
            refund_id = run_in_retried_transactions(
                cr, lambda: model._stripe_terminal_reserve(values).id
            )
            refund = model.browse(refund_id)._as_refunder()
            kind, error, stripe_object = refund._stripe_terminal_call()

            def record():
                refund._stripe_terminal_record(kind, error, stripe_object)
                return refund._summary(error)

            return run_in_retried_transactions(cr, record)

    def _summary(self, error=None):
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "amount": self._amount_text(),
            "card": self.card,
            "reader": self.reader_id.name or "",
            "payment": self.account_payment_id.name or "",
            "error": error,
        }

    # === Talking to Stripe === #

    def _stripe_terminal_metadata(self):
        self.ensure_one()
        metadata = {
            const.METADATA_REFUND: str(self.id),
            const.METADATA_REFERENCE: self.name,
            base_const.METADATA_DATABASE: self.env[
                "stripe.terminal.customer"
            ]._stripe_terminal_database_tag(),
        }
        if self.credit_note_id:
            metadata[const.METADATA_CREDIT_NOTE] = self.credit_note_id.name
        if self.description:
            metadata[const.METADATA_REASON] = self.description[:500]
        return metadata

    def _stripe_terminal_refund_params(self):
        self.ensure_one()
        params = {
            "payment_intent": self.payment_intent_id,
            "amount": self.amount_minor,
            "metadata": self._stripe_terminal_metadata(),
        }
        if self.reason:
            params["reason"] = self.reason
        return params

    def _stripe_terminal_reader_params(self):
        self.ensure_one()
        return {
            "payment_intent": self.payment_intent_id,
            "amount": self.amount_minor,
            "metadata": self._stripe_terminal_metadata(),
            "refund_payment_config": {"enable_customer_cancellation": True},
        }

    def _stripe_terminal_call(self):
        """The one request that makes the refund: online, or pushed to the reader. Writes
        nothing; returns (kind, StripeTerminalError or None, Stripe's object or None)."""
        self.ensure_one()
        try:
            client = self._client()
            if self.method == "reader":
                reader = client.call(
                    "terminal.readers.refund_payment",
                    self.reader_id.stripe_reader_id,
                    params=self._stripe_terminal_reader_params(),
                    idempotency_key=self._key("reader"),
                )
                return "reader", None, reader
            refund_obj = client.call(
                "refunds.create",
                params=self._stripe_terminal_refund_params(),
                idempotency_key=self._key(),
            )
            return "refund", None, refund_obj
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal refund %s: %s", self.name, error.technical)
            return "error", error, None
        except UserError as error:
            # The provider lost its keys meanwhile: nothing reached Stripe.
            return "error", StripeTerminalError("secret_key_required", technical=str(error)), None

    def _stripe_terminal_record(self, kind, error, stripe_object):
        """Apply what the request of `_stripe_terminal_call` answered."""
        self.ensure_one()
        if kind == "refund":
            self._stripe_terminal_apply_refund(stripe_object)
        elif kind == "reader":
            self._stripe_terminal_waiting_on_reader(stripe_object)
        elif error.network:
            self._lock()
            if self.state == "draft":
                # Stripe may have made the refund: keep the amount reserved until Stripe's
                # webhook or the Check button tells.
                self.write(
                    {"failure_code": error.key, "failure_message": error.user_message(self.env)}
                )
                self.message_post(
                    body=_(
                        "Stripe did not answer. The refund stays reserved until Stripe confirms "
                        "it (its webhook, or the Check with Stripe button)."
                    )
                )
        else:
            self._stripe_terminal_refused(error)

    def _stripe_terminal_waiting_on_reader(self, reader):
        self._lock()
        self.reader_id._stripe_terminal_apply(reader)
        if self.state != "draft":
            return
        self.write({"state": "waiting", "failure_code": False, "failure_message": False})
        self.message_post(
            body=_(
                "Sent to the reader %(reader)s: the customer presents the card that paid "
                "(%(card)s) to receive %(amount)s.",
                reader=self.reader_id.name,
                card=self.card,
                amount=self._amount_text(),
            )
        )

    def _stripe_terminal_refused(self, error):
        """Stripe (or the reader) refused the refund: it never existed, its amount is free
        again."""
        self._lock()
        if self.state in const.FINAL_STATES or self.state in const.REFUNDED_STATES:
            return
        was_waiting = self.state == "waiting"
        message = error.user_message(self.env)
        self.write({"state": "refused", "failure_code": error.key, "failure_message": message})
        body = _(
            "The refund of %(amount)s to %(card)s was refused: %(message)s",
            amount=self._amount_text(),
            card=self.card,
            message=message,
        )
        self.message_post(body=body)
        if was_waiting:
            # The reader answers after the wizard closed: tell the credit note and the user.
            if self.credit_note_id:
                self.credit_note_id.message_post(body=body)
            self._notify_user("danger", body)

    # === Following Stripe's refund === #

    def _stripe_terminal_apply_refund(self, refund_obj):
        """Move the refund to what Stripe says of it (a Stripe refund, as a dict): forward only,
        exactly once per step. The first acceptance books the outgoing payment; a failure is
        reported once."""
        self.ensure_one()
        self._lock()
        new_state = const.STRIPE_REFUND_STATUS.get(refund_obj.get("status"))
        values = {}
        if not self.stripe_refund_id and refund_obj.get("id"):
            values["stripe_refund_id"] = refund_obj["id"]
        if not new_state or const.STATE_RANK[new_state] <= const.STATE_RANK[self.state]:
            if values:
                self.write(values)
            return
        if refund_obj.get("amount") not in (None, self.amount_minor):
            _logger.error(
                "Stripe Terminal refund %s: Stripe refunded %s, Odoo asked %s",
                self.name,
                refund_obj.get("amount"),
                self.amount_minor,
            )
        first_acceptance = (
            new_state in const.REFUNDED_STATES and self.state not in const.REFUNDED_STATES
        )
        values.update(state=new_state, failure_code=False, failure_message=False)
        if first_acceptance:
            values["refund_date"] = fields.Datetime.now()
        if new_state == "failed":
            reason = refund_obj.get("failure_reason") or "unknown"
            values.update(
                failure_code=reason,
                failure_message=str(const.FAILURE_REASONS.get(reason, reason)),
            )
        self.write(values)
        if first_acceptance:
            self._stripe_terminal_book()
        elif new_state == "failed":
            self._stripe_terminal_report_failure()
        elif new_state == "canceled":
            self.message_post(body=_("Stripe canceled the refund; nothing was refunded."))

    def _stripe_terminal_book(self):
        """Post the outgoing payment on the Stripe journal and reconcile it with the credit
        note, then tell the invoice, the credit note and the card payment. Once."""
        self.ensure_one()
        if self.account_payment_id or self.origin != "odoo":
            return
        try:
            with self.env.cr.savepoint():
                payment = self._stripe_terminal_create_account_payment()
                self.account_payment_id = payment
        except psycopg2.errors.SerializationFailure:
            raise  # the whole step is tried again in a new transaction
        except Exception as error:  # the money is back on the card: never lose that news
            _logger.exception("Stripe Terminal refund %s could not be booked", self.name)
            self._stripe_terminal_booking_failed(error)
        self._stripe_terminal_post_refunded()

    def _stripe_terminal_create_account_payment(self):
        self.ensure_one()
        journal = self.terminal_payment_id.journal_id
        method_line = journal.outbound_payment_method_line_ids[:1]
        if not method_line:
            raise UserError(self.env["stripe.terminal.refund.wizard"]._no_outbound_message(journal))
        memo = " ".join(part for part in (self.credit_note_id.name, self.stripe_refund_id) if part)
        today = fields.Date.context_today(self)
        lines = self.credit_note_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        if lines:
            wizard = (
                self.env["account.payment.register"]
                .with_company(self.company_id)
                .with_context(
                    active_model="account.move.line",
                    active_ids=lines.ids,
                    stripe_terminal_refund_id=self.id,
                )
                .create(
                    {
                        "journal_id": journal.id,
                        "payment_method_line_id": method_line.id,
                        "amount": self.amount,
                        "currency_id": self.currency_id.id,
                        "payment_date": today,
                        "communication": memo,
                        "group_payment": True,
                        "payment_difference_handling": "open",
                    }
                )
            )
            payments = wizard._create_payments()
            payments.ensure_one()
            return payments
        # The credit note was settled meanwhile (by another refund on the reader, say): the
        # money went back all the same, so record it and ask the accountant to look.
        payment = (
            self.env["account.payment"]
            .with_company(self.company_id)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": self.partner_id.id,
                    "amount": self.amount,
                    "currency_id": self.currency_id.id,
                    "journal_id": journal.id,
                    "payment_method_line_id": method_line.id,
                    "date": today,
                    compat.payment_memo_field(): memo,
                    "stripe_terminal_refund_id": self.id,
                }
            )
        )
        payment.action_post()
        self._stripe_terminal_schedule_activity(
            _("Card refund with nothing left on the credit note"),
            _(
                "%(credit_note)s was already settled when %(amount)s went back to %(card)s "
                "(%(refund)s); the payment %(payment)s is posted but not reconciled.",
                credit_note=self.credit_note_id.name or "",
                amount=self._amount_text(),
                card=self.card,
                refund=self.stripe_refund_id,
                payment=payment.name,
            ),
        )
        return payment

    def _stripe_terminal_booking_failed(self, error):
        message = str(error.args[0]) if isinstance(error, UserError) and error.args else str(error)
        self._stripe_terminal_schedule_activity(
            _("Record a card refund"),
            _(
                "Stripe refunded %(amount)s to %(card)s (%(refund)s) but Odoo could not record "
                "the outgoing payment: %(error)s. Register it on the credit note by hand.",
                amount=self._amount_text(),
                card=self.card,
                refund=self.stripe_refund_id,
                error=message,
            ),
        )

    def _stripe_terminal_schedule_activity(self, summary, note):
        """A to-do for the accountant, on the credit note when there is one (where they work),
        else on the refund."""
        target = self.credit_note_id or self
        target.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=(self.user_id or self.terminal_payment_id.user_id).id,
            summary=summary,
            note=note,
        )

    def _stripe_terminal_post_refunded(self):
        """Who, when, how much, to which card, Stripe's refund id: on the refund, the card
        payment, the credit note and its invoice."""
        values = {
            "amount": self._amount_text(),
            "card": self.card,
            "user": self.user_id.name or "",
            "date": format_datetime(self.env, self.refund_date),
            "refund": self.stripe_refund_id,
            "ref": self.name,
            "credit_note": self.credit_note_id.name or "",
            "payment": self.account_payment_id.name or "",
            "card_payment": self.terminal_payment_id.name,
        }
        self.message_post(
            body=_(
                "%(amount)s refunded to %(card)s by %(user)s on %(date)s: Stripe refund "
                "%(refund)s, payment %(payment)s.",
                **values,
            )
        )
        self.terminal_payment_id.message_post(
            body=_(
                "Refund %(ref)s: %(amount)s back to %(card)s by %(user)s on %(date)s for "
                "%(credit_note)s (Stripe refund %(refund)s).",
                **values,
            )
        )
        body = _(
            "%(amount)s refunded to %(card)s by %(user)s on %(date)s (Stripe refund %(refund)s, "
            "card payment %(card_payment)s, payment %(payment)s).",
            **values,
        )
        for move in self.credit_note_id | self.invoice_id:
            move.message_post(body=body)
        if self.method == "reader":
            self._notify_user("success", body)

    def _stripe_terminal_report_failure(self):
        """Stripe reports the refund failed after it was accepted: the money did not reach the
        card. Tell everyone and leave the accountant a to-do."""
        values = {
            "ref": self.name,
            "amount": self._amount_text(),
            "card": self.card,
            "reason": self.failure_message,
            "refund": self.stripe_refund_id,
            "payment": self.account_payment_id.name or "",
            "credit_note": self.credit_note_id.name or "",
        }
        body = _(
            "The refund %(ref)s of %(amount)s to %(card)s failed: %(reason)s (Stripe refund "
            "%(refund)s). The money did not go back to the card.",
            **values,
        )
        self.message_post(body=body)
        self.terminal_payment_id.message_post(body=body)
        for move in self.credit_note_id | self.invoice_id:
            move.message_post(body=body)
        if self.account_payment_id:
            note = _(
                "%(amount)s did not go back to %(card)s: %(reason)s. The payment %(payment)s "
                "is still posted and reconciled with %(credit_note)s: cancel it (Cancel "
                "Payment on the refund %(ref)s) and refund the customer another way.",
                **values,
            )
        else:
            note = _(
                "%(amount)s did not go back to %(card)s: %(reason)s. Refund the customer "
                "another way.",
                **values,
            )
        self._stripe_terminal_schedule_activity(_("Card refund failed"), note)
        self._notify_user("danger", body)

    # === Webhooks === #

    @api.model
    def _stripe_terminal_find(self, refund_obj, provider):
        """Our refund of a Stripe refund (a dict): by its id, else by the metadata Odoo wrote
        (an answer lost on the way), never one of another database sharing the account."""
        refund = self.sudo().search(
            [
                ("stripe_refund_id", "=", refund_obj.get("id")),
                ("company_id", "=", provider.company_id.id),
            ],
            limit=1,
        )
        if refund:
            return refund
        return self._stripe_terminal_find_by_metadata(refund_obj.get("metadata") or {}, provider)

    @api.model
    def _stripe_terminal_find_by_metadata(self, metadata, provider):
        tag = self.env["stripe.terminal.customer"]._stripe_terminal_database_tag()
        refund_id = metadata.get(const.METADATA_REFUND)
        if not refund_id or metadata.get(base_const.METADATA_DATABASE) != tag:
            return self.browse()
        refund = self.sudo().browse(int(refund_id)).exists()
        if refund.terminal_payment_id.provider_id != provider:
            return self.browse()
        return refund

    @api.model
    def _stripe_terminal_handle_event(self, event, provider):
        data_object = event["data"]["object"]
        event_type = event["type"]
        if event_type == "charge.refunded":
            # Since API version 2022-11-15 a charge no longer carries its refunds: ask Stripe
            # for them (their own events may be late or lost).
            client = provider._stripe_terminal_client()
            for refund_obj in client.list_all("refunds.list", params={"charge": data_object["id"]}):
                self._stripe_terminal_sync(refund_obj, provider)
        elif event_type.startswith("terminal.reader."):
            action = data_object.get("action") or {}
            if action.get("type") == "refund_payment":
                self._stripe_terminal_reader_event(data_object, provider)
        else:  # refund.created / refund.updated / refund.failed / charge.refund.updated
            self._stripe_terminal_sync(data_object, provider)

    @api.model
    def _stripe_terminal_sync(self, refund_obj, provider):
        refund = self._stripe_terminal_find(refund_obj, provider)
        if refund:
            refund._as_refunder()._stripe_terminal_apply_refund(refund_obj)
            return
        self._stripe_terminal_record_external(refund_obj, provider)

    @api.model
    def _stripe_terminal_record_external(self, refund_obj, provider):
        """A refund made outside Odoo (Stripe's Dashboard) of one of our card payments: record
        it, so that Odoo never offers to refund that money again, and ask for its accounting."""
        if (refund_obj.get("metadata") or {}).get(const.METADATA_REFUND):
            return  # made by Odoo: another database's, or a record that no longer exists
        state = const.STRIPE_REFUND_STATUS.get(refund_obj.get("status"))
        if state not in const.REFUNDED_STATES or not refund_obj.get("payment_intent"):
            return
        payment = (
            self.env["stripe.terminal.payment"]
            .sudo()
            .search(
                [
                    ("payment_intent_id", "=", refund_obj["payment_intent"]),
                    ("provider_id", "=", provider.id),
                    ("state", "=", "done"),
                ],
                limit=1,
            )
        )
        if not payment:
            return
        payment = payment._as_collector()
        reason = refund_obj.get("reason")
        # Serialize with the refunds Odoo records (see _stripe_terminal_reserve).
        self.env.cr.execute(
            "UPDATE stripe_terminal_payment SET refund_version = COALESCE(refund_version, 0) + 1 "
            "WHERE id = %s",
            (payment.id,),
        )
        refund = (
            self.sudo()
            .create(
                {
                    "origin": "stripe",
                    "terminal_payment_id": payment.id,
                    "company_id": payment.company_id.id,
                    "amount": self._stripe_terminal_minor_to_major(
                        refund_obj["amount"], payment.currency_id
                    ),
                    "currency_id": payment.currency_id.id,
                    "amount_minor": refund_obj["amount"],
                    "reason": reason if reason in dict(const.REFUND_REASONS) else False,
                    "user_id": False,
                    "stripe_refund_id": refund_obj["id"],
                    "state": state,
                    "refund_date": fields.Datetime.now(),
                }
            )
            ._as_refunder()
        )
        body = _(
            "%(amount)s were refunded to %(card)s outside Odoo (Stripe refund %(refund)s, "
            "recorded as %(ref)s). Record it in accounting: a credit note and its outgoing "
            "payment.",
            amount=refund._amount_text(),
            card=refund.card,
            refund=refund.stripe_refund_id,
            ref=refund.name,
        )
        payment.message_post(body=body)
        refund.message_post(body=body)
        refund._stripe_terminal_schedule_activity(_("Refund made outside Odoo"), body)

    @api.model
    def _stripe_terminal_reader_event(self, reader, provider):
        action = reader.get("action") or {}
        details = action.get("refund_payment") or {}
        refund = self._stripe_terminal_find_by_metadata(details.get("metadata") or {}, provider)
        if not refund:
            return
        refund = refund._as_refunder()
        refund.reader_id._stripe_terminal_apply(reader)
        if refund.state not in const.FINAL_STATES:
            refund._stripe_terminal_apply_reader_action(action)

    def _stripe_terminal_apply_reader_action(self, action):
        """The reader's refund action ended: succeeded (Stripe made the refund) or failed
        (declined, canceled by the customer, timed out)."""
        self.ensure_one()
        status = action.get("status")
        refund_id = (action.get("refund_payment") or {}).get("refund")
        if status == base_const.ACTION_SUCCEEDED and refund_id:
            refund_obj = self._client().call("refunds.retrieve", refund_id)
            self._stripe_terminal_apply_refund(refund_obj)
        elif status == base_const.ACTION_FAILED:
            self._stripe_terminal_refused(StripeTerminalError.from_reader_action(action))

    # === Buttons === #

    def _check_refunder(self):
        for refund in self:
            if refund.user_id != self.env.user and not self.env.user.has_group(
                "account.group_account_manager"
            ):
                raise UserError(
                    _(
                        "Only %(user)s or an accounting manager can act on %(ref)s.",
                        user=refund.user_id.name or _("an accounting manager"),
                        ref=refund.name,
                    )
                )

    def action_stripe_terminal_check(self):
        """Ask Stripe where the refund is: after a lost answer or webhook."""
        self.ensure_one()
        self._check_refunder()
        refund = self._as_refunder()
        try:
            refund._stripe_terminal_check()
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal refund %s: %s", self.name, error.technical)
            raise UserError(error.user_message(self.env)) from error
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _stripe_terminal_check(self):
        self.ensure_one()
        if self.origin != "odoo" or self.state in const.FINAL_STATES:
            return
        client = self._client()
        if self.stripe_refund_id:
            self._stripe_terminal_apply_refund(
                client.call("refunds.retrieve", self.stripe_refund_id)
            )
            return
        if self.method == "reader":
            reader = client.call("terminal.readers.retrieve", self.reader_id.stripe_reader_id)
            self.reader_id._stripe_terminal_apply(reader)
            action = reader.get("action") or {}
            details = action.get("refund_payment") or {}
            ours = (details.get("metadata") or {}).get(const.METADATA_REFUND) == str(self.id)
            if ours and action.get("status") != base_const.ACTION_IN_PROGRESS:
                self._stripe_terminal_apply_reader_action(action)
            elif not ours and self.state == "waiting":
                found = self._stripe_terminal_search_on_stripe(client)
                if found:
                    self._stripe_terminal_apply_refund(found)
                else:
                    self._stripe_terminal_cancel_locally()
            return
        found = self._stripe_terminal_search_on_stripe(client)
        if found:
            self._stripe_terminal_apply_refund(found)
        elif self.create_date > fields.Datetime.now() - timedelta(hours=23):
            # Never reached Stripe: send it again, with the same key (at most one refund).
            self._stripe_terminal_record(*self._stripe_terminal_call())
        else:
            self._stripe_terminal_cancel_locally()

    @api.model
    def _cron_stripe_terminal_check(self, limit=50):
        """Settle the refunds left without Stripe's news: a lost answer (the refund is found on
        Stripe, or sent again with its own key), a lost webhook of a reader refund."""
        now = fields.Datetime.now()
        refunds = self.sudo().search(
            [
                ("origin", "=", "odoo"),
                "|",
                "&",
                ("state", "=", "draft"),
                ("create_date", "<", now - timedelta(seconds=const.SWEEP_MIN_AGE)),
                "&",
                ("state", "=", "waiting"),
                ("write_date", "<", now - timedelta(minutes=const.READER_SWEEP_MINUTES)),
            ],
            limit=limit,
            order="id",
        )
        for refund in refunds:
            refund = refund._as_refunder()
            try:
                with self.env.cr.savepoint():
                    refund._stripe_terminal_check()
            except StripeTerminalError as error:
                _logger.warning("Stripe Terminal refund sweep %s: %s", refund.name, error.technical)
            except Exception:
                _logger.exception("Stripe Terminal refund sweep of %s failed", refund.name)

    def _stripe_terminal_search_on_stripe(self, client):
        """The Stripe refund Odoo created for this record, if any (lists are consistent)."""
        for refund_obj in client.list_all(
            "refunds.list", params={"payment_intent": self.payment_intent_id}
        ):
            metadata = refund_obj.get("metadata") or {}
            if (
                metadata.get(const.METADATA_REFUND) == str(self.id)
                and metadata.get(base_const.METADATA_DATABASE)
                == self.env["stripe.terminal.customer"]._stripe_terminal_database_tag()
            ):
                return refund_obj
        return None

    def _stripe_terminal_cancel_locally(self):
        self._lock()
        if self.state not in ("draft", "waiting"):
            return
        self.write({"state": "canceled"})
        self.message_post(body=_("Stripe has no such refund: nothing was refunded."))

    def action_stripe_terminal_cancel(self):
        """Stop a refund waiting on the reader for the customer's card."""
        self.ensure_one()
        self._check_refunder()
        refund = self._as_refunder()
        if refund.state != "waiting":
            raise UserError(_("Only a refund waiting on the reader can be canceled."))
        try:
            client = refund._client()
            reader = client.call("terminal.readers.retrieve", refund.reader_id.stripe_reader_id)
            action = reader.get("action") or {}
            ours = ((action.get("refund_payment") or {}).get("metadata") or {}).get(
                const.METADATA_REFUND
            ) == str(refund.id)
            if ours and action.get("status") == base_const.ACTION_IN_PROGRESS:
                reader = client.call(
                    "terminal.readers.cancel_action",
                    refund.reader_id.stripe_reader_id,
                    idempotency_key=refund._key("cancel"),
                )
            elif ours:
                # Already over on the reader: what happened wins over the cancel.
                refund._stripe_terminal_apply_reader_action(action)
                return {"type": "ir.actions.client", "tag": "soft_reload"}
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal refund %s: %s", refund.name, error.technical)
            raise UserError(error.user_message(self.env)) from error
        refund.reader_id._stripe_terminal_apply(reader)
        refund._lock()
        if refund.state == "waiting":
            refund.write({"state": "canceled"})
            refund.message_post(
                body=_("Canceled on the reader by %(user)s.", user=self.env.user.name)
            )
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_stripe_terminal_cancel_payment(self):
        """After a refund failed: cancel its outgoing payment, so the credit note is open
        again."""
        self.ensure_one()
        if self.state != "failed" or not self.account_payment_id:
            raise UserError(_("Only the payment of a failed refund is canceled here."))
        payment = self.account_payment_id
        if payment.state != compat.PAYMENT_CANCELED_STATE:
            # Odoo's cancel resets the posted entry to draft itself and keeps it, canceled
            # (from 18.0 on, canceling a draft payment deletes its entry instead).
            payment.action_cancel()
        self._as_refunder().message_post(
            body=_(
                "Payment %(payment)s canceled by %(user)s after the refund failed.",
                payment=payment.name,
                user=self.env.user.name,
            )
        )
        return {"type": "ir.actions.client", "tag": "soft_reload"}

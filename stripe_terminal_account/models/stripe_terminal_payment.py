# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A card payment of invoices taken on a Stripe Terminal reader.

The server owns the payment's state. It moves on Stripe's news, whichever comes first: a webhook,
the overlay's light refresh, or the sweep (a scheduled action). Each of them ends in
`_stripe_terminal_apply_intent`, which is idempotent: a PaymentIntent yields at most one
account.payment, enforced by a row lock and a unique index.
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import timedelta

from markupsafe import escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.stripe_terminal_base import compat, locks, reader_actions
from odoo.addons.stripe_terminal_base import const as base_const
from odoo.addons.stripe_terminal_base.amounts import from_stripe_amount
from odoo.addons.stripe_terminal_base.errors import StripeTerminalError
from odoo.addons.stripe_terminal_base.texts import join_within

from .. import const, flow

_logger = logging.getLogger(__name__)


class StripeTerminalPayment(models.Model):
    _name = "stripe.terminal.payment"
    _description = "Stripe Terminal Payment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index=True
    )
    state = fields.Selection(
        const.PAYMENT_STATES, default="draft", required=True, readonly=True, index=True
    )
    stage = fields.Selection(
        const.PAYMENT_STAGES,
        default="starting",
        required=True,
        readonly=True,
        help="What the overlay shows: the step of the payment on the reader.",
    )
    mode = fields.Selection(
        [("terminal", "Terminal (card present)")], default="terminal", required=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    provider_id = fields.Many2one("payment.provider", required=True, readonly=True)
    reader_id = fields.Many2one(
        "stripe.terminal.reader", required=True, readonly=True, ondelete="restrict", index=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collected By",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    invoice_ids = fields.Many2many(
        "account.move",
        "stripe_terminal_payment_invoice_rel",
        "terminal_payment_id",
        "move_id",
        string="Invoices",
        readonly=True,
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        "stripe_terminal_payment_line_rel",
        "terminal_payment_id",
        "line_id",
        readonly=True,
        help="The receivable lines Register Payment was opened on.",
    )
    amount = fields.Monetary(required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_minor = fields.Integer(
        string="Amount (smallest unit)",
        required=True,
        readonly=True,
        help="The amount as Stripe charges it (cents, yen, fils...).",
    )
    save_card = fields.Boolean(readonly=True)
    journal_id = fields.Many2one("account.journal", required=True, readonly=True)
    payment_method_line_id = fields.Many2one("account.payment.method.line", readonly=True)
    payment_date = fields.Date(readonly=True)
    communication = fields.Char(string="Memo", readonly=True)
    payment_difference_handling = fields.Char(readonly=True)
    writeoff_account_id = fields.Many2one("account.account", readonly=True)
    writeoff_label = fields.Char(readonly=True)
    payment_intent_id = fields.Char(string="PaymentIntent", readonly=True, copy=False, index=True)
    stripe_customer_id = fields.Char(readonly=True, copy=False)
    charge_id = fields.Char(readonly=True, copy=False)
    attempt_count = fields.Integer(string="Attempts", readonly=True, copy=False)
    auto_retries_left = fields.Integer(readonly=True, copy=False)
    reader_push_due = fields.Boolean(
        readonly=True,
        copy=False,
        help="The automatic new attempt after a decline is owed: the reader was still busy "
        "with the card. The next refresh sends the payment to the reader again.",
    )
    failure_code = fields.Char(readonly=True, copy=False)
    failure_message = fields.Char(readonly=True, copy=False)
    card_brand = fields.Char(readonly=True, copy=False)
    card_last4 = fields.Char(string="Card Last Digits", readonly=True, copy=False)
    account_payment_id = fields.Many2one(
        "account.payment", string="Payment", readonly=True, copy=False, index=True
    )
    token_id = fields.Many2one("payment.token", string="Saved Card", readonly=True, copy=False)
    pushed_date = fields.Datetime(string="Sent to Reader", readonly=True, copy=False)
    reader_cleanup_pending = fields.Boolean(
        readonly=True,
        copy=False,
        help="Canceled while the reader was unreachable: its screen is cleared when it is back.",
    )
    last_stripe_check = fields.Datetime(readonly=True, copy=False)

    _payment_intent_uniq = compat.Constraint(
        "unique(payment_intent_id)", "A PaymentIntent belongs to one terminal payment."
    )
    _amount_positive = compat.Constraint(
        "CHECK(amount > 0)", "A card payment needs a positive amount."
    )

    def init(self):
        # One payment in progress per reader, whoever starts it: the database says no to the
        # second one, even when two users click Collect in the same instant.
        # The states are const.ACTIVE_STATES.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS stripe_terminal_payment_one_active_per_reader
            ON stripe_terminal_payment (reader_id)
            WHERE state IN ('draft', 'pending')
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS stripe_terminal_payment_sweep_idx
            ON stripe_terminal_payment (state, last_stripe_check)
            WHERE state IN ('draft', 'pending', 'declined')
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("stripe.terminal.payment") or "/"
                )
        payments = super().create(vals_list)
        # The invoice lines stay held until the payment ends: a second card payment of the same
        # invoice, on another reader, is refused by the database.
        self.env["stripe.terminal.payment.hold"].sudo().create(
            [
                {"payment_id": payment.id, "move_line_id": line.id}
                for payment in payments
                for line in payment.move_line_ids
            ]
        )
        return payments

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in const.FINAL_STATES and self.ids:
            # Release the held invoice lines. Plain SQL: holds are a lock table that nothing
            # references, and the ORM's unlink checks would cost more than the booking's writes.
            self.env.cr.execute(
                "DELETE FROM stripe_terminal_payment_hold WHERE payment_id IN %s",
                (tuple(self.ids),),
            )
            self.env["stripe.terminal.payment.hold"].invalidate_model()
        return result

    # === Helpers === #

    def _as_collector(self):
        """The payment as the server moves it: with the rights of the system, on behalf of the
        collecting user (who authors the chatter and the booked payment), in its company.
        Users read terminal payments; only these server methods change them."""
        self.ensure_one()
        return self.with_user(self.user_id).sudo().with_company(self.company_id)

    def _key(self, *parts):
        return self.provider_id._stripe_terminal_idempotency_key("stp", self.id, *parts)

    def _client(self):
        return self.provider_id._stripe_terminal_client()

    @contextmanager
    def _locked(self):
        """Lock the payment's row for the rest of the transaction; yields False when another
        worker holds it (that worker is moving the payment already)."""
        self.ensure_one()
        yield locks.lock(self, nowait=True)

    def _set(self, **values):
        """Write what the overlay shows (stage, failure...) and tell the browser of the
        collecting user. The state moves only through `_set_state`."""
        assert "state" not in values, "the state moves through _set_state"
        self.write(values)
        self._stripe_terminal_notify()

    # === The state machine (const.PAYMENT_STATE_SOURCES) === #

    def _set_state(self, target, **values):
        """Move the payment to the state `target`, with `values`, and tell the overlay. A move
        the payment cannot make (from a final state, say) is logged and skipped, here only.
        Returns whether the payment moved."""
        self.ensure_one()
        if self.state not in const.PAYMENT_STATE_SOURCES[target]:
            _logger.warning(
                "Stripe Terminal payment %s: no move from %s to %s", self.name, self.state, target
            )
            return False
        self.write(dict(values, state=target))
        self._stripe_terminal_notify()
        return True

    def _set_pending(self, **values):
        """On the reader, or on its way to it."""
        return self._set_state("pending", **values)

    def _set_declined(self, **values):
        """An attempt failed on the reader; Retry (or an automatic retry) sends another."""
        return self._set_state("declined", **values)

    def _set_error(self, **values):
        """Stopped by something else than the card; Retry or Cancel."""
        return self._set_state("error", **dict({"stage": "error"}, **values))

    def _set_done(self, **values):
        """Paid and booked (final)."""
        return self._set_state("done", **dict({"stage": "approved"}, **values))

    def _set_canceled(self, **values):
        """Nothing charged, nothing booked (final)."""
        return self._set_state("canceled", **dict({"stage": "canceled"}, **values))

    def _stripe_terminal_notify(self):
        for payment in self:
            compat.bus_send(
                payment.user_id.partner_id,
                const.BUS_NOTIFICATION_TYPE,
                payment._stripe_terminal_overlay_state(),
            )

    # === Starting a payment === #

    def _stripe_terminal_intent_params(self):
        """Parameters of the PaymentIntent; MOTO changes the payment method type."""
        self.ensure_one()
        # Translated here, not in the lambda below (see _stripe_terminal_description).
        invoices_text = _("Invoices %(invoices)s", invoices="{invoices}")
        params = {
            "amount": self.amount_minor,
            "currency": self.currency_id.name.lower(),
            # Since 2026-09-30.endive Stripe refuses payment_method_types here; it keeps those
            # of these types that apply and answers them in payment_method_types.
            "allowed_payment_method_types": self._stripe_terminal_card_present_types(),
            "capture_method": "automatic",
            "description": self._stripe_terminal_description(
                lambda invoices: invoices_text.format(invoices=invoices)
            ),
            "metadata": {
                const.METADATA_PAYMENT: str(self.id),
                const.METADATA_REFERENCE: self.name,
                base_const.METADATA_DATABASE: self.env[
                    "stripe.terminal.customer"
                ]._stripe_terminal_database_tag(),
                const.METADATA_INVOICES: ",".join(self.invoice_ids.mapped("name"))[:500],
            },
        }
        if self.stripe_customer_id:
            params["customer"] = self.stripe_customer_id
        if self.save_card and self.stripe_customer_id:
            params["setup_future_usage"] = "off_session"
        return params

    def _stripe_terminal_description(self, template):
        """`template(invoices)` with the invoices' names, within Stripe's limit on a
        description: a payment of many invoices names the first ones and counts the others
        (the metadata and Odoo keep the full list)."""
        room = base_const.DESCRIPTION_MAX_LENGTH - len(template(""))
        # Translated here: from 19.0 `_` finds the language in its caller's frame, which a
        # lambda's lacks.
        more = _("and %(count)s more", count="{count}")
        names = join_within(
            sorted(self.invoice_ids.mapped("name")), room, lambda count: more.format(count=count)
        )
        return template(names)[: base_const.DESCRIPTION_MAX_LENGTH]

    def _stripe_terminal_reader_intents(self):
        """Ids of the intents this payment may have on its reader (MOTO adds its
        SetupIntent)."""
        return tuple(filter(None, [self.payment_intent_id]))

    def _stripe_terminal_required_method_type(self):
        """The payment method type the PaymentIntent must offer for this payment to be taken
        (MOTO: a keyed `card`)."""
        return "card_present"

    def _stripe_terminal_card_present_types(self):
        """Card-present payment methods: Canadian accounts also take Interac debit cards."""
        # The currency first: it is at hand, the company's country costs a read of the company.
        if self.currency_id.name == "CAD" and self.company_id.country_id.code == "CA":
            return ["card_present", "interac_present"]
        return ["card_present"]

    def _stripe_terminal_process_params(self):
        """Parameters of the reader action."""
        self.ensure_one()
        process_config = {"skip_tipping": True, "enable_customer_cancellation": True}
        if self.save_card:
            process_config["allow_redisplay"] = "always"
        return {"payment_intent": self.payment_intent_id, "process_config": process_config}

    def _stripe_terminal_start(self):
        """Create the PaymentIntent and send it to the reader. Stripe errors do not escape: the
        payment records them and the overlay shows them with Retry and Cancel."""
        self.ensure_one()
        client = self._client()
        try:
            if not self.stripe_customer_id:
                customer_id = self.env["stripe.terminal.customer"]._stripe_terminal_ensure(
                    self.partner_id, self.provider_id
                )
                self.stripe_customer_id = customer_id
            if not self.payment_intent_id:
                intent = self._stripe_terminal_create_intent(client)
                self._set_pending(payment_intent_id=intent["id"])
                if self._stripe_terminal_refuse_unusable_intent(intent, client):
                    return
            self._stripe_terminal_push(client)
        except StripeTerminalError as error:
            self._stripe_terminal_start_failed(error)

    def _stripe_terminal_refuse_unusable_intent(
        self, intent, client, cancel_operation="payment_intents.cancel"
    ):
        """Stop a payment whose PaymentIntent Stripe made without the type the reader needs,
        before the reader is used: `allowed_payment_method_types` silently drops a type that
        does not apply (a currency the account does not take on its readers, say). The intent
        is canceled; nothing was charged. Returns whether the payment was stopped."""
        required = self._stripe_terminal_required_method_type()
        offered = intent.get("payment_method_types") or []
        if required in offered:
            return False
        try:
            client.call(
                cancel_operation,
                intent["id"],
                params={"cancellation_reason": "abandoned"},
                idempotency_key=self._key("cancel-unusable", intent["id"]),
            )
        except StripeTerminalError as error:
            # A PaymentIntent without the type cannot be paid on the reader anyway.
            _logger.warning("Stripe Terminal payment %s: %s", self.name, error.technical)
        message = _(
            "Stripe cannot take this payment on a reader: the PaymentIntent it made for "
            "%(amount)s offers %(offered)s, not %(required)s. The Stripe account probably does "
            "not take %(currency)s on its readers (Terminal takes the local currency of the "
            "account's country only). Nothing was charged.",
            amount=self._stripe_terminal_amount_text(),
            offered=", ".join(offered) or _("no payment method"),
            required=required,
            currency=self.currency_id.name,
        )
        self._set_canceled(failure_code="payment_method_type_unavailable", failure_message=message)
        self.message_post(body=message)
        return True

    def _stripe_terminal_search_intent(self, client):
        """This payment's PaymentIntent found by the metadata Odoo wrote (Stripe's search
        lags behind writes by up to a minute), or None."""
        query = (
            f"metadata['{const.METADATA_PAYMENT}']:'{self.id}' AND "
            f"metadata['{base_const.METADATA_DATABASE}']:'"
            f"{self.env['stripe.terminal.customer']._stripe_terminal_database_tag()}'"
        )
        found = client.call("payment_intents.search", params={"query": query})["data"]
        return found[0] if found else None

    def _stripe_terminal_create_intent(self, client):
        """Create the PaymentIntent, once: the same key each time, except after a 5xx Stripe
        stored under it (replayed to every retry), when the intent is looked for, then made
        under the next key of a short, fixed series (so that a retry lands on the same one)."""
        for renewal in range(const.INTENT_KEY_RENEWALS + 1):
            key = self._key("intent", "renewed", renewal) if renewal else self._key("intent")
            try:
                return self._stripe_terminal_create_intent_with(client, key)
            except StripeTerminalError as error:
                if not error.stored_failure or renewal == const.INTENT_KEY_RENEWALS:
                    raise
                _logger.warning("Stripe Terminal payment %s: %s", self.name, error.technical)
                found = self._stripe_terminal_search_intent(client)
                if found:
                    return found

    def _stripe_terminal_create_intent_with(self, client, key):
        try:
            return client.call(
                "payment_intents.create",
                params=self._stripe_terminal_intent_params(),
                idempotency_key=key,
            )
        except StripeTerminalError as error:
            if error.code == "resource_missing" and error.param == "customer":
                # The customer was deleted on Stripe: forget it and create the intent again.
                self.env["stripe.terminal.customer"].sudo().search(
                    [("stripe_customer_id", "=", self.stripe_customer_id)]
                ).unlink()
                self.stripe_customer_id = self.env[
                    "stripe.terminal.customer"
                ]._stripe_terminal_ensure(self.partner_id, self.provider_id)
                return client.call(
                    "payment_intents.create",
                    params=self._stripe_terminal_intent_params(),
                    idempotency_key=self._key("intent", self.stripe_customer_id),
                )
            raise

    def _stripe_terminal_push(self, client):
        """Send the PaymentIntent to the reader (one more attempt).

        Every push counts as an attempt, answered or refused: Stripe stores a refusal under its
        idempotency key too, so the next push needs a key of its own to be a real retry."""
        attempt = self.attempt_count + 1
        self.attempt_count = attempt
        reader = client.call(
            "terminal.readers.process_payment_intent",
            self.reader_id.stripe_reader_id,
            params=self._stripe_terminal_process_params(),
            idempotency_key=self._key("process", attempt),
        )
        self.reader_id._stripe_terminal_apply(reader)
        self._set_pending(
            stage="waiting_card",
            pushed_date=fields.Datetime.now(),
            last_stripe_check=fields.Datetime.now(),
            failure_code=False,
            failure_message=False,
            reader_push_due=False,
        )
        if attempt > 1:
            # The first push needs no message: it is the payment itself.
            self.message_post(
                body=_(
                    "Sent to reader %(reader)s again (attempt %(attempt)s).",
                    reader=self.reader_id.name,
                    attempt=attempt,
                )
            )

    def _stripe_terminal_start_failed(self, error):
        _logger.warning("Stripe Terminal payment %s: %s", self.name, error.technical)
        stage = const.STAGE_BY_ERROR_CODE.get(error.code, "error")
        if error.network:
            # Stripe may have applied the request: the sweep and the refresh look before anyone
            # retries, so keep the payment pending rather than failed.
            self._set(
                stage="checking",
                failure_code=error.key,
                failure_message=error.user_message(self.env),
                last_stripe_check=False,
            )
            return
        self._set_error(
            stage=stage, failure_code=error.key, failure_message=error.user_message(self.env)
        )
        self.message_post(
            body=_("Could not start: %(message)s", message=error.user_message(self.env))
        )

    # === Following the payment === #

    def _stripe_terminal_refresh(self, force=False):
        """Ask Stripe where the payment is (the overlay's refresh and the sweep). Throttled: at
        most once per REFRESH_INTERVAL unless forced, so an open overlay costs little."""
        self.ensure_one()
        if self.state not in const.FOLLOWED_STATES:
            return
        now = fields.Datetime.now()
        if (
            not force
            and self.last_stripe_check
            and now - self.last_stripe_check < timedelta(seconds=const.REFRESH_INTERVAL)
        ):
            return
        with self._locked() as locked:
            if not locked or self.state not in const.FOLLOWED_STATES:
                return
            self.last_stripe_check = now
            client = self._client()
            try:
                if not self.payment_intent_id:
                    self._stripe_terminal_recover_intent(client)
                    if not self.payment_intent_id:
                        return
                intent = client.call(
                    "payment_intents.retrieve",
                    self.payment_intent_id,
                    params={"expand": ["latest_charge"]},
                )
                reader = None
                if intent["status"] in base_const.PAYMENT_INTENT_STATUS_MAPPING["waiting"]:
                    reader = client.call(
                        "terminal.readers.retrieve", self.reader_id.stripe_reader_id
                    )
                    self.reader_id._stripe_terminal_apply(reader)
            except StripeTerminalError as error:
                _logger.info("Stripe Terminal refresh of %s: %s", self.name, error.technical)
                return
            self._stripe_terminal_apply_intent(intent, reader=reader)

    def _stripe_terminal_recover_intent(self, client):
        """A draft whose creation answer was lost: replay the creation (same key, same
        parameters: Stripe returns the intent it created, if any) and send it to the reader."""
        if self.create_date < fields.Datetime.now() - timedelta(hours=23):
            # Idempotency keys live 24 hours on Stripe: search by our metadata instead.
            found = self._stripe_terminal_search_intent(client)
            if not found:
                self._set_canceled()
                self._message_log(
                    body=escape(
                        _("Stripe has no PaymentIntent for this payment: nothing was charged.")
                    )
                )
                return
            intent = found
        else:
            if not self.stripe_customer_id:
                self.stripe_customer_id = self.env[
                    "stripe.terminal.customer"
                ]._stripe_terminal_ensure(self.partner_id, self.provider_id)
            intent = self._stripe_terminal_create_intent(client)
        was_draft = self.state == "draft"
        if was_draft:
            self._set_pending(payment_intent_id=intent["id"])
        else:
            self.payment_intent_id = intent["id"]
        if self._stripe_terminal_refuse_unusable_intent(intent, client):
            return
        if self.attempt_count or not was_draft:
            # Sent before, or a payment whose start failed and was reported: Retry decides.
            return
        # The intent never reached the reader: send it while the accountant is likely still at
        # the counter; later, say so and let Retry send it.
        recent = fields.Datetime.now() - timedelta(minutes=const.RECOVER_PUSH_MINUTES)
        if self.create_date >= recent and intent.get("status") == "requires_payment_method":
            try:
                self._stripe_terminal_push(client)
            except StripeTerminalError as error:
                self._stripe_terminal_start_failed(error)
        else:
            self._stripe_terminal_not_on_reader()

    def _stripe_terminal_snapshot(self):
        """What the decision core (flow.py) needs of the payment."""
        return flow.Snapshot(
            self.state, self.stage, self.payment_intent_id, push_owed=self.reader_push_due
        )

    def _stripe_terminal_apply_intent(self, intent, reader=None, charge=None):
        """Move the payment to what Stripe says of its PaymentIntent (a dict), and of the reader
        (a dict) when known. Idempotent; a final state never changes."""
        self.ensure_one()
        move = flow.decide(self._stripe_terminal_snapshot(), intent, reader)
        self._stripe_terminal_make_move(move, intent=intent, reader=reader, charge=charge)

    def _stripe_terminal_make_move(self, move, intent=None, reader=None, charge=None):
        """Carry out a move of the decision core, each by a small method of its own."""
        if move.name == flow.BOOK:
            charge = charge or intent.get("latest_charge")
            if isinstance(charge, str):
                charge = self._client().call("charges.retrieve", charge)
            self._stripe_terminal_finalize(intent, charge)
        elif move.name == flow.CAPTURE:
            # Manual capture is not used by the suite; capture what was authorized.
            captured = self._client().call(
                "payment_intents.capture",
                intent["id"],
                params={"expand": ["latest_charge"]},
                idempotency_key=self._key("capture"),
            )
            self._stripe_terminal_apply_intent(captured)
        elif move.name == flow.CANCELED:
            self._stripe_terminal_canceled_on_stripe()
        elif move.name == flow.PROCESSING:
            self._set(stage="processing")
        elif move.name == flow.PUSH_OWED:
            self._stripe_terminal_push_due()
        elif move.name == flow.ON_READER:
            if move.stage:
                self._set(stage=move.stage)
        elif move.name == flow.ATTEMPT_FAILED:
            self._stripe_terminal_attempt_failed(self._stripe_terminal_attempt_error(move))
        elif move.name == flow.NOT_ON_READER:
            self._stripe_terminal_not_on_reader()

    def _stripe_terminal_canceled_on_stripe(self):
        if self._set_canceled():
            self.message_post(body=_("The PaymentIntent was canceled on Stripe."))

    def _stripe_terminal_attempt_error(self, move):
        """The error of a failed attempt (an ATTEMPT_FAILED move): the reader's failed action,
        or the failure the intent records."""
        if move.action:
            return StripeTerminalError.from_reader_action(move.action, last_error=move.error)
        error = move.error
        return StripeTerminalError(
            error.get("code") or "card_declined",
            decline_code=error.get("decline_code"),
            technical=f"last_payment_error {error.get('code')} {error.get('decline_code')}",
        )

    def _stripe_terminal_not_on_reader(self):
        message = str(const.NOT_ON_READER_MESSAGE)
        self._set_error(failure_code="not_on_reader", failure_message=message)
        self._message_log(body=escape(message))

    def _stripe_terminal_attempt_failed(self, error):
        """A declined or interrupted attempt: present another card automatically while retries
        are left (same PaymentIntent, as Stripe recommends), then wait for Retry or Cancel."""
        if self.state not in const.FOLLOWED_STATES:
            return
        message = error.user_message(self.env)
        stage = const.STAGE_BY_ERROR_CODE.get(error.code, "declined")
        self.message_post(
            body=_(
                "Attempt %(attempt)s failed: %(message)s",
                attempt=self.attempt_count,
                message=message,
            )
        )
        failure = {"failure_code": error.key, "failure_message": message}
        if self.auto_retries_left > 0 and error.retry_card and stage == "declined":
            self._set_declined(stage=stage, auto_retries_left=self.auto_retries_left - 1, **failure)
            try:
                self._stripe_terminal_push(self._client())
            except StripeTerminalError as push_error:
                if push_error.code != "terminal_reader_busy":
                    self._stripe_terminal_start_failed(push_error)
                    return
                # Still busy with the declined card (authorising it, or waiting for it to be
                # removed): the next refresh sends the payment again.
                _logger.info("Stripe Terminal payment %s: reader busy, new attempt owed", self.name)
                self._set(stage="retrying", reader_push_due=True)
                return
            # Keep the decline visible while the reader waits for another card.
            self._set(stage="retrying", **failure)
            return
        self._set_declined(stage=stage, **failure)

    def _stripe_terminal_push_due(self):
        """Send the new attempt a busy reader refused after a decline; still busy, it stays
        owed for the next refresh (the accountant can Retry or Cancel meanwhile)."""
        failure = {"failure_code": self.failure_code, "failure_message": self.failure_message}
        try:
            self._stripe_terminal_push(self._client())
        except StripeTerminalError as error:
            if error.code == "terminal_reader_busy":
                return
            self.reader_push_due = False
            self._stripe_terminal_start_failed(error)
            return
        self._set(stage="retrying", **failure)

    def _stripe_terminal_finalize(self, intent, charge):
        """Record the successful card payment: post an account.payment and reconcile it with
        the invoices, save the card if asked. Exactly once: a row lock serializes the webhook,
        the overlay and the sweep, and a unique index stands behind it."""
        self.ensure_one()
        # The locked row decides, with this transaction's own writes in it. A booking committed
        # by another worker since this snapshot makes the lock fail (Odoo's snapshots are
        # repeatable reads: the request is replayed), so the cache holds the row's content.
        self.flush_recordset()
        locks.lock(self)
        if self.state in const.FINAL_STATES:
            if self.state == "canceled":
                # Stripe cannot charge a canceled PaymentIntent: a charge here is news to check.
                _logger.error(
                    "Stripe Terminal payment %s is canceled, yet Stripe reports a charge on %s",
                    self.name,
                    intent.get("id"),
                )
            return
        self._stripe_terminal_check_charge(intent, charge)
        details = charge.get("payment_method_details") or {}
        card = (
            details.get("card_present")
            or details.get("card")
            or details.get("interac_present")
            or {}
        )
        # The card is known before the booking: the account.payment shows it.
        self.write(
            {
                "charge_id": charge.get("id"),
                "card_brand": card.get("brand") or False,
                "card_last4": card.get("last4") or False,
            }
        )
        payment = self._stripe_terminal_create_account_payment()
        values = {"account_payment_id": payment.id, "failure_code": False, "failure_message": False}
        if self.save_card:
            values["token_id"] = (
                self.env["payment.token"]
                ._stripe_terminal_save_generated_card(
                    self.provider_id, self.partner_id, self.stripe_customer_id, charge
                )
                .id
            )
        self._set_done(**values)
        summary = self._stripe_terminal_card_summary()
        # Internal logs, not posts: nobody is notified of a booking, and the invoice keeps
        # the card and the reader in its history for the accountant.
        self._message_log(
            body=escape(
                _(
                    "Paid %(amount)s by %(card)s on %(reader)s; payment %(payment)s (%(intent)s).",
                    amount=self._stripe_terminal_amount_text(),
                    card=summary,
                    reader=self.reader_id.name,
                    payment=payment.name,
                    intent=self.payment_intent_id,
                )
            )
        )
        invoice_note = escape(
            _(
                "%(amount)s paid by %(card)s on the Stripe reader %(reader)s "
                "(%(reference)s, %(intent)s).",
                amount=self._stripe_terminal_amount_text(),
                card=summary,
                reader=self.reader_id.name,
                reference=self.name,
                intent=self.payment_intent_id,
            )
        )
        self.invoice_ids._message_log_batch(dict.fromkeys(self.invoice_ids.ids, invoice_note))

    def _stripe_terminal_check_charge(self, intent, charge):
        """Refuse to book anything that is not exactly what was asked for."""
        if not charge or charge.get("payment_intent") not in (None, intent["id"]):
            raise UserError(_("Stripe's charge does not belong to %(ref)s.", ref=self.name))
        received = intent.get("amount_received") or charge.get("amount_captured") or 0
        currency = (intent.get("currency") or "").upper()
        if received != self.amount_minor or currency != self.currency_id.name:
            _logger.error(
                "Stripe Terminal payment %s: Stripe received %s %s, expected %s %s",
                self.name,
                received,
                currency,
                self.amount_minor,
                self.currency_id.name,
            )
            raise UserError(
                _(
                    "Stripe received %(received)s %(currency)s for %(ref)s instead of "
                    "%(expected)s: check the payment on Stripe before booking it.",
                    received=from_stripe_amount(received, currency or self.currency_id.name),
                    currency=currency,
                    ref=self.name,
                    expected=self._stripe_terminal_amount_text(),
                )
            )

    def _stripe_terminal_card_summary(self):
        if self.card_brand and self.card_last4:
            return f"{self.card_brand.title()} •••• {self.card_last4}"
        return _("card")

    def _stripe_terminal_amount_text(self):
        return self.currency_id.format(self.amount)

    def _stripe_terminal_create_account_payment(self):
        """The posted, reconciled account.payment, made by Register Payment itself so that
        write-offs, memos and multi-invoice grouping behave exactly as in Odoo."""
        self.ensure_one()
        lines = self.move_line_ids.filtered(lambda line: not line.reconciled)
        memo = " ".join(part for part in (self.communication, self.payment_intent_id) if part)
        if lines:
            wizard = (
                self.env["account.payment.register"]
                .with_company(self.company_id)
                .with_context(
                    active_model="account.move.line",
                    active_ids=lines.ids,
                    stripe_terminal_payment_id=self.id,
                )
                .create(
                    {
                        "journal_id": self.journal_id.id,
                        # The reader that took the card (no default reader to look up).
                        "stripe_terminal_reader_id": self.reader_id.id,
                        "payment_method_line_id": self.payment_method_line_id.id,
                        "amount": self.amount,
                        "currency_id": self.currency_id.id,
                        "payment_date": self.payment_date or fields.Date.context_today(self),
                        "communication": memo,
                        "group_payment": True,
                        "payment_difference_handling": self.payment_difference_handling or "open",
                        "writeoff_account_id": self.writeoff_account_id.id,
                        "writeoff_label": self.writeoff_label,
                    }
                )
            )
            payments = wizard._create_payments()
            if len(payments) == 1:
                return payments
            _logger.error("Stripe Terminal payment %s made %s payments", self.name, len(payments))
            raise UserError(_("One card payment must make one payment in Odoo."))
        # Someone paid the invoices meanwhile: the money was taken all the same, so record it
        # (unreconciled) and ask the accountant to look.
        payment = (
            self.env["account.payment"]
            .with_company(self.company_id)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.partner_id.id,
                    "amount": self.amount,
                    "currency_id": self.currency_id.id,
                    "journal_id": self.journal_id.id,
                    "payment_method_line_id": self.payment_method_line_id.id,
                    "date": self.payment_date or fields.Date.context_today(self),
                    compat.payment_memo_field(): memo,
                    "stripe_terminal_payment_id": self.id,
                }
            )
        )
        payment.action_post()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.user_id.id,
            summary=_("Card payment with nothing left to pay"),
            note=_(
                "The invoices of %(ref)s were already paid when the card was charged; the "
                "payment %(payment)s is posted but not reconciled. Refund or reconcile it.",
                ref=self.name,
                payment=payment.name,
            ),
        )
        return payment

    # === Intents from the overlay and the sweep === #

    def _stripe_terminal_overlay_state(self):
        """Everything the overlay shows; the browser renders it and decides nothing."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "stage": self.stage,
            "stage_label": dict(const.PAYMENT_STAGES).get(self.stage, self.stage),
            "instructions": str(
                const.STAGE_INSTRUCTIONS.get((self.mode, self.stage))
                or const.STAGE_INSTRUCTIONS.get((None, self.stage))
                or ""
            ),
            "mode": self.mode,
            "amount": self._stripe_terminal_amount_text(),
            "reader": self.reader_id.name,
            "partner": self.partner_id.display_name,
            "invoices": self.invoice_ids.mapped("name"),
            "message": self.failure_message or "",
            "attempt": self.attempt_count,
            "card": self._stripe_terminal_card_summary() if self.card_last4 else "",
            "can_retry": self.state in ("declined", "error") and self.stage != "checking",
            "can_cancel": self.state in const.FOLLOWED_STATES,
            "done": self.state == "done",
            "final": self.state in const.FINAL_STATES,
            "invoice_id": self.invoice_ids[:1].id if len(self.invoice_ids) == 1 else False,
            "payment_id": self.account_payment_id.id,
        }

    def _check_collector(self):
        """The overlay's calls are for the collecting user and accounting managers."""
        compat.check_access(self, "read")
        for payment in self:
            if payment.user_id != self.env.user and not self.env.user.has_group(
                "account.group_account_manager"
            ):
                raise UserError(
                    _(
                        "Only %(user)s can act on %(ref)s.",
                        user=payment.user_id.name,
                        ref=payment.name,
                    )
                )

    def action_stripe_terminal_poll(self):
        """The overlay's light refresh: ask Stripe (throttled) and return the state."""
        self.ensure_one()
        self._check_collector()
        payment = self._as_collector()
        payment._stripe_terminal_refresh()
        return payment._stripe_terminal_overlay_state()

    def action_stripe_terminal_open(self):
        """Open the overlay again on a payment (from the Card Payments list or form)."""
        self.ensure_one()
        self._check_collector()
        return {
            "type": "ir.actions.client",
            "tag": const.OVERLAY_ACTION_TAG,
            "name": _("Card Payment"),
            "target": "current",
            "params": {"payment_id": self.id},
        }

    def action_stripe_terminal_state(self):
        self.ensure_one()
        self._check_collector()
        return self._as_collector()._stripe_terminal_overlay_state()

    def action_stripe_terminal_retry(self):
        """Retry after a decline or an error: the same PaymentIntent goes back to the reader."""
        self.ensure_one()
        self._check_collector()
        return self._as_collector()._stripe_terminal_retry()

    def _stripe_terminal_retry(self):
        with self._locked() as locked:
            if not locked:
                return self._stripe_terminal_overlay_state()
            if self.state not in ("declined", "error"):
                raise UserError(_("%(ref)s cannot be retried now.", ref=self.name))
            own_intents = self._stripe_terminal_reader_intents()
            try:
                stripe_reader = self.reader_id._stripe_terminal_preflight(
                    self.company_id, moto=self.mode == "moto", own_intents=own_intents
                )
            except UserError as error:
                self._set_error(failure_message=str(error))
                self._message_log(body=escape(_("Retry refused: %(message)s", message=str(error))))
                return self._stripe_terminal_overlay_state()
            if reader_actions.is_in_progress(reader_actions.current_action(stripe_reader)):
                # This payment's own action (the pre-flight refuses another's: an answer that
                # timed out, though the reader got it): follow it rather than send it again
                # onto a busy reader.
                self._set_pending(
                    stage="waiting_card",
                    failure_code=False,
                    failure_message=False,
                    reader_push_due=False,
                )
                self._message_log(body=escape(_("The reader already shows this payment.")))
                return self._stripe_terminal_overlay_state()
            self.write(
                {"auto_retries_left": self._default_auto_retries(), "reader_push_due": False}
            )
            self._stripe_terminal_start()
        return self._stripe_terminal_overlay_state()

    def action_stripe_terminal_cancel(self):
        """Cancel in one click: the reader's action and the PaymentIntent; the invoices stay as
        they were. If the card was charged meanwhile, the payment is booked instead."""
        self.ensure_one()
        self._check_collector()
        return self._as_collector()._stripe_terminal_cancel(canceled_by=self.env.user)

    def action_stripe_terminal_cancel_from_form(self):
        """The form's Cancel Payment button: cancel, then show the form again."""
        self.action_stripe_terminal_cancel()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _stripe_terminal_cancel(self, canceled_by):
        locks.lock(self)
        if self.state not in const.FOLLOWED_STATES:
            return self._stripe_terminal_overlay_state()
        client = self._client()
        try:
            if self.payment_intent_id:
                reader = client.call("terminal.readers.retrieve", self.reader_id.stripe_reader_id)
                if reader_actions.is_in_progress(
                    reader_actions.action_on(reader, self.payment_intent_id)
                ):
                    cleared = self._stripe_terminal_cancel_reader_action(client)
                    self.reader_cleanup_pending = not cleared
                    reader = cleared or reader
                self.reader_id._stripe_terminal_apply(reader)
                intent = client.call(
                    "payment_intents.cancel",
                    self.payment_intent_id,
                    params={"cancellation_reason": "requested_by_customer"},
                    # A refused cancel must not be replayed: a key per cancel.
                    idempotency_key=self._key("cancel", uuid.uuid4().hex),
                )
                if intent["status"] != "canceled":
                    self._stripe_terminal_apply_intent(intent)
                    return self._stripe_terminal_overlay_state()
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal cancel of %s: %s", self.name, error.technical)
            if error.code in ("payment_intent_unexpected_state", "intent_invalid_state"):
                # Too late: Stripe says the intent is past canceling. Look at what happened.
                self._stripe_terminal_refresh(force=True)
                return self._stripe_terminal_overlay_state()
            if error.code == "terminal_reader_busy":
                raise UserError(
                    _(
                        "The reader is authorizing the card right now and cannot be "
                        "interrupted. Wait a few seconds."
                    )
                ) from error
            raise UserError(error.user_message(self.env)) from error
        self._set_canceled()
        self.message_post(body=_("Canceled by %(user)s.", user=canceled_by.name))
        return self._stripe_terminal_overlay_state()

    def _stripe_terminal_cancel_reader_action(self, client):
        """Clear the payment from the reader's screen; returns the reader, or None when the
        reader cannot be reached (the PaymentIntent is canceled anyway: a reader that comes back
        cannot charge a canceled intent). A busy reader is authorizing the card: that one stops
        the cancel."""
        try:
            # Canceling twice is harmless, and a refused cancel must not be replayed later: each
            # cancel gets a key of its own.
            return client.call(
                "terminal.readers.cancel_action",
                self.reader_id.stripe_reader_id,
                idempotency_key=self._key("cancel-action", uuid.uuid4().hex),
            )
        except StripeTerminalError as error:
            if error.code in ("terminal_reader_offline", "terminal_reader_timeout"):
                _logger.info("Stripe Terminal cancel of %s: %s", self.name, error.technical)
                return None
            raise

    def _default_auto_retries(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(const.AUTO_RETRIES_PARAM, const.DEFAULT_AUTO_RETRIES)
        )

    @api.model
    def _cron_sweep(self, limit=100):
        """Settle every payment left in progress: after a closed browser, a lost webhook, a
        restarted Odoo. Abandoned payments are canceled once the reader gave up on them."""
        stale = fields.Datetime.now() - timedelta(seconds=const.SWEEP_MIN_AGE)
        payments = self.sudo().search(
            [
                ("state", "in", list(const.FOLLOWED_STATES)),
                "|",
                ("last_stripe_check", "=", False),
                ("last_stripe_check", "<", stale),
            ],
            limit=limit,
            order="last_stripe_check asc nulls first, id",
        )
        abandon_before = fields.Datetime.now() - timedelta(minutes=const.ABANDON_AFTER_MINUTES)
        sweeper = self.env.ref("base.user_root")
        for payment in payments:
            payment = payment._as_collector()
            try:
                with self.env.cr.savepoint():
                    payment._stripe_terminal_refresh(force=True)
                    if (
                        payment.state in const.FOLLOWED_STATES
                        and payment.create_date < abandon_before
                        and payment.stage not in ("processing", "checking")
                    ):
                        payment._stripe_terminal_cancel(canceled_by=sweeper)
            except Exception:
                _logger.exception("Stripe Terminal sweep of %s failed", payment.name)
        self._stripe_terminal_clear_readers(limit=limit)

    @api.model
    def _stripe_terminal_clear_readers(self, limit=100):
        """Clear the screens of readers that were unreachable when their payment was canceled
        (the canceled PaymentIntent cannot be charged, but the reader would still ask for a
        card)."""
        for payment in self.sudo().search([("reader_cleanup_pending", "=", True)], limit=limit):
            payment = payment._as_collector()
            try:
                with self.env.cr.savepoint():
                    client = payment._client()
                    reader = client.call(
                        "terminal.readers.retrieve", payment.reader_id.stripe_reader_id
                    )
                    if reader_actions.is_in_progress(
                        reader_actions.action_on(reader, payment.payment_intent_id)
                    ):
                        reader = payment._stripe_terminal_cancel_reader_action(client)
                        if not reader:
                            continue  # still unreachable: next sweep
                    payment.reader_cleanup_pending = False
                    payment.reader_id._stripe_terminal_apply(reader)
            except StripeTerminalError as error:
                _logger.info(
                    "Stripe Terminal reader cleanup of %s: %s", payment.name, error.technical
                )

    # === Webhook events === #

    @api.model
    def _stripe_terminal_handle_event(self, event, provider):
        """Reader action and PaymentIntent events: find the payment and move it."""
        data_object = event["data"]["object"]
        event_type = event["type"]
        if event_type.startswith("terminal.reader."):
            intent_id = reader_actions.action_intent(reader_actions.current_action(data_object))
        elif event_type.startswith("charge."):
            intent_id = data_object.get("payment_intent")
        else:
            intent_id = data_object.get("id")
        if not intent_id:
            return
        # Most deliveries find the payment final already (Stripe sends several events per
        # payment): read only what that check and `_as_collector` need.
        payment = self.sudo().search_fetch(
            [("payment_intent_id", "=", intent_id), ("provider_id", "=", provider.id)],
            ["state", "user_id", "company_id"],
            limit=1,
        )
        if not payment or payment.state in const.FINAL_STATES:
            return
        payment = payment._as_collector()
        now = fields.Datetime.now()
        if event_type == "charge.succeeded":
            if data_object.get("status") == "succeeded" and data_object.get("captured", True):
                intent = {
                    "id": intent_id,
                    "status": "succeeded",
                    "currency": data_object.get("currency"),
                    "amount_received": data_object.get("amount_captured")
                    or data_object.get("amount"),
                }
                payment._stripe_terminal_finalize(intent, data_object)
        elif event_type == "terminal.reader.action_succeeded":
            payment.reader_id._stripe_terminal_apply(data_object)
            payment._stripe_terminal_approaching(now)
        elif event_type == "terminal.reader.action_failed":
            payment.reader_id._stripe_terminal_apply(data_object)
            # Verify with Stripe before acting: deliveries come in any order, and a failure of
            # an earlier attempt must not undo a later success.
            payment._stripe_terminal_refresh(force=True)
        elif event_type in ("payment_intent.payment_failed", "payment_intent.canceled"):
            payment._stripe_terminal_refresh(force=True)
        elif event_type == "payment_intent.succeeded":
            payment._stripe_terminal_approaching(now)

    def _stripe_terminal_approaching(self, now):
        """Stripe approved the card; its charge (with the card's details) books the payment.
        Show "processing" meanwhile, and let the refresh wait a little before asking Stripe."""
        if self.stage in ("waiting_card", "retrying", "checking", "offline"):
            self._set(stage="processing", last_stripe_check=now)
        else:
            self.last_stripe_check = now


class StripeTerminalPaymentHold(models.Model):
    """An invoice line a card payment in progress is collecting: one payment at a time per line,
    so an invoice is never charged twice on two readers. A unique index decides, which sees
    committed rows whatever the transactions' snapshots."""

    _name = "stripe.terminal.payment.hold"
    _description = "Invoice Line Held by a Card Payment"

    payment_id = fields.Many2one(
        "stripe.terminal.payment", required=True, ondelete="cascade", index=True
    )
    move_line_id = fields.Many2one("account.move.line", required=True, ondelete="cascade")

    _move_line_uniq = compat.Constraint(
        "unique(move_line_id)", "This invoice is being collected by another card payment."
    )

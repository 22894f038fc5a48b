# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mail and telephone orders: the accountant keys the card on the reader.

Without Save the Card, a MOTO payment is the account addon's payment with two differences: the
PaymentIntent is for a card-not-present `card` payment, and the reader action carries
`process_config[moto]`. Following, retries on the same PaymentIntent, cancel and booking are the
account addon's, unchanged.

With Save the Card, the payment follows the saving flow Stripe documents for MOTO: a SetupIntent
processed on the reader with MOTO keys and saves the card on the Stripe customer, then the saved
card is charged. The payment has two steps (`moto_step`):

- `setup`: the SetupIntent is on the reader, followed like a PaymentIntent (webhooks, the
  overlay's refresh, the sweep); a card that cannot be saved is retried on the same SetupIntent.
- `charge`: the saved card is charged once, under the payment's row lock and with one
  idempotency key per saved card; the PaymentIntent it makes is then the account addon's. A
  declined charge goes back to `setup` with a new SetupIntent (the customer gives another card)
  on the same PaymentIntent, and the declined card is detached from the customer.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.stripe_terminal_account import const as account_const
from odoo.addons.stripe_terminal_account import flow as account_flow
from odoo.addons.stripe_terminal_base import compat, locks, reader_actions
from odoo.addons.stripe_terminal_base import const as base_const
from odoo.addons.stripe_terminal_base.errors import StripeTerminalError

from .. import const, flow

_logger = logging.getLogger(__name__)


class MotoError(StripeTerminalError):
    """A Stripe error as a MOTO payment explains it: a few codes get the keyed-card message."""

    @classmethod
    def wrap(cls, error):
        if isinstance(error, cls):
            return error
        code = error.code
        if code == "invalid_request_error" and (error.param or "").endswith(
            f"[{const.PROCESS_CONFIG_MOTO}]"
        ):
            # What Stripe answers when the reader's device type cannot key cards.
            code = "moto_unsupported_reader"
        return cls(
            code,
            decline_code=error.decline_code,
            http_status=error.http_status,
            request_id=error.request_id,
            technical=error.technical,
            payment_intent=error.payment_intent,
            param=error.param,
            network=error.network,
        )

    def user_message(self, env=None):
        message = const.ERROR_MESSAGES.get(self.key)
        return compat.translate(env, message) if message else super().user_message(env)


class StripeTerminalPayment(models.Model):
    _inherit = "stripe.terminal.payment"

    mode = fields.Selection(
        selection_add=[(const.MODE, "MOTO (card keyed on the reader)")],
        ondelete={const.MODE: "set default"},
    )
    moto_step = fields.Selection(
        const.SAVE_STEPS,
        string="MOTO Step",
        readonly=True,
        copy=False,
        help="For a MOTO payment that saves the card: the card is keyed and saved on the "
        "reader first, then the saved card is charged.",
    )
    moto_setup_intent_id = fields.Char(
        string="SetupIntent", readonly=True, copy=False, index="btree_not_null"
    )
    moto_setup_count = fields.Integer(string="SetupIntents", readonly=True, copy=False)
    moto_payment_method_id = fields.Char(
        string="Saved Keyed Card",
        readonly=True,
        copy=False,
        help="The card PaymentMethod the SetupIntent saved, charged next.",
    )
    moto_charge_sent = fields.Boolean(
        readonly=True, copy=False, help="Stripe answered the charge of the saved keyed card."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("mode") == const.MODE and vals.get("save_card"):
                vals.setdefault("moto_step", "setup")
        return super().create(vals_list)

    def _moto_saves_card(self):
        return self.mode == const.MODE and self.save_card

    def _moto_follows_setup(self):
        """Whether this module follows the payment rather than the account addon: while the
        SetupIntent is on the reader, and until Stripe answered the saved card's charge."""
        if not self._moto_saves_card():
            return False
        if self.moto_step == "setup":
            return True
        return self.moto_step == "charge" and not self.moto_charge_sent

    # === What is sent to Stripe === #

    def _stripe_terminal_intent_params(self):
        params = super()._stripe_terminal_intent_params()
        if self.mode != const.MODE:
            return params
        # A keyed card is a card-not-present payment.
        params["allowed_payment_method_types"] = ["card"]
        # Keyed cards are saved by a SetupIntent (see the module's docstring), never by the
        # payment itself.
        params.pop("setup_future_usage", None)
        if self.moto_step == "charge" and self.moto_payment_method_id:
            # The card the SetupIntent saved, charged at once: the customer is on the phone but
            # cannot authenticate, which is what `off_session` tells the bank.
            params.update(
                payment_method=self.moto_payment_method_id, confirm=True, off_session=True
            )
        return params

    def _stripe_terminal_reader_intents(self):
        return super()._stripe_terminal_reader_intents() + tuple(
            filter(None, [self.moto_setup_intent_id])
        )

    def _stripe_terminal_required_method_type(self):
        return (
            "card" if self.mode == const.MODE else super()._stripe_terminal_required_method_type()
        )

    def _stripe_terminal_process_params(self):
        params = super()._stripe_terminal_process_params()
        if self.mode == const.MODE:
            params["process_config"][const.PROCESS_CONFIG_MOTO] = True
            params["process_config"].pop("allow_redisplay", None)
        return params

    def _moto_setup_intent_params(self):
        return {
            "customer": self.stripe_customer_id,
            "allowed_payment_method_types": ["card"],
            "usage": "off_session",
            "description": self._stripe_terminal_description(
                lambda invoices: _(
                    "Card for %(reference)s (invoices %(invoices)s)",
                    reference=self.name,
                    invoices=invoices,
                )
            ),
            "metadata": {
                account_const.METADATA_PAYMENT: str(self.id),
                account_const.METADATA_REFERENCE: self.name,
                base_const.METADATA_DATABASE: self.env[
                    "stripe.terminal.customer"
                ]._stripe_terminal_database_tag(),
            },
        }

    def _moto_setup_process_params(self):
        return {
            "setup_intent": self.moto_setup_intent_id,
            # The customer agreed to keep the card for later payments (Save the Card).
            "allow_redisplay": "always",
            "process_config": {
                const.PROCESS_CONFIG_MOTO: True,
                "enable_customer_cancellation": True,
            },
        }

    # === Starting and retrying === #

    def _stripe_terminal_start(self):
        self.ensure_one()
        if not self._moto_saves_card():
            return super()._stripe_terminal_start()
        client = self._client()
        try:
            if not self.stripe_customer_id:
                self.stripe_customer_id = self.env[
                    "stripe.terminal.customer"
                ]._stripe_terminal_ensure(self.partner_id, self.provider_id)
            self._stripe_terminal_push(client)
        except StripeTerminalError as error:
            self._stripe_terminal_start_failed(error)

    def _stripe_terminal_push(self, client):
        """Send the SetupIntent to the reader, for a MOTO payment that saves the card (one more
        attempt; after a declined charge, a new SetupIntent for another card)."""
        if not self._moto_saves_card():
            return super()._stripe_terminal_push(client)
        if self.moto_step == "charge":
            # The saved card was declined: the customer gives another one, saved the same way
            # and charged on the same PaymentIntent.
            self._moto_forget_keyed_card(client)
            self.write({"moto_step": "setup", "moto_setup_intent_id": False})
        if not self.moto_setup_intent_id:
            setup = self._moto_create_setup_intent(client)
            if self._stripe_terminal_refuse_unusable_intent(
                setup, client, cancel_operation="setup_intents.cancel"
            ):
                return
        # Every push counts as an attempt, answered or refused: Stripe stores a refusal under
        # its idempotency key too, so the next push needs a key of its own to be a real retry.
        attempt = self.attempt_count + 1
        self.attempt_count = attempt
        reader = client.call(
            "terminal.readers.process_setup_intent",
            self.reader_id.stripe_reader_id,
            params=self._moto_setup_process_params(),
            idempotency_key=self._key("moto-setup-process", attempt),
        )
        self.reader_id._stripe_terminal_apply(reader)
        now = fields.Datetime.now()
        self._set_pending(
            stage="waiting_card",
            pushed_date=now,
            last_stripe_check=now,
            failure_code=False,
            failure_message=False,
            reader_push_due=False,
        )
        self.message_post(
            body=_(
                "Sent to reader %(reader)s to key and save the card (attempt %(attempt)s).",
                reader=self.reader_id.name,
                attempt=attempt,
            )
        )

    def _moto_create_setup_intent(self, client):
        """Create the SetupIntent that keys and saves the card. Replayed with the same key (and
        the same parameters) when its answer was lost."""
        count = self.moto_setup_count + 1
        setup = client.call(
            "setup_intents.create",
            params=self._moto_setup_intent_params(),
            idempotency_key=self._key("moto-setup", count),
        )
        self.write(
            {
                "moto_setup_intent_id": setup["id"],
                "moto_setup_count": count,
                "moto_step": "setup",
                "moto_payment_method_id": False,
                "moto_charge_sent": False,
            }
        )
        if self.state == "draft":
            self._set_pending()
        return setup

    def _moto_forget_keyed_card(self, client):
        """Detach a saved keyed card that did not pay: no card is kept that paid nothing."""
        payment_method = self.moto_payment_method_id
        if not payment_method:
            return
        try:
            client.call(
                "payment_methods.detach",
                payment_method,
                idempotency_key=self._key("moto-detach", payment_method),
            )
        except StripeTerminalError as error:
            _logger.info("Stripe Terminal MOTO %s: detach failed: %s", self.name, error.technical)
        self.moto_payment_method_id = False
        self.message_post(
            body=_("The keyed card that did not pay was removed from the Stripe customer.")
        )

    def _stripe_terminal_start_failed(self, error):
        if self.mode == const.MODE:
            error = MotoError.wrap(error)
        return super()._stripe_terminal_start_failed(error)

    def _stripe_terminal_attempt_failed(self, error):
        if self.mode == const.MODE:
            error = MotoError.wrap(error)
        return super()._stripe_terminal_attempt_failed(error)

    # === Following the saving flow === #

    def _stripe_terminal_refresh(self, force=False):
        self.ensure_one()
        if not self._moto_follows_setup():
            return super()._stripe_terminal_refresh(force=force)
        if self.state not in account_const.FOLLOWED_STATES:
            return
        now = fields.Datetime.now()
        if (
            not force
            and self.last_stripe_check
            and now - self.last_stripe_check < timedelta(seconds=account_const.REFRESH_INTERVAL)
        ):
            return
        with self._locked() as locked:
            if (
                not locked
                or self.state not in account_const.FOLLOWED_STATES
                or not self._moto_follows_setup()
            ):
                return
            self.last_stripe_check = now
            client = self._client()
            try:
                if self.moto_step == "charge":
                    self._moto_charge_saved_card(client)
                else:
                    self._moto_refresh_setup(client)
            except StripeTerminalError as error:
                _logger.info("Stripe Terminal refresh of %s: %s", self.name, error.technical)

    def _moto_refresh_setup(self, client):
        if not self.moto_setup_intent_id:
            # The SetupIntent's creation answer was lost: the same request gets the same one.
            if not self.stripe_customer_id:
                self.stripe_customer_id = self.env[
                    "stripe.terminal.customer"
                ]._stripe_terminal_ensure(self.partner_id, self.provider_id)
            self._moto_create_setup_intent(client)
        setup = client.call("setup_intents.retrieve", self.moto_setup_intent_id)
        reader = None
        if setup["status"] != "succeeded":
            reader = client.call("terminal.readers.retrieve", self.reader_id.stripe_reader_id)
            self.reader_id._stripe_terminal_apply(reader)
        self._moto_apply_setup(setup, reader, client)

    def _moto_apply_setup(self, setup, reader, client):
        """Move the payment to what Stripe says of its SetupIntent (a dict) and of the reader (a
        dict, when the SetupIntent is not done)."""
        snapshot = account_flow.Snapshot(
            self.state, self.stage, self.moto_setup_intent_id, push_owed=self.reader_push_due
        )
        move = flow.decide_setup(snapshot, setup, reader)
        if move.name == flow.SAVED:
            self._moto_card_saved(setup, client)
        elif move.name == account_flow.CANCELED:
            if self._set_canceled():
                self.message_post(body=_("The SetupIntent was canceled on Stripe."))
        elif move.name == account_flow.ATTEMPT_FAILED:
            self._stripe_terminal_attempt_failed(self._moto_setup_attempt_error(move))
        elif move.name == account_flow.NOT_ON_READER:
            # The reader moved on (its action was canceled or replaced): nothing to wait for.
            self._set_error(
                failure_code="action_canceled",
                failure_message=str(base_const.ERRORS["action_canceled"].message),
            )
        else:
            self._stripe_terminal_make_move(move)

    def _moto_card_saved(self, setup, client):
        self.write(
            {
                "moto_step": "charge",
                "moto_payment_method_id": setup["payment_method"],
                "moto_charge_sent": False,
            }
        )
        self._set(stage="processing", failure_code=False, failure_message=False)
        self.message_post(
            body=_(
                "Card keyed and saved on %(reader)s (%(setup)s); charging it.",
                reader=self.reader_id.name,
                setup=self.moto_setup_intent_id,
            )
        )
        self._moto_charge_saved_card(client)

    def _moto_setup_attempt_error(self, move):
        if move.action:
            return StripeTerminalError.from_reader_action(move.action, last_error=move.error)
        return StripeTerminalError(
            move.error.get("code") or "setup_intent_authentication_failure",
            decline_code=move.error.get("decline_code"),
            technical=f"last_setup_error {move.error.get('code')}",
        )

    def _moto_charge_saved_card(self, client):
        """Charge the card the SetupIntent saved. Exactly once: called under the payment's row
        lock, with one idempotency key per saved card (the first charge creates the
        PaymentIntent, later ones confirm it again), replayed as is when an answer was lost."""
        payment_method = self.moto_payment_method_id
        try:
            if not self.payment_intent_id:
                intent = self._stripe_terminal_create_intent(client)
            else:
                intent = client.call(
                    "payment_intents.confirm",
                    self.payment_intent_id,
                    params={"payment_method": payment_method, "off_session": True},
                    idempotency_key=self._key("moto-confirm", payment_method),
                )
        except StripeTerminalError as error:
            declined_intent = error.payment_intent or {}
            if declined_intent.get("id") and not self.payment_intent_id:
                self.payment_intent_id = declined_intent["id"]
            if error.network:
                # Stripe may have charged the card: the next refresh replays the same request.
                self._set(
                    stage="checking",
                    failure_code=error.key,
                    failure_message=MotoError.wrap(error).user_message(self.env),
                    last_stripe_check=False,
                )
                return
            self.moto_charge_sent = True
            if error.code == "payment_intent_unexpected_state" and self.payment_intent_id:
                # The PaymentIntent moved meanwhile (paid, or canceled on Stripe): follow it.
                intent = client.call(
                    "payment_intents.retrieve",
                    self.payment_intent_id,
                    params={"expand": ["latest_charge"]},
                )
                self._stripe_terminal_apply_intent(intent)
            elif error.http_status == 402:
                # The card was declined: another card is keyed and saved, on the same intent.
                self._stripe_terminal_attempt_failed(error)
            else:
                self._stripe_terminal_start_failed(error)
            return
        self.write({"payment_intent_id": intent["id"], "moto_charge_sent": True})
        self._stripe_terminal_apply_intent(intent)

    def _stripe_terminal_finalize(self, intent, charge):
        result = super()._stripe_terminal_finalize(intent, charge)
        if (
            self._moto_saves_card()
            and self.state == "done"
            and not self.token_id
            and charge.get("payment_method")
            and charge.get("payment_method") == self.moto_payment_method_id
        ):
            token = self.env["payment.token"]._stripe_terminal_save_keyed_card(
                self.provider_id, self.partner_id, self.stripe_customer_id, charge
            )
            if token:
                self.token_id = token
                self.message_post(
                    body=_(
                        "The keyed card %(card)s is saved for later payments of %(partner)s.",
                        card=self._stripe_terminal_card_summary(),
                        partner=self.partner_id.display_name,
                    )
                )
        return result

    # === Cancel === #

    def _stripe_terminal_cancel(self, canceled_by):
        if not self._moto_saves_card():
            return super()._stripe_terminal_cancel(canceled_by)
        locks.lock(self)
        if self.state not in account_const.FOLLOWED_STATES:
            return self._stripe_terminal_overlay_state()
        client = self._client()
        if self.moto_step == "setup" and self.moto_setup_intent_id:
            try:
                self._moto_cancel_setup(client)
            except StripeTerminalError as error:
                _logger.warning("Stripe Terminal cancel of %s: %s", self.name, error.technical)
                if error.code == "terminal_reader_busy":
                    raise UserError(
                        _(
                            "The reader is saving the card right now and cannot be "
                            "interrupted. Wait a few seconds."
                        )
                    ) from error
                raise UserError(MotoError.wrap(error).user_message(self.env)) from error
        elif self.moto_step == "charge" and not self.moto_charge_sent:
            # The saved card may be charged right now: look at Stripe before canceling.
            self._stripe_terminal_refresh(force=True)
            if self.state not in account_const.FOLLOWED_STATES:
                return self._stripe_terminal_overlay_state()
        if self.payment_intent_id:
            result = super()._stripe_terminal_cancel(canceled_by)
        else:
            self._set_canceled()
            self.message_post(body=_("Canceled by %(user)s.", user=canceled_by.name))
            result = self._stripe_terminal_overlay_state()
        if self.state == "canceled":
            self._moto_forget_keyed_card(client)
        return result

    def _moto_cancel_setup(self, client):
        """Stop the reader if it is keying our card, and cancel the SetupIntent. A card saved
        in the meantime is remembered, to be detached: nothing was charged."""
        reader_id = self.reader_id.stripe_reader_id
        reader = client.call("terminal.readers.retrieve", reader_id)
        if reader_actions.is_in_progress(
            reader_actions.action_on(reader, self.moto_setup_intent_id)
        ):
            reader = client.call(
                "terminal.readers.cancel_action",
                reader_id,
                idempotency_key=self._key("moto-cancel-action", self.attempt_count),
            )
        self.reader_id._stripe_terminal_apply(reader)
        setup = client.call("setup_intents.retrieve", self.moto_setup_intent_id)
        if setup["status"] not in ("succeeded", "canceled"):
            try:
                setup = client.call(
                    "setup_intents.cancel",
                    self.moto_setup_intent_id,
                    params={"cancellation_reason": "requested_by_customer"},
                    idempotency_key=self._key("moto-setup-cancel", self.moto_setup_intent_id),
                )
            except StripeTerminalError as error:
                if error.code != "setup_intent_unexpected_state":
                    raise
                setup = client.call("setup_intents.retrieve", self.moto_setup_intent_id)
        if setup["status"] == "succeeded":
            self.moto_payment_method_id = setup["payment_method"]

    # === Overlay and webhooks === #

    def _stripe_terminal_overlay_state(self):
        state = super()._stripe_terminal_overlay_state()
        if self.mode == const.MODE:
            instructions = const.STAGE_INSTRUCTIONS.get(self.stage)
            if self.moto_step == "charge" and self.stage == "processing":
                instructions = const.CHARGING_SAVED_CARD
            if instructions:
                state["instructions"] = str(instructions)
        return state

    @api.model
    def _stripe_terminal_handle_event(self, event, provider):
        """SetupIntent events and reader actions on a SetupIntent move the MOTO payment that
        saves the card; everything else is the account addon's."""
        data_object = event["data"]["object"]
        event_type = event["type"]
        setup_id = None
        if event_type.startswith("setup_intent."):
            setup_id = data_object.get("id")
        elif event_type.startswith("terminal.reader."):
            action = reader_actions.current_action(data_object)
            setup_id = (action.get("process_setup_intent") or {}).get("setup_intent")
        if not setup_id:
            return super()._stripe_terminal_handle_event(event, provider)
        payment = self.sudo().search(
            [("moto_setup_intent_id", "=", setup_id), ("provider_id", "=", provider.id)],
            limit=1,
        )
        if not payment or payment.state in account_const.FINAL_STATES:
            return
        payment = payment._as_collector()
        if event_type.startswith("terminal.reader."):
            payment.reader_id._stripe_terminal_apply(data_object)
        # Deliveries come in any order: look at Stripe rather than trust the event.
        payment._stripe_terminal_refresh(force=True)

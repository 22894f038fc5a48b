# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging
import uuid

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import compat, const
from ..client import StripeTerminalClient
from ..errors import StripeTerminalError

_logger = logging.getLogger(__name__)


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    stripe_terminal_webhook_secret = fields.Char(
        string="Terminal Webhook Signing Secret",
        help="Signing secret of the Stripe webhook endpoint that points at "
        "/stripe_terminal/webhook. Without it, Terminal webhooks are refused and payments are "
        "followed by polling only.",
        groups="base.group_system",
        copy=False,
    )
    stripe_terminal_webhook_api_version = fields.Char(
        string="Terminal Webhook API Version",
        readonly=True,
        copy=False,
        help="Set when the Terminal endpoint sends events in another API version than the one "
        "Odoo reads (an endpoint made by hand in Stripe's Dashboard): Odoo then asks Stripe "
        "for each event's object instead of reading it from the event.",
    )
    stripe_terminal_reader_ids = fields.One2many(
        "stripe.terminal.reader", "provider_id", string="Terminal Readers"
    )
    stripe_terminal_reader_count = fields.Integer(compute="_compute_stripe_terminal_reader_count")
    stripe_terminal_webhook_url = fields.Char(compute="_compute_stripe_terminal_webhook_url")

    @api.depends("stripe_terminal_reader_ids")
    def _compute_stripe_terminal_reader_count(self):
        for provider in self:
            provider.stripe_terminal_reader_count = len(provider.stripe_terminal_reader_ids)

    def _compute_stripe_terminal_webhook_url(self):
        for provider in self:
            base_url = provider.get_base_url()
            provider.stripe_terminal_webhook_url = f"{base_url}/stripe_terminal/webhook"

    # === Stripe access === #

    @api.model
    def _stripe_terminal_api_base(self):
        return (
            self.env["ir.config_parameter"].sudo().get_param(const.API_BASE_PARAM)
            or const.STRIPE_API_BASE
        )

    def _stripe_terminal_client(self):
        """The Stripe client of this provider; the secret key is read with sudo and never leaves
        the server."""
        self.ensure_one()
        # Accountants use readers without any right on providers: read what the client needs
        # as superuser, and hand out nothing but the client.
        provider = self.sudo()
        # Only what the client needs (a provider's row is wide: forms, messages, images).
        provider.fetch(["code", "stripe_secret_key"])
        if provider.code != "stripe":
            raise UserError(_("%(provider)s is not a Stripe provider.", provider=provider.name))
        secret_key = provider.stripe_secret_key
        if not secret_key:
            raise UserError(
                _(
                    "The Stripe provider %(provider)s has no secret key. Enter it in Accounting > "
                    "Configuration > Payment Providers.",
                    provider=provider.name,
                )
            )
        return StripeTerminalClient(secret_key, api_base=self._stripe_terminal_api_base())

    def _stripe_terminal_call(self, operation, *args, params=None, idempotency_key=None):
        """Call Stripe; a Stripe error becomes a UserError with the accountant's message (the
        detail goes to the log). Callers that react to specific codes use the client directly."""
        try:
            return self._stripe_terminal_client().call(
                operation, *args, params=params, idempotency_key=idempotency_key
            )
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal: %s", error.technical)
            raise UserError(error.user_message(self.env)) from error

    @api.model
    def _stripe_terminal_get_provider(self, company):
        """The company's Stripe provider usable for Terminal (enabled or in test mode)."""
        return self.sudo().search(
            [
                ("code", "=", "stripe"),
                ("company_id", "=", company.id),
                ("state", "in", ("enabled", "test")),
            ],
            order="state, id",
            limit=1,
        )

    def _stripe_terminal_idempotency_key(self, *parts):
        """A key unique to this database, so two Odoo databases on one Stripe account (a copy
        for tests, say) never replay each other's requests."""
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return ":".join(["odoo", database_uuid[:8], *[str(part) for part in parts]])

    @api.model
    def _stripe_terminal_params_digest(self, params):
        """A short digest of a request's parameters, for a key that must change when the
        request does: Stripe answers a key reused with other parameters with an error, and
        replays the first answer to the same ones (for at least 24 hours)."""
        text = json.dumps(params, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    # === Actions === #

    def action_stripe_terminal_view_readers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stripe_terminal_base.action_stripe_terminal_reader"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        action["context"] = {"default_provider_id": self.id}
        return action

    def action_stripe_terminal_sync(self):
        """Import and update this account's locations and readers."""
        self.ensure_one()
        compat.check_access(self, "write")
        counts = self.env["stripe.terminal.reader"]._stripe_terminal_sync(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Synchronized with Stripe"),
                "message": _(
                    "%(locations)s locations and %(readers)s readers imported or updated.",
                    locations=counts["locations"],
                    readers=counts["readers"],
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_stripe_terminal_create_webhook(self):
        """Create the Terminal webhook endpoint on Stripe and keep its signing secret."""
        self.ensure_one()
        compat.check_access(self, "write")
        if not self.env.user.has_group("base.group_system"):
            raise UserError(_("Only system administrators can create the webhook endpoint."))
        url = self.stripe_terminal_webhook_url
        client = self._stripe_terminal_client()
        try:
            existing = [
                endpoint
                for endpoint in client.list_all("webhook_endpoints.list")
                if endpoint.get("url") == url
            ]
            for endpoint in existing:
                if endpoint.get("api_version") != const.API_VERSION:
                    raise UserError(self._stripe_terminal_webhook_version_message(endpoint))
            # Stripe shows an endpoint's signing secret only when it creates it: an endpoint of
            # ours whose secret Odoo lost is replaced.
            for endpoint in existing:
                client.call("webhook_endpoints.delete", endpoint["id"])
            endpoint = client.call(
                "webhook_endpoints.create",
                params={
                    "url": url,
                    "enabled_events": const.HANDLED_WEBHOOK_EVENTS,
                    "api_version": const.API_VERSION,
                    "description": "Odoo Stripe Terminal",
                },
                # A new endpoint each time (one deleted on Stripe is made again, not replayed
                # with its old secret); the SDK's retries of this request share the key.
                idempotency_key=self._stripe_terminal_idempotency_key(
                    "webhook", self.id, uuid.uuid4().hex[:12]
                ),
            )
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal: %s", error.technical)
            raise UserError(error.user_message(self.env)) from error
        self.sudo().write(
            {
                "stripe_terminal_webhook_secret": endpoint["secret"],
                "stripe_terminal_webhook_api_version": False,
            }
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("The Terminal webhook endpoint was created on Stripe."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _stripe_terminal_webhook_version_message(self, endpoint):
        return _(
            "The webhook endpoint %(endpoint)s for %(url)s on Stripe sends its events in API "
            "version %(version)s (an endpoint made by hand in Stripe's Dashboard takes the "
            "account's version), while Odoo reads version %(ours)s. Delete that endpoint in "
            "Stripe's Dashboard (Developers > Webhooks), then create it from Odoo with this "
            "button.",
            endpoint=endpoint.get("id"),
            url=endpoint.get("url"),
            version=endpoint.get("api_version") or _("the account's default"),
            ours=const.API_VERSION,
        )

    def _register_hook(self):
        super()._register_hook()
        api_base = (
            self.env["ir.config_parameter"].sudo().get_param(const.API_BASE_PARAM)
            or const.STRIPE_API_BASE
        )
        if api_base.rstrip("/") != const.STRIPE_API_BASE:
            _logger.warning(
                "Stripe Terminal talks to %s instead of Stripe (system parameter %s)",
                api_base,
                const.API_BASE_PARAM,
            )

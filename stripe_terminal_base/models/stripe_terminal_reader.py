# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import compat, const, reader_actions
from ..errors import StripeTerminalError

_logger = logging.getLogger(__name__)


class StripeTerminalReader(models.Model):
    _name = "stripe.terminal.reader"
    _description = "Stripe Terminal Reader"
    _order = "name, id"

    name = fields.Char(string="Label", required=True)
    stripe_reader_id = fields.Char(
        string="Stripe Reader ID", required=True, copy=False, help="The tmr_... id on Stripe."
    )
    device_type = fields.Selection(const.DEVICE_TYPES, required=True)
    is_server_driven = fields.Boolean(
        string="Can Be Driven From Odoo",
        compute="_compute_device_capabilities",
        store=True,
        help="Smart readers (WisePOS E, S700, S710, Stripe's server-driven Verifone models) take "
        "payments pushed from Odoo; mobile and legacy readers do not.",
    )
    supports_moto = fields.Boolean(
        string="Supports MOTO", compute="_compute_device_capabilities", store=True
    )
    unsupported_reason = fields.Text(compute="_compute_unsupported_reason")
    serial_number = fields.Char(readonly=True)
    device_sw_version = fields.Char(string="Software Version", readonly=True)
    location_id = fields.Many2one(
        "stripe.terminal.location",
        domain="[('company_id', '=', company_id)]",
        ondelete="restrict",
    )
    status = fields.Selection(const.READER_STATUSES, default="unknown", required=True)
    last_check_date = fields.Datetime(string="Last Checked", readonly=True)
    action_type = fields.Char(string="Current Action", readonly=True)
    action_status = fields.Selection(
        [
            (const.ACTION_IN_PROGRESS, "In Progress"),
            (const.ACTION_SUCCEEDED, "Succeeded"),
            (const.ACTION_FAILED, "Failed"),
        ],
        readonly=True,
    )
    provider_id = fields.Many2one(
        "payment.provider",
        required=True,
        ondelete="restrict",
        domain="[('code', '=', 'stripe')]",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", related="provider_id.company_id", store=True, index=True, readonly=True
    )
    active = fields.Boolean(default=True)

    _stripe_reader_company_uniq = compat.Constraint(
        "unique(stripe_reader_id, company_id)",
        "This Stripe reader is already registered in this company.",
    )

    @api.depends("device_type")
    def _compute_device_capabilities(self):
        for reader in self:
            reader.is_server_driven = reader.device_type in const.SERVER_DRIVEN_DEVICE_TYPES
            reader.supports_moto = reader.device_type in const.MOTO_DEVICE_TYPES

    @api.depends("device_type")
    def _compute_unsupported_reason(self):
        for reader in self:
            reason = const.NOT_SERVER_DRIVEN_REASONS.get(reader.device_type)
            server_driven = reader.device_type in const.SERVER_DRIVEN_DEVICE_TYPES
            reader.unsupported_reason = str(reason) if reason and not server_driven else False

    def _stripe_terminal_local_currency(self):
        """The one currency the reader takes: Terminal's regional rule puts the reader's
        location and the Stripe account in one country and takes its local currency only.
        The location's country (the company's when the location is not known), an empty
        recordset when neither is set."""
        self.ensure_one()
        code = self.location_id.country_code or self.company_id.country_id.code
        if not code:
            return self.env["res.currency"]
        return self.env["res.country"].search([("code", "=", code.upper())], limit=1).currency_id

    # === Stripe state === #

    def _stripe_terminal_apply(self, stripe_reader):
        """Copy a Stripe reader object (a dict) onto the record."""
        action = stripe_reader.get("action") or {}
        values = {
            "device_type": stripe_reader.get("device_type") or self.device_type,
            "serial_number": stripe_reader.get("serial_number"),
            "device_sw_version": stripe_reader.get("device_sw_version"),
            "status": stripe_reader.get("status") or "unknown",
            "last_check_date": fields.Datetime.now(),
            "action_type": action.get("type") or False,
            "action_status": action.get("status") or False,
        }
        self.sudo().write(values)

    def _stripe_terminal_retrieve(self):
        """Ask Stripe for the reader; raise StripeTerminalError as is."""
        self.ensure_one()
        client = self.provider_id._stripe_terminal_client()
        stripe_reader = client.call("terminal.readers.retrieve", self.stripe_reader_id)
        self._stripe_terminal_apply(stripe_reader)
        return stripe_reader

    def action_check_status(self):
        """The Check Status button: ask Stripe and say what it answered."""
        self.ensure_one()
        compat.check_access(self, "read")
        try:
            stripe_reader = self._stripe_terminal_retrieve()
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal: %s", error.technical)
            return self._notify("danger", self._preflight_message(error))
        status = dict(const.READER_STATUSES).get(self.status, self.status)
        if self.action_status == const.ACTION_IN_PROGRESS:
            message = _(
                "%(reader)s is %(status)s and busy with an action (%(action)s).",
                reader=self.name,
                status=status,
                action=self.action_type,
            )
            return self._notify("warning", message)
        kind = "success" if stripe_reader.get("status") == "online" else "warning"
        return self._notify(
            kind, _("%(reader)s is %(status)s.", reader=self.name, status=status.lower())
        )

    def action_cancel_reader_action(self):
        """Clear whatever the reader is doing (a stuck payment screen, a cart display)."""
        self.ensure_one()
        compat.check_access(self, "read")
        client = self.provider_id._stripe_terminal_client()
        try:
            stripe_reader = client.call(
                "terminal.readers.cancel_action",
                self.stripe_reader_id,
                idempotency_key=self.provider_id._stripe_terminal_idempotency_key(
                    "reader-cancel", self.id, fields.Datetime.now().isoformat()
                ),
            )
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal: %s", error.technical)
            raise UserError(error.user_message(self.env)) from error
        self._stripe_terminal_apply(stripe_reader)
        return self._notify("success", _("The reader's action was canceled."))

    def _notify(self, kind, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _preflight_message(self, error):
        if error.code == "resource_missing":
            return _(
                "The reader %(reader)s no longer exists on Stripe (it was deleted or belongs to "
                "another Stripe account). Synchronize the readers from Stripe.",
                reader=self.name,
            )
        return error.user_message(self.env)

    def _stripe_terminal_preflight(self, company, moto=False, own_intents=()):
        """Check the reader can take a payment for `company` right now.

        Local checks first (no request when they fail), then one request to Stripe: the reader
        exists there and is idle. Its `status` does not decide: it says what Stripe last heard
        from the reader, which lags behind (Stripe advises against blocking payments on it);
        a reader that is really offline refuses the payment itself, with its own error.
        Returns Stripe's reader (a dict).

        An action in progress for one of `own_intents` (PaymentIntent or SetupIntent ids) is
        the caller's own, not another payment's: the reader is not refused for it.

        :raise UserError: with the reason, in the accountant's words.
        """
        self.ensure_one()
        if not self.active:
            raise UserError(_("The reader %(reader)s is archived.", reader=self.name))
        if self.company_id != company:
            raise UserError(
                _(
                    "The reader %(reader)s belongs to %(reader_company)s; it cannot take a "
                    "payment for %(company)s.",
                    reader=self.name,
                    reader_company=self.company_id.name,
                    company=company.name,
                )
            )
        if not self.is_server_driven:
            raise UserError(
                _(
                    "The reader %(reader)s (%(device)s) cannot take payments from Odoo. %(reason)s",
                    reader=self.name,
                    device=dict(const.DEVICE_TYPES).get(self.device_type, self.device_type),
                    reason=self.unsupported_reason or "",
                )
            )
        if moto and not self.supports_moto:
            raise UserError(
                _(
                    "The reader %(reader)s cannot take mail or telephone orders: only WisePOS E, "
                    "S700 and S710 readers can.",
                    reader=self.name,
                )
            )
        try:
            stripe_reader = self._stripe_terminal_retrieve()
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal pre-flight: %s", error.technical)
            raise UserError(self._preflight_message(error)) from error
        action = reader_actions.current_action(stripe_reader)
        theirs = reader_actions.action_intent(action) not in own_intents
        if reader_actions.is_in_progress(action) and theirs:
            raise UserError(
                _(
                    "The reader %(reader)s is busy with another action (%(action)s). Wait until "
                    "it is idle, or cancel its action from the reader's form.",
                    reader=self.name,
                    action=action.get("type"),
                )
            )
        return stripe_reader

    # === Synchronization and registration === #

    @api.model
    def _stripe_terminal_sync(self, provider):
        """Import and update the account's locations and readers; archive readers that Stripe
        no longer has. Returns the counts."""
        client = provider._stripe_terminal_client()
        try:
            locations = list(client.list_all("terminal.locations.list"))
            readers = list(client.list_all("terminal.readers.list"))
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal sync: %s", error.technical)
            raise UserError(error.user_message(self.env)) from error
        location_model = self.env["stripe.terminal.location"]
        by_stripe_id = {
            location["id"]: location_model._stripe_terminal_upsert(provider, location)
            for location in locations
        }
        seen = self.browse()
        for stripe_reader in readers:
            seen |= self._stripe_terminal_upsert(provider, stripe_reader, by_stripe_id)
        stale = self.search([("provider_id", "=", provider.id), ("id", "not in", seen.ids)])
        stale.write({"active": False})
        return {"locations": len(by_stripe_id), "readers": len(seen)}

    @api.model
    def _stripe_terminal_upsert(self, provider, stripe_reader, locations_by_id=None):
        location_id = stripe_reader.get("location")
        if isinstance(location_id, dict):
            location_id = location_id.get("id")
        location = (locations_by_id or {}).get(location_id) or self.env[
            "stripe.terminal.location"
        ].search(
            [("provider_id", "=", provider.id), ("stripe_location_id", "=", location_id)], limit=1
        )
        reader = self.with_context(active_test=False).search(
            [
                ("company_id", "=", provider.company_id.id),
                ("stripe_reader_id", "=", stripe_reader["id"]),
            ],
            limit=1,
        )
        values = {
            "name": stripe_reader.get("label") or stripe_reader["id"],
            "provider_id": provider.id,
            "location_id": location.id or False,
            "device_type": stripe_reader.get("device_type"),
            "active": True,
        }
        if reader:
            reader.write(values)
        else:
            reader = self.create(dict(values, stripe_reader_id=stripe_reader["id"]))
        reader._stripe_terminal_apply(stripe_reader)
        return reader

    @api.model
    def action_sync_all(self):
        """Sync from Stripe for every provider of the user's companies (list view button)."""
        # Refuse before Stripe hears of it: the sync reads providers as superuser.
        compat.check_access(self.browse(), "create")
        providers = (
            self.env["payment.provider"]
            .sudo()
            .search(
                [
                    ("code", "=", "stripe"),
                    ("state", "in", ("enabled", "test")),
                    ("company_id", "in", self.env.companies.ids),
                ]
            )
        )
        if not providers:
            raise UserError(
                _(
                    "No Stripe provider is enabled for your companies. Configure one in "
                    "Accounting > Configuration > Payment Providers."
                )
            )
        totals = {"locations": 0, "readers": 0}
        for provider in providers:
            counts = self._stripe_terminal_sync(provider)
            totals = {key: totals[key] + counts[key] for key in totals}
        return self._notify(
            "success",
            _(
                "%(locations)s locations and %(readers)s readers imported or updated.",
                locations=totals["locations"],
                readers=totals["readers"],
            ),
        )

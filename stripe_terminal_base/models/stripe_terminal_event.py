# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

import psycopg2
import stripe

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

from .. import compat, const
from ..client import verify_webhook

_logger = logging.getLogger(__name__)


class StripeTerminalEvent(models.Model):
    """A Stripe webhook event, recorded once: a second delivery of the same event id changes
    nothing. Addons register handlers with `_stripe_terminal_event_handlers`."""

    _name = "stripe.terminal.event"
    _description = "Stripe Terminal Webhook Event"
    _order = "id desc"
    _rec_name = "stripe_event_id"

    stripe_event_id = fields.Char(string="Event ID", required=True, readonly=True)
    event_type = fields.Char(required=True, readonly=True, index=True)
    object_id = fields.Char(readonly=True, index=True, help="Id of the event's data.object.")
    provider_id = fields.Many2one("payment.provider", readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    stripe_created = fields.Integer(string="Created on Stripe (Unix)", readonly=True)
    payload = fields.Text(readonly=True)

    _stripe_event_uniq = compat.Constraint(
        "unique(stripe_event_id)", "Each Stripe event is recorded once."
    )

    @api.model
    def _stripe_terminal_event_handlers(self):
        """{event type: [(model name, method name)]}; addons extend it with super()."""
        return {}

    @api.model
    def _stripe_terminal_receive(self, payload, signature_header):
        """Verify, record once and dispatch a webhook delivery; return the HTTP status Stripe
        should get: 200 when handled, ignored or already seen; 400 when the request is not a
        genuine Stripe event (nothing changes then); 500 when a handler failed (Stripe retries)."""
        if not signature_header:
            _logger.warning("Stripe Terminal webhook without signature refused")
            return 400
        # One query for what verifying needs: every delivery, handled or not, comes here.
        providers = (
            self.env["payment.provider"]
            .sudo()
            .search_fetch(
                [("code", "=", "stripe"), ("stripe_terminal_webhook_secret", "!=", False)],
                [
                    "stripe_terminal_webhook_secret",
                    "stripe_terminal_webhook_api_version",
                    "company_id",
                ],
            )
        )
        if not providers:
            _logger.warning("Stripe Terminal webhook refused: no signing secret is configured")
            return 400
        event, provider = None, None
        for candidate in providers:
            try:
                event = verify_webhook(
                    payload, signature_header, candidate.stripe_terminal_webhook_secret
                )
            except stripe.SignatureVerificationError:
                continue
            except ValueError:
                _logger.warning("Stripe Terminal webhook refused: malformed body")
                return 400
            provider = candidate
            break
        if event is None:
            _logger.warning("Stripe Terminal webhook refused: signature or timestamp invalid")
            return 400
        handlers = self._stripe_terminal_event_handlers().get(event.get("type"), [])
        if not handlers:
            _logger.debug("Stripe Terminal webhook %s ignored", event.get("type"))
            return 200
        try:
            with self.env.cr.savepoint():
                record = self._stripe_terminal_record(event, provider)
                if not record:
                    _logger.info("Stripe event %s already processed", event.get("id"))
                    return 200
                event = self._stripe_terminal_in_our_version(event, provider)
                for model_name, method_name in handlers:
                    getattr(self.env[model_name].sudo(), method_name)(event, provider)
        except psycopg2.OperationalError as error:
            if error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY:
                # Another worker moved the same payment: let Odoo replay the request.
                raise
            _logger.exception("Stripe Terminal webhook %s failed", event.get("id"))
            return 500
        except Exception:
            _logger.exception("Stripe Terminal webhook %s failed", event.get("id"))
            return 500
        return 200

    @api.model
    def _stripe_terminal_in_our_version(self, event, provider):
        """The event with its object as the suite's API version shows it. An endpoint made by
        hand in Stripe's Dashboard renders events in another version (the account's), whose
        objects may lack or move fields: the object is asked for again, and the provider says
        so on its form until the endpoint is made again from Odoo."""
        version = event.get("api_version")
        if version == const.API_VERSION:
            if provider.stripe_terminal_webhook_api_version:
                provider.stripe_terminal_webhook_api_version = False
            return event
        if provider.stripe_terminal_webhook_api_version != version:
            _logger.warning(
                "Stripe Terminal webhook events arrive in API version %s instead of %s: "
                "their objects are retrieved again",
                version,
                const.API_VERSION,
            )
            provider.stripe_terminal_webhook_api_version = version or "?"
        data_object = event["data"]["object"]
        operation = const.RETRIEVE_OPERATIONS.get(data_object.get("object"))
        if not operation:
            return event
        fresh = provider._stripe_terminal_client().call(operation, data_object["id"])
        return dict(event, data=dict(event["data"], object=fresh))

    @api.model
    def _stripe_terminal_record(self, event, provider):
        """Insert the event unless its id is known; race-safe (a concurrent delivery of the same
        event waits for the first one and then inserts nothing)."""
        data_object = (event.get("data") or {}).get("object") or {}
        self.env.cr.execute(
            """
            INSERT INTO stripe_terminal_event
                (stripe_event_id, event_type, object_id, provider_id, company_id,
                 stripe_created, payload, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC',
                    now() at time zone 'UTC')
            ON CONFLICT (stripe_event_id) DO NOTHING
            RETURNING id
            """,
            (
                event.get("id"),
                event.get("type"),
                data_object.get("id"),
                provider.id,
                provider.company_id.id,
                event.get("created") or 0,
                json.dumps(event),
                self.env.uid,
                self.env.uid,
            ),
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else self.browse()

    @api.autovacuum
    def _gc_old_events(self):
        """Keep three months of events: enough to answer Stripe's retries (three days) and to
        investigate a payment."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), days=90)
        self.sudo().search([("create_date", "<", limit)], limit=10000).unlink()

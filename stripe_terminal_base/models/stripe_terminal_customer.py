# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import logging
import uuid

from odoo import api, fields, models
from odoo.tools import email_normalize

from .. import compat, const
from ..errors import StripeTerminalError

_logger = logging.getLogger(__name__)


class StripeTerminalCustomer(models.Model):
    """The link between a partner's commercial entity and its Stripe Customer, one per Stripe
    account (provider)."""

    _name = "stripe.terminal.customer"
    _description = "Stripe Customer of a Partner"
    _rec_name = "stripe_customer_id"

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True, readonly=True
    )
    provider_id = fields.Many2one(
        "payment.provider", required=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(
        "res.company", related="provider_id.company_id", store=True, index=True
    )
    stripe_customer_id = fields.Char(string="Stripe Customer ID", required=True, readonly=True)
    synced_fingerprint = fields.Char(
        readonly=True, help="Digest of the name, email and phone last sent to Stripe."
    )

    _partner_provider_uniq = compat.Constraint(
        "unique(partner_id, provider_id)", "A partner has one Stripe Customer per Stripe account."
    )

    @api.model
    def _stripe_terminal_customer_params(self, partner):
        """The partner's details as Stripe takes them: one normalised email address (a contact
        may hold several, or a name and an address), a phone within Stripe's length; what
        Stripe would refuse is left out rather than sent."""
        params = {
            "name": (partner.name or "")[: const.CUSTOMER_NAME_MAX_LENGTH],
            "metadata": {
                const.METADATA_PARTNER: str(partner.id),
                const.METADATA_DATABASE: self._stripe_terminal_database_tag(),
            },
        }
        email = self._stripe_terminal_email(partner)
        if email:
            params["email"] = email
        phone = self._stripe_terminal_phone(partner)
        if phone:
            params["phone"] = phone
        return params

    @api.model
    def _stripe_terminal_email(self, partner):
        email = email_normalize(partner.email or "", strict=False)
        return email if email and len(email) <= const.CUSTOMER_EMAIL_MAX_LENGTH else False

    @api.model
    def _stripe_terminal_phone(self, partner):
        phone = (partner.phone or "").strip()
        if len(phone) > const.CUSTOMER_PHONE_MAX_LENGTH:
            phone = "".join(phone.split())
        return phone if len(phone) <= const.CUSTOMER_PHONE_MAX_LENGTH else False

    @api.model
    def _stripe_terminal_database_tag(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")[:8]

    @api.model
    def _fingerprint(self, partner):
        text = "\x1f".join([partner.name or "", partner.email or "", partner.phone or ""])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @api.model
    def _stripe_terminal_ensure(self, partner, provider, verify=False):
        """Return the Stripe Customer id of `partner`'s commercial entity on `provider`'s account,
        creating or adopting one when needed, never two for one partner.

        Order: the stored link (checked on Stripe only when `verify`, since a deleted customer is
        caught when Stripe refuses it anyway); a customer whose metadata carries this partner
        and database; a single customer with the partner's email; else a new one. A transaction
        level lock serializes two workers ensuring the same partner, and the link is inserted
        unless one exists (see `_stripe_terminal_link`).
        """
        partner = partner.commercial_partner_id
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", (provider.id % 2**31, partner.id % 2**31)
        )
        link = self.sudo().search(
            [("partner_id", "=", partner.id), ("provider_id", "=", provider.id)], limit=1
        )
        client = provider._stripe_terminal_client()
        replaced = ""
        if link and verify and not self._stripe_terminal_exists(client, link.stripe_customer_id):
            replaced = link.stripe_customer_id
            link.unlink()
            link = self.browse()
        if link:
            try:
                link._stripe_terminal_sync_details(client, partner)
            except StripeTerminalError as error:
                if error.network:
                    raise
                # Stripe keeps the details it had; a payment does not wait for them.
                _logger.warning("Stripe customer sync of %s: %s", partner.id, error.technical)
            return link.stripe_customer_id
        customer = self._stripe_terminal_find(client, partner)
        if customer:
            customer_id = customer["id"]
            link = self._stripe_terminal_link(partner, provider, customer_id)
            if link:
                # Adopted customers get this partner's metadata so the next lookup is exact.
                link._stripe_terminal_sync_details(client, partner, force=True)
            return customer_id
        params = self._stripe_terminal_customer_params(partner)
        fingerprint = self._fingerprint(partner)
        # A replacement for a deleted customer must not replay the creation of the old one.
        key = provider._stripe_terminal_idempotency_key(
            "customer", provider.id, partner.id, fingerprint, replaced
        )
        try:
            customer = client.call("customers.create", params=params, idempotency_key=key)
        except StripeTerminalError as error:
            if error.network or not set(params) - {"name", "metadata"}:
                raise
            # Stripe refused a detail (an email it finds malformed, say): the customer is made
            # with the name alone, the payment goes on, the next change of the contact syncs.
            _logger.warning("Stripe customer of %s: %s", partner.id, error.technical)
            params = {"name": params["name"], "metadata": params["metadata"]}
            customer = client.call("customers.create", params=params, idempotency_key=key + ":name")
        self._stripe_terminal_link(partner, provider, customer["id"], fingerprint=fingerprint)
        return customer["id"]

    @api.model
    def _stripe_terminal_link(self, partner, provider, customer_id, fingerprint=None):
        """Store the link unless another transaction stored one meanwhile (then return an empty
        recordset). Two workers ensuring a new customer at once both found or created the same
        Stripe customer (the search by metadata, the same idempotency key); the second one's
        snapshot predates the first one's link, so only the unique index can tell."""
        self.env.cr.execute(
            """
            INSERT INTO stripe_terminal_customer
                (partner_id, provider_id, company_id, stripe_customer_id, synced_fingerprint,
                 create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC',
                    now() at time zone 'UTC')
            ON CONFLICT (partner_id, provider_id) DO NOTHING
            RETURNING id
            """,
            (
                partner.id,
                provider.id,
                provider.sudo().company_id.id,
                customer_id,
                fingerprint,
                self.env.uid,
                self.env.uid,
            ),
        )
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0]) if row else self.browse()

    @api.model
    def _stripe_terminal_exists(self, client, customer_id):
        try:
            customer = client.call("customers.retrieve", customer_id)
        except StripeTerminalError as error:
            if error.code == "resource_missing":
                return False
            raise
        return not customer.get("deleted")

    @api.model
    def _stripe_terminal_find(self, client, partner):
        """A Stripe customer for `partner`: by our metadata, else by a unique email match."""
        tag = self._stripe_terminal_database_tag()
        query = (
            f"metadata['{const.METADATA_PARTNER}']:'{partner.id}' AND "
            f"metadata['{const.METADATA_DATABASE}']:'{tag}'"
        )
        found = client.call("customers.search", params={"query": query, "limit": 2})["data"]
        if found:
            return found[0]
        email = self._stripe_terminal_email(partner)
        if not email or "'" in email:
            return None
        matches = client.call("customers.search", params={"query": f"email:'{email}'", "limit": 3})[
            "data"
        ]
        # Adopt only an unambiguous match that no other partner of this database claimed.
        candidates = [
            customer
            for customer in matches
            if (customer.get("metadata") or {}).get(const.METADATA_PARTNER) in (None, "")
            or (customer.get("metadata") or {}).get(const.METADATA_DATABASE) != tag
        ]
        if len(matches) == 1 and len(candidates) == 1:
            return candidates[0]
        return None

    def _stripe_terminal_sync_details(self, client, partner, force=False):
        """Send the partner's name, email and phone when they changed since the last sync."""
        self.ensure_one()
        fingerprint = self._fingerprint(partner)
        if not force and self.synced_fingerprint == fingerprint:
            return
        params = self._stripe_terminal_customer_params(partner)
        params.setdefault("email", "")
        params.setdefault("phone", "")
        client.call(
            "customers.update",
            self.stripe_customer_id,
            params=params,
            # Each sync is a new update (renamed back to an earlier name, the same details must
            # be sent again, not an earlier answer replayed); the SDK's own retries of this
            # request share the key.
            idempotency_key=self.provider_id._stripe_terminal_idempotency_key(
                "customer-update", self.id, fingerprint, uuid.uuid4().hex[:12]
            ),
        )
        self.sudo().synced_fingerprint = fingerprint

    @api.model
    def _cron_sync_changed_customers(self, limit=200):
        """Push renamed partners and changed emails to Stripe (the scheduled action); partners
        mark their links as changed when those fields are written."""
        for link in self.sudo().search([("synced_fingerprint", "=", False)], limit=limit):
            partner = link.partner_id
            try:
                client = link.provider_id._stripe_terminal_client()
                link._stripe_terminal_sync_details(client, partner)
            except StripeTerminalError as error:
                _logger.warning("Stripe customer sync of %s: %s", partner.id, error.technical)

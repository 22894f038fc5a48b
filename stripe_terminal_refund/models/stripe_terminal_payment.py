# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models

from odoo.addons.stripe_terminal_base.amounts import from_stripe_amount
from odoo.addons.stripe_terminal_base.errors import StripeTerminalError

from .. import const

_logger = logging.getLogger(__name__)


class StripeTerminalPayment(models.Model):
    _inherit = "stripe.terminal.payment"

    payment_method_type = fields.Char(
        readonly=True,
        copy=False,
        help="Stripe's payment method type of the charge (card_present, interac_present...): "
        "Interac payments are refunded on a reader, the others online.",
    )
    card_summary = fields.Char(string="Card", compute="_compute_card_summary")
    refund_ids = fields.One2many(
        "stripe.terminal.refund", "terminal_payment_id", string="Refunds", readonly=True
    )
    refund_count = fields.Integer(compute="_compute_refund_totals")
    refunded_amount = fields.Monetary(
        string="Refunded",
        compute="_compute_refund_totals",
        help="Refunds Stripe accepted (pending or succeeded).",
    )
    refundable_amount = fields.Monetary(
        string="Still Refundable",
        compute="_compute_refund_totals",
        help="The amount charged minus every refund accepted or still being sent to Stripe.",
    )
    refund_version = fields.Integer(
        readonly=True,
        copy=False,
        help="Technical: bumped by every refund, so that two refunds of one payment at the "
        "same time are recorded one after the other.",
    )

    @api.depends("card_brand", "card_last4")
    def _compute_card_summary(self):
        for payment in self:
            payment.card_summary = payment._stripe_terminal_card_summary()

    @api.depends("amount_minor", "currency_id", "refund_ids.state", "refund_ids.amount_minor")
    def _compute_refund_totals(self):
        for payment in self:
            refunds = payment.refund_ids
            refunded = sum(
                refunds.filtered(lambda r: r.state in const.REFUNDED_STATES).mapped("amount_minor")
            )
            reserved = sum(
                refunds.filtered(lambda r: r.state in const.RESERVING_STATES).mapped("amount_minor")
            )
            payment.refund_count = len(refunds)
            payment.refunded_amount = payment._stripe_terminal_major(refunded)
            payment.refundable_amount = payment._stripe_terminal_major(
                max(payment.amount_minor - reserved, 0) if payment.state == "done" else 0
            )

    def _stripe_terminal_major(self, minor):
        self.ensure_one()
        if not self.currency_id:
            return 0.0
        return float(from_stripe_amount(minor, self.currency_id.name))

    def _stripe_terminal_refundable_minor(self):
        """What Stripe can still refund on this payment, in its smallest unit, read from the
        database (not the cache): the caller holds the payment's row lock."""
        self.ensure_one()
        self.env.cr.execute(
            """
            SELECT COALESCE(SUM(amount_minor), 0) FROM stripe_terminal_refund
            WHERE terminal_payment_id = %s AND state IN %s
            """,
            (self.id, const.RESERVING_STATES),
        )
        reserved = self.env.cr.fetchone()[0]
        return self.amount_minor - reserved

    def _stripe_terminal_finalize(self, intent, charge):
        result = super()._stripe_terminal_finalize(intent, charge)
        method_type = ((charge or {}).get("payment_method_details") or {}).get("type")
        if self.state == "done" and method_type and not self.payment_method_type:
            self.payment_method_type = method_type
        return result

    def _stripe_terminal_refund_method_type(self):
        """The charge's payment method type; asked from Stripe (and kept) for payments booked
        before this addon was installed. False when Stripe cannot be asked."""
        self.ensure_one()
        if self.payment_method_type or not self.payment_intent_id:
            return self.payment_method_type
        try:
            client = self.provider_id._stripe_terminal_client()
            if self.charge_id:
                charge = client.call("charges.retrieve", self.charge_id)
            else:
                intent = client.call(
                    "payment_intents.retrieve",
                    self.payment_intent_id,
                    params={"expand": ["latest_charge"]},
                )
                charge = intent.get("latest_charge") or {}
        except StripeTerminalError as error:
            _logger.warning("Stripe Terminal refund of %s: %s", self.name, error.technical)
            return False
        method_type = (charge.get("payment_method_details") or {}).get("type")
        if method_type:
            self.sudo().payment_method_type = method_type
        return method_type

    def _stripe_terminal_refund_on_reader(self):
        return self.payment_method_type in const.REFUND_ON_READER_TYPES

    def action_view_stripe_terminal_refunds(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stripe_terminal_refund.action_stripe_terminal_refund"
        )
        action["domain"] = [("terminal_payment_id", "=", self.id)]
        action["context"] = {"create": False}
        if len(self.refund_ids) == 1:
            action.update(views=[(False, "form")], res_id=self.refund_ids.id)
        action["name"] = _("Refunds of %(ref)s", ref=self.name)
        return action

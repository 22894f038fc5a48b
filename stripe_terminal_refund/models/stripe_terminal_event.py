# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

HANDLED = (
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.refund.updated",
    "charge.refunded",
    # Interac refunds on a reader end with the reader's action.
    "terminal.reader.action_succeeded",
    "terminal.reader.action_failed",
)


class StripeTerminalEvent(models.Model):
    _inherit = "stripe.terminal.event"

    @api.model
    def _stripe_terminal_event_handlers(self):
        handlers = super()._stripe_terminal_event_handlers()
        for event_type in HANDLED:
            handlers.setdefault(event_type, []).append(
                ("stripe.terminal.refund", "_stripe_terminal_handle_event")
            )
        return handlers

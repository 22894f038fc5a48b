# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

# The SetupIntent of a MOTO payment that saves the card. Reader action events are dispatched to
# the terminal payment by the account addon already.
HANDLED = ("setup_intent.succeeded", "setup_intent.setup_failed")


class StripeTerminalEvent(models.Model):
    _inherit = "stripe.terminal.event"

    @api.model
    def _stripe_terminal_event_handlers(self):
        handlers = super()._stripe_terminal_event_handlers()
        for event_type in HANDLED:
            handler = ("stripe.terminal.payment", "_stripe_terminal_handle_event")
            if handler not in handlers.setdefault(event_type, []):
                handlers[event_type].append(handler)
        return handlers

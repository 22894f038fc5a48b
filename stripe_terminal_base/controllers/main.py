# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.http import request


class StripeTerminalWebhookController(http.Controller):
    @http.route(
        "/stripe_terminal/webhook",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def stripe_terminal_webhook(self):
        """Stripe's deliveries for the Terminal endpoint. The body is read raw: the signature is
        computed over the exact bytes."""
        status = (
            request.env["stripe.terminal.event"]
            .sudo()
            ._stripe_terminal_receive(
                request.httprequest.get_data(),
                request.httprequest.headers.get("Stripe-Signature"),
            )
        )
        return request.make_json_response({"status": status}, status=status)

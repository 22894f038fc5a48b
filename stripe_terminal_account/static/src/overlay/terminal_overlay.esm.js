/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {Component, onMounted, onWillStart, onWillUnmount, useState} from "@odoo/owl";
import {listenToBus} from "./bus_compat.esm";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

const MODEL = "stripe.terminal.payment";
const BUS_TYPE = "stripe_terminal/status";
// The server's light refresh runs at most every 2 s per payment (it throttles itself).
const REFRESH_MS = 2000;
// How long "Approved" stays on screen before the overlay opens the paid invoice.
const CLOSE_AFTER_APPROVAL_MS = 1500;

/**
 * Full-screen overlay that follows a card payment on a Stripe Terminal reader.
 * It renders what the server says and sends intents (retry, cancel); it never calls Stripe
 * and never decides the outcome.
 */
export class StripeTerminalOverlay extends Component {
    static template = "stripe_terminal_account.TerminalOverlay";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.notification = useService("notification");
        this.busService = this.env.services.bus_service;
        this.paymentId = this.props.action.params.payment_id;
        this.state = useState({payment: null, sending: false});
        onWillStart(async () => {
            this.state.payment = await this.call("action_stripe_terminal_state");
        });
        onMounted(() => {
            this.stopListening = listenToBus(this.busService, BUS_TYPE, (payload) => {
                if (payload && payload.id === this.paymentId) {
                    this.show(payload);
                }
            });
            this.busService.start();
            this.timer = setInterval(() => this.refresh(), REFRESH_MS);
            this.show(this.state.payment);
        });
        onWillUnmount(() => {
            clearInterval(this.timer);
            clearTimeout(this.closeTimer);
            if (this.stopListening) {
                this.stopListening();
            }
        });
    }

    call(method) {
        return this.orm.call(MODEL, method, [[this.paymentId]]);
    }

    async refresh() {
        const payment = this.state.payment;
        if (!payment || payment.final || this.state.sending) {
            return;
        }
        try {
            this.show(await this.call("action_stripe_terminal_poll"));
        } catch {
            // A failed refresh (network blip) is retried on the next tick.
        }
    }

    show(payment) {
        if (!payment) {
            return;
        }
        this.state.payment = payment;
        if (payment.final) {
            clearInterval(this.timer);
        }
        if (payment.done && !this.closeTimer) {
            this.closeTimer = setTimeout(() => this.close(), CLOSE_AFTER_APPROVAL_MS);
        }
    }

    async intent(method) {
        this.state.sending = true;
        try {
            this.show(await this.call(method));
        } finally {
            this.state.sending = false;
        }
    }

    onRetry() {
        return this.intent("action_stripe_terminal_retry");
    }

    onCancel() {
        return this.intent("action_stripe_terminal_cancel");
    }

    close() {
        const payment = this.state.payment;
        if (payment && payment.invoice_id) {
            return this.actionService.doAction({
                type: "ir.actions.act_window",
                res_model: "account.move",
                res_id: payment.invoice_id,
                views: [[false, "form"]],
                target: "current",
            });
        }
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: MODEL,
            res_id: this.paymentId,
            views: [[false, "form"]],
            target: "current",
        });
    }

    get stageClass() {
        const stage = this.state.payment && this.state.payment.stage;
        if (stage === "approved") {
            return "o_stp_approved";
        }
        if (["declined", "error", "offline", "busy", "timed_out"].includes(stage)) {
            return "o_stp_failed";
        }
        if (["canceled", "customer_canceled"].includes(stage)) {
            return "o_stp_canceled";
        }
        return "o_stp_waiting";
    }
}

registry.category("actions").add("stripe_terminal_overlay", StripeTerminalOverlay);

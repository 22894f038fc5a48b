/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {registry} from "@web/core/registry";

// From an open customer invoice to a paid one, through Register Payment and the overlay.
// The test presents the card on the simulated reader when the reader is waiting.
registry.category("web_tour.tours").add("stripe_terminal_collect_invoice", {
    test: true,
    steps: () => [
        {
            content: "Register Payment on the invoice",
            trigger: "button[name='action_register_payment']:not(.d-none)",
            run: "click",
        },
        {
            content: "Choose the Stripe journal",
            trigger: "div.o_field_widget[name='journal_id'] input",
            run: "text Stripe",
        },
        {
            content: "Pick it in the list",
            trigger: ".ui-menu-item a:contains('Stripe')",
            run: "click",
        },
        {
            content: "The reader of the user's preferences is proposed",
            trigger: "div.o_field_widget[name='stripe_terminal_reader_id'] input",
            extra_trigger: "div.o_field_widget[name='stripe_terminal_mode']",
            run: () => {
                const input = document.querySelector(
                    "div.o_field_widget[name='stripe_terminal_reader_id'] input"
                );
                if (input.value !== "Front desk") {
                    throw new Error(`Expected the default reader, got "${input.value}"`);
                }
            },
        },
        {
            content: "Collect on the reader",
            trigger: "button[name='action_stripe_terminal_collect']",
            run: "click",
        },
        {
            content: "The overlay shows the amount and waits for the card",
            trigger: ".o_stripe_terminal_overlay .o_stp_status[data-stage='waiting_card']",
            extra_trigger: ".o_stripe_terminal_overlay .o_stp_reader:contains('Front desk')",
            isCheck: true,
        },
        {
            content: "The card is approved",
            trigger: ".o_stripe_terminal_overlay .o_stp_status[data-stage='approved']",
            timeout: 20000,
            isCheck: true,
        },
        {
            content: "Back on the invoice, which is paid",
            trigger: ".o_form_view .ribbon:contains('Paid')",
            timeout: 20000,
            isCheck: true,
        },
    ],
});

/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {addTestTour} from "@stripe_terminal_account/../tests/tours/tour_compat.esm";

// From an open customer invoice to a paid one, through Register Payment and the overlay.
// The test presents the card on the simulated reader when the reader is waiting.
addTestTour("stripe_terminal_collect_invoice", {
    steps: () => [
        {
            content: "Register Payment on the invoice",
            trigger: "button[name='action_register_payment']:not(.d-none)",
            run: "click",
        },
        {
            content: "Choose the Stripe journal",
            trigger: "div.o_field_widget[name='journal_id'] input",
            run: "edit Stripe",
        },
        {
            content: "Pick it in the list",
            trigger: ".ui-menu-item a:contains('Stripe')",
            run: "click",
        },
        {
            content: "The wizard offers the ways to collect on a reader",
            trigger: "div.o_field_widget[name='stripe_terminal_mode']",
        },
        {
            content: "The reader of the user's preferences is proposed",
            trigger:
                "div.o_field_widget[name='stripe_terminal_reader_id'] input:value('Front desk')",
        },
        {
            content: "Collect on the reader",
            trigger: "button[name='action_stripe_terminal_collect']",
            run: "click",
        },
        {
            content: "The overlay names the reader",
            trigger: ".o_stripe_terminal_overlay .o_stp_reader:contains('Front desk')",
        },
        {
            content: "The overlay shows the amount and waits for the card",
            trigger:
                ".o_stripe_terminal_overlay .o_stp_status[data-stage='waiting_card']",
        },
        {
            content: "The card is approved",
            trigger: ".o_stripe_terminal_overlay .o_stp_status[data-stage='approved']",
            timeout: 20000,
        },
        {
            content: "Back on the invoice, which is paid",
            trigger: ".o_form_view .ribbon:contains('Paid')",
            timeout: 20000,
        },
    ],
});

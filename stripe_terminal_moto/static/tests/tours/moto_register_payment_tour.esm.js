/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {addTestTour} from "@stripe_terminal_account/../tests/tours/tour_compat.esm";

// A telephone order: from the open invoice, Register Payment on the Stripe journal in MOTO
// mode; the overlay asks to key the card on the reader, the test keys it on the simulated
// reader, and the tour ends on the paid invoice.
addTestTour("stripe_terminal_moto_register_payment", {
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
            content: "For a card present, the first reader is proposed",
            trigger:
                "div.o_field_widget[name='stripe_terminal_reader_id'] input:value('Counter P630')",
        },
        {
            content: "Choose MOTO: the customer is on the phone",
            trigger:
                "div.o_field_widget[name='stripe_terminal_mode'] input[data-value='moto']",
            run: "click",
        },
        {
            content: "The wizard explains MOTO",
            trigger: ".o_stripe_terminal_moto_hint:contains('key the number')",
        },
        {
            content: "A reader that can key cards replaces the first one",
            trigger:
                "div.o_field_widget[name='stripe_terminal_reader_id'] input:value('Front desk')",
            run: "click",
        },
        {
            content: "Only readers that can key cards are offered",
            trigger: ".o-autocomplete--dropdown-menu a:contains('Front desk')",
            run() {
                const offered = [
                    ...document.querySelectorAll(".o-autocomplete--dropdown-menu a"),
                ].map((item) => item.textContent.trim());
                if (offered.some((label) => label.includes("Counter P630"))) {
                    throw new Error(`A reader without MOTO is offered: ${offered}`);
                }
            },
        },
        {
            content: "Keep the front desk reader",
            trigger: ".o-autocomplete--dropdown-menu a:contains('Front desk')",
            run: "click",
        },
        {
            content: "Collect on the reader",
            trigger: "button[name='action_stripe_terminal_collect']",
            run: "click",
        },
        {
            content: "The overlay waits for the card",
            trigger:
                ".o_stripe_terminal_overlay .o_stp_status[data-stage='waiting_card']",
        },
        {
            content: "The overlay asks to key the card on the reader",
            trigger:
                ".o_stripe_terminal_overlay .o_stp_instructions:contains('Key the card number')",
        },
        {
            content: "The keyed card is approved",
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

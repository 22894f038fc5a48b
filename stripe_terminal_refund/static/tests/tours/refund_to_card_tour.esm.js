/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {addTestTour} from "@stripe_terminal_account/../tests/tours/tour_compat.esm";

// From a credit note whose invoice was paid on a reader: Refund to Card, check what the
// wizard proposes, confirm, and see the credit note paid.
addTestTour("stripe_terminal_refund_to_card", {
    steps: () => [
        {
            content: "Open the Refund to Card wizard from the credit note",
            trigger:
                ".o_form_view .o_statusbar_buttons button[name='action_stripe_terminal_refund']",
            run: "click",
        },
        {
            content: "The wizard lists the card payment of the invoice",
            trigger:
                ".o_field_widget[name='payment_ids'] .o_data_row:contains(Visa •••• 4242):contains(64.00)",
        },
        {
            content: "It proposes the credit note's residual",
            trigger: ".o_field_widget[name='amount'] input:value(64.00)",
        },
        {
            content: "Give a reason",
            trigger: ".o_field_widget[name='description'] input",
            run: "edit Goods returned",
        },
        {
            content: "Refund",
            trigger: ".modal-footer button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The refund is confirmed",
            trigger: ".o_notification:contains(refunded to Visa •••• 4242)",
        },
        {
            content: "The credit note lists its card refund",
            trigger:
                ".o_form_view button[name='action_view_stripe_terminal_refunds']:contains(Card Refunds)",
        },
        {
            content: "The credit note is paid",
            trigger: ".o_form_view .ribbon:contains(Paid)",
        },
        {
            content: "No dialog is left open",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

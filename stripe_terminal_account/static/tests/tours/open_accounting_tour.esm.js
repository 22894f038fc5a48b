/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {addTestTour} from "@stripe_terminal_account/../tests/tours/tour_compat.esm";

// Proves the browser path of the test suite: Chromium opens the web client, the app menu
// and the Invoicing/Accounting app (Community's apps menu).
addTestTour("stripe_terminal_open_accounting", {
    url: "/web",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Accounting app",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "The app opens on its first view (dashboard or invoice list)",
            trigger: ".o_action_manager .o_view_controller",
        },
        {
            content: "The app's name is in the navigation bar",
            trigger:
                ".o_menu_brand:contains(Invoicing), .o_menu_brand:contains(Accounting)",
        },
    ],
});

/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

// Proves the browser path of the test suite: Chromium opens the web client, the app menu
// and the Invoicing/Accounting app.
registry.category("web_tour.tours").add("stripe_terminal_open_accounting", {
    test: true,
    url: "/web",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the Accounting app"),
        {
            content: "The app opens on its first view (dashboard or invoice list)",
            trigger: ".o_menu_brand:contains(Invoicing), .o_menu_brand:contains(Accounting)",
            extra_trigger: ".o_action_manager .o_view_controller",
            isCheck: true,
        },
    ],
});

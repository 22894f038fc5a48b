/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import {registry} from "@web/core/registry";
import {session} from "@web/session";

// The suite's tours are written once, in the conventions of Odoo 18.0 and later, and given
// to 17.0 translated (docs/porting.md, "Tours"). From 18.0: a step without `run` only waits
// for its trigger, `run: "edit X"` types X, `:value(X)` matches a field whose value contains
// X, a `run` function finds its element in `this.anchor`, and a tour refuses the `test` key.
// On 17.0 a step without `run` clicks unless `isCheck`, typing is `text X`, the pseudo-class
// is `:propValueContains(X)`, the element is `this.$anchor`, and a tour without `test: true`
// would be offered to users as an onboarding tour.
const IS_ODOO_17 = (session.server_version_info || [])[0] === 17;

function stepFor17(step) {
    const converted = {...step};
    converted.trigger = step.trigger.replaceAll(":value(", ":propValueContains(");
    if (step.run === undefined) {
        converted.isCheck = true;
    } else if (typeof step.run === "string") {
        converted.run = step.run.replace(/^edit /, "text ");
    } else if (typeof step.run === "function") {
        converted.run = function (helpers) {
            return step.run.call({anchor: this.$anchor[0]}, helpers);
        };
    }
    return converted;
}

/**
 * Register a test tour, written in the conventions of 18.0 and later, on any series.
 *
 * @param {string} name
 * @param {object} tour {url, steps}
 */
export function addTestTour(name, tour) {
    const tours = registry.category("web_tour.tours");
    if (!IS_ODOO_17) {
        tours.add(name, tour);
        return;
    }
    tours.add(name, {...tour, test: true, steps: () => tour.steps().map(stepFor17)});
}

/** @odoo-module **/
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * Listen to one bus notification type and get a function that stops listening.
 * Odoo 18+ has subscribe/unsubscribe; 17 only has the generic "notification" event.
 *
 * @param {object} busService
 * @param {string} type
 * @param {Function} callback receives the payload
 * @returns {Function} unsubscribe
 */
export function listenToBus(busService, type, callback) {
    if (typeof busService.unsubscribe === "function") {
        busService.subscribe(type, callback);
        return () => busService.unsubscribe(type, callback);
    }
    const onNotification = ({detail: notifications}) => {
        for (const notification of notifications || []) {
            if (notification.type === type) {
                callback(notification.payload);
            }
        }
    };
    busService.addEventListener("notification", onNotification);
    return () => busService.removeEventListener("notification", onNotification);
}

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The few things that differ between Odoo 17, 18 and 19, kept in one place.

Everything else in the suite is written once; a port to another series changes this module (and
the XML that cannot be shared, such as list views' root tag), not the callers.
"""

from odoo import release

ODOO_MAJOR = release.version_info[0]


def bus_send(partner, notification_type, payload):
    """Push `payload` to every browser tab of `partner` (a res.partner record)."""
    if ODOO_MAJOR >= 18:
        partner._bus_send(notification_type, payload)
    else:
        partner.env["bus.bus"]._sendone(partner, notification_type, payload)


# account.payment's states: 18.0 split "posted" into "in_process" and "paid", and renamed
# "cancel" to "canceled".
PAYMENT_BOOKED_STATES = ("in_process", "paid") if ODOO_MAJOR >= 18 else ("posted",)
PAYMENT_CANCELED_STATE = "canceled" if ODOO_MAJOR >= 18 else "cancel"


def payment_memo_field():
    """The account.payment field holding the memo: `ref` until 17, `memo` from 18."""
    return "memo" if ODOO_MAJOR >= 18 else "ref"


def register_wizard_memo_field():
    """The account.payment.register field holding the memo."""
    return "communication"


def user_has_group(env, xmlid):
    return env.user.has_group(xmlid)

# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The few things that differ between Odoo 17, 18 and 19, kept in one place.

Everything else in the suite is written once; a port to another series changes this module (and
the XML that cannot be shared, such as list views' root tag), not the callers.
"""

from odoo import models, release

ODOO_MAJOR = release.version_info[0]

if ODOO_MAJOR >= 19:
    # 19.0 ignores `_sql_constraints` (it logs a warning and creates nothing): a constraint is
    # a class attribute, `_<name> = models.Constraint(definition, message)`.
    Constraint = models.Constraint
else:

    class Constraint:
        """The 19.0 declaration, `_<name> = Constraint(definition, message)`, for 17.0 and
        18.0: it adds itself to the class's own `_sql_constraints`, under the same name, so
        the database constraint is `<table>_<name>` on every series."""

        def __init__(self, definition, message=""):
            self.definition = definition
            self.message = message

        def __set_name__(self, owner, name):
            # Python calls this while it creates the class, before Odoo's metaclass reads the
            # class's own _sql_constraints.
            own = owner.__dict__.get("_sql_constraints", [])
            owner._sql_constraints = [*own, (name[1:], self.definition, self.message)]


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


# res.users' groups: 19.0 renamed groups_id to group_ids, and keeps the implied groups too in
# all_group_ids (17.0 and 18.0 keep them in groups_id).
USER_GROUPS_FIELD = "group_ids" if ODOO_MAJOR >= 19 else "groups_id"
USER_ALL_GROUPS_FIELD = "all_group_ids" if ODOO_MAJOR >= 19 else "groups_id"


def check_access(records, operation):
    """Access rights and record rules of `operation` on `records` (the model's rights alone
    when empty): check_access from 18.0, which deprecated the two separate checks."""
    if ODOO_MAJOR >= 18:
        records.check_access(operation)
    else:
        records.check_access_rights(operation)
        records.check_access_rule(operation)


def translate(env, text):
    """`text`, a lazy translation (`_lt`), in the language of `env`.

    Outside a request (a cron, a webhook's job), 18.0 and 19.0 cannot tell the language from
    the caller and log a warning; their `env._` takes it from the environment. 17.0 has no
    `env._`: its `_lt` reads `lang` from a `context` variable of the calling frame."""
    if env is None:
        return str(text)
    if ODOO_MAJOR >= 18:
        return env._(text)
    context = {"lang": env.lang}  # noqa: F841 - read by 17.0's _lt from this frame
    return str(text)


def user_has_group(env, xmlid):
    return env.user.has_group(xmlid)

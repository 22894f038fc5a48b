# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Row locks, the one way the suite holds a record while it talks to Stripe.

A webhook, the overlay's refresh, a user's Cancel and the sweep may move one payment or refund
at once, each in its own transaction: the first to lock the row moves it, the others wait for
it, or skip the record when they would only repeat its work.
"""

import psycopg2
from psycopg2 import sql


def lock(records, nowait=False):
    """Lock the rows of `records` until the end of the transaction (SELECT ... FOR UPDATE) and
    drop their cached values, so that what is read next is the locked rows. Waits for another
    transaction holding one of them; with `nowait`, returns False at once instead, locking
    nothing. Returns True once locked."""
    if not records:
        return True
    query = sql.SQL("SELECT id FROM {table} WHERE id IN %s FOR UPDATE{nowait}").format(
        table=sql.Identifier(records._table), nowait=sql.SQL(" NOWAIT" if nowait else "")
    )
    cr = records.env.cr
    if nowait:
        try:
            with cr.savepoint(flush=False):
                cr.execute(query, (tuple(records.ids),))
        except psycopg2.errors.LockNotAvailable:
            return False
    else:
        cr.execute(query, (tuple(records.ids),))
    records.invalidate_recordset()
    return True

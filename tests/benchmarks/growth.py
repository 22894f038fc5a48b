"""Grow a database to N terminal payments and invoices, fast: copy one real "family" of rows
(the customer, the invoice and its lines, the account.payment and its move, the reconciliation,
the terminal payment, its links, webhook events and chatter) N - 1 times with SQL.

Each copy gets ids of its own (`base + (copy - 1) * rows_in_family + index`), every foreign key
to a row of the family points at the same copy, unique values (numbers, PaymentIntent ids, event
ids) get a suffix. The rows are what the ORM made for a real payment, so every index Odoo and
the addons declare is there and filled; PostgreSQL's statistics are refreshed at the end.
"""

import time

# Tables whose primary key is `id`, in an order where a row's copy can name its parents'.
FAMILY_TABLES = (
    "res_partner",
    "stripe_terminal_customer",
    "account_full_reconcile",
    "account_move",
    "account_payment",
    "account_move_line",
    "account_partial_reconcile",
    "stripe_terminal_payment",
    "stripe_terminal_event",
    "mail_message",
    "mail_tracking_value",
)
# Relation tables (no id) copied with the family: both columns point into it.
RELATION_TABLES = ("stripe_terminal_payment_invoice_rel", "stripe_terminal_payment_line_rel")
# Columns with values that must stay unique, and what a copy makes of them.
UNIQUE_VALUES = {
    "res_partner": {"name": "t.name || ' ' || g"},
    # Numbers far above the journals' own, in the journals' format: the next invoice Odoo
    # numbers follows them.
    "account_move": {
        "name": "regexp_replace(t.name, '[0-9]+$', '') || (1000000 + g)",
        "sequence_number": "1000000 + g",
    },
    "account_move_line": {
        "move_name": "regexp_replace(t.move_name, '[0-9]+$', '') || (1000000 + g)"
    },
    "stripe_terminal_customer": {"stripe_customer_id": "t.stripe_customer_id || '_' || g"},
    "stripe_terminal_payment": {
        "name": "t.name || '-' || g",
        "payment_intent_id": "t.payment_intent_id || '_' || g",
        "charge_id": "t.charge_id || '_' || g",
    },
    "stripe_terminal_event": {"stripe_event_id": "t.stripe_event_id || '_' || g"},
}
# mail_message.res_id points at the record of `model`, in the family's table of that model.
MODEL_TABLES = {
    "res.partner": "res_partner",
    "account.move": "account_move",
    "account.payment": "account_payment",
    "stripe.terminal.payment": "stripe_terminal_payment",
}


def family_of(cr, terminal_payment_id):
    """{table: [ids]} of one finished terminal payment and everything made with it."""
    cr.execute(
        """
        SELECT stp.partner_id, stp.account_payment_id, stp.payment_intent_id, pay.move_id
        FROM stripe_terminal_payment stp JOIN account_payment pay ON pay.id = stp.account_payment_id
        WHERE stp.id = %s
        """,
        (terminal_payment_id,),
    )
    partner, payment, intent, payment_move = cr.fetchone()
    cr.execute(
        "SELECT move_id FROM stripe_terminal_payment_invoice_rel WHERE terminal_payment_id = %s",
        (terminal_payment_id,),
    )
    moves = [row[0] for row in cr.fetchall()] + [payment_move]
    family = {
        "res_partner": [partner],
        "account_move": moves,
        "account_payment": [payment],
        "stripe_terminal_payment": [terminal_payment_id],
    }
    family["stripe_terminal_customer"] = _ids(
        cr, "SELECT id FROM stripe_terminal_customer WHERE partner_id = %s", (partner,)
    )
    family["account_move_line"] = _ids(
        cr, "SELECT id FROM account_move_line WHERE move_id = ANY(%s)", (moves,)
    )
    lines = family["account_move_line"]
    family["account_partial_reconcile"] = _ids(
        cr,
        "SELECT id FROM account_partial_reconcile WHERE debit_move_id = ANY(%s) "
        "OR credit_move_id = ANY(%s)",
        (lines, lines),
    )
    family["account_full_reconcile"] = _ids(
        cr,
        "SELECT DISTINCT full_reconcile_id FROM account_move_line "
        "WHERE id = ANY(%s) AND full_reconcile_id IS NOT NULL",
        (lines,),
    )
    family["stripe_terminal_event"] = _ids(
        cr, "SELECT id FROM stripe_terminal_event WHERE payload LIKE %s", (f"%{intent}%",)
    )
    records = [
        ("res.partner", [partner]),
        ("account.move", moves),
        ("account.payment", [payment]),
        ("stripe.terminal.payment", [terminal_payment_id]),
    ]
    messages = []
    for model, ids in records:
        messages += _ids(
            cr, "SELECT id FROM mail_message WHERE model = %s AND res_id = ANY(%s)", (model, ids)
        )
    family["mail_message"] = messages
    family["mail_tracking_value"] = _ids(
        cr, "SELECT id FROM mail_tracking_value WHERE mail_message_id = ANY(%s)", (messages,)
    )
    return {table: sorted(set(ids)) for table, ids in family.items() if ids}


def _ids(cr, query, params):
    cr.execute(query, params)
    return [row[0] for row in cr.fetchall()]


def _columns(cr, table):
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = %s AND is_generated = 'NEVER'
        ORDER BY ordinal_position
        """,
        (table,),
    )
    return [row[0] for row in cr.fetchall()]


def _foreign_keys(cr, table):
    """{column: referenced table} of the table's single-column foreign keys."""
    cr.execute(
        """
        SELECT a.attname, ref.relname
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_class ref ON ref.oid = c.confrelid
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND t.relname = %s AND array_length(c.conkey, 1) = 1
        """,
        (table,),
    )
    return dict(cr.fetchall())


def clone(conn, family, copies, batch=2000, log=None):
    """Add `copies` copies of `family` (see family_of). Returns the seconds it took."""
    started = time.monotonic()
    tables = [t for t in FAMILY_TABLES if t in family]
    with conn.cursor() as cr:
        cr.execute("SET session_replication_role = replica")  # ids are consistent by design
        cr.execute("CREATE TEMP TABLE clone_map (tbl text, old_id int, idx int)")
        size, base = {}, {}
        for table in tables:
            ids = family[table]
            size[table] = len(ids)
            cr.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}")  # noqa: S608
            base[table] = cr.fetchone()[0]
            cr.executemany(
                "INSERT INTO clone_map VALUES (%s, %s, %s)",
                [(table, old, idx) for idx, old in enumerate(ids)],
            )
        cr.execute("CREATE INDEX ON clone_map (tbl, old_id)")
        for first in range(1, copies + 1, batch):
            last = min(copies, first + batch - 1)
            for table in tables:
                cr.execute(_copy_sql(cr, table, tables, size, base), {"first": first, "last": last})
            for relation in RELATION_TABLES:
                cr.execute(_relation_sql(cr, relation, size, base), {"first": first, "last": last})
            if log:
                log(f"  {last:,} copies of {sum(size.values())} rows")
        for table in tables:
            cr.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
            )
        cr.execute("DROP TABLE clone_map")
        cr.execute("SET session_replication_role = origin")
    conn.commit()
    old_autocommit = conn.autocommit
    conn.autocommit = True
    with conn.cursor() as cr:
        for table in tables + list(RELATION_TABLES):
            cr.execute(f"ANALYZE {table}")
    conn.autocommit = old_autocommit
    return time.monotonic() - started


def _new_id(table, size, base, column_alias):
    return f"({base[table]} + (g - 1) * {size[table]} + {column_alias}.idx)"


def _copy_sql(cr, table, tables, size, base):
    columns = _columns(cr, table)
    foreign = {c: ref for c, ref in _foreign_keys(cr, table).items() if ref in tables}
    unique = UNIQUE_VALUES.get(table, {})
    joins = [f"JOIN clone_map m ON m.tbl = '{table}' AND m.old_id = t.id"]
    values = []
    for column in columns:
        if column == "id":
            values.append(_new_id(table, size, base, "m"))
        elif column in foreign:
            alias = f"fk_{column}"
            ref = foreign[column]
            joins.append(
                f"LEFT JOIN clone_map {alias} "
                f"ON {alias}.tbl = '{ref}' AND {alias}.old_id = t.{column}"
            )
            values.append(f"COALESCE({_new_id(ref, size, base, alias)}, t.{column})")
        elif column in unique:
            values.append(unique[column])
        elif table == "mail_message" and column == "res_id":
            cases = []
            for model, ref in MODEL_TABLES.items():
                if ref in tables:
                    alias = f"res_{ref}"
                    joins.append(
                        f"LEFT JOIN clone_map {alias} ON t.model = '{model}' "
                        f"AND {alias}.tbl = '{ref}' AND {alias}.old_id = t.res_id"
                    )
                    cases.append(_new_id(ref, size, base, alias))
            values.append(f"COALESCE({', '.join(cases)}, t.res_id)")
        else:
            values.append(f"t.{column}")
    quoted = ", ".join(f'"{c}"' for c in columns)
    return (
        f"INSERT INTO {table} ({quoted}) SELECT {', '.join(values)} FROM {table} t "  # noqa: S608
        + " ".join(joins)
        + " CROSS JOIN generate_series(%(first)s, %(last)s) g"
    )


def _relation_sql(cr, relation, size, base):
    foreign = _foreign_keys(cr, relation)
    columns = list(foreign)
    joins, values = [], []
    for column in columns:
        ref = foreign[column]
        alias = f"r_{column}"
        joins.append(
            f"JOIN clone_map {alias} ON {alias}.tbl = '{ref}' AND {alias}.old_id = t.{column}"
        )
        values.append(_new_id(ref, size, base, alias))
    quoted = ", ".join(f'"{c}"' for c in columns)
    return (
        f"INSERT INTO {relation} ({quoted}) SELECT {', '.join(values)} FROM {relation} t "  # noqa: S608
        + " ".join(joins)
        + " CROSS JOIN generate_series(%(first)s, %(last)s) g"
    )

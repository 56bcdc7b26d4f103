"""Loading into an empty layer with its indexes built after the rows, not maintained row by row.

Maintaining an index row by row costs several times building it once over the loaded rows
(figures in ``docs/benchmarks.md``, measured with ``benchmarks/imports.py --statements``).
pg_restore loads the same way.

Only a layer that is empty takes this path: building covers every row of the table, so on a
stored layer it would cost more than maintaining the new rows. Dropping an index needs the
table's ACCESS EXCLUSIVE lock, held until the import commits — on an empty layer there is
nothing a map could show meanwhile (a tile request waits for the commit instead). The lock is
asked for with a short ``lock_timeout`` (:data:`LOCK_WAIT`, well under PostgreSQL's one-second
deadlock check) inside a savepoint: when another session holds the table (a long read, another
import's check reading this layer) the import gives the lock up at once and keeps the indexes,
so it neither deadlocks with that session nor holds up the readers queued behind its request.
The layer is found empty a second time once the lock is held (the import runs in READ COMMITTED,
so that check sees every committed row): a row that arrived between also keeps the indexes.

Kept as they are: the primary key (unless asked for); any key a foreign key references; and, for a table whose
indexes carry what PostgreSQL's definitions do not give back (storage parameters such as a
unique key's fillfactor, CLUSTER, replica identity, comments), every index. Everything is in the
import's transaction: when it rolls back, the indexes are back as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import Cursor, errors, sql

# How long the import waits for the empty layer's exclusive lock before it keeps the indexes.
LOCK_WAIT = "100ms"
_SAVEPOINT = sql.Identifier("gridcity_empty_layer")

# Each index of the table but its primary key: its name, how to drop it and how to build it again
# (its constraint's definition when one stands on it, as ``UNIQUE (code)``, else the index's own),
# and whether it carries something those definitions leave out.
_SECONDARY = """
SELECT x.relname, c.conname, coalesce(pg_get_constraintdef(c.oid), pg_get_indexdef(i.indexrelid)),
       x.reloptions IS NOT NULL OR i.indisclustered OR i.indisreplident OR obj_description(x.oid) IS NOT NULL
FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
WHERE i.indrelid = %(t)s::regclass AND (%(primary)s OR NOT i.indisprimary)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY i.indexrelid
"""

# The deferrable constraints whose checks queue on the table — its own foreign keys (Django's) and
# those of tables referencing it — with their schema and whether they start deferred.
_DEFERRABLE = """
SELECT n.nspname, c.conname, c.condeferred FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE (c.conrelid = %(t)s::regclass OR c.confrelid = %(t)s::regclass) AND c.condeferrable
"""


def _empty(cur: Cursor, table: sql.Identifier) -> bool:
    cur.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(table))
    row = cur.fetchone()
    return bool(row and row[0])


def _locked_empty(cur: Cursor, table: sql.Identifier) -> bool:
    """Take ``table``'s exclusive lock, without waiting long, and keep it only if the table is empty."""
    cur.execute("SELECT current_setting('lock_timeout')")
    row = cur.fetchone()
    before = str(row[0]) if row else "0"
    cur.execute(sql.SQL("SAVEPOINT {}").format(_SAVEPOINT))
    cur.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
    try:
        cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table))
    except errors.LockNotAvailable:
        cur.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(_SAVEPOINT))  # also restores lock_timeout
        return False
    if not _empty(cur, table):
        cur.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(_SAVEPOINT))  # gives the lock up
        return False
    cur.execute(sql.SQL("RELEASE SAVEPOINT {}").format(_SAVEPOINT))  # the lock stays with the transaction
    cur.execute("SELECT set_config('lock_timeout', %s, true)", [before])
    return True


@contextmanager
def built_after(cur: Cursor, table_name: str, primary_key: bool = False) -> Iterator[bool]:
    """Inside, ``table_name`` (a registry layer's table) has only the indexes kept (see the module)
    when it was empty on entry and its lock could be had; the others are built again, with their
    names, on exit. Gives whether that is so: the table is then empty and locked until the commit.
    ``primary_key``: its primary key too, unless a foreign key references it (the row digests of
    ``importers.digests``, whose key is the only index). Not restored after an error: the
    transaction is aborted then, and its rollback restores them."""
    table = sql.Identifier(table_name)
    if not _empty(cur, table):
        yield False
        return
    cur.execute(_SECONDARY, {"t": table_name, "primary": primary_key})
    secondary = cur.fetchall()
    if not secondary or any(special for *_, special in secondary) or not _locked_empty(cur, table):
        yield False
        return
    # PostgreSQL drops and builds no index on a table with checks pending: the deferred foreign keys
    # check the new rows at the end of the INSERT instead of at the commit.
    cur.execute(_DEFERRABLE, {"t": table_name})
    deferrable = cur.fetchall()
    if deferrable:
        cur.execute(sql.SQL("SET CONSTRAINTS {} IMMEDIATE").format(
            sql.SQL(", ").join(sql.Identifier(schema, name) for schema, name, _ in deferrable)))
    for index, constraint, _, _ in secondary:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(constraint))
                    if constraint else sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
    yield True
    for _, constraint, definition, _ in secondary:
        # The definitions are PostgreSQL's own text for indexes of a registry layer's table.
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            table, sql.Identifier(constraint), sql.SQL(definition)) if constraint else sql.SQL(definition))
    deferred = [sql.Identifier(schema, name) for schema, name, initially in deferrable if initially]
    if deferred:
        cur.execute(sql.SQL("SET CONSTRAINTS {} DEFERRED").format(sql.SQL(", ").join(deferred)))

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

The import runs as the app role, which owns no table: the indexes are dropped and built again by
the owner's functions of migration ``0004_app_role_indexes`` (``gridcity_indexes_drop``, which
refuses a table not registered, not held in ACCESS EXCLUSIVE mode or not empty, and keeps the
definitions itself; ``gridcity_indexes_build``), given only the table's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import Cursor, errors, sql

# How long the import waits for the empty layer's exclusive lock before it keeps the indexes.
LOCK_WAIT = "100ms"
_SAVEPOINT = sql.Identifier("gridcity_empty_layer")

# The indexes built after the rows (``gridcity_index_plan``, migration 0004): how many, and whether one
# carries something their definitions leave out.
_PLAN = "SELECT count(*), coalesce(bool_or(special), false) FROM gridcity_index_plan(%s, %s)"

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
    cur.execute(_PLAN, [table_name, primary_key])
    row = cur.fetchone()
    planned, special = row if row else (0, False)
    if not planned or special or not _locked_empty(cur, table):
        yield False
        return
    # PostgreSQL drops and builds no index on a table with checks pending: the deferred foreign keys
    # check the new rows at the end of the INSERT instead of at the commit.
    cur.execute(_DEFERRABLE, {"t": table_name})
    deferrable = cur.fetchall()
    if deferrable:
        cur.execute(sql.SQL("SET CONSTRAINTS {} IMMEDIATE").format(
            sql.SQL(", ").join(sql.Identifier(schema, name) for schema, name, _ in deferrable)))
    cur.execute("SELECT gridcity_indexes_drop(%s, %s)", [table_name, primary_key])
    yield True
    cur.execute("SELECT gridcity_indexes_build(%s)", [table_name])
    deferred = [sql.Identifier(schema, name) for schema, name, initially in deferrable if initially]
    if deferred:
        cur.execute(sql.SQL("SET CONSTRAINTS {} DEFERRED").format(sql.SQL(", ").join(deferred)))

"""Statement-level triggers with transition tables, as used by the audit log and the tile cache.

Both keep themselves right for every write, whatever path it takes (API, import, SQL), by
attaching one function to INSERT, UPDATE and DELETE of each table with the changed rows
visible as ``new_rows`` / ``old_rows``.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

_REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def install_statement_triggers(table: str, prefix: str, function: str, args: list[str],
                               ops: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")) -> None:
    """(Re)create ``{prefix}_insert|update|delete`` (those of ``ops``) on ``table`` calling
    ``function(args…)``; idempotent."""
    with connection.cursor() as cur:
        for op in ops:
            refs = _REFERENCING[op]
            stmt = sql.SQL(
                "CREATE OR REPLACE TRIGGER {name} AFTER {op} ON {table} REFERENCING {refs} "
                "FOR EACH STATEMENT EXECUTE FUNCTION {function}({args})"
            ).format(
                name=sql.Identifier(f"{prefix}_{op.lower()}"), op=sql.SQL(op), table=sql.Identifier(table),
                refs=sql.SQL(refs), function=sql.Identifier(function),
                args=sql.SQL(", ").join(sql.Literal(a) for a in args),
            )
            cur.execute(stmt.as_string(cur.cursor))

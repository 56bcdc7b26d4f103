"""Installs the audit triggers on every audited table (every registered layer, and the users).

The triggers are statement-level with transition tables, so a bulk load writes its audit rows
in one set-based INSERT … SELECT rather than row by row. The actor is the transaction's
``gridcity.actor`` setting (see ``layers.audit_actor``); writes made outside the platform are
recorded as ``db:<role>``.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

# Columns never copied into the audit log (secrets).
REDACTED = {"accounts_user": ("password",)}


def audited_tables() -> list[tuple[str, str]]:
    """(table, primary-key column) of every audited table: the layer registry's, plus the users."""
    from accounts.models import User

    from layers.registry import registry

    models = [layer.model for layer in registry.all()] + [User]
    seen: dict[str, str] = {}
    for model in models:
        seen.setdefault(model._meta.db_table, model._meta.pk.column)
    return sorted(seen.items())


def install() -> None:
    """(Re)create the three audit triggers on each audited table; idempotent."""
    with connection.cursor() as cur:
        for table, pk in audited_tables():
            args = [sql.Literal(pk), *(sql.Literal(c) for c in REDACTED.get(table, ()))]
            for op in ("INSERT", "UPDATE", "DELETE"):
                refs = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                        "DELETE": "OLD TABLE AS old_rows"}[op]
                stmt = sql.SQL(
                    "CREATE OR REPLACE TRIGGER {name} AFTER {op} ON {table} REFERENCING {refs} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION gridcity_audit_rows({args})"
                ).format(
                    name=sql.Identifier(f"audit_{op.lower()}"), op=sql.SQL(op), table=sql.Identifier(table),
                    refs=sql.SQL(refs), args=sql.SQL(", ").join(args),
                )
                cur.execute(stmt.as_string(cur.connection))


def install_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "audit":
        install()

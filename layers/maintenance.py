"""The owner's maintenance steps an import takes as the app role, which owns no table (migration
``0010_app_role_maintenance``, ``sql/maintenance.sql``): each a SECURITY DEFINER function doing one
narrow, checked thing on a registered table — the layer registry's tables, written here after every
migration, and those a package registers itself (``importers_rowdigest``).
"""

from __future__ import annotations

from django.db import connection
from psycopg import Cursor

from .registry import registry

REGISTERED_BY = "layers"


def register_tables() -> None:
    """Make the registry's layer tables, and only those, the ones registered by ``layers``; idempotent.
    Run by the owner role (post_migrate)."""
    tables = sorted({layer.table for layer in registry.all()})
    with connection.cursor() as cur:
        cur.execute("DELETE FROM gridcity_private.registered_table WHERE registered_by = %s "
                    "AND NOT table_name = ANY(%s)", [REGISTERED_BY, tables])
        cur.execute("INSERT INTO gridcity_private.registered_table (table_name, registered_by) "
                    "SELECT unnest(%s::text[]), %s ON CONFLICT (table_name) DO NOTHING", [tables, REGISTERED_BY])


def analyze(cur: Cursor, table: str, columns: list[str] | None = None) -> None:
    """ANALYZE the registered ``table`` (its ``columns``, or all), as its owner."""
    cur.execute("SELECT gridcity_analyze(%s, %s)", [table, columns])


def register_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "layers":
        register_tables()

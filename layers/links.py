"""Set-based foreign keys for the big layers: checked once per statement, not once per row.

PostgreSQL checks a foreign key row by row: a census import of 138,662 components ran 277,324
lookups at COMMIT, a large share of the import. A link declared on a model as a ``ForeignKey`` with
``db_constraint=False`` is enforced here instead, by statement-level triggers with transition
tables (``layers.triggers``) calling the functions of migrations ``0005_set_based_links`` and
``0006_link_check_one_scan``:

- on the child table, after INSERT and UPDATE: the distinct parents the new rows name are
  locked ``FOR KEY SHARE`` (as the row-level check would: a concurrent delete of one waits)
  and any row naming a parent that does not exist fails the statement (SQLSTATE 23503,
  ``foreign_key_violation``, so Django raises ``IntegrityError`` as for a constraint);
- on the parent table, after DELETE and UPDATE: a removed or re-keyed parent still named by a
  child fails the statement; before TRUNCATE: a parent table with children cannot be emptied.

Django's ``on_delete`` (``PROTECT``) still applies to ORM deletes first. Unlike the deferred
constraints Django creates, these checks are immediate: parents must exist before the statement
that names them (every loader here writes parents first).

A load of many statements into a table it holds alone (a streamed census into the empty layer)
checks the links once at its end instead (:func:`checked_after`, migration ``0009_link_check_table``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from psycopg import Cursor, sql

from .registry import registry
from .triggers import install_statement_triggers


@dataclass(frozen=True)
class Link:
    table: str
    column: str
    parent_table: str
    parent_column: str

    @property
    def prefix(self) -> str:
        """Of the child side's trigger names (``link_{column}_insert``, ``…_update``)."""
        return f"link_{self.column}"


def links() -> list[Link]:
    """Every ``db_constraint=False`` foreign key of a registered layer's model."""
    found = set()
    for layer in registry.all():
        for f in layer.model._meta.concrete_fields:
            if f.is_relation and f.many_to_one and not f.db_constraint:
                target = f.target_field
                found.add(Link(layer.table, f.column, target.model._meta.db_table, target.column))
    return sorted(found, key=lambda link: (link.table, link.column))


def install() -> None:
    """(Re)create the link triggers on both sides of every link; idempotent."""
    for link in links():
        install_statement_triggers(link.table, link.prefix, "gridcity_link_child",
                                   [link.column, link.parent_table, link.parent_column], ops=("INSERT", "UPDATE"))
        install_statement_triggers(link.parent_table, f"link_{link.table}_{link.column}", "gridcity_link_parent",
                                   [link.parent_column, link.table, link.column], ops=("UPDATE", "DELETE"))
        with connection.cursor() as cur:
            cur.execute(sql.SQL(
                "CREATE OR REPLACE TRIGGER {name} BEFORE TRUNCATE ON {parent} FOR EACH STATEMENT "
                "EXECUTE FUNCTION gridcity_link_truncate({child}, {column})").format(
                name=sql.Identifier(f"link_{link.table}_{link.column}_truncate"),
                parent=sql.Identifier(link.parent_table), child=sql.Literal(link.table),
                column=sql.Literal(link.column)).as_string(cur.cursor))


@contextmanager
def checked_after(cur: Cursor, table: str) -> Iterator[None]:
    """Inside, rows INSERTed into ``table`` are not checked against its links statement by
    statement; on leaving, every row of the table is, at once (``gridcity_link_table``: the
    parents named locked ``FOR KEY SHARE``, a missing one failing the statement with
    ``foreign_key_violation`` as the trigger would). For a table the caller holds in ACCESS
    EXCLUSIVE mode and found empty (``importers.stream``): switching the INSERT link triggers off
    is then seen by no other session, and checking the whole table costs what checking the rows
    loaded does. The triggers are switched by the owner's functions of migration
    ``0010_app_role_maintenance`` (``gridcity_links_off``, which refuses a table not so held, and
    ``gridcity_links_on``, which checks the table before the trigger is on again); a trigger not in
    its usual state (on, for origin sessions) is left as it is. Not restored after an error: the
    transaction is aborted then, and its rollback restores them."""
    cur.execute("SELECT gridcity_links_off(%s)", [table])
    row = cur.fetchone()
    switched: list[str] = list(row[0]) if row else []
    yield
    for name in switched:
        cur.execute("SELECT gridcity_links_on(%s, %s)", [table, name])


def install_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "layers":
        install()

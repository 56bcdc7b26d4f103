"""Installs the audit triggers on every audited table (every registered layer, and the users).

The triggers are statement-level with transition tables, so a bulk load writes its audit rows
in one set-based INSERT … SELECT rather than row by row. The actor is the transaction's
``gridcity.actor`` setting (see ``layers.editing.acting_as``); writes made outside the platform are
recorded as ``db:<role>``.
"""

from __future__ import annotations

from layers.triggers import install_statement_triggers

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
    """(Re)create the audit triggers on each audited table; idempotent."""
    for table, pk in audited_tables():
        install_statement_triggers(table, "audit", "gridcity_audit_rows", [pk, *REDACTED.get(table, ())])


def install_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "audit":
        install()

"""Set-based foreign keys (``layers.links``): the components' class and unit grid are enforced per
statement on both sides, whatever writes them — as the constraints they replace were."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import ProtectedError

from layers import links
from layers.models import Component, UnitGrid

INSERT = """
INSERT INTO layers_component (code, component_class_id, name, dept_admin, dept_owner, dept_maintain, status,
  data_source, location_desc, note, photos, unit_grid_id, geom, created_at, updated_at)
VALUES (%s, %s, '', '', '', '', '完好', '', '', '', '[]'::jsonb, %s, ST_SetSRID(ST_MakePoint(120.41, 33.11), 4490),
  now(), now())
"""


def refused(statement: str, params: list | None = None, match: str = "link") -> None:
    with pytest.raises(IntegrityError, match=match), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


def test_the_component_links_are_the_registered_ones() -> None:
    assert [(li.table, li.column, li.parent_table, li.parent_column) for li in links.links()] == [
        ("layers_component", "component_class_id", "layers_componentclass", "code"),
        ("layers_component", "unit_grid_id", "layers_unitgrid", "code"),
    ]


def test_a_component_naming_a_missing_grid_or_class_is_refused(city) -> None:
    refused(INSERT, ["3209820101000901", "0101", "320982009009009"], match="layers_unitgrid")
    refused(INSERT, ["3209820101000902", "0199", "320982001001001"], match="layers_componentclass")
    code = next(iter(city.components))
    refused("UPDATE layers_component SET unit_grid_id = '320982009009009' WHERE code = %s", [code])
    with connection.cursor() as cur:  # a valid one passes, in the same statement shape
        cur.execute(INSERT, ["3209820101000903", "0101", "320982001001001"])
    assert Component.objects.filter(code="3209820101000903").exists()


def test_the_error_names_the_missing_key(city) -> None:
    with pytest.raises(IntegrityError) as info, transaction.atomic(), connection.cursor() as cur:
        cur.execute(INSERT, ["3209820101000904", "0101", "320982009009009"])
    assert "(unit_grid_id)=(320982009009009)" in str(info.value.__cause__.diag.message_detail)


def test_a_grid_in_use_cannot_be_deleted_rekeyed_or_truncated(city) -> None:
    used = Component.objects.values_list("unit_grid_id", flat=True).first()
    refused("DELETE FROM layers_unitgrid WHERE code = %s", [used])
    refused("UPDATE layers_unitgrid SET code = '320982001001099' WHERE code = %s", [used])
    with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE layers_componentclass CASCADE")  # the app role may not at all
    with pytest.raises(ProtectedError):  # the ORM says so first
        UnitGrid.objects.get(code=used).delete()
    with connection.cursor() as cur:  # other columns of a used grid change freely
        cur.execute("UPDATE layers_unitgrid SET change_date = '2026-01-01' WHERE code = %s", [used])
    assert str(UnitGrid.objects.get(code=used).change_date) == "2026-01-01"


def test_a_parent_table_in_use_cannot_be_truncated_even_by_its_owner(db, owner_conninfo) -> None:
    """The owner role may TRUNCATE (the app role may not): a parent table still named meets the link's
    trigger. (Rolled back; no test data is held meanwhile, so the owner's locks wait for nothing.)"""
    import psycopg

    with psycopg.connect(owner_conninfo) as owner, owner.transaction(force_rollback=True):
        owner.execute("ALTER TABLE layers_component DISABLE TRIGGER USER")  # a component naming no stored grid
        owner.execute(INSERT, ["3209820101000908", "0101", "320982001001001"])
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="links to it"):
            owner.execute("TRUNCATE layers_componentclass CASCADE")


def test_an_unused_grid_can_be_deleted(city) -> None:
    free = UnitGrid.objects.exclude(code__in=Component.objects.values("unit_grid_id")).first()
    assert free is not None
    with connection.cursor() as cur:
        cur.execute("DELETE FROM layers_unitgrid WHERE code = %s", [free.code])
    assert not UnitGrid.objects.filter(code=free.code).exists()


def test_the_parents_named_are_locked_until_the_statement_commits(city) -> None:
    """Another session cannot take a parent row the new rows name (to delete or re-key it) before
    this transaction ends; the parents nobody named stay free. (The component classes come with
    the migrations, so the other session sees them.)"""
    import psycopg

    from jobs.progress import conninfo

    def lockable(code: str) -> bool:
        with psycopg.connect(conninfo()) as other:
            try:
                other.execute("SELECT 1 FROM layers_componentclass WHERE code = %s FOR UPDATE NOWAIT", [code])
            except psycopg.errors.LockNotAvailable:
                return False
            return True

    with connection.cursor() as cur:  # two classes the fixture's components do not name (they are locked)
        cur.execute("SELECT code FROM layers_componentclass WHERE code NOT IN "
                    "(SELECT component_class_id FROM layers_component) ORDER BY code LIMIT 2")
        named, free = (code for (code,) in cur.fetchall())
    assert lockable(named) and lockable(free)
    with connection.cursor() as cur:
        cur.execute(INSERT, [f"320982{named}000905", named, "320982001001001"])
    assert not lockable(named)
    assert lockable(free)


def _insert_triggers() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'layers_component'::regclass "
                    "AND tgname LIKE 'link_%%_insert'")
        return dict(cur.fetchall())


def _held_empty(cur) -> None:
    """The layer as a streamed census holds it: emptied, and locked for the transaction."""
    Component.objects.all().delete()
    cur.execute("LOCK TABLE layers_component IN ACCESS EXCLUSIVE MODE")


def test_links_checked_after_a_load_refuse_its_missing_parent_at_the_end(city) -> None:
    """Inside ``checked_after`` a row naming a missing grid goes in; leaving fails with the
    trigger's error (naming the key), and the rollback brings the triggers back."""
    with pytest.raises(IntegrityError, match="layers_unitgrid") as info, transaction.atomic(), \
            connection.cursor() as wrapper, connection.wrap_database_errors:
        _held_empty(wrapper.cursor)
        with links.checked_after(wrapper.cursor, "layers_component"):
            wrapper.execute(INSERT, ["3209820101000905", "0101", "320982009009009"])
            assert Component.objects.filter(code="3209820101000905").exists()
            assert set(_insert_triggers().values()) == {"D"}
    assert "(unit_grid_id)=(320982009009009)" in str(info.value.__cause__.diag.message_detail)
    assert Component.objects.filter(code="3209820101000905").count() == 0 and Component.objects.exists()
    assert _insert_triggers() == {"link_component_class_id_insert": "O", "link_unit_grid_id_insert": "O"}


def test_links_checked_after_a_load_lock_the_parents_and_switch_the_triggers_back_on(city) -> None:
    with transaction.atomic(), connection.cursor() as wrapper:
        _held_empty(wrapper.cursor)
        with links.checked_after(wrapper.cursor, "layers_component"):
            wrapper.execute(INSERT, ["3209820101000906", "0101", "320982001001001"])
        assert _insert_triggers() == {"link_component_class_id_insert": "O", "link_unit_grid_id_insert": "O"}
        wrapper.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE l.pid = pg_backend_pid() AND c.relname = 'layers_unitgrid' AND l.mode = 'RowShareLock'")
        assert wrapper.fetchone() == (1,)  # FOR KEY SHARE on the grids named
        refused(INSERT, ["3209820101000907", "0101", "320982009009009"], match="layers_unitgrid")  # on again
        transaction.set_rollback(True)

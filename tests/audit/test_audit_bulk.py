"""Bulk mode of the audit log (``layers.editing.bulk_audit``, audit migrations 0002, 0005 and 0006): an
INSERT statement is one entry naming the inserted keys (a run of ids by its first and last, other
keys listed); UPDATE and DELETE stay per row with before/after; outside bulk mode nothing changes."""

from __future__ import annotations

from django.db import connection

from audit.models import AuditEntry
from layers.editing import acting_as, bulk_audit
from layers.models import Component

INSERT = """
INSERT INTO layers_component (code, component_class_id, name, dept_admin, dept_owner, dept_maintain, status,
  data_source, location_desc, note, photos, unit_grid_id, geom, created_at, updated_at)
SELECT '32098201010002' || lpad(i::text, 2, '0'), '0101', 'bulk ' || i, '', '', '', '完好', '', '', '', '[]'::jsonb,
  '320982001001001', ST_SetSRID(ST_MakePoint(120.41 + i * 0.001, 33.11), 4490), now(), now()
FROM generate_series(1, %s) i
"""

# Each row draws one id more than it uses: the ids have gaps.
GAPS = INSERT.replace("FROM generate_series(1, %s) i",
                      "FROM generate_series(1, %s) i WHERE nextval('layers_component_id_seq') > 0")


def new_entries(since: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=since, table_name="layers_component").order_by("id"))


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_bulk_insert_is_one_entry_giving_the_run_of_ids(city) -> None:
    since = last_id()
    with acting_as("loader"), connection.cursor() as wrapper, bulk_audit(wrapper.cursor):
        wrapper.execute(INSERT, [3])
    ids = sorted(Component.objects.filter(name__startswith="bulk ").values_list("id", flat=True))
    [entry] = new_entries(since)
    assert (entry.actor, entry.action, entry.row_id, entry.before) == ("loader", "INSERT", "*", None)
    assert entry.after == {"bulk": True, "rows": 3, "first": ids[0], "last": ids[-1]}
    assert entry.bulk_keys == [str(i) for i in ids]
    assert entry.at is not None


def test_ids_with_a_gap_are_listed(city) -> None:
    """Another session drew ids from the sequence meanwhile: the statement's ids are no run."""
    since = last_id()
    with acting_as("loader"), connection.cursor() as wrapper, bulk_audit(wrapper.cursor):
        wrapper.execute(GAPS, [3])
    ids = sorted(Component.objects.filter(name__startswith="bulk ").values_list("id", flat=True))
    assert ids[-1] - ids[0] + 1 > 3  # the statement drew ids it did not use
    [entry] = new_entries(since)
    assert entry.after == {"bulk": True, "rows": 3, "keys": [str(i) for i in ids]}
    assert entry.bulk_keys == [str(i) for i in ids]


def test_ids_at_both_ends_of_the_bigint_range_are_listed(city) -> None:
    """Their span does not fit a bigint (audit 0006 measures it in numeric): listed, and stored."""
    since = last_id()
    ends = ["-9223372036854775808", "9223372036854775807"]
    explicit = INSERT.replace("INSERT INTO layers_component (code,", "INSERT INTO layers_component (id, code,").replace(
        "SELECT '32098201010002'", "SELECT (ARRAY[%s, %s]::bigint[])[i], '32098201010002'")
    with acting_as("loader"), connection.cursor() as wrapper, bulk_audit(wrapper.cursor):
        wrapper.execute(explicit, [*ends, 2])
    [entry] = new_entries(since)
    assert entry.after == {"bulk": True, "rows": 2, "keys": ends}
    assert sorted(Component.objects.filter(name__startswith="bulk ").values_list("id", flat=True)) == [
        int(e) for e in ends]


def test_bulk_mode_ends_with_the_block_and_empty_inserts_log_nothing(city) -> None:
    since = last_id()
    with acting_as("loader"), connection.cursor() as wrapper:
        with bulk_audit(wrapper.cursor):
            wrapper.execute(INSERT, [0])
        assert new_entries(since) == []
        wrapper.execute(INSERT, [2])  # after the block: per row again
    logged = new_entries(since)
    assert [(e.action, e.before) for e in logged] == [("INSERT", None)] * 2
    assert {e.after["name"] for e in logged} == {"bulk 1", "bulk 2"}
    assert all(e.row_id == str(e.after["id"]) for e in logged)


def test_updates_and_deletes_stay_per_row_in_bulk_mode(city) -> None:
    pk = city.components["3209820102000001"].pk
    since = last_id()
    with acting_as("loader"), connection.cursor() as wrapper, bulk_audit(wrapper.cursor):
        wrapper.execute("UPDATE layers_component SET note = 'bulk note' WHERE id = %s", [pk])
        wrapper.execute("DELETE FROM layers_component WHERE id = %s", [pk])
    update, delete = new_entries(since)
    assert (update.action, update.row_id, update.actor) == ("UPDATE", str(pk), "loader")
    assert (update.before["note"], update.after["note"]) == ("", "bulk note")
    assert (delete.action, delete.row_id, delete.after) == ("DELETE", str(pk), None)
    assert delete.before["note"] == "bulk note"


def test_outside_bulk_mode_inserts_are_logged_per_row(city) -> None:
    since = last_id()
    with acting_as("editor"), connection.cursor() as wrapper:
        wrapper.execute(INSERT, [2])
    logged = new_entries(since)
    assert len(logged) == 2
    assert all(e.row_id != "*" and e.after["code"].startswith("32098201010002") for e in logged)


def test_auditors_find_a_bulk_inserted_row_by_its_id(city) -> None:
    """In a run of ids (by its first and last) and in a list of keys; an id past the run is not in it."""
    with acting_as("loader"), connection.cursor() as wrapper, bulk_audit(wrapper.cursor):
        wrapper.execute(INSERT, [2])
        wrapper.execute(GAPS.replace("'bulk ' || i", "'gaps ' || i").replace("lpad(i::text", "lpad((i + 10)::text"),
                        [2])

    def entries(pk: int) -> list[dict]:
        body = city.clients["auditor"].get("/api/audit/", {"table_name": "layers_component", "row_id": pk}).json()
        assert body["total"] == len(body["entries"])
        return body["entries"]

    in_run, listed = (Component.objects.get(name=name).pk for name in ("bulk 2", "gaps 2"))
    [entry] = entries(in_run)
    assert (entry["actor"], entry["action"], entry["row_id"]) == ("loader", "INSERT", "*")
    assert entry["after"]["first"] < in_run == entry["after"]["last"]
    [entry] = entries(listed)
    assert str(listed) in entry["after"]["keys"]
    assert entries(listed + 1000) == []


def test_one_update_of_many_rows_logs_each_row_with_its_own_before_and_after(city) -> None:
    """Old and new rows are paired by key (audit migration 0003); rows the statement left equal are not logged."""
    with acting_as("loader"), connection.cursor() as wrapper:
        wrapper.execute(INSERT, [5])
    rows = dict(Component.objects.filter(name__startswith="bulk ").values_list("id", "name"))
    since = last_id()
    with acting_as("editor"), connection.cursor() as wrapper:
        wrapper.execute("UPDATE layers_component SET name = CASE WHEN name = 'bulk 3' THEN name "
                        "ELSE name || ' renamed' END WHERE name LIKE 'bulk %%'")
    logged = new_entries(since)
    assert len(logged) == 4 and {e.action for e in logged} == {"UPDATE"}
    for entry in logged:
        pk = int(entry.row_id)
        assert entry.before["id"] == entry.after["id"] == pk
        assert (entry.before["name"], entry.after["name"]) == (rows[pk], rows[pk] + " renamed")


def test_a_run_is_found_by_its_keys_as_the_trigger_writes_them(city) -> None:
    """Negative ids are in a run; a key with a leading zero or beyond int8 is no integer key (and no error)."""
    from django.utils import timezone

    AuditEntry.objects.create(at=timezone.now(), actor="loader", action="INSERT", table_name="audit_negative",
                              row_id="*", after={"bulk": True, "rows": 5, "first": -2, "last": 2})

    def found(key: str) -> int:
        response = city.clients["auditor"].get("/api/audit/", {"table_name": "audit_negative", "row_id": key})
        assert response.status_code == 200
        return response.json()["total"]

    assert [found(k) for k in ("-2", "-1", "0", "2")] == [1, 1, 1, 1]
    assert [found(k) for k in ("3", "-3", "01", "+1", "-0", "1" * 5000)] == [0, 0, 0, 0, 0, 0]

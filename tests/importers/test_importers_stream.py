"""A census into an empty layer is streamed (``importers.stream``): each batch checked and inserted
while the next is read. With batches of three rows, a GeoPackage whose planted errors fall in
every batch (a key twice within a batch and across batches, a repair in a later batch) ends as
the general path ends it: the same rows stored, the same errors, the same digests."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEntry
from importers import load, stream
from importers.kinds.components import Components
from importers.locate import GridLocator
from layers.models import Component


def _ring_touching_itself(x: float, y: float) -> shapely.Polygon:
    """ST_MakeValid makes it one polygon with a hole: repaired, with a warning."""
    return shapely.Polygon([(x, y), (x + .004, y), (x + .004, y + .004), (x + .002, y + .004), (x + .003, y + .002),
                            (x + .001, y + .002), (x + .002, y + .004), (x, y + .004), (x, y)])


# 标识码, 名称, geometry: in batches of three (rows 1–3, 4–6, 7–9, 10)
ROWS = [
    ("3209820101000301", "首行", shapely.Point(120.41, 33.12)),        # 1: its key again in row 9
    ("3209820101000302", "好井盖", shapely.Point(120.46, 33.28)),      # 2: ok
    ("3209820199000303", "无此类", shapely.Point(120.41, 33.12)),      # 3: class 0199
    ("3209820101000304", "重复甲", shapely.Point(120.41, 33.13)),      # 4: key twice in its batch
    ("3209820101000304", "重复乙", shapely.Point(120.42, 33.13)),      # 5
    ("3209820401000306", "绿地", _ring_touching_itself(120.41, 33.11)),  # 6: repaired (warning)
    ("3209820401000307", "蝴蝶", shapely.Polygon([(120.41, 33.13), (120.42, 33.14), (120.42, 33.13),
                                                 (120.41, 33.14)])),  # 7: cannot be repaired
    ("3209820101000308", "域外", shapely.Point(120.70, 33.11)),        # 8: outside every grid
    ("3209820101000301", "末行", shapely.Point(120.58, 33.14)),        # 9: row 1's key again
    ("3209820201000310", "停车场", shapely.Point(120.58, 33.14)),      # 10: ok
]


@pytest.fixture
def census(tmp_path):
    path = tmp_path / "census.gpkg"
    gpd.GeoDataFrame({"标识码": [r[0] for r in ROWS], "名称": [r[1] for r in ROWS], "状态": ["完好"] * len(ROWS)},
                     geometry=[r[2] for r in ROWS], crs="EPSG:4490").to_file(path, driver="GPKG", engine="pyogrio")
    return path


def _import(city, path, streams: bool, monkeypatch) -> tuple[dict, list, list, list, int]:
    """Import ``path`` into the emptied layer, streamed or not, and roll it back; returns the
    summary, errors, stored rows, remembered digests and the bulk INSERT audit entries."""
    monkeypatch.setattr(Components, "streams", streams)
    with transaction.atomic():
        Component.objects.all().delete()
        audited = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = load.run("components", path, city.users["admin"])
        stored = sorted(Component.objects.values_list("code", "name", "component_class_id", "unit_grid_id",
                                                      "status"))
        with connection.cursor() as cur:
            cur.execute("SELECT code, ST_AsText(geom) FROM layers_component ORDER BY code")
            stored += cur.fetchall()
            cur.execute("SELECT key, digest FROM importers_rowdigest WHERE layer = 'components' ORDER BY key")
            remembered = cur.fetchall()
        bulk = AuditEntry.objects.filter(id__gt=audited, table_name="layers_component", action="INSERT").count()
        transaction.set_rollback(True)
    summary = result.summary()
    return summary, [e.as_tuple() for e in result.errors], stored, remembered, bulk


@pytest.mark.parametrize(("first_rows", "batches"), [(3, 4), (1, 5)])
def test_a_streamed_census_ends_as_the_general_path_ends_it(city, census, monkeypatch, first_rows, batches):
    """With ``first_rows`` 1, the first batch is settled in two (row 1, then rows 2–3)."""
    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    monkeypatch.setattr(stream, "FIRST_ROWS", first_rows)
    streamed = _import(city, census, True, monkeypatch)
    general = _import(city, census, False, monkeypatch)
    assert streamed[4] == batches and general[4] == 1  # one bulk INSERT per batch: it did stream
    assert streamed[:4] == general[:4]
    summary, errors, stored, remembered, _ = streamed
    assert (summary["inserted"], summary["rejected"], summary["warnings"]) == (3, 7, 1)
    assert [(row, rule, severity) for row, _, _, rule, _, severity in errors] == [
        (1, "unique_in_file", "error"), (3, "class_code", "error"), (4, "unique_in_file", "error"),
        (5, "unique_in_file", "error"), (6, "valid_geometry", "warning"), (7, "valid_geometry", "error"),
        (8, "inside_district", "error"), (9, "unique_in_file", "error")]
    assert "rows 1, 9" in errors[0][4]
    assert [code for code, *_ in stored[:3]] == ["3209820101000302", "3209820201000310", "3209820401000306"]
    assert [key for key, _ in remembered] == ["3209820101000302", "3209820201000310"]  # not the repaired row


def test_the_rows_of_a_key_given_twice_are_inserted_then_deleted_in_the_audit_log(city, census, monkeypatch):
    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    Component.objects.all().delete()
    audited = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    load.run("components", census, city.users["admin"])
    assert not Component.objects.filter(code="3209820101000301").exists()
    deleted = AuditEntry.objects.filter(id__gt=audited, table_name="layers_component", action="DELETE")
    # every row of a repeated key was valid on its own: inserted with its batch, deleted at the end
    assert sorted(e.before["name"] for e in deleted) == sorted(["首行", "末行", "重复甲", "重复乙"])
    inserts = AuditEntry.objects.filter(id__gt=audited, table_name="layers_component", action="INSERT")
    assert {e.actor for e in [*inserts, *deleted]} == {city.users["admin"].username}


def test_a_layer_with_rows_is_not_streamed(city, census, monkeypatch):
    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    assert Component.objects.exists()
    audited = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = load.run("components", census, city.users["admin"])
    assert result.counts.inserted == 3
    assert AuditEntry.objects.filter(id__gt=audited, table_name="layers_component", action="INSERT").count() == 1


def test_a_failure_in_a_later_batch_writes_nothing(city, census, monkeypatch):
    """The layer refuses a row of the third batch (a constraint no import rule knows: a row without
    its timestamps, written with the batch's rows): the import fails with the database's error, and
    the batches already inserted go with its transaction."""
    from importers.kinds.base import Kind

    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    settled = []
    insert_valid = Kind.insert_valid

    def refused_in_the_third(kind, cur, ctx):
        settled.append(ctx)
        if len(settled) == 3:
            cur.execute("INSERT INTO layers_component (code, name) VALUES ('3209820101000399', '无时间')")
        return insert_valid(kind, cur, ctx)

    monkeypatch.setattr(Kind, "insert_valid", refused_in_the_third)
    Component.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'layers_component' ORDER BY 1")
        indexes = cur.fetchall()
    with pytest.raises(IntegrityError, match="null value"), transaction.atomic():
        load.run("components", census, city.users["admin"])
    assert len(settled) == 3
    assert not Component.objects.exists()
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'layers_component' ORDER BY 1")
        assert cur.fetchall() == indexes


def test_a_failure_converting_a_batch_while_others_wait_writes_nothing(city, census, monkeypatch):
    """The importing thread fails on the fourth batch while the worker still holds the two before:
    they are settled or dropped before the error leaves the import, the connection is free again,
    and the rolled-back import leaves the layer empty."""
    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    monkeypatch.setattr(stream, "FIRST_ROWS", 3)
    converted = []

    def convert_or_fail(staging, batch):
        if len(converted) == 3:
            raise RuntimeError("the file went away")
        converted.append(batch.rows.tolist())
        return convert(staging, batch)

    convert = stream.convert_batch
    monkeypatch.setattr(stream, "convert_batch", convert_or_fail)
    Component.objects.all().delete()
    with pytest.raises(RuntimeError, match="went away"), transaction.atomic():
        load.run("components", census, city.users["admin"])
    assert converted == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert not Component.objects.exists()
    with connection.cursor() as cur:  # no COPY or statement of the worker left on the connection
        cur.execute("SELECT count(*) FROM layers_component")
        assert cur.fetchone() == (0,)


def test_a_grid_no_longer_there_fails_the_stream_at_its_end_and_writes_nothing(city, census, monkeypatch):
    """The links are checked once, after the last batch (``layers.links.checked_after``): a row of
    the last batch naming a grid that is not in the table — as if it went between the grids'
    reading and the commit — fails the import with the link's error; the triggers are back on."""
    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    locate, calls = GridLocator.locate, []

    def one_grid_gone(self, geoms):
        found = locate(self, geoms)
        calls.append(len(geoms))
        if len(calls) == 4:  # row 10, valid: the others placed are rejected or deleted (a key twice)
            found[next(i for i, grid in enumerate(found) if grid)] = "320982009009009"
        return found

    monkeypatch.setattr(GridLocator, "locate", one_grid_gone)
    Component.objects.all().delete()
    with pytest.raises(IntegrityError, match="layers_unitgrid") as info, transaction.atomic():
        load.run("components", census, city.users["admin"])
    assert "(unit_grid_id)=(320982009009009)" in str(info.value.__cause__.diag.message_detail)
    assert not Component.objects.exists()
    with connection.cursor() as cur:
        cur.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'layers_component'::regclass "
                    "AND tgname LIKE 'link_%%_insert' ORDER BY 1")
        assert cur.fetchall() == [("link_component_class_id_insert", "O"), ("link_unit_grid_id_insert", "O")]


def test_a_census_streamed_again_in_the_same_transaction(city, census, monkeypatch):
    """The keys table of the first streamed census is gone before the second creates its own."""
    monkeypatch.setattr(stream, "STREAM_ROWS", 3)
    audited = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for _ in range(2):
        Component.objects.all().delete()
        assert load.run("components", census, city.users["admin"]).counts.inserted == 3
    assert AuditEntry.objects.filter(id__gt=audited, table_name="layers_component", action="INSERT").count() == 8

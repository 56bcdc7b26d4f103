"""Re-imports recognise unchanged rows by digest (``importers.digests``) and report exactly what the
full path reports: the same counts and the same error report, edits since the last import undone."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from django.db import connection
from import_files import SAMPLE, frame, write_csv, zipped_shapefile
from test_importers_components import HEADER, PLANTED

from importers import digests, load
from importers.kinds.components import Components
from importers.models import RowDigest
from layers.editing import acting_as
from layers.models import Component

CSV = load.Options(crs="EPSG:4490")


def outcome(result: load.Result) -> tuple:
    c = result.counts
    return ((c.inserted, c.updated, c.unchanged, c.retired, result.rejected),
            [e.as_tuple() for e in result.errors])


def full_path(monkeypatch, path, actor, options: load.Options | None = None) -> tuple:
    """What the import would report without digests (a dry run: nothing written)."""
    base = options or load.Options()
    with monkeypatch.context() as m:
        m.setattr(Components, "digests", False)
        result = load.run("components", path, actor, load.Options(**{**vars(base), "dry_run": True}))
    assert result.recognised == 0
    return outcome(result)


def test_planted_file_reimported_reports_the_same(city, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "planted.csv", HEADER, PLANTED)
    admin = city.users["admin"]
    first = load.run("components", path, admin, CSV)
    assert first.counts.inserted == 2 and first.recognised == 0
    assert RowDigest.objects.filter(layer="components").count() == 2

    expected = full_path(monkeypatch, path, admin, CSV)
    again = load.run("components", path, admin, CSV)
    assert again.recognised == 2  # the two stored rows; the rejected ones take the full path again
    assert outcome(again) == expected
    # the stored row whose stated grid disagrees still carries its warning
    assert (11, "grid_stated", "grid_mismatch") in [(e.row, e.field, e.rule) for e in again.errors]
    assert outcome(again)[0] == (0, 0, 2, 0, 10)


def test_row_edited_since_import_is_restored(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    load.run("components", path, admin)
    edited = Component.objects.get(code=SAMPLE[0][0])
    with acting_as("dispatcher1"):
        edited.name = "改过的名称"
        edited.save()

    again = load.run("components", path, admin)
    assert (again.recognised, again.counts.updated, again.counts.unchanged) == (2, 1, 2)
    assert Component.objects.get(code=SAMPLE[0][0]).name == SAMPLE[0][1]
    third = load.run("components", path, admin)
    assert (third.recognised, third.counts.updated) == (3, 0)


def test_changed_cell_or_geometry_is_not_recognised(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    load.run("components", path, admin)
    changed = frame()
    changed.loc[0, "名称"] = "新名称"
    moved = changed.geometry[2]
    changed.loc[2, "geometry"] = shapely.Point(moved.x + 0.0001, moved.y)  # 0.0001° east, same grid
    changed.to_file(path, driver="GPKG", engine="pyogrio")
    again = load.run("components", path, admin)
    assert (again.recognised, again.counts.updated, again.counts.unchanged) == (1, 2, 1)
    assert Component.objects.get(code=SAMPLE[0][0]).name == "新名称"


def test_other_mapping_or_crs_is_not_recognised(city, tmp_path):
    rows = [[code, name, status, "城管局", lon, lat] for code, name, status, lon, lat in SAMPLE]
    path = write_csv(tmp_path / "census.csv", ["标识码", "名称", "状态", "主管部门", "经度", "纬度"], rows)
    admin = city.users["admin"]
    load.run("components", path, admin, CSV)
    assert load.run("components", path, admin, CSV).recognised == 3
    # the same cells read as CGCS2000 instead of WGS 84 are another import (the positions may differ)
    other = load.run("components", path, admin, load.Options(crs="EPSG:4326"))
    assert other.recognised == 0 and other.counts.unchanged == 3


def test_duplicate_of_an_unchanged_row_rejects_both(city, tmp_path, monkeypatch):
    rows = [[code, name, status, lon, lat] for code, name, status, lon, lat in SAMPLE]
    header = ["标识码", "名称", "状态", "经度", "纬度"]
    path = write_csv(tmp_path / "census.csv", header, rows)
    admin = city.users["admin"]
    load.run("components", path, admin, CSV)
    dup = write_csv(tmp_path / "dup.csv", header, [*rows, [SAMPLE[0][0], "另一个", "完好", 120.42, 33.12]])
    expected = full_path(monkeypatch, dup, admin, CSV)
    again = load.run("components", dup, admin, CSV)
    assert again.recognised == 3
    assert outcome(again) == expected
    assert [(e.row, e.rule) for e in again.errors] == [(2, "unique_in_file"), (5, "unique_in_file")]


def test_surveyor_reimport_outside_jurisdiction_same_report(city, tmp_path, monkeypatch):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    load.run("components", path, city.users["admin"])  # all three, one of them in the east street
    surveyor = city.users["surveyor"]  # west street only
    expected = full_path(monkeypatch, path, surveyor)
    again = load.run("components", path, surveyor)
    assert again.recognised == 3
    assert outcome(again) == expected
    assert {e.rule for e in again.errors} == {"jurisdiction"} and again.rejected == 1


@pytest.mark.parametrize("qa", [False, True])
def test_retire_missing_keeps_unchanged_rows(city, tmp_path, qa):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    load.run("components", path, admin)
    result = load.run("components", path, admin, load.Options(retire_missing=True, qa=qa))
    assert result.recognised == (0 if qa else 3)  # --qa checks every row, so it takes the full path
    assert result.counts.retired == len(city.components)
    assert set(Component.objects.filter(code__in=[s[0] for s in SAMPLE]).values_list("status", flat=True)) == {
        "完好", "破损"}


def test_a_file_of_new_keys_is_read_once(city, tmp_path, monkeypatch):
    """Digests of the layer exist (another import), but none for this file's keys: no first pass."""
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    load.run("components", path, city.users["admin"])
    rows = [[f"32098201010003{i:02d}", "新部件", "完好", 120.41 + i * 0.001, 33.12] for i in range(5)]
    other = write_csv(tmp_path / "other.csv", ["标识码", "名称", "状态", "经度", "纬度"], rows)

    def no_first_pass(self):
        raise AssertionError("a first pass over a file of new keys")

    monkeypatch.setattr(digests.Matcher, "resolve", no_first_pass)
    result = load.run("components", other, city.users["admin"], CSV)
    assert (result.counts.inserted, result.recognised, result.rows) == (5, 0, 5)
    assert RowDigest.objects.filter(layer="components").count() == 3 + 5


def test_a_large_import_refreshes_the_layer_statistics(city, tmp_path):
    """Over 1,000 changed rows and a tenth of the layer: ANALYZE before the commit (the planner must not
    take a freshly loaded layer for the empty table it was). Seen in the column statistics, which (unlike
    pg_class.reltuples) roll back with each test: the new codes appear among the histogram bounds."""
    rows = [[f"3209820101{500000 + i:06d}", "批量", "完好", 120.401 + (i % 40) * 0.001, 33.101 + (i // 40) * 0.001]
            for i in range(1, 1201)]
    path = write_csv(tmp_path / "many.csv", ["标识码", "名称", "状态", "经度", "纬度"], rows)

    def new_codes_in_statistics() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stats, unnest(histogram_bounds::text::text[]) b "
                        "WHERE tablename = 'layers_component' AND attname = 'code' AND b LIKE '32098201015%%'")
            (found,) = cur.fetchone()
        return found

    assert new_codes_in_statistics() == 0
    result = load.run("components", path, city.users["admin"], CSV)
    assert result.counts.inserted == 1200
    assert new_codes_in_statistics() > 0


def test_repaired_polygon_keeps_its_warning(city, tmp_path, monkeypatch):
    """A repaired geometry is never taken for unchanged: the stored geometry is not the file's, so each
    import reports the repair again, as the full path does."""
    x, y = 120.448, 33.118  # straddles the grid edge at lon 120.45
    ring = [(x, y), (x + .004, y), (x + .004, y + .004), (x + .002, y + .004), (x + .003, y + .002),
            (x + .001, y + .002), (x + .002, y + .004), (x, y + .004), (x, y)]  # touches itself: repairable
    gdf = frame(SAMPLE[:1]).set_geometry([shapely.Polygon(ring)], crs="EPSG:4490")
    gdf["标识码"] = ["3209820401000311"]
    path = tmp_path / "green.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    first = load.run("components", path, admin)
    assert [(e.rule, e.severity) for e in first.errors] == [("valid_geometry", "warning")]
    assert not RowDigest.objects.filter(layer="components", key="3209820401000311").exists()

    expected = full_path(monkeypatch, path, admin)
    again = load.run("components", path, admin)
    assert again.recognised == 0 and outcome(again) == expected
    assert [(e.rule, e.severity) for e in again.errors] == [("valid_geometry", "warning")]


def test_a_repaired_polygon_is_located_after_its_repair(city, tmp_path):
    """The invalid ring's point on surface and its repair's lie on either side of the grid edge at lon 120.45:
    the stored grid is the SQL rule's on the stored (repaired) geometry."""
    ring = [(0.8001925768935053, 0.3961054492248157), (0.8582685034359774, 0.4571043369288194),
            (0.1261721950856278, 0.8519583689191783), (0.8162467044218958, 0.1355654404523043),
            (0.8665265169784578, 0.5189630531037512), (0.743590758512176, 0.2681760207996594)]
    middle = (0.6388249001921507 + 0.6321954722394327) / 2
    polygon = shapely.Polygon([(120.45 + (x - middle) * 0.01, 33.12 + y * 0.01) for x, y in ring])
    gdf = frame(SAMPLE[:1]).set_geometry([polygon], crs="EPSG:4490")
    gdf["标识码"] = ["3209820401000312"]
    path = tmp_path / "green.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("components", path, city.users["admin"])
    assert [(e.rule, e.severity) for e in result.errors] == [("valid_geometry", "warning")]
    with connection.cursor() as cur:
        cur.execute("SELECT c.unit_grid_id, (SELECT g.code FROM layers_unitgrid g WHERE ST_Intersects(g.geom, "
                    "ST_PointOnSurface(c.geom)) ORDER BY g.code LIMIT 1) FROM layers_component c WHERE c.code = %s",
                    ["3209820401000312"])
        stored, by_rule = cur.fetchone()
    assert stored == by_rule


# --- the rows left after matching, read back by feature id ------------------------------------------------

EIGHT = [(f"3209820101{100 + i:06d}", f"井盖{i}", "完好", 120.41 + i * 0.001, 33.12) for i in range(8)]


def no_second_pass(monkeypatch, matching: int = 1):
    """A second pass over the whole file fails: only the matching pass (``matching``: through GDAL's
    stream, as all but shapefiles are matched) and reads by id may run."""
    from importers.readers import OGRSource

    passes = []
    whole_file = OGRSource.batches

    def once(self, *args, **kwargs):
        passes.append(1)
        assert len(passes) <= matching, "a second pass over the file"
        return whole_file(self, *args, **kwargs)

    monkeypatch.setattr(OGRSource, "batches", once)


def no_reads_by_id(monkeypatch):
    from importers.readers import OGRSource

    def by_id(self, fids, rows):
        raise AssertionError("rows read back by id")

    monkeypatch.setattr(OGRSource, "features", by_id)


def renamed_and_broken(path: Path, driver: str, rows=EIGHT, changed=(2, 6)) -> None:
    """``rows`` written again with the first of ``changed`` renamed and the others' status bad."""
    gdf = frame(rows)
    gdf.loc[changed[0], "名称"] = "改名"
    for at in changed[1:]:
        gdf.loc[at, "状态"] = "很好"
    gdf.to_file(path, driver=driver, engine="pyogrio")


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_a_few_changed_rows_are_read_back_by_id(city, tmp_path, monkeypatch, fmt):
    """Two of eight rows changed (one renamed, one with a bad status): a GeoPackage's are read back by
    id, a GeoJSON's (GDAL scans the whole file for any id) in a second pass; either way reported as
    the full path reports them — same counts, same row numbers in the error report."""
    path = tmp_path / f"census.{fmt}"
    driver = {"gpkg": "GPKG", "geojson": "GeoJSON"}[fmt]
    frame(EIGHT).to_file(path, driver=driver, engine="pyogrio")
    admin = city.users["admin"]
    assert load.run("components", path, admin).counts.inserted == 8
    renamed_and_broken(path, driver)
    expected = full_path(monkeypatch, path, admin)
    with monkeypatch.context() as m:
        no_second_pass(m) if fmt == "gpkg" else no_reads_by_id(m)
        again = load.run("components", path, admin)
    assert outcome(again) == expected
    assert (again.recognised, again.counts.updated, again.counts.unchanged, again.rejected) == (6, 1, 6, 1)
    assert [(e.row, e.field, e.rule) for e in again.errors] == [(7, "status", "choice")]
    assert Component.objects.get(code=EIGHT[2][0]).name == "改名"
    # the renamed row's digest was remembered: a third import recognises it
    assert load.run("components", path, admin).recognised == 7


def test_geopackage_ids_with_a_gap_are_mapped_to_their_rows(city, tmp_path, monkeypatch):
    """Feature 3 deleted from the GeoPackage: rows 1–8 are fids 1, 2, 4 … 9."""
    import subprocess

    path = tmp_path / "census.gpkg"
    nine = [*EIGHT, (f"3209820101{200:06d}", "井盖九", "完好", 120.418, 33.12)]
    frame(nine).to_file(path, driver="GPKG", engine="pyogrio")

    def delete_third() -> None:
        subprocess.run(["ogrinfo", "-q", str(path), "-sql", "DELETE FROM census WHERE fid = 3"], check=True)

    delete_third()
    admin = city.users["admin"]
    assert load.run("components", path, admin).counts.inserted == 8
    renamed_and_broken(path, "GPKG", nine, changed=(7, 5))  # rows 7 and 5 once the third is gone
    delete_third()
    expected = full_path(monkeypatch, path, admin)
    with monkeypatch.context() as m:
        no_second_pass(m)
        again = load.run("components", path, admin)
    assert outcome(again) == expected
    assert [(e.row, e.field, e.rule) for e in again.errors] == [(5, "status", "choice")]
    assert Component.objects.get(code=nine[7][0]).name == "改名"


def test_reads_by_id_in_chunks_from_a_zip_read_in_place(city, tmp_path, monkeypatch):
    from importers import readers

    monkeypatch.setattr(readers, "FID_CHUNK", 1)  # each changed row a read of its own
    gdf = frame(EIGHT)
    path = zipped_shapefile(gdf, tmp_path, "v1", encoding="GBK", drop=(".cpg",))
    admin = city.users["admin"]
    assert load.run("components", path, admin).counts.inserted == 8
    gdf.loc[1, "名称"], gdf.loc[5, "名称"] = "改名乙", "改名己"
    path = zipped_shapefile(gdf, tmp_path, "v2", encoding="GBK", drop=(".cpg",))
    with monkeypatch.context() as m:
        no_second_pass(m, matching=0)
        again = load.run("components", path, admin)
    assert (again.recognised, again.counts.updated) == (6, 2)
    assert {c.code: c.name for c in Component.objects.filter(code__in=[EIGHT[1][0], EIGHT[5][0]])} == {
        EIGHT[1][0]: "改名乙", EIGHT[5][0]: "改名己"}


def test_more_than_a_quarter_changed_takes_a_second_pass(city, tmp_path, monkeypatch):
    path = tmp_path / "census.gpkg"
    frame(EIGHT).to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    load.run("components", path, admin)
    renamed_and_broken(path, "GPKG", changed=(0, 3, 6))  # three of eight
    expected = full_path(monkeypatch, path, admin)
    with monkeypatch.context() as m:
        no_reads_by_id(m)
        again = load.run("components", path, admin)
    assert outcome(again) == expected and again.recognised == 5


def test_a_shapefile_with_a_deleted_record_is_read_back_by_record(city, tmp_path, monkeypatch):
    """A shapefile's feature ids are record positions, deleted records included: row 5 (after the
    deleted third record) is record 5 of the .dbf."""
    from test_importers_shapefile import bare_shapefile

    versions = iter(range(2))

    def write(rows) -> None:
        folder = tmp_path / f"v{next(versions)}"
        folder.mkdir()
        shp = bare_shapefile(frame(rows), folder)
        dbf = shp.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        header, size = int.from_bytes(data[8:10], "little"), int.from_bytes(data[10:12], "little")
        data[header + 2 * size] = ord("*")  # the third record
        dbf.write_bytes(bytes(data))
        for part in shp.parent.iterdir():
            part.replace(tmp_path / part.name)

    rows = [*EIGHT, (f"3209820101{200:06d}", "井盖九", "完好", 120.418, 33.12)]
    write(rows)
    path = tmp_path / "census.shp"
    admin = city.users["admin"]
    assert load.run("components", path, admin).counts.inserted == 8
    rows[5] = (rows[5][0], rows[5][1], "很好", *rows[5][3:])  # the sixth record: row 5
    rows[7] = (rows[7][0], "改名", *rows[7][2:])
    write(rows)
    expected = full_path(monkeypatch, path, admin)
    with monkeypatch.context() as m:
        no_second_pass(m, matching=0)
        again = load.run("components", path, admin)
    assert outcome(again) == expected
    assert [(e.row, e.field, e.rule) for e in again.errors] == [(5, "status", "choice")]
    assert Component.objects.get(code=rows[7][0]).name == "改名"


def test_a_table_without_feature_ids_takes_a_second_pass(city, tmp_path):
    header = ["标识码", "名称", "状态", "经度", "纬度"]
    path = write_csv(tmp_path / "census.csv", header, [list(r) for r in EIGHT])
    admin = city.users["admin"]
    load.run("components", path, admin, CSV)
    changed = [list(r) for r in EIGHT]
    changed[3][1] = "改名"
    write_csv(path, header, changed)
    again = load.run("components", path, admin, CSV)
    assert (again.recognised, again.counts.updated, again.counts.unchanged) == (7, 1, 7)
    assert Component.objects.get(code=EIGHT[3][0]).name == "改名"

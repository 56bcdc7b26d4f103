"""Component imports: the error report on planted errors, upsert by 标识码, retire, dry run, audit."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import pytest
import shapely
from import_files import SAMPLE, frame, write_csv, zipped_shapefile

from audit.models import AuditEntry
from importers import load, report
from layers.errors import NotAllowed
from layers.models import Component

HEADER = ["标识码", "部件类别", "名称", "状态", "初始时间", "所在单元网格", "经度", "纬度"]
PLANTED = [
    ["3209820101000201", "0101", "好井盖", "完好", "2021-03-01", "320982001001001", 120.41, 33.11],  # row 2: ok
    ["320982010100020", "", "短码", "完好", "", "", 120.41, 33.11],                                  # 3: 15 digits
    ["3209820199000203", "", "无此类", "完好", "", "", 120.41, 33.11],                                # 4: class 0199
    ["3209820101000204", "0102", "类不符", "完好", "", "", 120.41, 33.11],                            # 5: class ≠ code
    ["3209820101000205", "", "重复甲", "完好", "", "", 120.41, 33.11],                                # 6: duplicate
    ["3209820101000205", "", "重复乙", "完好", "", "", 120.42, 33.11],                                # 7: duplicate
    ["3209820101000207", "", "域外", "完好", "", "", 120.70, 33.11],                                  # 8: no grid
    ["3209820101000208", "", "坏日期", "完好", "2021-02-30", "", 120.41, 33.11],                      # 9: date
    ["3209820101000209", "", "坏状态", "很好", "", "", 120.41, 33.11],                                # 10: status
    ["3209820101000210", "", "网格不符", "完好", "", "320982002001001", 120.41, 33.11],               # 11: warning
    ["3209830101000211", "", "外区码", "完好", "", "", 120.41, 33.11],                                # 12: district
    ["3209820101000212", "", "无坐标", "完好", "", "", "", 33.11],                                    # 13: no lon
]
EXPECTED = [
    (3, "code", "code_format"), (5, "code", "component_code"), (6, "code", "unique_in_file"),
    (7, "code", "unique_in_file"), (8, "geometry", "inside_district"), (9, "initial_date", "date"),
    (10, "status", "choice"), (11, "grid_stated", "grid_mismatch"), (12, "code", "component_code"),
    (13, "lon", "number"), (13, "geometry", "required"), (4, "component_class", "class_code"),
]


def planted(tmp_path):
    return write_csv(tmp_path / "planted.csv", HEADER, PLANTED)


def test_error_report_on_planted_errors(city, tmp_path):
    result = load.run("components", planted(tmp_path), city.users["admin"], load.Options(crs="EPSG:4490"))
    got = {(e.row, e.field, e.rule) for e in result.errors}
    assert got == set(EXPECTED)
    assert result.counts.inserted == 2  # rows 2 and 11 (11 with a warning: the derived grid is kept)
    assert result.rejected == 10
    assert Component.objects.get(code="3209820101000210").unit_grid_id == "320982001001001"
    assert not Component.objects.filter(code__in=["3209820101000205", "3209820199000203"]).exists()
    by_row = {e.row: e for e in result.errors}
    assert "0199" in by_row[4].message and "class table" in by_row[4].message
    assert "rows 6, 7" in by_row[6].message

    csv_path, json_path = report.write(result, tmp_path / "out", "planted")
    with csv_path.open(encoding="utf-8-sig") as fh:
        lines = list(csv.DictReader(fh))
    assert {(int(r["row"]), r["field"], r["rule"]) for r in lines} == set(EXPECTED)
    body = json.loads(json_path.read_text(encoding="utf-8"))
    assert (body["inserted"], body["rejected"], body["warnings"]) == (2, 10, 1)
    assert body["errors"][0]["row"] == 3


def test_reimport_reports_unchanged_and_touches_only_changes(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    load.run("components", path, admin)
    stamps = dict(Component.objects.values_list("code", "updated_at"))
    audited = AuditEntry.objects.count()

    again = load.run("components", path, admin)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)
    assert dict(Component.objects.values_list("code", "updated_at")) == stamps
    assert AuditEntry.objects.count() == audited

    changed = frame()
    changed.loc[1, "状态"] = "丢失"
    changed.to_file(path, driver="GPKG", engine="pyogrio")
    third = load.run("components", path, admin)
    assert (third.counts.inserted, third.counts.updated, third.counts.unchanged) == (0, 1, 2)
    entry = AuditEntry.objects.filter(action="UPDATE", table_name="layers_component").latest("id")
    assert entry.actor == "admin1"
    assert (entry.before["status"], entry.after["status"]) == ("破损", "丢失")
    # a column the file does not carry is kept, not blanked
    assert Component.objects.get(code=SAMPLE[1][0]).dept_admin == "城管局"


def test_a_move_under_a_millimetre_is_no_change(city, tmp_path):
    """A census exported in Gauss-Krüger and back, or a point nudged by half a millimetre, is the same
    position; a move of 2 mm is an update."""
    admin = city.users["admin"]
    first = tmp_path / "census.gpkg"
    frame().to_file(first, driver="GPKG", engine="pyogrio")
    load.run("components", first, admin)
    stored = dict(Component.objects.values_list("code", "geom"))

    round_trip = zipped_shapefile(frame().to_crs(4549), tmp_path, "gauss_kruger", encoding="GBK")
    again = load.run("components", round_trip, admin)
    assert (again.counts.updated, again.counts.unchanged) == (0, 3)

    nudged = frame()
    nudged.geometry = nudged.geometry.translate(yoff=4.5e-9)  # 0.5 mm north
    nudged.to_file(first, driver="GPKG", engine="pyogrio")
    assert (load.run("components", first, admin).counts.unchanged, stored) == (
        3, dict(Component.objects.values_list("code", "geom")))

    moved = frame()
    moved.loc[[0], "geometry"] = moved.geometry[[0]].translate(yoff=1.8e-8)  # 2 mm north
    moved.to_file(first, driver="GPKG", engine="pyogrio")
    result = load.run("components", first, admin)
    assert (result.counts.updated, result.counts.unchanged) == (1, 2)
    assert Component.objects.get(code=SAMPLE[0][0]).geom.y == pytest.approx(SAMPLE[0][4] + 1.8e-8, abs=1e-12)


@pytest.mark.parametrize(("change", "coordinates", "updated"), [
    ("a vertex nudged 0.5 mm", [(120.41, 33.15), (120.42, 33.15 + 4.5e-9), (120.44, 33.15)], 0),
    ("reversed", [(120.44, 33.15), (120.42, 33.15), (120.41, 33.15)], 1),
    ("a vertex slid 1 km along the line", [(120.41, 33.15), (120.43, 33.15), (120.44, 33.15)], 1),
])
def test_a_line_is_compared_vertex_by_vertex(city, tmp_path, change, coordinates, updated):
    """A street line's direction gives its house-number sides meaning: reversing it, or moving a
    vertex along it, is a change although the shape stays; a sub-millimetre nudge is not."""
    from layers.models import StreetLine

    def write(coords, name):
        path = tmp_path / f"{name}.gpkg"
        gpd.GeoDataFrame({"街巷编码": ["S-1"], "街路巷名": ["幸福路"]}, geometry=[shapely.LineString(coords)],
                         crs="EPSG:4490").to_file(path, driver="GPKG", engine="pyogrio")
        return path

    admin = city.users["admin"]
    load.run("street_lines", write([(120.41, 33.15), (120.42, 33.15), (120.44, 33.15)], "first"), admin)
    counts = load.run("street_lines", write(coordinates, "again"), admin).counts
    assert (counts.updated, counts.unchanged) == (updated, 1 - updated), change
    stored = StreetLine.objects.get(code="S-1").geom.coords
    if updated:
        assert [c for xy in stored for c in xy] == pytest.approx([c for xy in coordinates for c in xy], abs=1e-12)


def test_retire_missing_marks_never_deletes(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    before = Component.objects.count()
    result = load.run("components", path, city.users["admin"], load.Options(retire_missing=True))
    assert result.counts.retired == len(city.components)  # the fixture's four, absent from the file
    assert Component.objects.count() == before + 3
    assert set(Component.objects.filter(code__in=city.components).values_list("status", flat=True)) == {"注销"}


def test_dry_run_changes_nothing(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    before, audited = Component.objects.count(), AuditEntry.objects.count()
    result = load.run("components", path, city.users["admin"], load.Options(dry_run=True, retire_missing=True))
    assert result.counts.inserted == 3 and result.dry_run
    assert (Component.objects.count(), AuditEntry.objects.count()) == (before, audited)


def test_surveyor_only_inside_jurisdiction(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("components", path, city.users["surveyor"])  # jurisdiction: street 320982001
    assert result.counts.inserted == 2
    assert [(e.row, e.rule) for e in result.errors] == [(3, "jurisdiction")]
    # an existing component of the east street cannot be taken over from the west
    east = write_csv(tmp_path / "move.csv", ["标识码", "经度", "纬度"], [["3209820102000001", 120.42, 33.15]])
    moved = load.run("components", east, city.users["surveyor"], load.Options(crs="EPSG:4490"))
    assert [(e.row, e.rule) for e in moved.errors] == [(2, "jurisdiction")]
    assert Component.objects.get(code="3209820102000001").unit_grid_id == "320982002001001"
    # the refusals name no code of the east street (issue 19: codes outside the user's area)
    for e in (*result.errors, *moved.errors):
        assert "320982002" not in f"{e.message} {e.value}", e


def test_role_without_edit_right_is_refused(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    with pytest.raises(NotAllowed):
        load.run("components", path, city.users["dispatcher"])


def test_invalid_polygons_repaired_with_warning_or_rejected(city, tmp_path):
    import shapely

    def sq(x, y):  # a self-touching ring (an inverted hole): ST_MakeValid gives one polygon with a hole
        return [(x, y), (x + .004, y), (x + .004, y + .004), (x + .002, y + .004), (x + .003, y + .002),
                (x + .001, y + .002), (x + .002, y + .004), (x, y + .004), (x, y)]

    touching = shapely.Polygon(sq(120.41, 33.11))
    bowtie = shapely.Polygon([(120.41, 33.13), (120.42, 33.14), (120.42, 33.13), (120.41, 33.14)])
    gdf = frame(SAMPLE[:2]).set_geometry([touching, bowtie], crs="EPSG:4490")
    gdf["标识码"] = ["3209820401000301", "3209820401000302"]
    path = tmp_path / "green.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("components", path, city.users["admin"])
    assert [(e.row, e.rule, e.severity) for e in result.errors] == [
        (1, "valid_geometry", "warning"), (2, "valid_geometry", "error")]
    assert "cannot be repaired" in result.errors[1].message
    stored = Component.objects.get(code="3209820401000301")
    assert stored.geom.valid and stored.geom.geom_type == "Polygon" and len(stored.geom) == 2
    assert not Component.objects.filter(code="3209820401000302").exists()


def test_qa_report_on_planted_errors(city, tmp_path):
    """Per km² cell: attribute errors, position problems (no grid, same-class duplicates ≤ 0.5 m) and
    omissions against the stored inventory, each against 5 %; the cells become a pass/fail layer."""
    from importers.models import QACell

    rows = [[f"32098201010003{i:02d}", "0101", "井盖", "完好", "", "", 120.4101 + i * 1e-4, 33.1101] for i in range(40)]
    rows.append(["3209820101000399", "0101", "井盖", "很好", "", "", 120.4101, 33.1103])      # attribute error
    rows.append(["3209820101000398", "0101", "井盖", "完好", "", "", 120.4101 + 2e-6, 33.1101])  # 0.2 m from row 2
    path = write_csv(tmp_path / "qa.csv", HEADER, rows)
    result = load.run("components", path, city.users["admin"],
                      load.Options(crs="EPSG:4490", qa=True, qa_run="t1"))
    cells = {c["cell"]: c for c in result.qa.cells}
    busy = max(cells.values(), key=lambda c: c["rows"])
    assert busy["rows"] == 42
    assert busy["attribute_errors"] == 1 and busy["position_problems"] == 2
    assert busy["pass"]  # 1/42 and 2/42 are under 5 %
    # the fixture's four stored components (one per cell) are not in the file: omissions
    omitted = [c for c in result.qa.cells if c["omitted"]]
    assert [(c["previous"], c["omitted"], c["omission_share"], c["pass"]) for c in omitted] == [(1, 1, 1.0, False)] * 4
    assert not result.qa.passed
    assert QACell.objects.filter(run="t1").count() == len(result.qa.cells)
    assert QACell.objects.filter(run="t1", passed=False).count() == result.qa.totals["failed_cells"]
    _, json_path = report.write(result, tmp_path / "out", "qa")
    page = (tmp_path / "out" / "qa.qa.html").read_text(encoding="utf-8")
    assert "不合格" in page and busy["cell"] in page
    assert json.loads(json_path.read_text(encoding="utf-8"))["qa"]["pass"] is False


def test_qa_layer_shows_each_cells_latest_run(city, tmp_path):
    """A second QA run replaces the first one's cells on the map where it has cells of its own;
    other kinds' cells stay."""
    from importers.models import QACell

    rows = [[f"32098201010003{i:02d}", "0101", "井盖", "完好", "", "", 120.4101 + i * 1e-4, 33.1101] for i in range(10)]
    path = write_csv(tmp_path / "qa.csv", HEADER, rows)
    admin = city.users["admin"]
    first = load.run("components", path, admin, load.Options(crs="EPSG:4490", qa=True, qa_run="before"))
    cells = {c["cell"] for c in first.qa.cells}
    one = QACell.objects.get(run="before", cell=min(cells))
    QACell.objects.create(run="plates", kind="door_plates", cell=one.cell, rows=1, attribute_share=0,
                          position_share=0, omission_share=0, passed=True, geom=one.geom)
    again = load.run("components", path, admin, load.Options(crs="EPSG:4490", qa=True, qa_run="after"))
    assert {c["cell"] for c in again.qa.cells} == cells
    assert set(QACell.objects.filter(kind="components").values_list("run", "cell")) == {
        *(("after", c) for c in cells), ("fixture", "0_0")}
    assert QACell.objects.filter(kind="door_plates", run="plates").count() == 1


@pytest.mark.parametrize("stored", [False, True])
def test_a_code_inserted_by_someone_else_meanwhile_rolls_the_import_back(city, tmp_path, monkeypatch, stored,
                                                                         superuser_conninfo):
    """Between the import's check of the stored rows and its INSERT, another connection commits a
    component with one of the file's codes: the import is refused (409 concurrent_edit) and writes
    nothing — the other component is neither overwritten nor counted as unchanged. Both INSERTs: the
    plain one of a file with no stored code (the unique key breaks) and the one that skips stored codes
    (``stored``: the first sample is imported before, under another name; the count of inserted rows
    falls short)."""
    from contextlib import contextmanager

    import psycopg

    from importers import errors
    from importers.kinds import base

    if stored:
        before = tmp_path / "first.gpkg"
        frame([(SAMPLE[0][0], "旧名称", *SAMPLE[0][2:])]).to_file(before, driver="GPKG", engine="pyogrio")
        load.run("components", before, city.users["admin"])
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    code = SAMPLE[1][0]
    audit = base.bulk_audit

    def other(statement: str) -> None:
        # committed, without triggers (its audit entry would outlive the test) and link checks (the test's
        # city is not committed); the cluster's superuser only
        with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                conn.execute(statement, [code])

    @contextmanager
    def meanwhile(cur):
        other("INSERT INTO layers_component (created_at, updated_at, code, name, dept_admin, dept_owner,"
              " dept_maintain, status, data_source, location_desc, note, photos, geom, component_class_id,"
              " unit_grid_id) VALUES (now(), now(), %s, '别人的', '', '', '', '完好', '', '', '', '[]',"
              " ST_SetSRID(ST_MakePoint(120.46, 33.28), 4490), '0102', '320982001002002')")
        with audit(cur):
            yield

    monkeypatch.setattr(base, "bulk_audit", meanwhile)
    try:
        said = f"{'1' if stored else 'one'} of the file's .* created by someone else"
        with pytest.raises(errors.ConcurrentEdit, match=said) as caught:
            load.run("components", path, city.users["admin"])
        assert (caught.value.status, caught.value.rule) == (409, "concurrent_edit")
        assert stored or code in str(caught.value)  # the server's detail names the key (in any language)
        assert list(Component.objects.filter(code__in=[s[0] for s in SAMPLE]).order_by("code").values_list(
            "code", "name")) == [*([(SAMPLE[0][0], "旧名称")] if stored else []), (code, "别人的")]
    finally:
        other("DELETE FROM layers_component WHERE code = %s")

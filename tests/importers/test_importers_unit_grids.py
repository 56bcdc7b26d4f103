"""Unit-grid imports: code and hierarchy rules, nesting in the community, repair, upsert by code,
area in SQL, dry run, jurisdiction and audit — on files written by GDAL (pyogrio)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely
from import_files import write_csv, zipped_shapefile

from audit.models import AuditEntry
from importers import load
from layers.errors import BadParameter
from layers.models import UnitGrid
from layers.models.base import geodesic


def box(minx, miny, maxx, maxy):
    return shapely.box(minx, miny, maxx, maxy)


def touching(x, y):  # a self-touching ring: ST_MakeValid gives one polygon with a hole
    return shapely.Polygon([(x, y), (x + .004, y), (x + .004, y + .004), (x + .002, y + .004), (x + .003, y + .002),
                            (x + .001, y + .002), (x + .002, y + .004), (x, y + .004), (x, y)])


# 网格编码, 初始划分日期, 变更日期, geometry (EPSG:4490); communities of tests/conftest.py
PLANTED = [
    ("320982001001003", "2020-01-01", None, box(120.41, 33.11, 120.42, 33.12)),       # 1: ok, new
    ("320982001001001", "2019-05-01", "2024-06-30", box(120.40, 33.10, 120.45, 33.20)),  # 2: ok, new dates
    ("32098200100100", None, None, box(120.41, 33.13, 120.42, 33.14)),                # 3: 14 digits
    ("320982009001001", None, None, box(120.41, 33.13, 120.42, 33.14)),               # 4: no such community
    ("320982001001004", None, None, box(120.44, 33.13, 120.46, 33.14)),               # 5: sticks out
    ("320982001001005", None, None, box(120.41, 33.15, 120.42, 33.16)),               # 6: duplicate
    ("320982001001005", None, None, box(120.41, 33.16, 120.42, 33.17)),               # 7: duplicate
    ("320982001001006", None, None,
     shapely.Polygon([(120.41, 33.13), (120.42, 33.14), (120.42, 33.13), (120.41, 33.14)])),  # 8: bow-tie
    ("320982001001007", None, None, touching(120.43, 33.11)),                          # 9: repaired (warning)
    ("320982001001008", None, None, shapely.Point(120.41, 33.12)),                     # 10: not a polygon
    (None, None, None, box(120.41, 33.18, 120.42, 33.19)),                             # 11: no code
]
EXPECTED = {
    (3, "code", "code_format", "error"), (4, "code", "code_hierarchy", "error"),
    (5, "geometry", "inside_parent", "error"), (6, "code", "unique_in_file", "error"),
    (7, "code", "unique_in_file", "error"), (8, "geometry", "valid_geometry", "error"),
    (9, "geometry", "valid_geometry", "warning"), (10, "geometry", "geometry_type", "error"),
    (11, "code", "required", "error"),
}


def grids_file(tmp_path, rows=PLANTED, name="grids.gpkg"):
    gdf = gpd.GeoDataFrame({"网格编码": [r[0] for r in rows], "初始划分日期": [r[1] for r in rows],
                            "变更日期": [r[2] for r in rows]}, geometry=[r[3] for r in rows], crs="EPSG:4490")
    path = tmp_path / name
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_planted_errors_and_upsert(city, tmp_path):
    audited = AuditEntry.objects.filter(table_name="layers_unitgrid", action="INSERT").count()
    result = load.run("unit_grids", grids_file(tmp_path), city.users["admin"])
    assert {(e.row, e.field, e.rule, e.severity) for e in result.errors} == EXPECTED
    assert (result.counts.inserted, result.counts.updated, result.counts.unchanged) == (2, 1, 0)
    assert result.rejected == 8
    by_row = {e.row: e for e in result.errors}
    assert "320982009001" in by_row[4].message and "does not exist" in by_row[4].message
    assert "outside community 320982001001" in by_row[5].message

    new = UnitGrid.objects.get(code="320982001001003")
    assert new.community_id == "320982001001"
    assert new.initial_date == dt.date(2020, 1, 1)
    assert new.area_m2 == pytest.approx(geodesic("area", new.geom), rel=1e-9)
    assert 1.0e6 < new.area_m2 < 1.1e6  # 0.01° × 0.01° at 33° N
    repaired = UnitGrid.objects.get(code="320982001001007")
    assert repaired.geom.valid and len(repaired.geom) == 2
    old = UnitGrid.objects.get(code="320982001001001")
    assert (old.initial_date, old.change_date) == (dt.date(2019, 5, 1), dt.date(2024, 6, 30))
    assert not UnitGrid.objects.filter(code__in=["320982009001001", "320982001001004", "320982001001005"]).exists()

    # one bulk audit entry for the INSERT, per-row before/after for the UPDATE, by the importing user
    inserts = AuditEntry.objects.filter(table_name="layers_unitgrid", action="INSERT").order_by("id")
    assert inserts.count() == audited + 1
    assert inserts.last().actor == "admin1" and inserts.last().after["rows"] == 2
    update = AuditEntry.objects.filter(table_name="layers_unitgrid", action="UPDATE").latest("id")
    assert update.before["change_date"] is None and update.after["change_date"] == "2024-06-30"


def test_reimport_unchanged_then_changed_geometry(city, tmp_path):
    rows = [PLANTED[0], PLANTED[1]]
    admin = city.users["admin"]
    load.run("unit_grids", grids_file(tmp_path, rows), admin)
    stamps = dict(UnitGrid.objects.values_list("code", "updated_at"))
    again = load.run("unit_grids", grids_file(tmp_path, rows, "again.gpkg"), admin)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert dict(UnitGrid.objects.values_list("code", "updated_at")) == stamps

    bigger = [(rows[0][0], rows[0][1], None, box(120.41, 33.11, 120.43, 33.12))]
    third = load.run("unit_grids", grids_file(tmp_path, bigger, "bigger.gpkg"), admin)
    assert (third.counts.inserted, third.counts.updated) == (0, 1)
    grid = UnitGrid.objects.get(code=rows[0][0])
    assert grid.area_m2 == pytest.approx(geodesic("area", grid.geom), rel=1e-9)
    assert grid.initial_date == dt.date(2020, 1, 1)


def test_shapefile_with_vendor_headers_and_truncated_names(city, tmp_path):
    """BGID names the grid's own code here; 初始划分日期 is cut to 初始划 by the DBF's 10 bytes."""
    gdf = gpd.GeoDataFrame({"BGID": ["320982002001003"], "初始划分日期": ["2021年3月1日"], "变更日期": ["20240101"]},
                           geometry=[box(120.51, 33.11, 120.52, 33.12)], crs="EPSG:4490")
    path = zipped_shapefile(gdf, tmp_path, "grids")
    result = load.run("unit_grids", path, city.users["admin"])
    assert result.errors == [] and result.counts.inserted == 1
    grid = UnitGrid.objects.get(code="320982002001003")
    assert (grid.community_id, grid.initial_date, grid.change_date) == (
        "320982002001", dt.date(2021, 3, 1), dt.date(2024, 1, 1))


def test_csv_wkt_with_gridcode_header_in_gauss_kruger(city, tmp_path):
    from import_files import project

    polygon = shapely.transform(box(120.46, 33.11, 120.47, 33.12),
                                lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1], 4549)))
    path = write_csv(tmp_path / "grids.csv", ["GridCode", "WKT"], [["320982001002003", polygon.wkt]])
    result = load.run("unit_grids", path, city.users["admin"], load.Options(crs="EPSG:4549"))
    assert result.errors == [] and result.counts.inserted == 1
    assert UnitGrid.objects.get(code="320982001002003").community_id == "320982001002"


def test_nesting_tolerance_from_settings(city, tmp_path, settings):
    sliver = [("320982001001009", None, None, box(120.41, 33.11, 120.45001, 33.12))]  # ~1 m × 1.1 km outside
    settings.GRIDCITY_NESTING_TOLERANCE_M2 = 1.0
    refused = load.run("unit_grids", grids_file(tmp_path, sliver), city.users["admin"])
    assert [(e.row, e.rule) for e in refused.errors] == [(1, "inside_parent")]
    settings.GRIDCITY_NESTING_TOLERANCE_M2 = 5000.0
    accepted = load.run("unit_grids", grids_file(tmp_path, sliver, "again.gpkg"), city.users["admin"])
    assert accepted.errors == [] and accepted.counts.inserted == 1


def test_dry_run_and_jurisdiction(city, tmp_path):
    rows = [PLANTED[0], ("320982002001003", None, None, box(120.51, 33.11, 120.52, 33.12))]
    before, audited = UnitGrid.objects.count(), AuditEntry.objects.count()
    dry = load.run("unit_grids", grids_file(tmp_path, rows), city.users["admin"], load.Options(dry_run=True))
    assert dry.counts.inserted == 2 and dry.dry_run
    assert (UnitGrid.objects.count(), AuditEntry.objects.count()) == (before, audited)

    scoped = load.run("unit_grids", grids_file(tmp_path, rows, "scoped.gpkg"), city.users["surveyor"])  # west street
    assert [(e.row, e.field, e.rule) for e in scoped.errors] == [(2, "code", "jurisdiction")]
    assert scoped.counts.inserted == 1
    assert not UnitGrid.objects.filter(code="320982002001003").exists()


def test_retire_missing_refused_for_grids(city, tmp_path):
    with pytest.raises(BadParameter):
        load.run("unit_grids", grids_file(tmp_path, [PLANTED[0]]), city.users["admin"],
                 load.Options(retire_missing=True))

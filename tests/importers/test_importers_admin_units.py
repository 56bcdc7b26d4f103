"""Administrative-unit imports: districts, streets and communities in one file by code length,
parents first, with the hierarchy and nesting rules, repair, dry run and audit."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from import_files import zipped_shapefile

from audit.models import AuditEntry
from importers import load
from layers.errors import NotAllowed
from layers.models import Community, District, Street

BOWTIE = shapely.Polygon([(120.51, 33.11), (120.52, 33.12), (120.52, 33.11), (120.51, 33.12)])
# 行政区划代码, 行政区划名称, geometry (EPSG:4490); the city of tests/conftest.py
PLANTED = [
    ("320982003", "新街道", shapely.box(120.41, 33.11, 120.43, 33.13)),                 # 1: new street
    ("320982003001", "新社区", shapely.box(120.41, 33.11, 120.42, 33.12)),              # 2: its community
    ("320982001001", "一社区改", shapely.box(120.40, 33.10, 120.45, 33.30)),            # 3: renamed
    ("320983", "新区", shapely.MultiPolygon([shapely.box(120.60, 33.10, 120.70, 33.30),
                                            shapely.box(120.71, 33.10, 120.72, 33.11)])),  # 4: new district
    ("32098200", "八位", shapely.box(120.41, 33.11, 120.42, 33.12)),                   # 5: 8 digits
    ("320984001", "无区", shapely.box(120.41, 33.11, 120.42, 33.12)),                  # 6: no district
    ("320984001001", "无区社区", shapely.box(120.41, 33.11, 120.42, 33.12)),           # 7: parent rejected
    ("320982002009", "越界", shapely.box(120.49, 33.11, 120.52, 33.12)),               # 8: sticks out
    ("320982004", "蝴蝶", BOWTIE),                                                      # 9: repaired
    ("320982005", None, shapely.box(120.51, 33.13, 120.52, 33.14)),                   # 10: no name
    ("320982006", "点", shapely.Point(120.51, 33.15)),                                  # 11: a point
]
EXPECTED = {
    (5, "code", "code_format", "error"), (6, "code", "code_hierarchy", "error"), (7, "code", "code_hierarchy", "error"),
    (8, "geometry", "inside_parent", "error"), (9, "geometry", "valid_geometry", "warning"),
    (10, "name", "required", "error"), (11, "geometry", "geometry_type", "error"),
}


def units_file(tmp_path, rows=PLANTED, name="units.gpkg"):
    gdf = gpd.GeoDataFrame({"行政区划代码": [r[0] for r in rows], "行政区划名称": [r[1] for r in rows]},
                           geometry=[r[2] for r in rows], crs="EPSG:4490")
    path = tmp_path / name
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_planted_errors_and_upsert_by_level(city, tmp_path):
    audited = AuditEntry.objects.filter(action="INSERT", table_name__in=["layers_district", "layers_street",
                                                                         "layers_community"]).count()
    result = load.run("admin_units", units_file(tmp_path), city.users["admin"])
    assert {(e.row, e.field, e.rule, e.severity) for e in result.errors} == EXPECTED
    assert (result.counts.inserted, result.counts.updated, result.counts.unchanged) == (4, 1, 0)
    by_row = {e.row: e for e in result.errors}
    assert "320984" in by_row[6].message and "rejected" in by_row[7].message
    assert "outside street 320982002" in by_row[8].message

    street = Street.objects.get(code="320982003")
    assert street.district_id == "320982" and street.geom.geom_type == "MultiPolygon"
    assert Community.objects.get(code="320982003001").street_id == "320982003"
    assert Community.objects.get(code="320982001001").name == "一社区改"
    assert len(District.objects.get(code="320983").geom) == 2
    assert len(Street.objects.get(code="320982004").geom) == 2  # the bow-tie, split into its two triangles
    assert not Street.objects.filter(code__in=["320984001", "320982005"]).exists()
    inserts = AuditEntry.objects.filter(action="INSERT", table_name__in=["layers_district", "layers_street",
                                                                         "layers_community"])
    assert inserts.count() == audited + 3  # one bulk entry per table
    assert set(inserts.order_by("-id")[:3].values_list("actor", flat=True)) == {"admin1"}

    again = load.run("admin_units", units_file(tmp_path, PLANTED[:4], "again.gpkg"), city.users["admin"])
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 4)


def test_shapefile_with_xzqdm_headers_and_dry_run(city, tmp_path):
    gdf = gpd.GeoDataFrame({"XZQDM": ["320982002002"], "XZQMC": ["四社区"]},
                           geometry=[shapely.box(120.55, 33.20, 120.60, 33.30)], crs="EPSG:4490")
    path = zipped_shapefile(gdf, tmp_path, "units")
    before = Community.objects.count()
    dry = load.run("admin_units", path, city.users["admin"], load.Options(dry_run=True))
    assert dry.errors == [] and dry.counts.inserted == 1 and Community.objects.count() == before
    done = load.run("admin_units", path, city.users["admin"])
    assert done.counts.inserted == 1
    assert Community.objects.get(code="320982002002").street_id == "320982002"


def test_only_administrators(city, tmp_path):
    with pytest.raises(NotAllowed):
        load.run("admin_units", units_file(tmp_path, PLANTED[:1]), city.users["surveyor"])


def test_administrator_with_a_jurisdiction_stays_inside_it(city, tmp_path):
    admin = city.users["admin"]
    admin.jurisdiction_code = "320982002"
    admin.save(update_fields=["jurisdiction_code"])
    rows = [("320982002002", "四社区", shapely.box(120.55, 33.20, 120.60, 33.30)), PLANTED[0]]
    result = load.run("admin_units", units_file(tmp_path, rows), admin)
    assert [(e.row, e.field, e.rule) for e in result.errors] == [(2, "code", "jurisdiction")]
    assert result.counts.inserted == 1 and not Street.objects.filter(code="320982003").exists()

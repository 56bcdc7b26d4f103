"""Zone-area imports (A/B/C 区域类型 into gridding's ZoneArea): type values, geometry rules, repair,
replacement of the covered area (no natural key), unchanged re-import, jurisdiction, audit, CLI —
on GeoPackages written by pyogrio."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from audit.models import AuditEntry
from gridding.models import ZoneArea
from importers import load
from layers.errors import NotAllowed

BOWTIE = shapely.Polygon([(120.51, 33.11), (120.52, 33.12), (120.52, 33.11), (120.51, 33.12)])
# 区域类型, 名称, geometry (EPSG:4490); the district of tests/conftest.py is 120.40–120.60 × 33.10–33.30
PLANTED = [
    ("A", "老城", shapely.box(120.41, 33.11, 120.43, 33.13)),                          # 1: ok
    ("b", "新区", shapely.MultiPolygon([shapely.box(120.44, 33.11, 120.45, 33.12),
                                       shapely.box(120.46, 33.11, 120.47, 33.12)])),  # 2: lower case, multi
    ("C类区域", None, shapely.box(120.41, 33.20, 120.43, 33.22)),                       # 3: the layer's label
    ("一类", "一类区", shapely.box(120.41, 33.23, 120.42, 33.24)),                        # 4: not mapped
    (None, "无类型", shapely.box(120.41, 33.25, 120.42, 33.26)),                          # 5: no type
    ("A", "点", shapely.Point(120.41, 33.27)),                                           # 6: not a polygon
    ("B", "蝴蝶", BOWTIE),                                                               # 7: repaired (warning)
]
EXPECTED = {
    (4, "zone_type", "zone_type", "error"), (5, "zone_type", "required", "error"),
    (6, "geometry", "geometry_type", "error"), (7, "geometry", "valid_geometry", "warning"),
}


def zones_file(tmp_path, rows=PLANTED, name="zones.gpkg", header="区域类型"):
    gdf = gpd.GeoDataFrame({header: [r[0] for r in rows], "名称": [r[1] for r in rows]},
                           geometry=[r[2] for r in rows], crs="EPSG:4490")
    path = tmp_path / name
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_planted_errors_insert_and_unchanged_reimport(city, tmp_path):
    audited = AuditEntry.objects.filter(table_name="gridding_zonearea").count()
    before = ZoneArea.objects.count()
    result = load.run("zones", zones_file(tmp_path), city.users["admin"])
    assert {(e.row, e.field, e.rule, e.severity) for e in result.errors} == EXPECTED
    assert (result.counts.inserted, result.counts.unchanged, result.counts.deleted) == (4, 0, 0)
    assert ZoneArea.objects.count() == before + 4
    assert sorted(ZoneArea.objects.values_list("zone_type", flat=True)[before:]) == ["A", "B", "B", "C"]
    assert len(ZoneArea.objects.get(name="新区").geom) == 2
    assert len(ZoneArea.objects.get(name="蝴蝶").geom) == 2  # the bow-tie, split into its two triangles
    assert ZoneArea.objects.get(zone_type="C").name == ""
    entry = AuditEntry.objects.filter(table_name="gridding_zonearea").latest("id")
    assert entry.action == "INSERT" and entry.actor == "admin1"
    assert AuditEntry.objects.filter(table_name="gridding_zonearea").count() == audited + 1

    again = load.run("zones", zones_file(tmp_path, name="again.gpkg"), city.users["admin"])
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged, again.counts.deleted) == (0, 0, 4, 0)
    assert ZoneArea.objects.count() == before + 4
    assert AuditEntry.objects.filter(table_name="gridding_zonearea").count() == audited + 1


def test_a_file_replaces_the_zones_it_overlaps(city, tmp_path):
    load.run("zones", zones_file(tmp_path, PLANTED[:3]), city.users["admin"])
    # overlaps 老城 and 新区's first part; only touches nothing else; C zone untouched
    rows = [("B", "老城改", shapely.box(120.42, 33.11, 120.445, 33.13)),
            ("A", "边上", shapely.box(120.43, 33.13, 120.44, 33.14))]  # touches 老城's corner only
    result = load.run("zones", zones_file(tmp_path, rows, "new.gpkg", header="ZoneType"), city.users["admin"])
    assert (result.counts.inserted, result.counts.unchanged, result.counts.deleted) == (2, 0, 2)
    assert set(ZoneArea.objects.values_list("name", flat=True)) >= {"老城改", "边上", ""}
    assert not ZoneArea.objects.filter(name__in=["老城", "新区"]).exists()
    deletes = AuditEntry.objects.filter(table_name="gridding_zonearea", action="DELETE").order_by("-id")[:2]
    assert {d.before["name"] for d in deletes} == {"老城", "新区"}


def test_jurisdiction_and_roles(city, tmp_path):
    planner = city.users["planner"]  # jurisdiction: the east street, 120.50–120.60
    rows = [("A", "东", shapely.box(120.51, 33.20, 120.52, 33.21)),
            ("B", "西", shapely.box(120.41, 33.20, 120.42, 33.21))]
    result = load.run("zones", zones_file(tmp_path, rows), planner)
    assert [(e.row, e.field, e.rule) for e in result.errors] == [(2, "geometry", "jurisdiction")]
    assert result.counts.inserted == 1 and not ZoneArea.objects.filter(name="西").exists()
    with pytest.raises(NotAllowed):
        load.run("zones", zones_file(tmp_path, rows[:1], "s.gpkg"), city.users["surveyor"])


def test_dry_run_and_cli(city, tmp_path, capsys):
    from gridcity.cli import main

    before = ZoneArea.objects.count()
    dry = load.run("zones", zones_file(tmp_path, PLANTED[:1]), city.users["admin"], load.Options(dry_run=True))
    assert dry.counts.inserted == 1 and ZoneArea.objects.count() == before
    code = main(["import", "zones", str(zones_file(tmp_path, PLANTED[:2], "cli.gpkg")), "--user", "admin1",
                 "--report", str(tmp_path)])
    assert code == 0 and "2 inserted" in capsys.readouterr().out
    assert ZoneArea.objects.count() == before + 2

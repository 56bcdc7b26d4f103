"""Facility imports: kinds by key or Chinese title, typed attributes from extra columns checked per
row, unit grid from the position, upsert by 编号 merging attributes, dry run, jurisdiction, audit."""

from __future__ import annotations

import geopandas as gpd
import shapely
from import_files import write_csv, write_xlsx

from audit.models import AuditEntry
from importers import load
from layers.models import Facility

HEADER = ["编号", "类型", "名称", "地址", "运营单位", "是否分类", "日处理量(吨)", "类别", "厕位数", "type", "颜色",
          "经度", "纬度"]
PLANTED = [
    ["F-101", "垃圾投放点", "投放点甲", "幸福路1号", "环卫所", "是", "", "", "", "", "红", 120.41, 33.11],  # 2: ok
    ["F-102", "public_toilet", "公厕乙", "", "", "", "", "固定式", "8", "", "", 120.46, 33.25],           # 3: ok
    ["F-103", "垃圾转运站", "转运站丙", "", "", "", "150", "II", "", "", "", 120.55, 33.15],              # 4: ok
    ["F-104", "垃圾焚化厂", "无此类", "", "", "", "", "", "", "", "", 120.41, 33.11],                      # 5: kind
    ["F-105", "dropoff_point", "多属性", "", "", "", "", "", "3", "", "", 120.41, 33.11],                 # 6: attr
    ["F-106", "public_toilet", "厕位错", "", "", "", "", "", "很多", "", "", 120.41, 33.11],               # 7: type
    ["F-107", "public_toilet", "类别错", "", "", "", "", "豪华式", "", "", "", 120.41, 33.11],             # 8: choice
    ["F-108", "collection_point", "类型错", "", "", "", "", "", "", "3", "", 120.41, 33.11],              # 9: choice
    ["F-109", "collection_point", "负吨", "", "", "", "-1", "", "", "", "", 120.41, 33.11],                # 10: range
    ["F-110", "collection_point", "", "", "", "", "", "", "", "", "", 120.41, 33.11],                    # 11: no name
    ["F-111", "dropoff_point", "域外", "", "", "", "", "", "", "", "", 120.70, 33.11],                    # 12: no grid
    ["F-112", "dropoff_point", "重复甲", "", "", "", "", "", "", "", "", 120.41, 33.11],                  # 13: dup
    ["F-112", "dropoff_point", "重复乙", "", "", "", "", "", "", "", "", 120.41, 33.12],                  # 14: dup
    ["F-113", "collection_point", "分类错", "", "", "也许", "", "", "", "", "", 120.41, 33.11],            # 15: bool
]
EXPECTED = {
    (5, "kind", "facility_kind"), (6, "厕位数", "known_attribute"), (7, "attrs.stalls", "attribute_type"),
    (8, "attrs.category", "attribute_choice"), (9, "attrs.type", "attribute_choice"),
    (10, "attrs.daily_tonnage", "attribute_range"), (11, "name", "required"), (12, "geometry", "inside_district"),
    (13, "code", "unique_in_file"), (14, "code", "unique_in_file"), (15, "attrs.sorted", "attribute_type"),
}


def test_planted_errors(city, tmp_path):
    path = write_csv(tmp_path / "facilities.csv", HEADER, PLANTED)
    audited = AuditEntry.objects.filter(table_name="layers_facility", action="INSERT").count()
    result = load.run("facilities", path, city.users["admin"], load.Options(crs="EPSG:4490"))
    assert {(e.row, e.field, e.rule) for e in result.errors} == EXPECTED
    assert result.counts.inserted == 3 and result.rejected == 11
    assert result.ignored_columns == ["颜色"]
    by_row = {e.row: e for e in result.errors}
    assert "dropoff_point (垃圾投放点)" in by_row[5].message
    assert "垃圾投放点 has no attribute '厕位数'" in by_row[6].message

    stored = {f.code: f for f in Facility.objects.filter(code__in=["F-101", "F-102", "F-103"])}
    assert (stored["F-101"].kind, stored["F-101"].attrs, stored["F-101"].unit_grid_id) == (
        "dropoff_point", {"sorted": True}, "320982001001001")
    assert (stored["F-101"].address, stored["F-101"].operator) == ("幸福路1号", "环卫所")
    assert stored["F-102"].attrs == {"category": "固定式", "stalls": 8}
    assert stored["F-102"].unit_grid_id == "320982001002002"
    assert stored["F-103"].attrs == {"grade": "II", "actual_tonnage": 150.0}  # 类别 is a transfer station's grade
    inserts = AuditEntry.objects.filter(table_name="layers_facility", action="INSERT")
    assert inserts.count() == audited + 1 and inserts.latest("id").actor == "admin1"


def test_geopackage_typed_columns_and_merge_on_reimport(city, tmp_path):
    gdf = gpd.GeoDataFrame({"设施编号": ["F-001", "F-201"], "设施类型": ["垃圾收集点", "公共厕所"],
                            "名称": ["西收集点", "新公厕"], "daily_tonnage": [3.0, None], "stalls": [None, 4],
                            "accessible": [None, True]},
                           geometry=shapely.points([(120.43, 33.12), (120.47, 33.13)]), crs="EPSG:4490")
    path = tmp_path / "facilities.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    result = load.run("facilities", path, admin)
    assert result.errors == []
    assert (result.counts.inserted, result.counts.updated, result.counts.unchanged) == (1, 1, 0)
    # F-001 keeps the stored type and sorted, takes the new tonnage
    assert Facility.objects.get(code="F-001").attrs == {"type": 1, "sorted": True, "daily_tonnage": 3.0}
    assert Facility.objects.get(code="F-201").attrs == {"stalls": 4, "accessible": True}
    update = AuditEntry.objects.filter(table_name="layers_facility", action="UPDATE").latest("id")
    assert (update.before["attrs"]["daily_tonnage"], update.after["attrs"]["daily_tonnage"]) == (2.5, 3.0)

    stamps = dict(Facility.objects.values_list("code", "updated_at"))
    again = load.run("facilities", path, admin)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert dict(Facility.objects.values_list("code", "updated_at")) == stamps


def test_kind_change_replaces_attributes_and_position_moves_grid(city, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", ["编号", "类型", "名称", "桶数", "经度", "纬度"],
                      [["F-001", "dropoff_point", "改投放点", 6, 120.47, 33.26]])
    result = load.run("facilities", path, city.users["admin"], load.Options(crs="EPSG:4490"))
    assert result.errors == [] and result.counts.updated == 1
    moved = Facility.objects.get(code="F-001")
    assert (moved.kind, moved.attrs, moved.unit_grid_id) == ("dropoff_point", {"bins": 6}, "320982001002002")


def test_without_attribute_columns_attrs_are_kept(city, tmp_path):
    path = write_csv(tmp_path / "f.csv", ["编号", "类型", "名称", "经度", "纬度"],
                     [["F-001", "collection_point", "改名收集点", 120.43, 33.12]])
    result = load.run("facilities", path, city.users["admin"], load.Options(crs="EPSG:4490"))
    assert result.counts.updated == 1
    kept = Facility.objects.get(code="F-001")
    assert (kept.name, kept.attrs) == ("改名收集点", {"type": 1, "sorted": True, "daily_tonnage": 2.5})


def test_dry_run_and_jurisdiction(city, tmp_path):
    rows = [["F-301", "垃圾投放点", "西投放点", 120.41, 33.11],   # west: the surveyor's street
            ["F-302", "垃圾投放点", "东投放点", 120.55, 33.11],   # east
            ["F-002", "公共厕所", "东公厕", 120.41, 33.11]]       # stored in the east, moved west
    path = write_csv(tmp_path / "f.csv", ["编号", "类型", "名称", "经度", "纬度"], rows)
    before, audited = Facility.objects.count(), AuditEntry.objects.count()
    dry = load.run("facilities", path, city.users["admin"], load.Options(crs="EPSG:4490", dry_run=True))
    assert (dry.counts.inserted, dry.counts.updated) == (2, 1)
    assert (Facility.objects.count(), AuditEntry.objects.count()) == (before, audited)

    scoped = load.run("facilities", path, city.users["surveyor"], load.Options(crs="EPSG:4490"))
    assert [(e.row, e.field, e.rule) for e in scoped.errors] == [(3, "geometry", "jurisdiction"),
                                                                  (4, "code", "jurisdiction")]
    assert scoped.counts.inserted == 1
    assert Facility.objects.get(code="F-002").unit_grid_id == "320982002001002"

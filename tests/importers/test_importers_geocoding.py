"""Geocoding-entity imports: door plates 门(楼)牌 and POIs 兴趣点 (CSV and GeoPackage), upserted by code,
Chinese headers, name lists (别名/曾用名), unit grid from the position, planted errors, jurisdiction."""

from __future__ import annotations

import geopandas as gpd
import shapely
from import_files import write_csv

from audit.models import AuditEntry
from importers import load
from layers.models import POI, DoorPlate

PLATE_HEADER = ["门牌编码", "街巷名称", "门牌", "楼栋", "别名", "曾用名", "经度", "纬度"]
PLATES = [
    ["D-101", "幸福路", "12号", "", "幸福路十二号", "跃进路12号", 120.41, 33.12],   # 2: ok, grid 001001001
    ["D-102", "幸福路", "12-1号", "3幢", "", "", 120.46, 33.25],                   # 3: ok, grid 001002002
    ["D-103", "人民路", "甲8号", "", "甲八号、人民路8号甲", "", 120.55, 33.15],      # 4: ok, grid 002001001
    ["D-104", "人民路", "无号", "", "", "", 120.41, 33.12],                         # 5: house_number
    ["D-105", "", "5号", "", "", "", 120.41, 33.12],                               # 6: required street
    ["D-106", "人民路", "6号", "", "", "", 120.70, 33.12],                          # 7: inside_district
    ["D-107", "人民路", "7号", "", "", "", 120.41, 33.12],                          # 8: dup code
    ["D-107", "人民路", "7号", "", "", "", 120.41, 33.13],                          # 9: dup code
    ["D-108", "幸福路", "12号", "", "", "", 120.42, 33.12],                         # 10: same address (warning)
    ["D-109", "幸福路", "9号", "", "长" * 101, "", 120.42, 33.12],                  # 11: name_list
]
PLATE_ERRORS = {
    (5, "number", "house_number"), (6, "street_name", "required"), (7, "geometry", "inside_district"),
    (8, "code", "unique_in_file"), (9, "code", "unique_in_file"), (2, "number", "duplicate_address"),
    (10, "number", "duplicate_address"), (11, "aliases", "name_list"),
}


def test_door_plates_planted_errors(city, tmp_path):
    path = write_csv(tmp_path / "plates.csv", PLATE_HEADER, PLATES)
    result = load.run("door_plates", path, city.users["admin"], load.Options(crs="EPSG:4490"))
    assert {(e.row, e.field, e.rule) for e in result.errors} == PLATE_ERRORS
    assert {e.rule for e in result.errors if e.severity == "warning"} == {"duplicate_address"}
    assert (result.counts.inserted, result.rejected) == (4, 6)
    stored = {p.code: p for p in DoorPlate.objects.all()}
    assert set(stored) == {"D-101", "D-102", "D-103", "D-108"}
    one = stored["D-101"]
    assert (one.street_name, one.number, one.building, one.unit_grid_id) == ("幸福路", "12号", "", "320982001001001")
    assert (one.aliases, one.old_names) == (["幸福路十二号"], ["跃进路12号"])
    assert (stored["D-102"].building, stored["D-102"].unit_grid_id) == ("3幢", "320982001002002")
    assert stored["D-103"].aliases == ["甲八号", "人民路8号甲"]
    inserts = AuditEntry.objects.filter(table_name="layers_doorplate", action="INSERT")
    assert inserts.latest("id").actor == "admin1"


def test_door_plates_geopackage_reimport_updates_only_changes(city, tmp_path):
    gdf = gpd.GeoDataFrame({"门牌编码": ["D-201", "D-202"], "街路巷名": ["幸福路", "人民路"], "门牌号": ["1号", "2号"]},
                           geometry=shapely.points([(120.41, 33.12), (120.55, 33.15)]), crs="EPSG:4490")
    path = tmp_path / "plates.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    admin = city.users["admin"]
    first = load.run("door_plates", path, admin)
    assert first.errors == [] and first.counts.inserted == 2
    assert DoorPlate.objects.get(code="D-201").aliases == []
    DoorPlate.objects.filter(code="D-201").update(aliases=["老一号"])
    stamps = dict(DoorPlate.objects.values_list("code", "updated_at"))
    again = load.run("door_plates", path, admin)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert dict(DoorPlate.objects.values_list("code", "updated_at")) == stamps
    assert DoorPlate.objects.get(code="D-201").aliases == ["老一号"]  # no 别名 column: kept

    gdf.loc[1, "门牌号"] = "2-1号"
    gdf["别名"] = ["", '["人民路二号"]']
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    moved = load.run("door_plates", path, admin)
    assert (moved.counts.updated, moved.counts.unchanged) == (2, 0)  # D-201 loses its alias
    assert DoorPlate.objects.get(code="D-201").aliases == []
    changed = DoorPlate.objects.get(code="D-202")
    assert (changed.number, changed.aliases, changed.unit_grid_id) == ("2-1号", ["人民路二号"], "320982002001001")


def test_door_plates_jurisdiction(city, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["门牌编码", "街路巷名", "门牌号", "经度", "纬度"],
                     [["D-301", "幸福路", "1号", 120.41, 33.12], ["D-302", "人民路", "2号", 120.55, 33.12]])
    result = load.run("door_plates", path, city.users["surveyor"], load.Options(crs="EPSG:4490"))
    assert [(e.row, e.field, e.rule) for e in result.errors] == [(3, "geometry", "jurisdiction")]
    assert list(DoorPlate.objects.values_list("code", flat=True)) == ["D-301"]


POI_HEADER = ["兴趣点编码", "兴趣点名称", "分类", "地址", "别名", "曾用名", "经度", "纬度"]
POIS = [
    ["P-101", "幸福小学", "学校", "幸福路12号", "幸福路小学;幸福小", "红旗小学", 120.41, 33.12],  # 2: ok
    ["P-102", "人民医院", "医院", "", "", "", 120.55, 33.25],                                  # 3: ok
    ["P-103", "", "医院", "", "", "", 120.55, 33.25],                                         # 4: required name
    ["P-104", "域外商场", "商场", "", "", "", 121.00, 33.25],                                  # 5: inside_district
]


def test_pois_csv_and_reimport(city, tmp_path):
    path = write_csv(tmp_path / "pois.csv", POI_HEADER, POIS)
    admin = city.users["admin"]
    result = load.run("pois", path, admin, load.Options(crs="EPSG:4490"))
    assert {(e.row, e.field, e.rule) for e in result.errors} == {(4, "name", "required"),
                                                                 (5, "geometry", "inside_district")}
    assert result.counts.inserted == 2 and result.ignored_columns == []
    school = POI.objects.get(code="P-101")
    assert (school.name, school.category, school.address, school.unit_grid_id) == (
        "幸福小学", "学校", "幸福路12号", "320982001001001")
    assert (school.aliases, school.old_names) == (["幸福路小学", "幸福小"], ["红旗小学"])
    assert POI.objects.get(code="P-102").unit_grid_id == "320982002001002"
    again = load.run("pois", path, admin, load.Options(crs="EPSG:4490"))
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 2)


def test_pois_geopackage_in_another_crs(city, tmp_path):
    from import_files import project

    east, north = project([120.47], [33.13], 4549)
    gdf = gpd.GeoDataFrame({"编码": ["P-201"], "名称": ["农贸市场"], "类别": ["市场"]},
                           geometry=shapely.points(list(zip(east, north, strict=True))), crs="EPSG:4549")
    path = tmp_path / "pois.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("pois", path, city.users["admin"])
    assert result.errors == [] and result.counts.inserted == 1
    market = POI.objects.get(code="P-201")
    assert (market.category, market.unit_grid_id, market.aliases) == ("市场", "320982001002001", [])
    assert market.geom.x == __import__("pytest").approx(120.47, abs=1e-7)


def test_street_lines_geopackage_ranges_and_errors(city, tmp_path):
    from layers.models import StreetLine

    # rows of a GIS file are numbered from 1 (its features)
    lines = [shapely.LineString([(120.41, 33.15), (120.44, 33.15)]),   # 1: ok, both sides
             shapely.LineString([(120.46, 33.15), (120.49, 33.15)]),   # 2: ok, one range for both sides
             shapely.LineString([(120.52, 33.15), (120.58, 33.15)]),   # 3: number_range (left_to missing)
             shapely.LineString([(120.52, 33.16), (120.58, 33.16)]),   # 4: no name
             shapely.Point(120.52, 33.17)]                             # 5: geometry_type
    gdf = gpd.GeoDataFrame({
        "街巷编码": ["S-101", "S-102", "S-103", "S-104", "S-105"],
        "街路巷名": ["幸福路", "人民路", "建设路", None, "点路"],
        "别名": ["幸福大道", None, None, None, None], "曾用名": ["跃进路", None, None, None, None],
        "左起号": [1, None, 1, None, None], "左止号": [99, None, None, None, None],
        "右起号": [2, None, None, None, None], "右止号": [98, None, None, None, None],
        "起始门牌": [None, 1, None, None, None], "终止门牌": [None, 50, None, None, None],
    }, geometry=lines, crs="EPSG:4490")
    path = tmp_path / "streets.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("street_lines", path, city.users["admin"])
    assert {(e.row, e.field, e.rule) for e in result.errors} == {
        (3, "left_from", "number_range"), (4, "name", "required"), (5, "geometry", "geometry_type")}
    assert result.counts.inserted == 2 and result.ignored_columns == []
    happy = StreetLine.objects.get(code="S-101")
    assert (happy.name, happy.aliases, happy.old_names) == ("幸福路", ["幸福大道"], ["跃进路"])
    assert (happy.left_from, happy.left_to, happy.right_from, happy.right_to) == (1, 99, 2, 98)
    both = StreetLine.objects.get(code="S-102")
    assert (both.left_from, both.left_to, both.right_from, both.right_to) == (1, 50, 1, 50)
    again = load.run("street_lines", path, city.users["admin"])
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 2)


def test_street_lines_jurisdiction_is_spatial(city, tmp_path):
    from layers.models import StreetLine

    path = write_csv(tmp_path / "s.csv", ["街巷编码", "道路名称", "WKT"],
                     [["S-201", "西路", "LINESTRING (120.41 33.12, 120.44 33.12)"],
                      ["S-202", "跨街路", "LINESTRING (120.45 33.12, 120.55 33.12)"]])
    result = load.run("street_lines", path, city.users["surveyor"], load.Options(crs="EPSG:4490"))
    assert [(e.row, e.field, e.rule) for e in result.errors] == [(3, "geometry", "jurisdiction")]
    assert list(StreetLine.objects.values_list("code", flat=True)) == ["S-201"]


def test_place_zones_csv_wkt_repair_and_upsert(city, tmp_path):
    from layers.models import Zone

    rows = [["Z-101", "幸福小区", "幸福苑、幸福家园", "",
             "POLYGON ((120.41 33.11, 120.43 33.11, 120.43 33.13, 120.41 33.13, 120.41 33.11))"],
            ["Z-102", "人民小区", "", "工人新村",
             "MULTIPOLYGON (((120.51 33.11, 120.53 33.11, 120.53 33.13, 120.51 33.13, 120.51 33.11)), "
             "((120.55 33.11, 120.56 33.11, 120.56 33.12, 120.55 33.11)))"],
            ["Z-103", "", "", "", "POLYGON ((120.41 33.21, 120.43 33.21, 120.43 33.23, 120.41 33.21))"],
            ["Z-104", "蝴蝶区", "", "", "POLYGON ((120.41 33.21, 120.43 33.23, 120.43 33.21, 120.41 33.23, "
             "120.41 33.21))"]]
    path = write_csv(tmp_path / "zones.csv", ["区片编码", "区片名称", "别名", "曾用名", "WKT"], rows)
    admin = city.users["admin"]
    result = load.run("place_zones", path, admin, load.Options(crs="EPSG:4490"))
    assert {(e.row, e.field, e.rule, e.severity) for e in result.errors} == {
        (4, "name", "required", "error"), (5, "geometry", "valid_geometry", "warning")}
    assert result.counts.inserted == 3
    one = Zone.objects.get(code="Z-101")
    assert (one.name, one.aliases, one.old_names, one.geom.geom_type) == (
        "幸福小区", ["幸福苑", "幸福家园"], [], "MultiPolygon")
    assert len(Zone.objects.get(code="Z-102").geom) == 2 and Zone.objects.get(code="Z-104").geom.valid
    again = load.run("place_zones", path, admin, load.Options(crs="EPSG:4490"))
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)


def test_door_plate_qa_measures_wrong_street_wrong_number_and_omissions(city, build, tmp_path):
    """Door plates against their census limits: wrong street ≤ 3 %, wrong number ≤ 3 %, omissions ≤ 5 %."""
    from django.contrib.gis.geos import LineString, Point

    from importers import report

    build("street_lines", code="S-1", name="幸福路", aliases=["幸福大道"], old_names=["跃进路"],
          geom=LineString((120.41, 33.11), (120.42, 33.11), srid=4490))
    build("door_plates", code="D-OLD", street_name="幸福路", number="99号", geom=Point(120.4102, 33.1102, srid=4490))
    rows = [[f"D-{i:03d}", "幸福路" if i % 2 else "幸福大道", f"{i}号", 120.4101 + i * 1e-4, 33.1101]
            for i in range(40)]
    rows += [["D-900", "无名路", "1号", 120.4101, 33.1103],     # unknown_street
             ["D-901", "跃进路", "2号", 120.4102, 33.1103],     # old_street_name
             ["D-902", "幸福路", "无号", 120.4103, 33.1103]]    # house_number
    path = write_csv(tmp_path / "plates.csv", ["门牌编码", "街路巷名", "门牌号", "经度", "纬度"], rows)
    result = load.run("door_plates", path, city.users["admin"],
                      load.Options(crs="EPSG:4490", qa=True, qa_run="plates"))
    assert {(e.row, e.rule, e.severity) for e in result.errors} == {
        (42, "unknown_street", "warning"), (43, "old_street_name", "warning"), (44, "house_number", "error")}
    assert "an old name of 幸福路" in next(e.message for e in result.errors if e.rule == "old_street_name")
    (cell,) = result.qa.cells
    assert (cell["rows"], cell["wrong_street"], cell["wrong_number"], cell["previous"], cell["omitted"]) == (
        43, 2, 1, 1, 1)
    assert cell["street_share"] == round(2 / 43, 4) and cell["number_share"] == round(1 / 43, 4)
    # 2/43 = 4.7 % wrong streets > 3 % (numbers 2.3 % pass); the stored D-OLD is omitted (1 of 1)
    assert not cell["pass"] and not result.qa.passed
    assert result.qa.as_json()["limits"] == {"street": 0.03, "number": 0.03, "omission": 0.05}
    _, _ = report.write(result, tmp_path / "out", "plates")
    page = (tmp_path / "out" / "plates.qa.html").read_text(encoding="utf-8")
    assert "<th>街路巷错误 wrong street/estate</th><th>门牌号错误 wrong number</th>" in page
    assert "attribute" not in page and f"门牌号错误 wrong number {result.qa.totals['position_problems']}," in page

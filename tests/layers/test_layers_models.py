"""Model rules (SPEC §3, §4): codes nest in existing parents, shapes nest within tolerance, derived
fields (parents, unit grid, areas, lengths) come from the code or the position, facility attributes are typed."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from pyproj import Geod

from layers.facility_kinds import check_attrs
from layers.models import Component, ComponentClass, Facility, Street, UnitGrid
from layers.models.base import area_outside_m2

GRS80 = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid differs from GRS80 by less than 0.1 mm


def rules(exc: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in exc.error_dict.items()}


def refused(build, layer: str, **values: object) -> dict[str, set[str]]:
    with pytest.raises(ValidationError) as caught:
        build(layer, **values)
    return rules(caught.value)


def rect(minx: float, miny: float, maxx: float, maxy: float) -> Polygon:
    return Polygon.from_bbox((minx, miny, maxx, maxy))


# -- administrative units and unit grids ---------------------------------------------------------

def test_street_parent_comes_from_its_code(city) -> None:
    street = city.streets["320982001"]
    assert street.district_id == "320982"


@pytest.mark.parametrize(("layer", "code", "rule"), [
    ("streets", "32098200", "code_format"),
    ("streets", "32098200x", "code_format"),
    ("streets", "320981003", "code_hierarchy"),      # district 320981 does not exist
    ("communities", "320982003001", "code_hierarchy"),  # street 320982003 does not exist
    ("communities", "3209820010011", "code_format"),
])
def test_admin_unit_code_must_nest_in_an_existing_parent(build, city, layer: str, code: str, rule: str) -> None:
    geom = MultiPolygon(rect(120.41, 33.11, 120.42, 33.12), srid=4490)
    errors = refused(build, layer, code=code, name="x", geom=geom)
    assert set(errors) == {"code"} and rule in errors["code"]


def test_street_sticking_out_of_its_district_is_refused(build, city) -> None:
    geom = MultiPolygon(rect(120.55, 33.15, 120.65, 33.25), srid=4490)
    assert refused(build, "streets", code="320982003", name="越界街道", geom=geom) == {"geom": {"inside_parent"}}
    assert not Street.objects.filter(code="320982003").exists()


def test_unit_grid_code_must_nest_in_an_existing_community(build, city) -> None:
    assert refused(build, "unit_grids", code="320982001009001", geom=rect(120.40, 33.10, 120.41, 33.11)) == {
        "code": {"code_hierarchy"}}
    assert refused(build, "unit_grids", code="32098200100100", geom=rect(120.40, 33.10, 120.41, 33.11)) == {
        "code": {"code_format"}}


def test_unit_grid_parent_is_derived_from_the_code_not_trusted(build, city) -> None:
    wrong = city.communities["320982002001"]
    grid = build("unit_grids", code="320982001001003", community=wrong, geom=rect(120.40, 33.10, 120.41, 33.11))
    assert grid.community_id == "320982001001"


def test_unit_grid_area_is_the_geodesic_area(city) -> None:
    grid = city.grids["320982001001001"]
    lons, lats = [120.40, 120.45, 120.45, 120.40], [33.10, 33.10, 33.20, 33.20]
    expected = abs(GRS80.polygon_area_perimeter(lons, lats)[0])
    assert grid.area_m2 == pytest.approx(expected, rel=1e-5)
    assert UnitGrid.objects.get(code=grid.code).area_m2 == pytest.approx(expected, rel=1e-5)


def test_unit_grid_sticking_out_of_its_community_is_refused(build, city) -> None:
    # community 320982001001 ends at lon 120.45; this grid reaches 120.46 (≈ 100 000 m² outside)
    errors = refused(build, "unit_grids", code="320982001001003", geom=rect(120.44, 33.10, 120.46, 33.11))
    assert errors == {"geom": {"inside_parent"}}
    assert not UnitGrid.objects.filter(code="320982001001003").exists()


# A 111 m tall grid sticking ≈0.5 m² out of community 320982001001 (east edge 120.45):
# 0.5 m² / 111 m / 93 300 m per degree of longitude at 33.1°N.
SLIVER = rect(120.44, 33.100, 120.45 + 0.5 / (111 * 93_300), 33.101)


def sliver_grid(build):
    return build("unit_grids", code="320982001001003", geom=SLIVER.clone())


def test_float_noise_under_the_nesting_tolerance_is_accepted(build, city, settings) -> None:
    outside = area_outside_m2(Polygon(SLIVER.coords[0], srid=4490), "layers_community", "320982001001")
    assert outside == pytest.approx(0.5, rel=0.05)
    settings.GRIDCITY_NESTING_TOLERANCE_M2 = 1.0
    assert sliver_grid(build).pk is not None


def test_the_nesting_tolerance_is_a_setting(build, city, settings) -> None:
    settings.GRIDCITY_NESTING_TOLERANCE_M2 = 0.1
    with pytest.raises(ValidationError) as caught:
        sliver_grid(build)
    assert rules(caught.value) == {"geom": {"inside_parent"}}
    assert "0.1 m²" in caught.value.message_dict["geom"][0]


# -- components ---------------------------------------------------------------------------------

def component(build, code: str, cls: str, lon: float = 120.42, lat: float = 33.15, **more: object) -> Component:
    return build("components", code=code, component_class_id=cls, geom=Point(lon, lat, srid=4490), **more)


def test_component_unit_grid_comes_from_its_position(build, city) -> None:
    c = component(build, "3209820101000009", "0101", 120.57, 33.25)
    assert c.unit_grid_id == "320982002001002"
    assert city.components["3209820101000002"].unit_grid_id == "320982001002002"


def test_component_code_must_start_with_district_and_class(build, city) -> None:
    with pytest.raises(ValidationError) as caught:
        component(build, "3209810101000009", "0101")
    assert rules(caught.value) == {"code": {"component_code"}}
    assert "320982" in caught.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as caught:
        component(build, "3209820102000009", "0101")
    assert rules(caught.value) == {"code": {"component_code"}}
    assert not Component.objects.filter(code__endswith="000009").exists()


def test_component_of_an_unknown_class_is_refused(build, city) -> None:
    with pytest.raises(ValidationError) as caught:
        component(build, "3209820699000001", "0699")
    assert "component_class" in rules(caught.value)


def test_component_outside_every_unit_grid_is_refused(build, city) -> None:
    with pytest.raises(ValidationError) as caught:
        component(build, "3209820101000009", "0101", 121.5, 33.15)
    assert rules(caught.value) == {"geom": {"inside_district"}}


def test_component_photos_must_be_a_list_of_urls(build, city) -> None:
    with pytest.raises(ValidationError) as caught:
        component(build, "3209820101000009", "0101", photos={"a": 1})
    assert rules(caught.value) == {"photos": {"photo_list"}}


def test_component_line_is_located_by_a_point_on_it(build, city) -> None:
    line = LineString((120.51, 33.21), (120.52, 33.22), srid=4490)
    c = build("components", code="3209820101000010", component_class_id="0101", geom=line)
    assert c.unit_grid_id == "320982002001002"


def test_component_class_rules(db) -> None:
    extension = ComponentClass(major_code="04", minor_code="85", name="智慧灯杆")
    extension.full_clean(exclude=["code", "major_name"])
    assert (extension.code, extension.major_name, extension.is_extension) == ("0485", "园林绿化设施", True)
    with pytest.raises(ValidationError) as caught:
        ComponentClass(major_code="06", minor_code="01", name="x").full_clean(exclude=["code", "major_name"])
    assert rules(caught.value) == {"code": {"class_code"}}
    assert ComponentClass.objects.get(code="0101").name == "上水井盖"
    assert not ComponentClass.objects.get(code="0101").is_extension


# -- facilities ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "attrs", "field", "rule"), [
    ("collection_point", {"type": "1"}, "attrs.type", "attribute_type"),
    ("collection_point", {"sorted": "yes"}, "attrs.sorted", "attribute_type"),
    ("public_toilet", {"stalls": True}, "attrs.stalls", "attribute_type"),        # a bool is not an int
    ("public_toilet", {"stalls": 2.5}, "attrs.stalls", "attribute_type"),
    ("collection_point", {"daily_tonnage": False}, "attrs.daily_tonnage", "attribute_type"),
    ("collection_point", {"type": 3}, "attrs.type", "attribute_choice"),
    ("transfer_station", {"size": "巨"}, "attrs.size", "attribute_choice"),
    ("public_toilet", {"stalls": -1}, "attrs.stalls", "attribute_range"),
    ("public_toilet", {"stals": 4}, "attrs.stals", "known_attribute"),
    ("landfill", {"type": 1}, "attrs.type", "known_attribute"),
    ("public_toilet", ["stalls", 4], "attrs", "attrs_object"),
    ("toilet", {}, "kind", "facility_kind"),
])
def test_facility_attributes_are_typed(kind: str, attrs: object, field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_attrs(kind, attrs)
    assert rules(caught.value) == {field: {rule}}


def test_facility_attributes_that_fit_pass() -> None:
    check_attrs("collection_point", {"type": 2, "daily_tonnage": 3, "sorted": False, "source": "居民"})
    check_attrs("transfer_station", {"size": "中", "grade": "III", "design_tonnage": 150.0})
    check_attrs("landfill", {})


def test_facility_model_refuses_bad_attrs_and_unknown_kind(build, city) -> None:
    at = Point(120.44, 33.13, srid=4490)
    errors = refused(build, "facilities", kind="public_toilet", code="F-009", name="x", attrs={"stalls": "6"}, geom=at)
    assert errors == {"attrs.stalls": {"attribute_type"}}
    errors = refused(build, "facilities", kind="spaceport", code="F-009", name="x", attrs={}, geom=at)
    assert "facility_kind" in errors["kind"]
    assert not Facility.objects.filter(code="F-009").exists()


def test_facility_unit_grid_comes_from_its_position(city) -> None:
    assert city.facilities["F-001"].unit_grid_id == "320982001001001"
    assert city.facilities["F-002"].unit_grid_id == "320982002001002"


# -- lines and responsibility grids --------------------------------------------------------------

def test_road_district_and_length_are_derived(city) -> None:
    road = city.roads["西路"]
    expected = GRS80.line_length([120.41, 120.44], [33.11, 33.11])
    assert road.district_id == "320982"
    assert road.length_m == pytest.approx(expected, rel=1e-5)


def test_cleaning_segment_area_is_length_times_width(build, city) -> None:
    seg = build("cleaning_segments", name="东路一段", grade=2, width_m=12.0,
                geom=LineString((120.52, 33.28), (120.55, 33.28), srid=4490))
    expected = GRS80.line_length([120.52, 120.55], [33.28, 33.28])
    assert seg.length_m == pytest.approx(expected, rel=1e-5)
    assert seg.area_m2 == pytest.approx(expected * 12.0, rel=1e-5)


def test_road_outside_every_district_is_refused(build, city) -> None:
    errors = refused(build, "roads", name="外路", grade=1, geom=LineString((121.0, 34.0), (121.1, 34.0), srid=4490))
    assert errors == {"geom": {"inside_district"}}


def test_responsibility_grid_is_bound_to_a_person_or_team(build, city) -> None:
    geom = MultiPolygon(rect(120.40, 33.10, 120.45, 33.20), srid=4490)
    errors = refused(build, "responsibility_grids", code="RG-1", name="一组", kind="supervisor", geom=geom)
    assert errors == {"assignee": {"bound"}}
    grid = build("responsibility_grids", code="RG-1", name="一组", kind="supervisor", geom=geom,
                 assignee=city.users["supervisor"])
    assert grid.assignee_id == city.users["supervisor"].pk


def test_invalid_geometry_is_refused(build, city) -> None:
    bowtie = Polygon(((120.40, 33.10), (120.41, 33.11), (120.41, 33.10), (120.40, 33.11), (120.40, 33.10)))
    errors = refused(build, "unit_grids", code="320982001001003", geom=bowtie)
    assert errors.get("geom") == {"valid_geometry"}


# -- geocoding entities (GB/T 30428.3) -----------------------------------------------------------

def test_door_plate_and_poi_unit_grid_comes_from_their_position(build, city) -> None:
    plate = build("door_plates", code="D-1", street_name="幸福路", number="12-1号", geom=Point(120.47, 33.25))
    poi = build("pois", code="P-1", name="幸福小学", category="学校", geom=Point(120.55, 33.15))
    assert (plate.unit_grid_id, poi.unit_grid_id) == ("320982001002002", "320982002001001")
    assert plate.address == "幸福路12-1号" and plate.aliases == [] and poi.old_names == []
    assert refused(build, "door_plates", code="D-2", street_name="幸福路", number="1号",
                   geom=Point(120.70, 33.25)) == {"geom": {"inside_district"}}


def test_geocoding_rules(build, city) -> None:
    assert refused(build, "door_plates", code="D-3", street_name="幸福路", number="无号",
                   geom=Point(120.47, 33.25)) == {"number": {"house_number"}}
    assert refused(build, "pois", code="P-2", name="医院", aliases=["", "x"],
                   geom=Point(120.47, 33.25)) == {"aliases": {"name_list"}}
    assert refused(build, "place_zones", code="Z-1", name="小区", old_names="旧名",
                   geom=MultiPolygon(rect(120.41, 33.11, 120.42, 33.12), srid=4490)) == {"old_names": {"name_list"}}
    assert refused(build, "street_lines", code="S-1", name="幸福路", left_from=1,
                   geom=LineString((120.41, 33.11), (120.42, 33.11), srid=4490)) == {"left_to": {"number_range"}}
    street = build("street_lines", code="S-2", name="幸福路", right_from=2, right_to=40, aliases=["幸福大道"],
                   geom=LineString((120.41, 33.11), (120.42, 33.11), srid=4490))
    assert (street.left_from, street.right_to) == (None, 40)

"""Writing through the GeoJSON API: roles, validation with {field, rule}, CRS at the boundary,
derived fields, conflicts, jurisdiction — and nothing half-written when a write is refused."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from audit.models import AuditEntry
from layers.models import Community, Component, District, Facility, Road, UnitGrid
from layers.registry import Layer, Style, registry
from layers.roles import EVERYONE

FEATURES = "/api/layers/components/features/"


def feature(geometry: object, crs: object = None, **properties: object) -> dict:
    body: dict = {"type": "Feature", "geometry": geometry, "properties": properties}
    if crs is not None:
        body["crs"] = crs
    return body


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def square(minx: float, miny: float, maxx: float, maxy: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]]}


def new_component(lon: float = 120.46, lat: float = 33.14, code: str = "3209820101000100", **more: object) -> dict:
    return feature(point(lon, lat), code=code, component_class=code[6:10], name="新井盖", **more)


def state() -> tuple[int, int, int, int]:
    """Row counts that a refused write must leave alone."""
    return Component.objects.count(), UnitGrid.objects.count(), Road.objects.count(), AuditEntry.objects.count()


def refused(response, status: int, field: str | None, rule: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and body["errors"], body
    assert (body["errors"][0]["field"], body["errors"][0]["rule"]) == (field, rule), body
    return body


@pytest.fixture
def unchanged(city):
    """Asserts after the test that no feature or audit row was written (use in refusal tests)."""
    before = state()
    yield
    assert state() == before


# -- create -------------------------------------------------------------------------------------

def test_surveyor_creates_a_component_in_their_street(city) -> None:
    response = city.clients["surveyor"].post(FEATURES, new_component(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["geometry"] == point(120.46, 33.14)
    assert body["properties"]["unit_grid"] == "320982001002001"
    stored = Component.objects.get(code="3209820101000100")
    assert (stored.pk, stored.name, stored.unit_grid_id) == (body["id"], "新井盖", "320982001002001")


def test_stated_unit_grid_is_ignored_and_derived_from_position(city) -> None:
    body = new_component(unit_grid="320982002001001")
    response = city.clients["admin"].post(FEATURES, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["unit_grid"] == "320982001002001"
    assert Component.objects.get(code="3209820101000100").unit_grid_id == "320982001002001"


def test_dispatcher_may_not_create_components(city, unchanged) -> None:
    body = refused(city.clients["dispatcher"].post(FEATURES, new_component(), format="json"), 403, "layer", "role")
    assert "dispatcher" in body["detail"]


@pytest.mark.parametrize("role", ["surveyor", "dispatcher", "planner", "supervisor", "auditor"])
def test_districts_are_not_editable_by_non_admins(city, role: str) -> None:
    client, district = city.clients[role], city.district
    path = f"/api/layers/districts/features/{district.pk}"
    response = client.patch(path, {"type": "Feature", "properties": {"name": "改名区"}}, format="json")
    # a user who cannot see the district gets 404, one who can gets 403; neither renames it
    assert response.status_code in (403, 404)
    assert client.post("/api/layers/districts/features/",
                       feature(square(120.4, 33.1, 120.5, 33.2), code="320983", name="新区"),
                       format="json").status_code == 403
    assert District.objects.get(pk=district.pk).name == "大丰区"
    assert not District.objects.filter(code="320983").exists()


def test_dispatcher_sees_but_may_not_patch_the_district(city) -> None:
    path = f"/api/layers/districts/features/{city.district.pk}"
    assert city.clients["dispatcher"].get(path).status_code == 200
    refused(city.clients["dispatcher"].patch(path, {"type": "Feature", "properties": {"name": "改"}}, format="json"),
            403, "layer", "role")


def test_admin_edits_a_district(city) -> None:
    path = f"/api/layers/districts/features/{city.district.pk}"
    response = city.clients["admin"].patch(path, {"type": "Feature", "properties": {"name": "大丰"}}, format="json")
    assert response.status_code == 200, response.content
    assert District.objects.get(pk=city.district.pk).name == "大丰"


def test_polygon_is_stored_as_multipolygon_where_the_layer_needs_it(city) -> None:
    response = city.clients["admin"].post(
        "/api/layers/communities/features/", feature(square(120.50, 33.10, 120.51, 33.11), code="320982002002",
                                                     name="四社区"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["geometry"]["type"] == "MultiPolygon"
    assert Community.objects.get(code="320982002002").street_id == "320982002"


# -- refused bodies -------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field", "rule"), [
    ({"type": "FeatureCollection", "features": []}, "type", "geojson_feature"),
    (["not", "an", "object"], "type", "geojson_feature"),
    ({"type": "Feature", "properties": {"code": "3209820101000100", "component_class": "0101"}},
     "geometry", "required"),
    (feature({"type": "Point", "coordinates": [120.4]}, code="3209820101000100", component_class="0101"),
     "geometry", "geojson_geometry"),
    (feature({"type": "Blob", "coordinates": [120.4, 33.1]}, code="3209820101000100", component_class="0101"),
     "geometry", "geojson_geometry"),
    (feature({"type": "Point", "coordinates": "120.4 33.1"}, code="3209820101000100", component_class="0101"),
     "geometry", "geojson_geometry"),
    (feature("POINT (120.46 33.14)", code="3209820101000100", component_class="0101"), "geometry", "geojson_geometry"),
    ({"type": "Feature", "geometry": point(120.46, 33.14), "properties": ["code"]}, "properties", "geojson_feature"),
    (feature({"type": "LineString", "coordinates": []}, code="3209820101000100", component_class="0101"),
     "geometry", "required"),
    (feature({"type": "GeometryCollection", "geometries": []}, code="3209820101000100", component_class="0101"),
     "geometry", "required"),
    (new_component(colour="red"), "colour", "known_field"),
    (new_component(lon=200.0), "geometry", "coordinate_range"),
    (new_component(lat=-91.0), "geometry", "coordinate_range"),
    (new_component(lon=121.5), "geometry", "inside_district"),         # a real place, outside the district
    (new_component(code="3209820101000001"), "code", "unique"),         # 标识码 already taken
    (new_component(code="3209810101000100"), "code", "component_code"),  # another district's prefix
    (new_component(code="32098201010001X0"), "code", "code_format"),
    (feature(point(120.46, 33.14), code="3209820101000100", component_class="0102"), "code", "component_code"),
    (feature(point(120.46, 33.14), code="3209820699000100", component_class="0699"), "component_class",
     "does_not_exist"),
    (new_component(status="坏了"), "status", "invalid_choice"),
    (new_component(scale_denominator="many"), "scale_denominator", "invalid"),
    (new_component(initial_date="2024-13-45"), "initial_date", "invalid"),
    (new_component(photos="http://x/1.jpg"), "photos", "photo_list"),
])
def test_bad_component_bodies_are_400_naming_field_and_rule(city, unchanged, body, field: str, rule: str) -> None:
    body = refused(city.clients["admin"].post(FEATURES, body, format="json"), 400, field, rule)
    assert body["errors"][0]["message"]


def test_malformed_json_is_400(city, unchanged) -> None:
    response = city.clients["admin"].post(FEATURES, data='{"type": "Feature",', content_type="application/json")
    refused(response, 400, None, "parse_error")


def test_several_bad_properties_are_reported_together(city, unchanged) -> None:
    response = city.clients["admin"].post(FEATURES, new_component(status="坏了", scale_denominator="x"), format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"status", "scale_denominator"}


@pytest.mark.parametrize(("layer", "geometry", "properties"), [
    ("facilities", {"type": "LineString", "coordinates": [[120.41, 33.11], [120.42, 33.12]]},
     {"code": "F-100", "kind": "public_toilet", "name": "x"}),
    ("unit_grids", point(120.41, 33.11), {"code": "320982001001003"}),
    ("roads", square(120.41, 33.11, 120.42, 33.12), {"name": "x", "grade": 1}),
])
def test_wrong_geometry_type_is_400(city, unchanged, layer: str, geometry: dict, properties: dict) -> None:
    body = feature(geometry, **properties)
    body = refused(city.clients["admin"].post(f"/api/layers/{layer}/features/", body, format="json"),
                   400, "geometry", "geometry_type")
    assert "Point" in body["detail"] or "Polygon" in body["detail"] or "LineString" in body["detail"]


@pytest.mark.parametrize("crs", [
    {"type": "name", "properties": {"name": "EPSG:3857"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9999"}},
    {"type": "name", "properties": {}},
    {"type": "name", "properties": "EPSG:4490"},
    {"type": "link", "href": "http://example.com/crs"},
    "EPSG:2000",
])
def test_unknown_crs_member_is_400_supported_crs(city, unchanged, crs: object) -> None:
    body = new_component()
    body["crs"] = crs
    refused(city.clients["admin"].post(FEATURES, body, format="json"), 400, "crs", "supported_crs")


@pytest.mark.parametrize("name", ["EPSG:9999", "EPSG:3857", "wgs84", "EPSG:4555"])
def test_unknown_crs_parameter_is_400_supported_crs(city, unchanged, name: str) -> None:
    response = city.clients["admin"].post(f"{FEATURES}?crs={name}", new_component(), format="json")
    body = refused(response, 400, "crs", "supported_crs")
    assert name in body["detail"]


def test_degrees_given_to_a_gauss_krueger_crs_are_out_of_range(city, unchanged) -> None:
    response = city.clients["admin"].post(f"{FEATURES}?crs=EPSG:4549", new_component(), format="json")
    refused(response, 400, "geometry", "coordinate_range")


def gauss_krueger(lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs(4490, 4549, always_xy=True).transform(lon, lat)


@pytest.mark.parametrize("how", ["parameter", "member", "name"])
def test_component_in_gauss_krueger_lands_at_the_right_lon_lat(city, how: str) -> None:
    lon, lat = 120.5512, 33.2871
    easting, northing = gauss_krueger(lon, lat)
    body = feature({"type": "Point", "coordinates": [easting, northing]}, code="3209820101000100",
                   component_class="0101")
    path = FEATURES
    if how == "parameter":
        path += "?crs=EPSG:4549"
    elif how == "member":
        body["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    else:
        body["crs"] = "EPSG:4549"
    response = city.clients["admin"].post(path, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-7)
    stored = Component.objects.get(code="3209820101000100")
    assert stored.geom.srid == 4490
    assert (stored.geom.x, stored.geom.y) == pytest.approx((lon, lat), abs=1e-7)
    assert stored.unit_grid_id == "320982002001002"


def test_a_height_is_dropped_not_refused(city) -> None:
    body = feature({"type": "Point", "coordinates": [120.46, 33.14, 12.5]}, code="3209820101000100",
                   component_class="0101")
    response = city.clients["admin"].post(FEATURES, body, format="json")
    assert response.status_code == 201, response.content
    stored = Component.objects.get(code="3209820101000100").geom
    assert (stored.hasz, stored.x, stored.y) == (False, 120.46, 33.14)


def test_wgs84_input_is_accepted(city) -> None:
    response = city.clients["admin"].post(f"{FEATURES}?crs=EPSG:4326", new_component(), format="json")
    assert response.status_code == 201
    assert response.json()["geometry"]["coordinates"] == pytest.approx([120.46, 33.14], abs=1e-6)


def test_facility_with_bad_attributes_is_refused(city, unchanged) -> None:
    client = city.clients["surveyor"]
    base = {"code": "F-100", "name": "新公厕", "kind": "public_toilet"}
    path = "/api/layers/facilities/features/"
    refused(client.post(path, feature(point(120.41, 33.12), **base, attrs={"stalls": "4"}), format="json"),
            400, "attrs.stalls", "attribute_type")
    refused(client.post(path, feature(point(120.41, 33.12), **base, attrs={"seats": 4}), format="json"),
            400, "attrs.seats", "known_attribute")
    refused(client.post(path, feature(point(120.41, 33.12), **base | {"kind": "spaceport"}, attrs={}), format="json"),
            400, "kind", "invalid_choice")
    assert not Facility.objects.filter(code="F-100").exists()


def test_facility_with_typed_attributes_is_created(city) -> None:
    body = feature(point(120.41, 33.12), code="F-100", name="新公厕", kind="public_toilet",
                   attrs={"stalls": 4, "accessible": True, "grade": "一类"})
    response = city.clients["surveyor"].post("/api/layers/facilities/features/", body, format="json")
    assert response.status_code == 201, response.content
    assert Facility.objects.get(code="F-100").attrs == {"stalls": 4, "accessible": True, "grade": "一类"}


def test_unit_grid_sticking_out_of_its_community_is_refused(city, unchanged) -> None:
    body = feature(square(120.44, 33.10, 120.46, 33.11), code="320982001001003")
    refused(city.clients["surveyor"].post("/api/layers/unit_grids/features/", body, format="json"),
            400, "geometry", "inside_parent")


def test_unit_grid_code_not_nesting_is_refused(city, unchanged) -> None:
    body = feature(square(120.40, 33.10, 120.41, 33.11), code="320982001009001")
    refused(city.clients["surveyor"].post("/api/layers/unit_grids/features/", body, format="json"),
            400, "code", "code_hierarchy")


@pytest.fixture
def read_only_layer():
    layer = Layer(name="road_archive", title="道路档案", model=Road, geometry_type="LineString",
                  fields=("name", "grade"), zoom=(10, 22), style=Style({}, {}), read_roles=EVERYONE)
    with registry.override(layer):
        yield layer


def test_read_only_layer_refuses_writes(city, unchanged, read_only_layer) -> None:
    body = feature({"type": "LineString", "coordinates": [[120.41, 33.11], [120.42, 33.12]]}, name="x", grade=1)
    refused(city.clients["admin"].post("/api/layers/road_archive/features/", body, format="json"),
            405, "layer", "editable_layer")


# -- update and delete ----------------------------------------------------------------------------

def test_patch_changes_only_what_the_body_names(city) -> None:
    c = city.components["3209820101000001"]
    response = city.clients["surveyor"].patch(f"{FEATURES}{c.pk}", {"type": "Feature", "properties": {
        "status": "破损", "note": "井盖松动"}}, format="json")
    assert response.status_code == 200, response.content
    stored = Component.objects.get(pk=c.pk)
    assert (stored.status, stored.note, stored.name, stored.code) == ("破损", "井盖松动", "上水井盖一", c.code)
    assert (stored.geom.x, stored.geom.y) == (120.42, 33.15)


def test_patch_geometry_rederives_the_unit_grid(city) -> None:
    c = city.components["3209820101000001"]
    response = city.clients["surveyor"].patch(f"{FEATURES}{c.pk}", feature(point(120.48, 33.26)), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["unit_grid"] == "320982001002002"
    assert Component.objects.get(pk=c.pk).unit_grid_id == "320982001002002"


def test_patch_with_a_bad_value_changes_nothing(city, unchanged) -> None:
    c = city.components["3209820101000001"]
    response = city.clients["surveyor"].patch(f"{FEATURES}{c.pk}", feature(point(120.48, 33.26), status="坏了"),
                                              format="json")
    refused(response, 400, "status", "invalid_choice")
    stored = Component.objects.get(pk=c.pk)
    assert (stored.status, stored.unit_grid_id, stored.geom.x) == ("完好", "320982001001001", 120.42)


def test_patch_to_a_taken_code_is_refused(city, unchanged) -> None:
    c = city.components["3209820101000001"]
    refused(city.clients["admin"].patch(f"{FEATURES}{c.pk}", {"type": "Feature", "properties": {
        "code": "3209820101000002"}}, format="json"), 400, "code", "unique")


def test_delete_an_unreferenced_feature(city) -> None:
    c = city.components["3209820101000002"]
    assert city.clients["surveyor"].delete(f"{FEATURES}{c.pk}").status_code == 204
    assert not Component.objects.filter(pk=c.pk).exists()
    assert city.clients["surveyor"].get(f"{FEATURES}{c.pk}").status_code == 404


def test_delete_of_a_referenced_feature_is_409(city, unchanged) -> None:
    grid = city.grids["320982001001001"]  # holds a component and a facility
    body = refused(city.clients["surveyor"].delete(f"/api/layers/unit_grids/features/{grid.pk}"), 409, None, "in_use")
    assert grid.code in body["detail"]
    community = city.communities["320982002001"]
    refused(city.clients["admin"].delete(f"/api/layers/communities/features/{community.pk}"), 409, None, "in_use")
    assert UnitGrid.objects.filter(pk=grid.pk).exists() and Community.objects.filter(pk=community.pk).exists()


def test_dispatcher_may_not_delete(city, unchanged) -> None:
    c = city.components["3209820101000001"]
    refused(city.clients["dispatcher"].delete(f"{FEATURES}{c.pk}"), 403, "layer", "role")
    refused(city.clients["dispatcher"].patch(f"{FEATURES}{c.pk}", {"type": "Feature", "properties": {"name": "x"}},
                                             format="json"), 403, "layer", "role")


# -- jurisdiction on writes -------------------------------------------------------------------------

def test_create_outside_the_jurisdiction_is_403_and_writes_nothing(city, unchanged) -> None:
    response = city.clients["surveyor"].post(FEATURES, new_component(lon=120.55, lat=33.14), format="json")
    body = refused(response, 403, "geometry", "jurisdiction")
    assert "320982001" in body["detail"]
    assert not Component.objects.filter(code="3209820101000100").exists()


def test_moving_a_feature_out_of_the_jurisdiction_is_403_and_writes_nothing(city, unchanged) -> None:
    c = city.components["3209820101000001"]
    response = city.clients["surveyor"].patch(f"{FEATURES}{c.pk}", feature(point(120.55, 33.14), name="搬走"),
                                              format="json")
    refused(response, 403, "geometry", "jurisdiction")
    stored = Component.objects.get(pk=c.pk)
    assert (stored.geom.x, stored.geom.y, stored.unit_grid_id, stored.name) == (
        120.42, 33.15, "320982001001001", "上水井盖一")


def test_another_streets_feature_cannot_be_changed_or_deleted(city, unchanged) -> None:
    other = city.components["3209820102000001"]
    client = city.clients["surveyor"]
    refused(client.patch(f"{FEATURES}{other.pk}", {"type": "Feature", "properties": {"name": "x"}}, format="json"),
            404, "id", "exists")
    refused(client.delete(f"{FEATURES}{other.pk}"), 404, "id", "exists")
    assert Component.objects.get(pk=other.pk).name == "污水井盖一"


def test_unit_grid_coded_for_another_street_is_403(city, unchanged) -> None:
    body = feature(square(120.50, 33.10, 120.51, 33.11), code="320982002001003")
    refused(city.clients["surveyor"].post("/api/layers/unit_grids/features/", body, format="json"),
            403, "code", "jurisdiction")


def test_spatially_scoped_write_outside_the_jurisdiction_is_403(city, unchanged) -> None:
    west = {"type": "LineString", "coordinates": [[120.41, 33.15], [120.44, 33.15]]}
    across = {"type": "LineString", "coordinates": [[120.48, 33.15], [120.55, 33.15]]}
    for geometry in (west, across):
        refused(city.clients["planner"].post("/api/layers/roads/features/", feature(geometry, name="西三路", grade=3),
                                             format="json"), 403, "geometry", "jurisdiction")


def test_spatially_scoped_write_inside_the_jurisdiction(city) -> None:
    east = {"type": "LineString", "coordinates": [[120.51, 33.15], [120.55, 33.15]]}
    response = city.clients["planner"].post("/api/layers/roads/features/", feature(east, name="东三路", grade=3),
                                            format="json")
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["district"] == "320982"
    assert response.json()["properties"]["length_m"] > 3000


def test_line_along_the_jurisdiction_boundary_is_inside(city) -> None:
    edge = {"type": "LineString", "coordinates": [[120.50, 33.12], [120.50, 33.18]]}
    response = city.clients["planner"].post("/api/layers/roads/features/", feature(edge, name="界路", grade=4),
                                            format="json")
    assert response.status_code == 201, response.content

"""Reading through the GeoJSON API: the layer list, bbox, filters, paging, errors, jurisdiction."""

from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")
FEATURES = "/api/layers/components/features/"


def codes_of(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(f["properties"]["code"] for f in response.json()["features"])


# -- the layer list -----------------------------------------------------------------------------

def test_layer_list_describes_fields_with_chinese_titles(city) -> None:
    response = city.clients["surveyor"].get("/api/layers/")
    assert response.status_code == 200
    layers = {layer["name"]: layer for layer in response.json()["layers"]}
    assert {"districts", "streets", "communities", "unit_grids", "components", "facilities", "roads"} <= set(layers)
    assert layers["components"]["title"] == "部件"
    for layer in layers.values():
        for field in layer["fields"]:
            assert CJK.search(field["title"]), f"{layer['name']}.{field['name']} has no Chinese title: {field}"
    fields = {f["name"]: f for f in layers["components"]["fields"]}
    assert fields["code"]["title"] == "标识码"
    assert fields["unit_grid"]["read_only"] is True and fields["code"]["read_only"] is False
    assert "破损" in fields["status"]["choices"]
    grid_kinds = {f["name"]: f for f in layers["responsibility_grids"]["fields"]}["kind"]["choices"]
    assert grid_kinds["supervisor"] == "监督员网格", "choices carry their Chinese labels for the map's popups"
    assert layers["components"]["features"] == FEATURES


def test_layer_list_says_which_layers_the_role_may_edit(city) -> None:
    surveyor = {la["name"]: la["editable"] for la in city.clients["surveyor"].get("/api/layers/").json()["layers"]}
    dispatcher = {la["name"]: la["editable"] for la in city.clients["dispatcher"].get("/api/layers/").json()["layers"]}
    assert surveyor["components"] is True and surveyor["districts"] is False
    assert dispatcher["components"] is False


def test_layer_list_says_which_layers_the_map_opens_with(city) -> None:
    layers = city.clients["dispatcher"].get("/api/layers/").json()["layers"]
    default_on = {la["name"]: la["default_on"] for la in layers}
    # the base map, and the fleet's live vehicles (platform/fleet/layers.py)
    assert {name for name, on in default_on.items() if on} == {"districts", "streets", "communities", "unit_grids",
                                                                "components", "vehicles"}
    assert default_on["evaluation_grids"] is False and default_on["facilities"] is False


def test_layer_list_holds_only_readable_layers(city, restricted_layer, error_of) -> None:
    admin = [la["name"] for la in city.clients["admin"].get("/api/layers/").json()["layers"]]
    dispatcher = [la["name"] for la in city.clients["dispatcher"].get("/api/layers/").json()["layers"]]
    assert "restricted_roads" in admin
    assert "restricted_roads" not in dispatcher and "roads" in dispatcher
    error = error_of(city.clients["dispatcher"].get("/api/layers/restricted_roads/features/"), 403)
    assert error["rule"] == "role"
    assert error_of(city.clients["dispatcher"].get("/api/layers/restricted_roads/"), 403)["rule"] == "role"
    assert city.clients["admin"].get("/api/layers/restricted_roads/features/").json()["numberMatched"] == 2


def test_layer_detail(city) -> None:
    response = city.clients["dispatcher"].get("/api/layers/unit_grids/")
    assert response.status_code == 200
    assert response.json()["title"] == "单元网格" and response.json()["geometry_type"] == "Polygon"


@pytest.mark.parametrize("path", ["/api/layers/", FEATURES, "/api/layers/components/", "/api/auth/me/",
                                  "/api/component-classes/"])
def test_anonymous_is_refused(city, path: str) -> None:
    response = city.anonymous.get(path)
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["rule"] == "not_authenticated"


def test_a_wrong_token_is_refused(city) -> None:
    city.anonymous.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert city.anonymous.get(FEATURES).status_code == 401


@pytest.mark.parametrize("path", ["/api/layers/parks/features/", "/api/layers/parks/", "/api/layers/parks/features/1"])
def test_unknown_layer_is_404_naming_it(city, path: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(path), 404)
    assert (error["field"], error["rule"]) == ("layer", "known_layer")
    assert "parks" in error["message"] and "components" in error["message"]


# -- feature collections -------------------------------------------------------------------------

def test_feature_collection_is_geojson_with_totals(city) -> None:
    body = city.clients["admin"].get(FEATURES).json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == 4
    first = {f["properties"]["code"]: f for f in body["features"]}["3209820101000002"]
    assert first["geometry"] == {"type": "Point", "coordinates": [120.47, 33.25]}
    assert first["properties"]["unit_grid"] == "320982001002002"
    assert first["properties"]["status"] == "破损"
    assert first["id"] == city.components["3209820101000002"].pk


def test_bbox_keeps_features_inside(city) -> None:
    client = city.clients["admin"]
    assert codes_of(client.get(FEATURES, {"bbox": "120.40,33.10,120.50,33.20"})) == ["3209820101000001"]
    assert codes_of(client.get(FEATURES, {"bbox": "120.50,33.10,120.60,33.30"})) == [
        "3209820102000001", "3209820201000001"]
    assert codes_of(client.get(FEATURES, {"bbox": "100,20,101,21"})) == []


def test_bbox_on_polygons_keeps_intersecting_ones(city) -> None:
    body = city.clients["admin"].get("/api/layers/unit_grids/features/", {"bbox": "120.44,33.19,120.46,33.21"}).json()
    assert sorted(f["properties"]["code"] for f in body["features"]) == [
        "320982001001001", "320982001001002", "320982001002001", "320982001002002"]


@pytest.mark.parametrize(("bbox", "rule"), [
    ("120.4,33.1,120.5", "bbox_format"), ("a,b,c,d", "bbox_format"), ("1,2,3,4,5", "bbox_format"), ("", "bbox_format"),
    ("120.5,33.1,120.4,33.2", "bbox_range"), ("120.4,33.2,120.5,33.1", "bbox_range"), ("120,33,190,34", "bbox_range"),
])
def test_malformed_bbox_is_400_naming_bbox(city, bbox: str, rule: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(FEATURES, {"bbox": bbox}), 400)
    assert (error["field"], error["rule"]) == ("bbox", rule)


def test_filters_by_field_value(city) -> None:
    client = city.clients["admin"]
    assert codes_of(client.get(FEATURES, {"status": "破损"})) == ["3209820101000002"]
    assert codes_of(client.get(FEATURES, {"component_class": "0101"})) == ["3209820101000001", "3209820101000002"]
    assert codes_of(client.get(FEATURES, {"unit_grid": "320982002001001"})) == ["3209820102000001"]


def test_several_values_of_one_field_are_alternatives(city) -> None:
    response = city.clients["admin"].get(FEATURES + "?status=完好&status=丢失")
    assert codes_of(response) == ["3209820101000001", "3209820102000001", "3209820201000001"]


def test_filters_on_several_fields_and_bbox_combine(city) -> None:
    response = city.clients["admin"].get(FEATURES, {"status": "完好", "component_class": "0102",
                                                    "bbox": "120.40,33.10,120.60,33.30"})
    assert codes_of(response) == ["3209820102000001"]
    response = city.clients["admin"].get(FEATURES, {"status": "完好", "bbox": "120.50,33.10,120.60,33.30"})
    assert codes_of(response) == ["3209820102000001"]


@pytest.mark.parametrize(("params", "field", "rule"), [
    ({"colour": "red"}, "colour", "known_field"),
    ({"geom": "x"}, "geom", "known_field"),
    ({"photos": "x"}, "photos", "filterable"),
    ({"scale_denominator": "many"}, "scale_denominator", "value_type"),
    ({"initial_date": "yesterday"}, "initial_date", "value_type"),
    ({"limit": "ten"}, "limit", "range"),
    ({"limit": "-1"}, "limit", "range"),
    ({"limit": "5001"}, "limit", "range"),
    ({"offset": "x"}, "offset", "range"),
])
def test_bad_query_parameters_are_400_naming_them(city, params: dict, field: str, rule: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(FEATURES, params), 400)
    assert (error["field"], error["rule"]) == (field, rule)
    assert field in error["message"]


def test_paging_with_limit_and_offset(city) -> None:
    client = city.clients["admin"]
    first = client.get(FEATURES, {"limit": 3}).json()
    rest = client.get(FEATURES, {"limit": 3, "offset": 3}).json()
    assert (first["numberMatched"], first["numberReturned"], first["limit"], first["offset"]) == (4, 3, 3, 0)
    assert (rest["numberMatched"], rest["numberReturned"], rest["offset"]) == (4, 1, 3)
    seen = [f["properties"]["code"] for f in first["features"] + rest["features"]]
    assert sorted(seen) == sorted(city.components)
    beyond = client.get(FEATURES, {"offset": 10}).json()
    assert (beyond["numberMatched"], beyond["numberReturned"], beyond["features"]) == (4, 0, [])


def test_paging_counts_the_filtered_rows(city) -> None:
    body = city.clients["admin"].get(FEATURES, {"component_class": "0101", "limit": 1}).json()
    assert (body["numberMatched"], body["numberReturned"]) == (2, 1)


def test_default_page_size_is_a_setting(city, settings) -> None:
    settings.GRIDCITY_DEFAULT_PAGE = 2
    body = city.clients["admin"].get(FEATURES).json()
    assert (body["limit"], body["numberReturned"], body["numberMatched"]) == (2, 2, 4)


def test_single_feature(city, error_of) -> None:
    pk = city.components["3209820102000001"].pk
    for path in (f"{FEATURES}{pk}", f"{FEATURES}{pk}/"):
        body = city.clients["admin"].get(path).json()
        assert body["type"] == "Feature" and body["properties"]["code"] == "3209820102000001"
    assert error_of(city.clients["admin"].get(f"{FEATURES}999999"), 404)["rule"] == "exists"


def test_facility_attributes_are_an_object(city) -> None:
    body = city.clients["admin"].get("/api/layers/facilities/features/", {"kind": "collection_point"}).json()
    assert [f["properties"]["attrs"] for f in body["features"]] == [{"type": 1, "sorted": True, "daily_tonnage": 2.5}]


def test_component_class_table(city) -> None:
    classes = {c["code"]: c for c in city.clients["surveyor"].get("/api/component-classes/").json()["classes"]}
    assert classes["0101"]["name"] == "上水井盖" and classes["0101"]["major_name"] == "公用设施"
    assert classes["0101"]["extension"] is False
    assert all(c["code"] == c["major_code"] + c["minor_code"] for c in classes.values())


# -- jurisdiction on reads ---------------------------------------------------------------------

def test_street_user_sees_only_their_street(city) -> None:
    assert codes_of(city.clients["surveyor"].get(FEATURES)) == ["3209820101000001", "3209820101000002"]
    body = city.clients["surveyor"].get(FEATURES, {"status": "丢失"}).json()
    assert body["numberMatched"] == 0  # 丢失 exists, but only in the other street
    facilities = city.clients["surveyor"].get("/api/layers/facilities/features/").json()["features"]
    assert [f["properties"]["code"] for f in facilities] == ["F-001"]


def test_street_user_cannot_fetch_another_streets_feature_by_id(city, error_of) -> None:
    other = city.components["3209820102000001"].pk
    error = error_of(city.clients["surveyor"].get(f"{FEATURES}{other}"), 404)
    assert error["rule"] == "exists"
    assert city.clients["dispatcher"].get(f"{FEATURES}{other}").status_code == 200


def test_community_user_sees_only_their_communitys_grids(city) -> None:
    body = city.clients["supervisor"].get("/api/layers/unit_grids/features/").json()
    assert sorted(f["properties"]["code"] for f in body["features"]) == ["320982001001001", "320982001001002"]


def test_spatially_scoped_layer_keeps_what_intersects_the_jurisdiction(city, error_of) -> None:
    body = city.clients["planner"].get("/api/layers/roads/features/").json()
    assert [f["properties"]["name"] for f in body["features"]] == ["东路"]
    west = city.roads["西路"].pk
    assert error_of(city.clients["planner"].get(f"/api/layers/roads/features/{west}"), 404)["rule"] == "exists"


def test_district_user_and_unscoped_admin_see_everything(city) -> None:
    assert len(codes_of(city.clients["dispatcher"].get(FEATURES))) == 4
    assert len(codes_of(city.clients["admin"].get(FEATURES))) == 4
    streets = city.clients["surveyor"].get("/api/layers/streets/features/").json()["features"]
    assert [s["properties"]["code"] for s in streets] == ["320982001"]

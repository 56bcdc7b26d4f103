"""The tile request: filters, bad paths and values (400/404 JSON naming the part), authentication,
role rules and jurisdiction, compared with what the GeoJSON API shows the same user."""

from __future__ import annotations

from datetime import date

import pytest
from tile_helpers import buffered_bounds, fetch, get_tile, inside, tile_of, tiles_covering

from layers.catalog import LAYERS as CORE_LAYERS  # the layers the shared fixtures fill
from layers.models import Component

DISTRICT_CORNERS = [(120.401, 33.101), (120.599, 33.101), (120.401, 33.299), (120.599, 33.299)]


def clustered_total(client, query: str = "", z: int = 12) -> int:
    """Components counted by the clusters of every tile covering the district at zoom z (tile proper only)."""
    total = 0
    corners = tiles_covering(DISTRICT_CORNERS, z)
    xs, ys = {t[1] for t in corners}, {t[2] for t in corners}
    for x in range(min(xs), max(xs) + 1):
        for y in range(min(ys), max(ys) + 1):
            tile = fetch(client, "components", z, x, y, query)
            total += sum(f["properties"]["count"] for f in tile.get("components", {}).get("features", []) if inside(f))
    return total


def codes_in(client, layers: str, lon: float, lat: float, z: int, query: str = "") -> dict[str, list[str]]:
    tile = fetch(client, layers, *tile_of(lon, lat, z), query)
    return {name: sorted(f["properties"].get("code", f["properties"].get("name")) for f in layer["features"])
            for name, layer in tile.items()}


# -- filters ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, where", [
    ("status=破损", {"status__in": ["破损"]}),
    ("component_class=0101", {"component_class__in": ["0101"]}),
    ("status=完好&status=丢失", {"status__in": ["完好", "丢失"]}),
    ("component_class=0101&component_class=0201", {"component_class__in": ["0101", "0201"]}),
    ("component_class=0101&status=完好", {"component_class__in": ["0101"], "status__in": ["完好"]}),
    ("status=占用", {"status__in": ["占用"]}),
])
def test_filters_select_the_matching_components(city, query: str, where: dict) -> None:
    client = city.clients["admin"]
    expected = Component.objects.filter(**where)
    assert clustered_total(client, query) == expected.count()
    for c in Component.objects.all():  # at a zoom without clusters, feature by feature
        found = codes_in(client, "components", *c.geom.coords, 16, query)
        assert found.get("components", []) == ([c.code] if c in expected else []), (query, c.code)


def test_filters_by_date_and_number(city) -> None:
    Component.objects.filter(code="3209820102000001").update(initial_date=date(2023, 5, 4), scale_denominator=500)
    client = city.clients["admin"]
    assert clustered_total(client, "initial_date=2023-05-04") == 1
    assert clustered_total(client, "scale_denominator=500&scale_denominator=1000") == 1
    assert clustered_total(client, "scale_denominator=1000") == 0


def test_a_filter_applies_to_the_layers_that_have_the_field(full_city) -> None:
    client = full_city.clients["admin"]
    both = codes_in(client, "unit_grids,components", 120.47, 33.25, 16)
    assert both == {"unit_grids": ["320982001002002"], "components": ["3209820101000002"]}
    # unit grids have no status: they stay; the component is filtered out.
    assert codes_in(client, "unit_grids,components", 120.47, 33.25, 16, "status=完好") == {
        "unit_grids": ["320982001002002"]}
    # code is a field of both: it filters both.
    assert codes_in(client, "unit_grids,components", 120.47, 33.25, 16, "code=320982001002002") == {
        "unit_grids": ["320982001002002"]}
    assert codes_in(client, "roads,cleaning_segments", 120.42, 33.11, 14, "grade=2") == {
        "roads": ["西路"], "cleaning_segments": ["西路一段"]}
    assert codes_in(client, "roads,cleaning_segments", 120.42, 33.11, 14, "grade=1") == {}


@pytest.mark.parametrize("query, field, rule", [
    ("colour=red", "colour", "known_field"),
    ("status=破损&colour=red", "colour", "known_field"),
    ("kind=collection_point", "kind", "known_field"),  # a facilities field, not a components one
    ("scale_denominator=abc", "scale_denominator", "value_type"),
    ("initial_date=yesterday", "initial_date", "value_type"),
    ("photos=a.jpg", "photos", "filterable"),
])
def test_bad_filters_are_400_naming_the_parameter(city, query: str, field: str, rule: str, error_of) -> None:
    z, x, y = tile_of(120.42, 33.15, 16)
    error = error_of(get_tile(city.clients["admin"], "components", z, x, y, query), 400)
    assert (error["field"], error["rule"]) == (field, rule)
    assert field in error["message"]


# -- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, field", [
    ("components/23/0/0.mvt", "z"),
    ("components/-1/0/0.mvt", "z"),
    ("components/12/4096/0.mvt", "x"),
    ("components/12/0/4096.mvt", "y"),
    ("components/12/-1/0.mvt", "x"),
    ("components/12/0/-3.mvt", "y"),
    ("components/0/1/0.mvt", "x"),
    ("components/22/4194304/0.mvt", "x"),
    ("components/12/" + "9" * 5000 + "/0.mvt", "x"),
    ("components/" + "1" * 30 + "/0/0.mvt", "z"),
])
def test_tile_numbers_out_of_range_are_400_naming_them(city, path: str, field: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(f"/tiles/{path}"), 400)
    assert (error["field"], error["rule"]) == (field, "tile_range")


@pytest.mark.parametrize("path", [
    "components/12/a/1623.mvt", "components/z/1/2.mvt", "components/12/3412.mvt", "components/12/3412/1623",
    "components/12/3412/1623.png", "components/12/3412/1623.mvt/extra", "Components/12/3412/1623.mvt",
    "/12/3412/1623.mvt", "components/12.5/3412/1623.mvt", "", "components", "components;drop/12/1/1.mvt",
])
def test_malformed_paths_are_400(city, path: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(f"/tiles/{path}"), 400)
    assert (error["field"], error["rule"]) == ("path", "tile_path")


@pytest.mark.parametrize("layers", ["nope", "components,nope", "components,", "component"])
def test_unknown_layers_are_404(city, layers: str, error_of) -> None:
    error = error_of(get_tile(city.clients["admin"], layers, 12, 3418, 1623), 404)
    assert error["rule"] == "known_layer" and "components" in error["message"]  # names the known layers


def test_the_largest_zoom_and_corner_tiles_are_accepted(city) -> None:
    client = city.clients["admin"]
    for z, x, y in [(22, 0, 0), (22, (1 << 22) - 1, (1 << 22) - 1), (0, 0, 0)]:
        assert get_tile(client, "components", z, x, y).status_code == 200


# -- authentication --------------------------------------------------------------------------------

def test_anonymous_and_bad_tokens_are_401(city, error_of) -> None:
    z, x, y = tile_of(120.42, 33.15, 16)
    assert error_of(get_tile(city.anonymous, "components", z, x, y), 401)["field"] == "Authorization"
    for header in ["Token nope", "Bearer x", "Token ", "Basic YWRtaW4xOnh4"]:
        response = get_tile(city.anonymous, "components", z, x, y, HTTP_AUTHORIZATION=header)
        assert error_of(response, 401)["rule"] == "authenticated", header
    user = city.users["surveyor"]
    user.is_active = False
    user.save()
    assert get_tile(city.clients["surveyor"], "components", z, x, y).status_code == 401


def test_token_and_session_both_authenticate(city) -> None:
    z, x, y = tile_of(120.42, 33.15, 16)
    by_token = get_tile(city.clients["surveyor"], "components", z, x, y)
    assert by_token.status_code == 200
    city.anonymous.force_login(city.users["surveyor"])
    by_session = get_tile(city.anonymous, "components", z, x, y)
    assert by_session.status_code == 200 and by_session.content == by_token.content


# -- roles and jurisdiction ------------------------------------------------------------------------


def test_roles_as_in_the_api(city, restricted_layer, error_of) -> None:
    z, x, y = tile_of(120.42, 33.11, 14)
    assert fetch(city.clients["admin"], "restricted_roads", z, x, y)["restricted_roads"]["features"]
    for role in ["dispatcher", "surveyor"]:  # the auditor reads no layer at all (tests/accounts)
        client = city.clients[role]
        api = client.get("/api/layers/restricted_roads/features/")
        error = error_of(get_tile(client, "restricted_roads", z, x, y), 403)
        assert error["rule"] == "role" and api.status_code == 403
        assert error_of(get_tile(client, "roads,restricted_roads", z, x, y), 403)["rule"] == "role"
        assert error_of(client.get("/tiles/restricted_roads.json"), 403)["rule"] == "role"
        assert get_tile(client, "roads", z, x, y).status_code == 200


def api_ids(client, layer: str, bounds: tuple[float, float, float, float]) -> list[int]:
    response = client.get(f"/api/layers/{layer}/features/", {"bbox": ",".join(map(str, bounds)), "limit": 1000})
    assert response.status_code == 200, response.content
    return sorted(f["id"] for f in response.json()["features"])


@pytest.mark.parametrize("role", ["admin", "surveyor", "planner", "supervisor"])
def test_a_users_tiles_hold_what_the_api_lists_for_them(full_city, role: str) -> None:
    """Every layer, at zooms above clustering, in the tiles over the whole city: same features as the API."""
    client = full_city.clients[role]
    plain = [la.name for la in CORE_LAYERS if la.cluster_below is None]
    for z, x, y in sorted(tiles_covering(DISTRICT_CORNERS, 12)):
        tile = fetch(client, ",".join(plain), z, x, y)
        for name in plain:
            ids = sorted(f["id"] for f in tile.get(name, {}).get("features", []))
            assert ids == api_ids(client, name, buffered_bounds(z, x, y)), (role, name, z, x, y)
    for c in Component.objects.all():
        z, x, y = tile_of(*c.geom.coords, 16)
        ids = sorted(f["id"] for f in fetch(client, "components", z, x, y).get("components", {}).get("features", []))
        assert ids == api_ids(client, "components", buffered_bounds(z, x, y)), (role, c.code)


def test_a_street_user_sees_only_their_street(full_city) -> None:
    surveyor, admin = full_city.clients["surveyor"], full_city.clients["admin"]
    listed = surveyor.get("/api/layers/components/features/").json()
    assert clustered_total(surveyor) == listed["numberMatched"] == 2 < clustered_total(admin) == 4
    east = full_city.components["3209820102000001"].geom.coords
    assert codes_in(admin, "components", *east, 16) == {"components": ["3209820102000001"]}
    assert codes_in(surveyor, "components", *east, 16) == {}
    # Spatially scoped layers too: the east road is not theirs.
    assert codes_in(admin, "roads", 120.55, 33.28, 14) == {"roads": ["东路"]}
    assert codes_in(surveyor, "roads", 120.55, 33.28, 14) == {}
    assert codes_in(surveyor, "roads", 120.42, 33.11, 14) == {"roads": ["西路"]}
    # Admin units are scoped by code: the street user sees their street but not the district above it.
    assert codes_in(surveyor, "districts,streets", 120.42, 33.15, 12) == {"streets": ["320982001"]}

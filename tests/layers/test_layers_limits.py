"""Inputs a fuzzer found without limits or answered with a 500 (issue 19): NUL characters and
non-ASCII digits in query parameters (features, tiles, audit), form bodies, component photos,
GeometryCollections and geometries with too many vertices. Each is a 4xx JSON naming the field,
and nothing is stored."""

from __future__ import annotations

import math

import pytest
from tile_helpers import get_tile, tile_of

from audit.models import AuditEntry
from layers.models import Component

FEATURES = "/api/layers/components/features/"


def refused(response, status: int, field: str | None, rule: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] and (body["errors"][0]["field"], body["errors"][0]["rule"]) == (field, rule), body
    return body


def component(geometry: dict, **properties: object) -> dict:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": "3209820101000100", "component_class": "0101", "name": "新井盖", **properties}}


POINT = {"type": "Point", "coordinates": [120.46, 33.14]}


def test_a_nul_character_in_a_filter_is_400_on_features_tiles_and_audit(city, error_of) -> None:
    admin = city.clients["admin"]
    refused(admin.get(FEATURES + "?name=a%00b"), 400, "name", "no_nul")
    refused(admin.get("/api/layers/roads/features/?name=%00"), 400, "name", "no_nul")
    z, x, y = tile_of(120.42, 33.15, 16)
    error = error_of(get_tile(admin, "components", z, x, y, "name=a%00b"), 400)
    assert (error["field"], error["rule"]) == ("name", "no_nul")
    for name in ("actor", "table_name", "row_id", "action"):
        refused(city.clients["auditor"].get(f"/api/audit/?{name}=a%00b"), 400, name, "no_nul")


@pytest.mark.parametrize("value", ["²", "٣", "1e3", "-1", " 5"])
def test_limit_and_offset_take_ascii_digits_only(city, value: str) -> None:
    refused(city.clients["admin"].get(FEATURES, {"limit": value}), 400, "limit", "range")
    refused(city.clients["admin"].get(FEATURES, {"offset": value}), 400, "offset", "range")
    refused(city.clients["auditor"].get("/api/audit/", {"limit": value}), 400, "limit", "range")
    refused(city.clients["auditor"].get("/api/audit/", {"offset": value}), 400, "offset", "range")


def test_feature_writes_take_json_only(city) -> None:
    before = Component.objects.count()
    response = city.clients["admin"].post(FEATURES, {"type": "Feature", "geometry": "POINT(120.46 33.14)"})
    refused(response, 415, None, "unsupported_media_type")
    assert Component.objects.count() == before


@pytest.mark.parametrize(("photos", "rule"), [
    (["javascript:alert(1)"], "photo_link"),
    (["data:image/png;base64,AAAA"], "photo_link"),
    (["http://img.example/1.jpg"], "photo_link"),                 # https only
    (["/media/../settings.py"], "photo_link"),
    (["/media/a b.jpg"], "photo_link"),
    (["https://img.example/" + "x" * 5_000_000], "photo_link"),   # the 5 MB string of the probe
    ([{"url": "https://img.example/1.jpg"}], "photo_link"),
    (["https://img.example/1.jpg"] * 21, "photo_list"),
    ("https://img.example/1.jpg", "photo_list"),
])
def test_photos_are_few_short_media_paths_or_https_urls(city, photos: object, rule: str) -> None:
    before = AuditEntry.objects.count()
    refused(city.clients["admin"].post(FEATURES, component(POINT, photos=photos), format="json"), 400, "photos", rule)
    assert not Component.objects.filter(code="3209820101000100").exists()
    assert AuditEntry.objects.count() == before


def test_photos_may_be_media_paths_and_https_urls(city) -> None:
    photos = ["/media/photos/2024/0101-0100.jpg", "https://img.example.cn/部件/1.jpg?size=large"]
    response = city.clients["admin"].post(FEATURES, component(POINT, photos=photos), format="json")
    assert response.status_code == 201, response.content
    assert Component.objects.get(code="3209820101000100").photos == photos


def test_a_geometry_collection_is_refused_where_the_layer_takes_single_geometries(city) -> None:
    collection = {"type": "GeometryCollection", "geometries": [POINT, {"type": "LineString",
                                                                       "coordinates": [[120.46, 33.14],
                                                                                       [120.47, 33.15]]}]}
    refused(city.clients["admin"].post(FEATURES, component(collection), format="json"), 400, "geometry",
            "geometry_type")
    assert not Component.objects.filter(code="3209820101000100").exists()


def test_geometries_with_more_vertices_than_the_setting_are_refused(city, settings) -> None:
    settings.GRIDCITY_MAX_VERTICES = 1000

    def ring(n: int) -> dict:
        points = [[120.46 + 0.001 * math.cos(2 * math.pi * i / n), 33.14 + 0.001 * math.sin(2 * math.pi * i / n)]
                  for i in range(n)]
        return {"type": "Polygon", "coordinates": [[*points, points[0]]]}

    body = refused(city.clients["admin"].post(FEATURES, component(ring(1000)), format="json"), 400, "geometry",
                   "vertex_limit")
    assert "1,001" in body["detail"] and "1,000" in body["detail"]
    assert not Component.objects.filter(code="3209820101000100").exists()
    response = city.clients["admin"].post(FEATURES, component(ring(998)), format="json")  # 999 with the closing one
    assert response.status_code == 201, response.content

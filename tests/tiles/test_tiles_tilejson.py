"""TileJSON 3.0.0 of a layer or composite: a tiles template that serves, vector_layers whose fields
match what the tiles carry, and bounds/zooms that fit the user's data."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.gis.db.models import Extent
from tile_helpers import fetch, tile_of

from layers.access import visible
from layers.catalog import LAYERS as CORE_LAYERS  # the layers the shared fixtures fill
from layers.registry import registry

PY_TYPES = {"Number": (int, float), "String": (str,), "Boolean": (bool,)}


def tilejson(client, names: str, query: str = "") -> dict:
    response = client.get(f"/tiles/{names}.json" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_tilejson_of_a_composite(full_city) -> None:
    client = full_city.clients["admin"]
    names = ["unit_grids", "components", "roads"]
    doc = tilejson(client, ",".join(names))
    assert doc["tilejson"] == "3.0.0"
    (template,) = doc["tiles"]
    url = urlsplit(template)
    assert url.path == f"/tiles/{','.join(names)}/{{z}}/{{x}}/{{y}}.mvt" and url.scheme in ("http", "https")
    z, x, y = tile_of(120.42, 33.15, 16)
    filled = template.format(z=z, x=x, y=y)
    assert list(fetch(client, urlsplit(filled).path.split("/")[2], z, x, y)) == ["unit_grids", "components"]
    assert [v["id"] for v in doc["vector_layers"]] == names
    layers = [registry.get(n) for n in names]
    for entry, layer in zip(doc["vector_layers"], layers, strict=True):
        assert (entry["minzoom"], entry["maxzoom"]) == layer.zoom
        assert set(layer.fields) <= set(entry["fields"])
        assert set(entry["fields"].values()) <= set(PY_TYPES)
        assert entry["description"] == layer.title
    assert doc["minzoom"] == min(la.zoom[0] for la in layers)
    assert doc["maxzoom"] == max(la.zoom[1] for la in layers)
    west, south, east, north = doc["bounds"]
    for layer in layers:
        x0, y0, x1, y1 = layer.model.objects.aggregate(e=Extent(layer.geometry_field))["e"]
        assert west <= x0 and south <= y0 and x1 <= east and y1 <= north, layer.name
    # Tight: the box is the union of the layers' extents.
    extents = [la.model.objects.aggregate(e=Extent(la.geometry_field))["e"] for la in layers]
    assert doc["bounds"] == pytest.approx([min(e[0] for e in extents), min(e[1] for e in extents),
                                          max(e[2] for e in extents), max(e[3] for e in extents)])
    lon, lat, zoom = doc["center"]
    assert west <= lon <= east and south <= lat <= north and doc["minzoom"] <= zoom <= doc["maxzoom"]


def test_declared_field_types_match_the_tile_values(full_city) -> None:
    client = full_city.clients["admin"]
    for layer in CORE_LAYERS:
        declared = tilejson(client, layer.name)["vector_layers"][0]["fields"]
        z = max(layer.zoom[0], layer.cluster_below or 0, 12)
        checked = 0
        for row in layer.model.objects.all():
            tile = fetch(client, layer.name, *tile_of(*getattr(row, layer.geometry_field).point_on_surface.coords, z))
            for feature in tile[layer.name]["features"]:
                for name, value in feature["properties"].items():
                    assert isinstance(value, PY_TYPES[declared[name]]), (layer.name, name, value, declared[name])
                    assert declared[name] != "Number" or not isinstance(value, bool)
                    checked += 1
        assert checked, layer.name
    # A clustered layer declares the clusters' count.
    assert tilejson(client, "components")["vector_layers"][0]["fields"]["count"] == "Number"


def test_tilejson_keeps_the_query_in_the_template(city) -> None:
    doc = tilejson(city.clients["admin"], "components", "status=破损&status=丢失")
    query = parse_qs(urlsplit(doc["tiles"][0]).query)
    assert query == {"status": ["破损", "丢失"]}
    assert "{z}/{x}/{y}.mvt" in doc["tiles"][0]


def test_tilejson_bounds_follow_the_jurisdiction(city) -> None:
    surveyor = city.users["surveyor"]
    doc = tilejson(city.clients["surveyor"], "components")
    extent = visible(registry.get("components"), surveyor).aggregate(e=Extent("geom"))["e"]
    assert doc["bounds"] == pytest.approx(list(extent))
    assert doc["bounds"][2] < 120.50  # the west street only


def test_tilejson_errors(city, error_of) -> None:
    assert error_of(city.clients["admin"].get("/tiles/components,nope.json"), 404)["rule"] == "known_layer"
    assert error_of(city.anonymous.get("/tiles/components.json"), 401)["rule"] == "authenticated"

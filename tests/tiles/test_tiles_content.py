"""What a tile holds: every registered layer's features with the registry's fields as stored in the
database, composites, zoom ranges, clusters below ``cluster_below`` and the per-tile feature cap."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db.models import JSONField
from tile_helpers import (
    EXTENT,
    MVT,
    buffered_bounds,
    decode,
    fetch,
    get_tile,
    inside,
    pixel_bbox,
    tile_bounds,
    tile_of,
    tiles_covering,
    to_lonlat,
)

from layers.catalog import LAYERS as CORE_LAYERS  # the layers the shared fixtures fill
from layers.models import Component, UnitGrid
from layers.registry import Layer, Style, registry
from layers.roles import EVERYONE

SRID = 4490


def box(bounds: tuple[float, float, float, float]) -> Polygon:
    return Polygon.from_bbox(bounds)


def stored_properties(layer: Layer, obj: object) -> dict[str, object]:
    """The attributes a tile should carry for ``obj``: the registry's fields, foreign keys as their
    stored value, dates as ISO text; NULLs are absent (MVT has no null)."""
    out: dict[str, object] = {}
    for name in layer.fields:
        field = layer.model._meta.get_field(name)
        value = getattr(obj, field.attname)
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def tile_properties(layer: Layer, feature: dict) -> dict[str, object]:
    """A decoded feature's attributes with JSON fields parsed back."""
    props = dict(feature["properties"])
    for name in layer.fields:
        if name in props and isinstance(layer.model._meta.get_field(name), JSONField):
            props[name] = json.loads(props[name])
    return props


@pytest.fixture
def dated(full_city):
    """Fill the optional columns of a few rows (dates, numbers, JSON) so every attribute type is exercised."""
    Component.objects.filter(code="3209820101000001").update(
        initial_date=date(2023, 5, 4), change_date=date(2024, 1, 31), currency_date=date(2024, 2, 1),
        scale_denominator=500, photos=["https://img.example/1.jpg"], dept_admin="城管局", note="树旁")
    UnitGrid.objects.filter(code="320982001001001").update(initial_date=date(2020, 1, 1))
    return full_city


def test_every_layer_serves_its_rows_with_the_registry_fields(dated) -> None:
    client = dated.clients["admin"]
    for layer in CORE_LAYERS:
        z = max(layer.zoom[0], layer.cluster_below or 0, 12)
        rows = list(layer.model.objects.all())
        assert rows, f"the fixture has no {layer.name}"
        points = [getattr(r, layer.geometry_field).point_on_surface.coords for r in rows]
        seen: set[int] = set()
        for tz, tx, ty in sorted(tiles_covering(points, z)):
            tile = fetch(client, layer.name, tz, tx, ty)
            assert set(tile) == {layer.name}
            bounds = buffered_bounds(tz, tx, ty)
            expected = {r.pk: r for r in layer.model.objects.filter(
                **{f"{layer.geometry_field}__intersects": box(bounds)})}
            features = tile[layer.name]["features"]
            assert sorted(f["id"] for f in features) == sorted(expected), (layer.name, tz, tx, ty)
            px = (bounds[2] - bounds[0]) / (EXTENT + 128)  # one pixel in degrees (longitude)
            for feature in features:
                row = expected[feature["id"]]
                assert tile_properties(layer, feature) == stored_properties(layer, row), layer.name
                # The geometry lands where the row is: its box, clipped to the buffered tile, within 2 px.
                minx, miny, maxx, maxy = pixel_bbox(feature["geometry"])
                west, north = to_lonlat(tz, tx, ty, minx, miny)
                east, south = to_lonlat(tz, tx, ty, maxx, maxy)
                rx0, ry0, rx1, ry1 = getattr(row, layer.geometry_field).extent
                want = (max(rx0, bounds[0]), max(ry0, bounds[1]), min(rx1, bounds[2]), min(ry1, bounds[3]))
                assert (west, south, east, north) == pytest.approx(want, abs=2 * px), (layer.name, row.pk)
            seen |= set(expected)
        assert seen == {r.pk for r in rows}, f"{layer.name}: rows missing from every tile"


def test_attribute_values_are_typed_as_stored(dated) -> None:
    z, x, y = tile_of(120.42, 33.15, 16)
    (feature,) = fetch(dated.clients["admin"], "components", z, x, y)["components"]["features"]
    props = feature["properties"]
    assert props["initial_date"] == "2023-05-04" and props["scale_denominator"] == 500
    assert json.loads(props["photos"]) == ["https://img.example/1.jpg"]
    assert props["component_class"] == "0101" and props["unit_grid"] == "320982001001001"
    assert props["dept_admin"] == "城管局" and "id" not in props  # the id is the feature id, not an attribute


def test_composite_tile_has_one_layer_per_requested_layer_in_order(full_city) -> None:
    client = full_city.clients["admin"]
    z, x, y = tile_of(120.42, 33.15, 16)
    names = ["components", "unit_grids", "responsibility_grids", "districts"]
    composite = fetch(client, ",".join(names), z, x, y)
    assert list(composite) == names
    for name in names:
        assert composite[name] == fetch(client, name, z, x, y)[name]
    # A layer named twice comes once.
    assert list(fetch(client, "components,components,unit_grids", z, x, y)) == ["components", "unit_grids"]


def test_a_layer_is_absent_outside_its_zoom_range(full_city) -> None:
    client = full_city.clients["admin"]
    for layer in CORE_LAYERS:
        row = layer.model.objects.first()
        lon, lat = getattr(row, layer.geometry_field).point_on_surface.coords
        low, high = layer.zoom
        assert layer.name in fetch(client, layer.name, *tile_of(lon, lat, max(low, 8))), layer.name
        assert layer.name in fetch(client, layer.name, *tile_of(lon, lat, high)), layer.name
        if low > 0:
            assert fetch(client, layer.name, *tile_of(lon, lat, low - 1)) == {}, layer.name
    # In a composite, only the layers whose range holds the zoom are present.
    z, x, y = tile_of(120.42, 33.15, 11)
    assert list(fetch(client, "districts,components,unit_grids,communities", z, x, y)) == ["districts", "communities"]


def test_an_empty_tile_is_an_empty_mvt(full_city) -> None:
    response = get_tile(full_city.clients["admin"], "components,roads", *tile_of(116.39, 39.91, 16))  # Beijing
    assert response.status_code == 200 and response["Content-Type"] == MVT
    assert decode(response.content) == {}


@pytest.fixture
def crowd(full_city, build) -> list[tuple[float, float]]:
    """40 components scattered over the district and a knot of 12 within a few metres; returns every
    component's position."""
    rng = random.Random(320982)
    classes = ["0101", "0102", "0201"]
    spots = [(rng.uniform(120.401, 120.599), rng.uniform(33.101, 33.299)) for _ in range(40)]
    spots += [(120.4612 + rng.uniform(0, 2e-5), 33.1388 + rng.uniform(0, 2e-5)) for _ in range(12)]
    for seq, (lon, lat) in enumerate(spots, start=100):
        cls = classes[seq % 3]
        build("components", code=f"320982{cls}{seq:06d}", component_class_id=cls, name=f"部件{seq}",
              geom=Point(lon, lat, srid=SRID))
    return [c.geom.coords for c in Component.objects.all()]


def test_below_cluster_below_components_come_as_counted_clusters(crowd, full_city) -> None:
    client = full_city.clients["admin"]
    layer = registry.get("components")
    assert layer.cluster_below is not None
    total = Component.objects.count()
    for z in range(layer.zoom[0], layer.cluster_below):
        counted = 0
        for tz, tx, ty in sorted(tiles_covering(crowd, z)):
            features = fetch(client, "components", tz, tx, ty)["components"]["features"]
            assert all(set(f["properties"]) == {"count"} and f["properties"]["count"] >= 1 for f in features)
            own = sum(f["properties"]["count"] for f in features if inside(f))
            assert own == Component.objects.filter(geom__within=box(tile_bounds(tz, tx, ty))).count(), (tz, tx, ty)
            everything = sum(f["properties"]["count"] for f in features)
            assert everything == Component.objects.filter(
                geom__intersects=box(buffered_bounds(tz, tx, ty))).count(), (tz, tx, ty)
            counted += own
        assert counted == total, z  # every component in exactly one tile's clusters
    # The knot is one cluster of at least 12 at the last clustered zoom, and single features from cluster_below on.
    knot = fetch(client, "components", *tile_of(120.4612, 33.1388, layer.cluster_below - 1))["components"]
    assert max(f["properties"]["count"] for f in knot["features"]) >= 12
    single = fetch(client, "components", *tile_of(120.4612, 33.1388, layer.cluster_below))["components"]
    assert len(single["features"]) >= 12 and all("code" in f["properties"] for f in single["features"])


def test_a_tile_holds_at_most_tile_cap_features_per_layer(crowd, full_city) -> None:
    layer = Layer(name="capped_components", title="部件(限)", model=Component, geometry_type="Geometry",
                  fields=("code",), zoom=(12, 22), style=Style({}, {}), read_roles=EVERYONE, scope_field="unit_grid",
                  tile_cap=5)
    with registry.override(layer):
        z, x, y = tile_of(120.4612, 33.1388, 18)
        tile = fetch(full_city.clients["admin"], "capped_components,components", z, x, y)
        assert len(tile["components"]["features"]) >= 12
        assert len(tile["capped_components"]["features"]) == layer.tile_cap

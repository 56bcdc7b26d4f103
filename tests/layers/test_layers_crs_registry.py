"""CRS parsing and the move to EPSG:4490 (layers/crs.py); the registry's configuration checks."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from pyproj import Transformer

from layers import crs
from layers.errors import BadParameter, UnknownLayer
from layers.models import Road
from layers.registry import Layer, Registry, Style, registry
from layers.roles import ADMIN


@pytest.mark.parametrize(("name", "srid"), [
    ("EPSG:4490", 4490), ("epsg:4326", 4326), ("4549", 4549), (" EPSG:4513 ", 4513),
    ("urn:ogc:def:crs:EPSG::4549", 4549), ("urn:ogc:def:crs:EPSG:9.9.1:4490", 4490), (4554, 4554), ("EPSG:4491", 4491),
])
def test_supported_crs_names(name: str | int, srid: int) -> None:
    assert crs.parse_srid(name) == srid


@pytest.mark.parametrize("name", ["EPSG:3857", "EPSG:9999", "4555", "EPSG:4489", "GCJ-02", "", "EPSG:4490x", "EPSG:"])
def test_unsupported_crs_is_refused_by_name(name: str) -> None:
    with pytest.raises(BadParameter) as caught:
        crs.parse_srid(name, field="crs")
    assert (caught.value.field, caught.value.rule, caught.value.status) == ("crs", "supported_crs", 400)
    assert repr(name) in caught.value.message


@pytest.mark.parametrize(("x", "y", "srid"), [
    (200.0, 33.0, 4490), (120.0, 95.0, 4326), (-181.0, 0.0, 4326),
    (120.45, 33.2, 4549),          # degrees given to a Gauss-Krüger CRS
    (-5.0, 3_670_000.0, 4549),     # negative easting
    (500_000.0, 90_000_000.0, 4549),
])
def test_coordinates_impossible_in_the_crs_are_refused(x: float, y: float, srid: int) -> None:
    with pytest.raises(BadParameter) as caught:
        crs.to_storage(Point(x, y), srid)
    assert (caught.value.field, caught.value.rule) == ("geometry", "coordinate_range")


def test_gauss_krueger_easting_northing_becomes_lon_lat() -> None:
    lon, lat = 120.4567, 33.2345
    easting, northing = Transformer.from_crs(4490, 4549, always_xy=True).transform(lon, lat)
    assert 400_000 < easting < 600_000 and northing > 3_000_000  # x is the easting, as GeoJSON orders it
    moved = crs.to_storage(Point(easting, northing), 4549)
    assert moved.srid == 4490
    assert (moved.x, moved.y) == pytest.approx((lon, lat), abs=1e-8)


def test_zone_prefixed_gauss_krueger() -> None:
    lon, lat = 120.4567, 33.2345  # zone 40 (CM 120°E), EPSG:4528 carries the zone number in the easting
    easting, northing = Transformer.from_crs(4490, 4528, always_xy=True).transform(lon, lat)
    assert 40_000_000 < easting < 41_000_000
    moved = crs.to_storage(Point(easting, northing), 4528)
    assert (moved.x, moved.y) == pytest.approx((lon, lat), abs=1e-8)


def test_storage_crs_is_left_alone() -> None:
    moved = crs.to_storage(Point(120.5, 33.2), 4490)
    assert (moved.srid, moved.x, moved.y) == (4490, 120.5, 33.2)


def make_layer(**changes: object) -> Layer:
    values: dict[str, object] = dict(
        name="test_roads", title="测试道路", model=Road, geometry_type="LineString", fields=("name", "grade"),
        zoom=(10, 22), style=Style({}, {}), read_roles=frozenset({ADMIN}),
    )
    values.update(changes)
    return Layer(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "problem"), [
    ({"fields": ("name", "nmae")}, "unknown field 'nmae'"),
    ({"read_only_fields": ("lenght_m",)}, "unknown field 'lenght_m'"),
    ({"scope_field": "distrct"}, "unknown scope_field"),
    ({"geometry_field": "name"}, "is not a geometry field"),
    ({"geometry_type": "Polygonal"}, "geometry_type must be one of"),
    ({"zoom": (12, 25)}, "zoom range"),
    ({"name": "Test-Roads"}, "name must be lower-case"),
])
def test_registry_refuses_a_misconfigured_layer(changes: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Registry().register(make_layer(**changes))


def test_registry_refuses_a_name_twice_and_names_the_known_layers() -> None:
    own = Registry()
    own.register(make_layer())
    with pytest.raises(ValueError, match="registered twice"):
        own.register(make_layer())
    with pytest.raises(UnknownLayer) as caught:
        own.get("tset_roads")
    assert caught.value.status == 404 and "test_roads" in caught.value.message


def test_an_override_adds_or_replaces_layers_for_its_block_only() -> None:
    own = Registry()
    roads = own.register(make_layer())
    wider = make_layer(fields=("name", "grade", "length_m"))
    extra = make_layer(name="test_extra")
    with own.override(wider, extra) as (first, second):
        assert (first, second) == (wider, extra)
        assert list(own.all()) == [wider, extra] and own.get("test_roads") is wider
    assert list(own.all()) == [roads]
    with pytest.raises(ValueError, match="unknown field"), own.override(make_layer(fields=("nmae",))):
        pass
    assert list(own.all()) == [roads]


def test_the_catalogue_registers_the_platform_layers() -> None:
    names = {layer.name for layer in registry.all()}
    assert {"districts", "streets", "communities", "unit_grids", "components", "facilities", "roads"} <= names
    components = registry.get("components")
    assert "unit_grid" not in components.writable_fields and "code" in components.writable_fields
    assert components.column(components.scope_field) == "unit_grid_id"

"""Features placed on purpose around the boundaries of the ``city`` fixture, for every registered layer.

Each sample is made from the registry and the model's own fields (required fields filled by type),
so a new layer gets samples without code here; only fields whose values carry a format the model
checks are named in :data:`OVERRIDES`. Each sample knows its *owner*: the unit it belongs to by
construction — its stored scope code on a code-scoped layer, else the community holding its point
on surface (placed so by the coordinates below, not computed by the code under test).

    lon 120.40      120.45      120.50                  120.60
        | comm. 001001 | 001002    | community 002001 (east street)
   home   ■ 120.41–.42
   sibling              ■ 120.46–.47
   neighbour                    ■■■■■■■ 120.49–.56: overlaps the west street, point on surface east
   straddle            ■■■■■■■ 120.47–.52: overlaps the east street, point on surface in 001002
   elsewhere  (code-scoped layers) coded for the east street, lying at "home" in the west
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon, Point, Polygon
from django.contrib.postgres.fields import ArrayField
from django.db import models

from layers.registry import Layer

SRID = 4490
WEST_STREET, HOME, SIBLING, EAST = "320982001", "320982001001", "320982001002", "320982002001"


@dataclass(frozen=True)
class Place:
    """Where a sample lies: its owner community, a box and a three-vertex line whose point on surface
    is that owner's (for a rectangle: the middle of its horizontal midline; for the line: its inner
    vertex), and a point."""

    owner: str
    box: tuple[float, float, float, float]
    line: tuple[tuple[float, float], ...]
    point: tuple[float, float]


PLACES = {
    "home": Place(HOME, (120.41, 33.12, 120.42, 33.13), ((120.41, 33.125), (120.415, 33.126), (120.42, 33.125)),
                  (120.415, 33.125)),
    "sibling": Place(SIBLING, (120.46, 33.12, 120.47, 33.13), ((120.46, 33.125), (120.465, 33.126),
                                                               (120.47, 33.125)), (120.465, 33.125)),
    "neighbour": Place(EAST, (120.49, 33.14, 120.56, 33.15), ((120.49, 33.145), (120.53, 33.145),
                                                              (120.56, 33.145)), (120.505, 33.145)),
    "straddle": Place(SIBLING, (120.47, 33.16, 120.52, 33.17), ((120.47, 33.165), (120.49, 33.165),
                                                                (120.52, 33.165)), (120.48, 33.165)),
}
# Points cannot straddle: point layers take these only.
POINT_PLACES = ("home", "sibling", "neighbour")


@dataclass
class Sample:
    kind: str
    owner: str
    obj: models.Model

    @property
    def pk(self) -> int:
        return int(self.obj.pk)


def shape(layer: Layer, place: Place) -> GEOSGeometry:
    """The place as the layer's geometry type (a point for position-coded layers)."""
    kind = layer.model._meta.get_field(layer.geometry_field).geom_type
    if kind == "GEOMETRY":
        kind = "POINT" if layer.scope_field else "POLYGON"
    if kind == "POINT":
        return Point(*place.point, srid=SRID)
    if kind == "LINESTRING":
        return LineString(place.line, srid=SRID)
    polygon = Polygon.from_bbox(place.box)
    polygon.srid = SRID
    return MultiPolygon(polygon, srid=SRID) if kind == "MULTIPOLYGON" else polygon


_seq = itertools.count(1)


def _scope_value(field: models.Field, owner: str) -> str:
    """The code a scope field holds for an owner community: a unit grid's (15), the community's
    (12) or its street's (9)."""
    width = field.target_field.max_length if field.is_relation else field.max_length
    return owner + "001" if width >= 15 else owner[:width] if width in (6, 9, 12) else owner


def _filler(layer: Layer, field: models.Field, n: int) -> object:
    """A value of the field's type, unique per sample where it has to be."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, ArrayField):
        return []
    if isinstance(field, models.JSONField):
        return field.get_default() if field.has_default() else {}
    if isinstance(field, models.BooleanField):
        return True
    if isinstance(field, models.IntegerField):
        return n  # distinct, for unique numbers (a sampling round's per area)
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.DateTimeField | models.DateField):
        return date(2026, 1, 1)
    if field.is_relation:
        related = field.related_model
        maker = PARENTS.get(related._meta.label)
        found = maker() if maker else related.objects.order_by("pk").first()
        assert found is not None, f"{layer.name}.{field.name}: no {related.__name__} to point at"
        return found
    return f"S{n:03d}"[: field.max_length]


def _parent_round() -> models.Model:
    from gridding.models import SamplingRound
    return SamplingRound.objects.create(area_code="320982", number=900 + next(_seq), city_class=1, rule={}, seed=1,
                                        points_per_grid=1, created_by="matrix", fingerprint="")


def _parent_fishnet() -> models.Model:
    from gridding.models import Fishnet
    return Fishnet.objects.create(shape="square", size_m=100, layer="components", area_code="320982",
                                  created_by="matrix")


# Parents made fresh for a sample (instead of pointing at an existing row).
PARENTS: dict[str, Callable[[], models.Model]] = {"gridding.SamplingRound": _parent_round,
                                                  "gridding.Fishnet": _parent_fishnet}

# Values with a format the model checks: (layer, field) → value from (owner, sequence number).
OVERRIDES: dict[tuple[str, str], Callable[[str, int], object]] = {
    ("components", "code"): lambda owner, n: f"3209820101{900000 + n:06d}",
    ("components", "component_class"): lambda owner, n: "0101",
    ("facilities", "attrs"): lambda owner, n: {"type": 1, "sorted": True, "daily_tonnage": 2.5},
    ("facilities", "kind"): lambda owner, n: "collection_point",
    ("door_plates", "number"): lambda owner, n: f"{n}号",
    ("evaluation_grids", "code"): lambda owner, n: f"{owner[:9]}{n:03d}",
    ("responsibility_grids", "team"): lambda owner, n: "班组",
}

# The jurisdiction layers' own rows: fresh units without children (so they can be deleted and
# created again), each inside its parent: (code, box).
UNITS = {
    "districts": [("320983", (121.00, 33.00, 121.01, 33.01))],
    "streets": [("320982009", (120.58, 33.28, 120.59, 33.29))],
    "communities": [("320982001009", (120.48, 33.28, 120.49, 33.29)),
                    ("320982002009", (120.58, 33.28, 120.59, 33.29))],
    "unit_grids": [("320982001001009", (120.43, 33.28, 120.44, 33.29)),
                   ("320982001002009", (120.46, 33.28, 120.47, 33.29)),
                   ("320982002001009", (120.55, 33.28, 120.56, 33.29))],
}


def _unit(layer: Layer, code: str, box: tuple[float, float, float, float]) -> Sample:
    polygon = Polygon.from_bbox(box)
    polygon.srid = SRID
    geom = polygon if layer.model._meta.get_field("geom").geom_type == "POLYGON" else MultiPolygon(polygon, srid=SRID)
    obj = layer.model(code=code, geom=geom, **({"name": f"样例{code}"} if hasattr(layer.model, "name") else {}))
    obj.full_clean(exclude=list(layer.read_only_fields))
    obj.save()
    return Sample("unit", code, obj)


def _feature(layer: Layer, kind: str, place: Place, owner_code: str) -> Sample:
    """One row of ``layer`` at ``place`` whose scope code (if any) says ``owner_code``."""
    n = next(_seq)
    values: dict[str, object] = {}
    for field in layer.model._meta.concrete_fields:
        if field.primary_key or isinstance(field, GeometryField):
            continue
        override = OVERRIDES.get((layer.name, field.name))
        if override is not None:
            values[field.attname if field.is_relation else field.name] = override(owner_code, n)
        elif field.name == layer.scope_field:
            values[field.attname] = _scope_value(field, owner_code)
        elif not (field.null or field.blank or field.has_default() or getattr(field, "auto_now", False)
                  or getattr(field, "auto_now_add", False)):
            values[field.name] = _filler(layer, field, n)
    obj = layer.model(**values)
    setattr(obj, layer.geometry_field, shape(layer, place))
    if layer.editable:  # what the API would store (derived fields too), so it can be posted again
        obj.full_clean(exclude=list(layer.read_only_fields))
    obj.save()
    owner = str(getattr(obj, layer.column(layer.scope_field))) if layer.scope_field else place.owner
    return Sample(kind, owner, obj)


def make_samples(layer: Layer) -> list[Sample]:
    """The samples of ``layer`` (see the module docstring)."""
    if layer.name in UNITS:
        return [_unit(layer, code, box) for code, box in UNITS[layer.name]]
    point = shape(layer, PLACES["home"]).geom_type == "Point"
    kinds = POINT_PLACES if point else tuple(PLACES)
    samples = [_feature(layer, kind, PLACES[kind], PLACES[kind].owner) for kind in kinds]
    if layer.scope_field and layer.scope_field not in layer.read_only_fields:
        # the code says the east street while the feature lies in the west: the code wins
        samples.append(_feature(layer, "elsewhere", PLACES["home"], EAST))
    return samples

"""Single-feature writes through the API: parse a GeoJSON Feature, validate, scope, save, audit.

Every write runs in one transaction that first names its actor for the audit triggers
(``gridcity.actor``), so a write and its audit entry commit together or not at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, WKBWriter
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError
from psycopg import Cursor

from . import crs
from .access import Actor, check_edit, check_write_scope
from .api.serializers import properties_serializer
from .errors import BadParameter, InUse, InvalidFeature
from .registry import Layer

AUDIT_ACTOR_SETTING = "gridcity.actor"
AUDIT_BULK_SETTING = "gridcity.audit_bulk"


@contextmanager
def acting_as(username: str) -> Iterator[None]:
    """A transaction whose writes the audit log attributes to ``username``."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT set_config(%s, %s, true)", [AUDIT_ACTOR_SETTING, username])
        yield


@contextmanager
def bulk_audit(cur: Cursor) -> Iterator[None]:
    """Audit INSERT statements run inside as one entry per statement naming the inserted keys —
    their first and last when they are one run of ids, else listed (``gridcity.audit_bulk``, see
    audit migrations 0002 and 0005); UPDATE and DELETE stay per row with before/after. ``cur`` is
    a psycopg cursor inside a transaction (``acting_as``)."""
    cur.execute("SELECT set_config(%s, 'on', true)", [AUDIT_BULK_SETTING])
    yield
    # Not in a ``finally``: after an error the transaction is aborted (a statement would mask the
    # error) and its rollback takes the transaction-local setting with it.
    cur.execute("SELECT set_config(%s, 'off', true)", [AUDIT_BULK_SETTING])


def _field_errors(exc: ValidationError) -> list[dict[str, str | None]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "geometry" if f == "geom" else f, "rule": e.code or "invalid", "message": " ".join(e.messages)}
            for f, items in exc.error_dict.items() for e in items
        ]
    return [{"field": None, "rule": e.code or "invalid", "message": " ".join(e.messages)} for e in exc.error_list]


def geojson_geometry(raw: object) -> GEOSGeometry:
    """A GeoJSON geometry object from a request, checked (parsable, not empty, at most
    ``GRIDCITY_MAX_VERTICES`` vertices) and flattened to x, y; still in the request's CRS."""
    if not isinstance(raw, dict):
        raise BadParameter("geometry must be a GeoJSON geometry object", field="geometry", rule="geojson_geometry")
    try:
        geom = GEOSGeometry(json.dumps(raw))
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise BadParameter(f"geometry is not valid GeoJSON: {exc}", field="geometry", rule="geojson_geometry") from None
    if geom.empty:
        raise BadParameter("geometry has no coordinates", field="geometry", rule="required")
    if geom.num_coords > settings.GRIDCITY_MAX_VERTICES:
        raise BadParameter(f"geometry has {geom.num_coords:,} vertices; at most {settings.GRIDCITY_MAX_VERTICES:,} "
                           "(GRIDCITY_MAX_VERTICES): simplify it or split it", field="geometry", rule="vertex_limit")
    if geom.hasz:  # GeoJSON may carry a height (GPS); the layers store x, y only
        geom = GEOSGeometry(WKBWriter(dim=2).write(geom))
    return geom


def _geometry(layer: Layer, raw: object, srid: int) -> GEOSGeometry:
    geom = crs.to_storage(geojson_geometry(raw), srid)
    wanted = layer.model._meta.get_field(layer.geometry_field).geom_type  # e.g. MULTIPOLYGON, POINT, GEOMETRY
    if wanted == "MULTIPOLYGON" and geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=geom.srid)
    if geom.geom_type == "GeometryCollection" and wanted != "GEOMETRYCOLLECTION":
        raise BadParameter(f"layer {layer.name} takes one (multi) point, line or polygon, not a GeometryCollection",
                           field="geometry", rule="geometry_type")
    if wanted != "GEOMETRY" and geom.geom_type.upper() != wanted:
        raise BadParameter(
            f"layer {layer.name} takes {wanted.title()} geometries, got {geom.geom_type}",
            field="geometry", rule="geometry_type",
        )
    return geom


def _parse(layer: Layer, body: object, default_srid: int, partial: bool) -> tuple[GEOSGeometry | None, dict]:
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise BadParameter('the body must be a GeoJSON Feature: {"type": "Feature", "geometry": …, '
                           '"properties": {…}}', field="type", rule="geojson_feature")
    # A crs member is {"type": "name", "properties": {"name": "EPSG:…"}} (or just the name); any other
    # shape is refused with its text, never ignored.
    named = body.get("crs")
    if isinstance(named, dict) and isinstance(named.get("properties"), dict):
        named = named["properties"].get("name", "")
    srid = default_srid if named is None else crs.parse_srid(
        named if isinstance(named, str) else json.dumps(named, ensure_ascii=False))
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise BadParameter("properties must be an object", field="properties", rule="geojson_feature")
    for key in props:
        if key not in layer.fields and key != "id":
            raise BadParameter(
                f"layer {layer.name} has no property {key!r}; writable: {', '.join(layer.writable_fields)}",
                field=key, rule="known_field",
            )
    writable = {k: v for k, v in props.items() if k in layer.writable_fields}
    if "geometry" in body:
        geom = _geometry(layer, body["geometry"], srid)
    elif partial:
        geom = None
    else:
        raise BadParameter("a geometry is required", field="geometry", rule="required")
    return geom, writable


def _validated(layer: Layer, obj: Model | None, props: dict, partial: bool) -> dict:
    serializer = properties_serializer(layer.name)(instance=obj, data=props, partial=partial)
    if not serializer.is_valid():
        errors = [{"field": f, "rule": str(getattr(e, "code", "invalid")), "message": str(e)}
                  for f, items in serializer.errors.items() for e in items]
        raise InvalidFeature(errors)
    return dict(serializer.validated_data)


def _save(layer: Layer, actor: Actor, obj: Model) -> Model:
    try:
        obj.full_clean(exclude=list(layer.read_only_fields))
    except ValidationError as exc:
        raise InvalidFeature(_field_errors(exc)) from None
    try:
        with transaction.atomic():
            obj.save()
            # The stored result (derived columns included) must be inside: refused, the savepoint goes.
            check_write_scope(layer, actor, obj)
    except IntegrityError as exc:
        raise InvalidFeature([{"field": None, "rule": "integrity", "message": str(exc).splitlines()[0]}]) from None
    return obj


def create(layer: Layer, actor: Actor, body: object, srid: int) -> Model:
    check_edit(layer, actor)
    geom, props = _parse(layer, body, srid, partial=False)
    values = _validated(layer, None, props, partial=False)
    obj = layer.model(**values)
    setattr(obj, layer.geometry_field, geom)
    with acting_as(actor.username):
        return _save(layer, actor, obj)


def update(layer: Layer, actor: Actor, obj: Model, body: object, srid: int) -> Model:
    """Partial update (PATCH): only the properties and geometry present in the body change."""
    check_edit(layer, actor)
    geom, props = _parse(layer, body, srid, partial=True)
    for name, value in _validated(layer, obj, props, partial=True).items():
        setattr(obj, name, value)
    if geom is not None:
        setattr(obj, layer.geometry_field, geom)
    with acting_as(actor.username):
        return _save(layer, actor, obj)


def delete(layer: Layer, actor: Actor, obj: Model) -> None:
    check_edit(layer, actor)
    with acting_as(actor.username):
        try:
            obj.delete()
        except ProtectedError as exc:
            # Counted by kind, never named: the referring features may lie outside the jurisdiction.
            kinds = Counter(str(o._meta.verbose_name) for o in exc.protected_objects)
            refs = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            raise InUse(f"{obj} is still referenced ({refs}) and cannot be deleted") from None
        except IntegrityError:
            raise InUse(f"{obj} is still referenced and cannot be deleted") from None

"""The one query that builds a tile: ST_AsMVTGeom + ST_AsMVT per layer, concatenated.

Identifiers (tables, columns, layer names) come from the registry only and are quoted with
``psycopg.sql``; every value (z/x/y, filters, jurisdiction) is a bound parameter. The tile
envelope is transformed to the storage SRID so the GiST index on ``geom`` is used. Points of a
layer with ``cluster_below`` are aggregated into counted cells below that zoom, so a z12 tile of
the whole district stays small; other geometries are simplified to the zoom's pixel size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import BooleanField, DateField, DateTimeField, FloatField, IntegerField, JSONField
from psycopg import sql

from layers.crs import STORAGE_SRID
from layers.registry import Layer, registry

EXTENT = 4096
BUFFER = 64
# Cluster cells per tile side below a layer's cluster_below zoom (≤ 32² features per tile; 8 px apart on screen).
CLUSTER_CELLS = 32
EARTH_RADIUS = 6378137.0
WORLD_M = 2 * math.pi * EARTH_RADIUS


@dataclass(frozen=True)
class LayerQuery:
    """One layer of a tile: its conditions beyond the envelope, as SQL with bound values."""

    layer: Layer
    conditions: list[sql.Composable] = field(default_factory=list)
    params: list[object] = field(default_factory=list)


def _attribute(layer: Layer, name: str) -> sql.Composable:
    model_field = layer.model._meta.get_field(name)
    column: sql.Composable = sql.Identifier(model_field.column)
    if isinstance(model_field, JSONField | DateField | DateTimeField):
        column = sql.SQL("{}::text").format(column)
    return sql.SQL("{} AS {}").format(column, sql.Identifier(name))


def field_type(layer: Layer, name: str) -> str:
    """The MVT value type of an exposed field as TileJSON and MBTiles name it: Number, Boolean or String
    (a foreign key carries its target's value; dates and JSON are sent as text)."""
    model_field = layer.model._meta.get_field(name)
    if model_field.is_relation:
        model_field = model_field.target_field
    if isinstance(model_field, IntegerField | FloatField):
        return "Number"
    return "Boolean" if isinstance(model_field, BooleanField) else "String"


def vector_layer(layer: Layer) -> dict[str, object]:
    """The layer's entry in TileJSON/MBTiles ``vector_layers``; a clustered layer also has ``count``."""
    fields = {name: field_type(layer, name) for name in layer.fields}
    if layer.cluster_below is not None:
        fields["count"] = "Number"
    return {"id": layer.name, "description": layer.title, "minzoom": layer.zoom[0], "maxzoom": layer.zoom[1],
            "fields": fields}


def _layer_sql(q: LayerQuery, z: int) -> sql.Composable:
    layer = q.layer
    geom = sql.Identifier(layer.geometry_field)
    where = sql.SQL(" AND ").join([sql.SQL("{} && b.g").format(geom), *q.conditions])
    source = sql.SQL("FROM {table}, b WHERE {where}").format(table=sql.Identifier(layer.table), where=where)
    tile_m = WORLD_M / (1 << z)
    if layer.cluster_below is not None and z < layer.cluster_below:
        cell = tile_m / CLUSTER_CELLS
        # Web Mercator by its formula on the (CGCS2000 ≈ WGS84) lon/lat: no PROJ call per point.
        rows = sql.SQL(
            "SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(px), avg(py)), 3857), b.m, {extent}, {buffer}, true)"
            " AS geom, count(*)::int AS count"
            " FROM (SELECT ST_X(p) * {r} AS px, ln(tan(pi() / 4 + radians(ST_Y(p)) / 2)) * {R} AS py"
            " FROM (SELECT ST_PointOnSurface({geom}) AS p {source}) s0) s, b"
            " GROUP BY floor(px / {cell}), floor(py / {cell}), b.m"
        ).format(extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), geom=geom, source=source,
                 cell=sql.Literal(cell), r=sql.Literal(EARTH_RADIUS * math.pi / 180), R=sql.Literal(EARTH_RADIUS))
        feature_id = sql.SQL("")
    else:
        shape = sql.SQL("ST_Transform({}, 3857)").format(geom)
        if layer.geometry_type != "Point":
            shape = sql.SQL("ST_Simplify({}, {})").format(shape, sql.Literal(tile_m / EXTENT / 2))
        attrs = [_attribute(layer, f) for f in layer.fields]
        rows = sql.SQL(
            "SELECT id, ST_AsMVTGeom({shape}, b.m, {extent}, {buffer}, true) AS geom, {attrs} {source} LIMIT {cap}"
        ).format(shape=shape, extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER),
                 attrs=sql.SQL(", ").join(attrs), source=source, cap=sql.Literal(layer.tile_cap))
        feature_id = sql.SQL(", 'id'")
    return sql.SQL("coalesce((SELECT ST_AsMVT(t, {name}, {extent}, 'geom'{fid}) FROM ({rows}) t), '')").format(
        name=sql.Literal(layer.name), extent=sql.Literal(EXTENT), fid=feature_id, rows=rows
    )


@lru_cache(maxsize=4096)
def _tile_text(z: int, shape: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The query text for a zoom and a tuple of (layer, its condition texts): composed once, then reused."""
    bounds = sql.SQL(
        "WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS m,"
        " ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => {margin}), {srid}) AS g)"
    ).format(margin=sql.Literal(BUFFER / EXTENT), srid=sql.Literal(STORAGE_SRID))
    parts = [_layer_sql(LayerQuery(registry.get(name), [sql.SQL(c) for c in conditions]), z)
             for name, conditions in shape]
    body = sql.SQL(" || ").join(parts) if parts else sql.SQL("''::bytea")
    return sql.SQL("{} SELECT {}").format(bounds, body).as_string(None)


def tile_sql(queries: list[LayerQuery], z: int, x: int, y: int) -> tuple[str, list[object]]:
    """(query, params) returning one bytea: the MVT of all ``queries`` for tile z/x/y."""
    shape = tuple((q.layer.name, tuple(c.as_string(None) for c in q.conditions)) for q in queries)
    params: list[object] = [z, x, y, z, x, y]
    for q in queries:
        params.extend(q.params)
    return _tile_text(z, shape), params

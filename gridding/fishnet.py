"""Regular grids 规则格网 for density: square or hexagonal cells over an area, counting any layer per cell.

PostGIS makes the cells (``ST_SquareGrid`` / ``ST_HexagonGrid`` in the area's Gauss-Krüger zone,
so the size is in metres: the side of a square, the edge of a hexagon) and counts the layer's
features per cell through its GiST index, in one ``INSERT … SELECT``. The layer's table and
geometry column come from the registry; the counted features are those the user may see in the
area (by the jurisdiction rule of ``layers.access``). A line or area counts once, in the cell holding
its point on surface.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Max, Sum
from psycopg import sql

from layers.access import Actor, check_read, jurisdiction_geom, scope_condition
from layers.editing import acting_as
from layers.models.base import SRID
from layers.registry import registry

from . import source
from .errors import UnknownShape
from .models import Fishnet, FishnetCell

GRIDS = {"square": "ST_SquareGrid", "hex": "ST_HexagonGrid"}
SIZE_M = (10.0, 100_000.0)
MAX_CELLS = 200_000


def check_request(shape: object, size: object) -> tuple[str, float]:
    """The shape and size, or a 400 naming the parameter."""
    if not isinstance(shape, str) or shape not in GRIDS:
        raise UnknownShape(f"shape must be one of {', '.join(GRIDS)} (got {shape!r})", field="shape")
    try:
        size_m = float(size)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        size_m = -1.0
    if not (SIZE_M[0] <= size_m <= SIZE_M[1]):
        raise UnknownShape(f"size must be a cell size in metres, {SIZE_M[0]:g}–{SIZE_M[1]:g} (got {size!r})",
                           field="size")
    return str(shape), size_m


def build(shape: object, size: object, layer_name: str, area: str, actor: Actor) -> Fishnet:
    """Cells of ``shape`` and ``size`` metres over ``area`` (district/street/community code) with the
    counts of ``layer_name``; stored as the ``fishnet_cells`` layer, attributed to ``actor``."""
    shape, size_m = check_request(shape, size)
    layer = registry.get(layer_name)
    check_read(layer, actor)
    outline = jurisdiction_geom(area) if area else None
    if outline is None:
        raise UnknownShape("a fishnet needs an area: a district, street or community code", field="area")
    srid = source.area_srid(area)
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Area(ST_Transform(%s::geometry, %s))", [outline.ewkt, srid])
        area_m2 = cur.fetchone()[0] or 0.0
    if area_m2 / (size_m * size_m) > MAX_CELLS:
        raise UnknownShape(f"{size_m:g} m cells over {area_m2 / 1e6:.1f} km² would make more than {MAX_CELLS:,} "
                           "cells; choose a larger size", field="size")
    scope, scope_params = scope_condition(layer, area, alias="t")
    with acting_as(actor.username):
        fishnet = Fishnet.objects.create(shape=shape, size_m=size_m, layer=layer.name, area_code=area,
                                         created_by=actor.username)
        statement = sql.SQL(
            "WITH a AS (SELECT g AS g4490, ST_Transform(g, %s) AS gm FROM (SELECT %s::geometry AS g) s),"
            " cells AS (SELECT ST_Transform(c.geom, {srid}) AS geom FROM a, {grid}(%s, a.gm) c"
            "           WHERE ST_Intersects(c.geom, a.gm))"
            " INSERT INTO {cells} (fishnet_id, area_code, count, density_km2, area_m2, geom, created_at, updated_at)"
            " SELECT %s, %s, n.n, n.n / (ST_Area(cells.geom::geography) / 1e6), ST_Area(cells.geom::geography),"
            " cells.geom, now(), now() FROM a, cells CROSS JOIN LATERAL"
            " (SELECT count(*) AS n FROM {table} t WHERE t.{geom} && cells.geom"
            "  AND ST_Intersects(cells.geom, ST_PointOnSurface(t.{geom})) AND {scope}) n"
        ).format(srid=sql.Literal(SRID), grid=sql.Identifier(GRIDS[shape].lower()),
                 cells=sql.Identifier(FishnetCell._meta.db_table), table=sql.Identifier(layer.table),
                 geom=sql.Identifier(layer.geometry_field), scope=scope)
        with connection.cursor() as cur:
            cur.execute(statement.as_string(cur.cursor), [srid, outline.ewkt, size_m, fishnet.pk, area, *scope_params])
    return fishnet


def describe(fishnet: Fishnet) -> dict[str, object]:
    totals = fishnet.cells.aggregate(cells=Count("id"), features=Sum("count"), densest=Max("density_km2"))
    return {"id": fishnet.pk, "shape": fishnet.shape, "size_m": fishnet.size_m, "layer": fishnet.layer,
            "area": fishnet.area_code, "created_by": fishnet.created_by, "created_at": fishnet.created_at.isoformat(),
            "cells": totals["cells"], "features": totals["features"] or 0,
            "max_density_km2": totals["densest"] or 0.0,
            "features_url": f"/api/layers/fishnet_cells/features/?fishnet={fishnet.pk}"}

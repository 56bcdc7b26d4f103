"""Zone areas and evaluation points for a district that has none (the demo city), made from its own layers.

Zone types follow distance from the district's centre (the urban core is A, the ring around it
B, the rest C), cut to the district. Evaluation points come from what the district already
holds: public toilets (07), construction sites (14), cleaning segments of grade 1–2 (01) and
3–4 (02), communities (11); the other types are placed on unit grids drawn with a seeded
generator. Everything is one ``INSERT … SELECT`` per source, attributed to the actor.
"""

from __future__ import annotations

import numpy as np
from django.db import connection
from psycopg import sql

from layers.access import Actor
from layers.editing import acting_as
from layers.models import CleaningSegment, Community, District, Facility, UnitGrid

from . import source
from .models import EvaluationPoint, ZoneArea

# Radii (fractions of the district's equivalent radius) of the A core and the B ring.
RINGS = (0.3, 0.6)
RANDOM_TYPES = ("03", "04", "05", "06", "08", "09", "10", "12", "13")
RANDOM_SHARE = 0.15  # of the unit grids get one point of a random type


def _run(cur: object, statement: sql.Composable, params: list[object]) -> int:
    cur.execute(statement.as_string(cur.cursor), params)  # type: ignore[attr-defined]
    return int(cur.rowcount)  # type: ignore[attr-defined]


def load(district: str, actor: Actor, seed: int = 320982) -> dict[str, int]:
    """Zone areas and evaluation points for ``district``; refuses nothing, adds only what is missing."""
    t = {m.__name__: sql.Identifier(m._meta.db_table)
         for m in (ZoneArea, EvaluationPoint, District, Facility, CleaningSegment, Community, UnitGrid)}
    srid = source.area_srid(district)
    counts = {"zone areas": 0, "evaluation points": 0}
    with acting_as(actor.username), connection.cursor() as cur:
        if not ZoneArea.objects.exists():
            counts["zone areas"] = _run(cur, sql.SQL(
                "WITH d AS (SELECT ST_Transform(geom, %s) AS g, sqrt(ST_Area(ST_Transform(geom, %s)) / pi()) AS r"
                "           FROM {District} WHERE code = %s),"
                " c AS (SELECT ST_Centroid(g) AS p, g, r FROM d),"
                " z AS (SELECT 'A' AS t, ST_Intersection(g, ST_Buffer(p, r * %s, 32)) AS g FROM c UNION ALL"
                "       SELECT 'B', ST_Intersection(g, ST_Difference(ST_Buffer(p, r * %s, 32),"
                "                                                    ST_Buffer(p, r * %s, 32)))"
                "       FROM c UNION ALL SELECT 'C', ST_Difference(g, ST_Buffer(p, r * %s, 32)) FROM c)"
                " INSERT INTO {ZoneArea} (zone_type, name, geom, created_at, updated_at)"
                " SELECT t, t || '类区域', ST_Multi(ST_CollectionExtract(ST_Transform(g, 4490), 3)), now(), now()"
                " FROM z WHERE NOT ST_IsEmpty(g)"
            ).format(**t), [srid, srid, district, RINGS[0], RINGS[1], RINGS[0], RINGS[1]])
        if EvaluationPoint.objects.filter(code__startswith=district).exists():
            return counts
        n = 0
        for kind, point_type in (("public_toilet", "07"), ("construction_site", "14")):
            n += _run(cur, sql.SQL(
                "INSERT INTO {EvaluationPoint} (code, name, point_type, geom, created_at, updated_at)"
                " SELECT %s || %s || lpad(row_number() OVER (ORDER BY f.code)::text, 6, '0'), f.name, %s, f.geom,"
                " now(), now() FROM {Facility} f WHERE f.kind = %s AND f.unit_grid_id LIKE %s"
            ).format(**t), [district, point_type, point_type, kind, district + "%"])
        for grades, point_type in (([1, 2], "01"), ([3, 4], "02")):
            n += _run(cur, sql.SQL(
                "INSERT INTO {EvaluationPoint} (code, name, point_type, geom, created_at, updated_at)"
                " SELECT %s || %s || lpad(row_number() OVER (ORDER BY s.id)::text, 6, '0'), left(s.name, 100), %s,"
                " s.geom, now(), now() FROM {CleaningSegment} s WHERE s.grade = ANY(%s) AND s.district_id = %s"
            ).format(**t), [district, point_type, point_type, grades, district])
        n += _run(cur, sql.SQL(
            "INSERT INTO {EvaluationPoint} (code, name, point_type, geom, created_at, updated_at)"
            " SELECT %s || '11' || right(c.code, 6), c.name, '11', ST_PointOnSurface(c.geom), now(), now()"
            " FROM {Community} c WHERE c.code LIKE %s"
        ).format(**t), [district, district + "%"])
        grids = list(UnitGrid.objects.filter(code__startswith=district).order_by("code").values_list("code", flat=True))
        rng = np.random.default_rng(seed)
        chosen = sorted(rng.choice(len(grids), int(len(grids) * RANDOM_SHARE), replace=False).tolist()) if grids else []
        types = rng.choice(RANDOM_TYPES, len(chosen)).tolist()
        n += _run(cur, sql.SQL(
            "INSERT INTO {EvaluationPoint} (code, name, point_type, geom, created_at, updated_at)"
            " SELECT %s || p.t || right(g.code, 9), g.code || '考评点', p.t, ST_PointOnSurface(g.geom), now(), now()"
            " FROM unnest(%s::text[], %s::text[]) AS p(code, t) JOIN {UnitGrid} g ON g.code = p.code"
        ).format(**t), [district, [grids[i] for i in chosen], types])
        counts["evaluation points"] = n
    return counts

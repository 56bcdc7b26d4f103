"""Questions about where vehicles went, each one set-based SQL over the fixes or the live positions.

- :func:`passed` 违规反查: the vehicles that passed an area or a road segment (buffered by metres)
  between two times: a fix inside, or a step between two consecutive fixes (at most
  ``LEG_SECONDS`` apart) crossing it, so a vehicle that drove across between reports is found too;
- :func:`nearest`: the nearest available, online vehicles of a group to a point (a full-bin report);
- :func:`daily`: mileage and working hours per vehicle for a day (rules as in ``track``).

Every query is limited to the vehicles the user may see (their ids, from the layer's jurisdiction)
and to a time window, which are the fixes table's shard and partition keys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection
from psycopg import sql

from layers.access import Actor, visible

from .layers import VEHICLES
from .live import live_json, positioned
from .models import FIX_TABLE, VEHICLE
from .track import GAP_SECONDS, MOVING_KMH

# A step between two fixes further apart than this is a gap, not a drive across the area (terminals
# report every 10–30 s).
LEG_SECONDS = 60
# How far a vehicle drives in LEG_SECONDS at 60 km/h (a town's limit for these trucks): both ends of a
# step that crosses the area lie within this of it, so only the fixes this near are read (by the GiST
# index), not whole tracks.
LEG_REACH_M = 1000

# The area and its reach, buffered in metres; computed first so the search below gets them as bound
# values (the planner then sees how small the area is and reads the fixes by their GiST index).
_BUFFERS = ("SELECT ST_AsEWKB(ST_SetSRID(ST_Buffer(g::geography, %(buffer)s)::geometry, 4490)),"
            " ST_AsEWKB(ST_SetSRID(ST_Buffer(g::geography, %(buffer)s + %(reach)s)::geometry, 4490))"
            " FROM (SELECT ST_GeomFromEWKT(%(area)s) AS g) s")
_PASSED = sql.SQL("""
WITH a AS (SELECT ST_GeomFromEWKB(%(g)s) AS g),
near AS (
  SELECT f.vehicle_id, f.time, f.geom FROM {fixes} f
  WHERE f.vehicle_id = ANY(%(ids)s) AND f.time >= %(start)s AND f.time < %(end)s
    AND ST_Intersects(f.geom, ST_GeomFromEWKB(%(wide)s))),
legs AS (
  SELECT vehicle_id, time, geom, lag(time) OVER w AS prev_time, lag(geom) OVER w AS prev_geom FROM near
  WINDOW w AS (PARTITION BY vehicle_id ORDER BY time)),
hits AS (
  SELECT l.vehicle_id, l.time, l.prev_time, ST_Intersects(l.geom, a.g) AS inside FROM legs l, a
  WHERE ST_Intersects(l.geom, a.g)
     OR (l.time - l.prev_time <= make_interval(secs => %(leg)s)
         AND ST_Intersects(ST_MakeLine(l.prev_geom, l.geom), a.g)
         AND NOT EXISTS (SELECT 1 FROM {fixes} b WHERE b.vehicle_id = l.vehicle_id AND b.time > l.prev_time
                         AND b.time < l.time)))
SELECT vehicle_id, min(CASE WHEN inside THEN time ELSE prev_time END), max(time), count(*) FILTER (WHERE inside)
FROM hits GROUP BY vehicle_id ORDER BY 2
""").format(fixes=sql.Identifier(FIX_TABLE)).as_string(None)

_DAILY = sql.SQL("""
WITH f AS (
  SELECT vehicle_id, time, speed, lag(time) OVER w AS prev_time,
         ST_Distance(geom::geography, (lag(geom) OVER w)::geography) AS m
  FROM {fixes} WHERE vehicle_id = ANY(%(ids)s) AND time >= %(start)s AND time < %(end)s
  WINDOW w AS (PARTITION BY vehicle_id ORDER BY time)),
s AS (SELECT *, extract(epoch FROM time - prev_time) AS dt FROM f),
k AS (SELECT *, CASE WHEN dt > 0 THEN m / dt * 3.6 END AS implied FROM s)
SELECT vehicle_id, count(*), min(time), max(time),
       coalesce(sum(m) FILTER (WHERE implied <= %(max_speed)s), 0) / 1000,
       coalesce(sum(dt) FILTER (WHERE dt <= %(gap)s AND implied <= %(max_speed)s
                                 AND (implied >= %(moving)s OR coalesce(speed, 0) >= %(moving)s)), 0) / 3600
FROM k GROUP BY vehicle_id ORDER BY vehicle_id
""").format(fixes=sql.Identifier(FIX_TABLE)).as_string(None)


def _labels(actor: Actor) -> dict[int, str]:
    return {pk: plate or name or terminal for pk, plate, name, terminal in
            visible(VEHICLES, actor).values_list("id", "plate", "name", "terminal")}


def passed(actor: Actor, area: GEOSGeometry, buffer_m: float, start: datetime, end: datetime) -> list[dict]:
    labels = _labels(actor)
    with connection.cursor() as cur:
        cur.execute(_BUFFERS, {"area": area.ewkt, "buffer": buffer_m, "reach": LEG_REACH_M})
        inner, wide = cur.fetchone()
        cur.execute(_PASSED, {"g": inner, "wide": wide, "ids": list(labels), "start": start, "end": end,
                              "leg": LEG_SECONDS})
        rows = cur.fetchall()
    return [{"vehicle": pk, "label": labels[pk], "first": first.isoformat(), "last": last.isoformat(),
             "fixes_inside": inside} for pk, first, last, inside in rows]


def nearest(actor: Actor, point: Point, group: str | None, kind: str | None, limit: int) -> list[dict]:
    """Available vehicles online now, nearest first, with their distance in metres."""
    now = datetime.now(UTC)
    since = now - timedelta(seconds=settings.GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS)
    rows = positioned(actor).filter(available=True, category=VEHICLE, live__time__gte=since)
    if group:
        rows = rows.filter(group=group)
    if kind:
        rows = rows.filter(kind=kind)
    found = rows.annotate(distance=Distance("live__geom", point)).order_by("distance")[:limit]
    return [{**live_json(v, now), "distance_m": round(v.distance.m, 1)} for v in found]


def daily(actor: Actor, start: datetime, end: datetime, vehicle: int | None = None) -> list[dict]:
    labels = _labels(actor)
    ids = [vehicle] if vehicle is not None and vehicle in labels else ([] if vehicle is not None else list(labels))
    with connection.cursor() as cur:
        cur.execute(_DAILY, {"ids": ids, "start": start, "end": end, "max_speed": settings.GRIDCITY_FLEET_MAX_SPEED_KMH,
                             "gap": GAP_SECONDS, "moving": MOVING_KMH})
        rows = cur.fetchall()
    return [{"vehicle": pk, "label": labels[pk], "fixes": n, "first": first.isoformat(), "last": last.isoformat(),
             "km": round(float(km), 3), "working_hours": round(float(hours), 3)}
            for pk, n, first, last, km, hours in rows]

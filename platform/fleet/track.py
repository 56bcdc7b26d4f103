"""Playback of a vehicle's fixes, and a day's trips, stops and mileage.

Every query names the vehicle and a time window (the partition key and the shard key), so it
reads one vehicle's rows of one or two day partitions through the primary key.

A day is cut into trips and stops from the fixes, vectorised with numpy: a *jump* is a fix whose
implied speed from the previous good fix exceeds ``GRIDCITY_FLEET_MAX_SPEED_KMH`` (GPS noise, left
out of distances); a *stop* is a run of fixes within ``STOP_RADIUS_M`` of its first lasting at
least ``STOP_MINUTES``; the trips are what lies between stops. Mileage is the geodesic length of
the steps between fixes, jumps left out; working hours are the steps moving at ``MOVING_KMH`` or
more with no gap over ``GAP_SECONDS`` (the same rules as ``questions.daily`` in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection
from psycopg import sql
from pyproj import Geod

from .errors import BadTimeWindow
from .models import FIX_TABLE

STOP_RADIUS_M = 50.0
STOP_MINUTES = 3.0
# A gap longer than this between fixes is not driving time (terminal off, garage).
GAP_SECONDS = 600.0
# Slower than this a step is standing, not working.
MOVING_KMH = 3.0
_GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid

_FIXES = sql.SQL(
    "SELECT extract(epoch FROM time)::float8, ST_X(geom), ST_Y(geom), speed, heading FROM {}"
    " WHERE vehicle_id = %s AND time >= %s AND time < %s ORDER BY time"
).format(sql.Identifier(FIX_TABLE)).as_string(None)
# Simplified for a zoom: Douglas-Peucker in Web Mercator metres on a line whose M is the fix time,
# so the kept vertices keep their times.
_SIMPLIFIED = sql.SQL(
    "SELECT ST_M(p.geom), ST_X(ST_Transform(p.geom, 4490)), ST_Y(ST_Transform(p.geom, 4490))"
    " FROM (SELECT ST_Simplify(ST_MakeLine(ST_MakePointM(ST_X(g), ST_Y(g), extract(epoch FROM time)) ORDER BY time),"
    "        %s, true) AS line"
    "       FROM (SELECT time, ST_Transform(geom, 3857) AS g FROM {} WHERE vehicle_id = %s AND time >= %s"
    "             AND time < %s) f) s,"
    " LATERAL ST_DumpPoints(ST_SetSRID(s.line, 3857)) p ORDER BY p.path"
).format(sql.Identifier(FIX_TABLE)).as_string(None)


@dataclass(frozen=True)
class Track:
    """Fixes in time order as columns: epoch seconds, lon, lat, speed (km/h), heading (°)."""

    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    speed: np.ndarray
    heading: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


def fixes(vehicle_id: int, start: datetime, end: datetime) -> Track:
    with connection.cursor() as cur:
        cur.execute(_FIXES, [vehicle_id, start, end])
        rows = cur.fetchall()
    data = np.array(rows, dtype=float).reshape(-1, 5)  # NULL speed/heading become nan
    return Track(*(data[:, i] for i in range(5)))


_POINTS_JSON = sql.SQL(
    "SELECT count(*), coalesce(json_agg(json_build_array(extract(epoch FROM time), ST_X(geom), ST_Y(geom), speed,"
    " heading) ORDER BY time), '[]')::text FROM {} WHERE vehicle_id = %s AND time >= %s AND time < %s"
).format(sql.Identifier(FIX_TABLE)).as_string(None)


def points_json(vehicle_id: int, start: datetime, end: datetime) -> tuple[int, str]:
    """(count, JSON text of ``[[epoch, lon, lat, speed, heading], …]`` in time order): built by
    PostgreSQL in one pass, so a vehicle-day of thousands of fixes is not re-encoded in Python."""
    with connection.cursor() as cur:
        cur.execute(_POINTS_JSON, [vehicle_id, start, end])
        count, text = cur.fetchone()
    return int(count), text


def simplified(vehicle_id: int, start: datetime, end: datetime, tolerance_m: float) -> list[list[float]]:
    """[epoch, lon, lat] of the track simplified to ``tolerance_m`` metres (Web Mercator)."""
    with connection.cursor() as cur:
        cur.execute(_SIMPLIFIED, [tolerance_m, vehicle_id, start, end])
        return [[float(t), float(x), float(y)] for t, x, y in cur.fetchall()]


def tolerance_for_zoom(zoom: int) -> float:
    """Half a screen pixel in Web Mercator metres at ``zoom`` (256-px tiles)."""
    return 2 * np.pi * 6378137.0 / (256 * 2 ** zoom) / 2


def steps(track: Track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(metres, seconds, moving) from each fix to the next: GPS jumps (implied speed over the limit)
    count no distance; a step is moving when it is no gap and the vehicle moved at ``MOVING_KMH``."""
    if len(track) < 2:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    _, _, dist = _GEOD.inv(track.lon[:-1], track.lat[:-1], track.lon[1:], track.lat[1:])
    dt = np.diff(track.t)
    implied = np.divide(dist, dt, out=np.full_like(dist, np.inf), where=dt > 0) * 3.6
    jump = implied > settings.GRIDCITY_FLEET_MAX_SPEED_KMH
    moving = (dt <= GAP_SECONDS) & ~jump & ((implied >= MOVING_KMH) | (np.nan_to_num(track.speed[1:]) >= MOVING_KMH))
    return np.where(jump, 0.0, dist), dt, moving


def stops(track: Track) -> list[tuple[int, int]]:
    """(first, last) fix index of each stop: fixes within STOP_RADIUS_M of the run's first one,
    lasting at least STOP_MINUTES."""
    found: list[tuple[int, int]] = []
    n, i = len(track), 0
    while i < n - 1:
        # distances from fix i to every later fix, vectorised; the run ends at the first one beyond the radius
        _, _, dist = _GEOD.inv(np.full(n - i - 1, track.lon[i]), np.full(n - i - 1, track.lat[i]),
                               track.lon[i + 1:], track.lat[i + 1:])
        beyond = np.flatnonzero(dist > STOP_RADIUS_M)
        last = i + (int(beyond[0]) if len(beyond) else n - i - 1)
        if track.t[last] - track.t[i] >= STOP_MINUTES * 60:
            found.append((i, last))
            i = last + 1
        else:
            i += 1
    return found


def day_summary(track: Track) -> dict[str, object]:
    """Mileage, working hours, trips and stops of a day's fixes."""
    dist, dt, moving = steps(track)
    found = stops(track)
    trips = []
    bounds = [(-1, 0)] + found + [(len(track) - 1, len(track))]
    for (_, prev_last), (next_first, _) in zip(bounds[:-1], bounds[1:], strict=True):
        start = max(prev_last, 0)
        end = min(next_first, len(track) - 1)
        if end > start:
            trips.append({"start": _iso(track.t[start]), "end": _iso(track.t[end]),
                          "km": round(float(dist[start:end].sum()) / 1000, 3),
                          "from": [float(track.lon[start]), float(track.lat[start])],
                          "to": [float(track.lon[end]), float(track.lat[end])]})
    return {
        "fixes": len(track),
        "km": round(float(dist.sum()) / 1000, 3),
        "working_hours": round(float(dt[moving].sum()) / 3600, 3),
        "trips": trips,
        "stops": [{"start": _iso(track.t[a]), "end": _iso(track.t[b]),
                   "minutes": round((track.t[b] - track.t[a]) / 60, 1), "lon": float(track.lon[a]),
                   "lat": float(track.lat[a])} for a, b in found],
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).isoformat()


def day_window(day: str) -> tuple[datetime, datetime]:
    """The platform time zone's day ``YYYY-MM-DD`` as [start, end)."""
    try:
        start = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    except ValueError:
        raise BadTimeWindow(f"date {day!r} is not YYYY-MM-DD", field="date") from None
    return start, start + timedelta(days=1)

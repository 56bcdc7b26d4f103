"""GPS ingest: a batch of fixes checked, stored once, and the live positions moved forward.

``POST /api/gps/fixes/`` with ``{"fixes": [{terminal | plate, time, lon, lat, crs?, speed?,
heading?, weight?, rfid?, lid?}, …]}``. Each fix is checked on its own (shape, time with an
offset, coordinates in China after the CRS move, not in the future, not older than the
retention, a possible speed, a known terminal); a bad one is rejected with its index and
reason while the rest are stored. Storing is set-based and idempotent: one COPY into a
temporary stage, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` on the natural key
(vehicle resolved from the terminal, fix time), so a resent fix is counted as a duplicate and an out-of-order or
late one lands in its day's partition. The same transaction moves each vehicle's live position
(``fleet_liveposition``) to its newest stored fix if that is newer than the one it holds (never
backwards), notifies the live channel, and lets the vehicles layer take the positions it is due
(at most every ``GRIDCITY_FLEET_LAYER_REFRESH_SECONDS`` per vehicle: the layer's table is audited
and drops cached tiles, too dear for every batch). It commits with ``synchronous_commit = on``
whatever the server's default, so an answer means the fixes are on disk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from importers import chinacoords

from .errors import BadBatch, BatchTooLarge
from .models import FIX_TABLE, LIVE_CHANNEL

# Accepted names of the CRS a fix is in: WGS84 (terminals, the default), CGCS2000, GCJ-02, BD-09.
CRS_NAMES = {"epsg:4326": "wgs84", "4326": "wgs84", "wgs84": "wgs84", "epsg:4490": "cgcs2000",
             "4490": "cgcs2000", "cgcs2000": "cgcs2000", "gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09",
             "bd-09": "bd09"}
# China's extent (mainland, Hainan and the South China Sea islands) as a box: a fix outside it is refused.
CHINA = (73.4, 3.8, 135.1, 53.6)
# Text fields a fix may carry besides its position, and their longest length.
TEXT_LIMIT = 64
# pg_notify payloads stay below PostgreSQL's 8,000-byte limit.
NOTIFY_BYTES = 7000
# Attempts at storing a batch (after a deadlock, or a partition gone from under this process).
RETRIES = 3


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str | None
    rule: str
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "field": self.field, "rule": self.rule, "reason": self.reason}


@dataclass
class Result:
    received: int
    stored: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates,
                "rejected": len(self.rejections), "rejections": [r.as_json() for r in self.rejections]}


@dataclass
class Parsed:
    """The fixes that passed the per-fix checks, as columns (index = position in the batch)."""

    index: list[int] = field(default_factory=list)
    key: list[tuple[str, str]] = field(default_factory=list)  # ("terminal" | "plate", value)
    time: list[datetime] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    crs: list[str] = field(default_factory=list)
    speed: list[float | None] = field(default_factory=list)
    heading: list[float | None] = field(default_factory=list)
    weight: list[float | None] = field(default_factory=list)
    rfid: list[str | None] = field(default_factory=list)
    lid: list[str | None] = field(default_factory=list)


class _Bad(Exception):
    def __init__(self, field: str | None, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.rule, self.reason = field, rule, reason


def _number(fix: dict, name: str, required: bool = False) -> float | None:
    value = fix.get(name)
    if value is None:
        if required:
            raise _Bad(name, "required", f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Bad(name, "number", f"{name} must be a finite number, got {value!r}")
    return float(value)


def _text(fix: dict, name: str) -> str | None:
    value = fix.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        value = "open" if value else "closed"
    if not isinstance(value, str | int) or len(str(value)) > TEXT_LIMIT:
        raise _Bad(name, "text", f"{name} must be a text of at most {TEXT_LIMIT} characters")
    return str(value)


def _time(fix: dict) -> datetime:
    raw = fix.get("time")
    if not isinstance(raw, str):
        raise _Bad("time", "required",
                   "time is required as ISO 8601 text with an offset, e.g. 2026-12-08T09:30:00+08:00")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise _Bad("time", "time_format", f"time {raw!r} is not ISO 8601") from None
    if value.tzinfo is None:
        raise _Bad("time", "time_offset", f"time {raw!r} has no UTC offset (add +08:00 or Z)")
    return value


def _one(fix: object, now: datetime, oldest: datetime) -> tuple:
    if not isinstance(fix, dict):
        raise _Bad(None, "fix_shape", "a fix must be a JSON object")
    if isinstance(fix.get("terminal"), str | int) and str(fix["terminal"]).strip():
        key = ("terminal", str(fix["terminal"]).strip())
    elif isinstance(fix.get("plate"), str) and fix["plate"].strip():
        key = ("plate", fix["plate"].strip())
    else:
        raise _Bad("terminal", "required", "a fix names its terminal (or the vehicle's plate)")
    when = _time(fix)
    if when > now + timedelta(seconds=settings.GRIDCITY_FLEET_MAX_FUTURE_SECONDS):
        ahead = settings.GRIDCITY_FLEET_MAX_FUTURE_SECONDS
        raise _Bad("time", "future_time", f"time {when.isoformat()} lies in the future (server time "
                   f"{now.isoformat(timespec='seconds')}, allowed {ahead} s ahead)")
    if when < oldest:
        raise _Bad("time", "too_old", f"time {when.isoformat()} is older than the retention of "
                   f"{settings.GRIDCITY_FLEET_RETENTION_DAYS} days")
    lon, lat = _number(fix, "lon", True), _number(fix, "lat", True)
    crs = CRS_NAMES.get(str(fix.get("crs") or "EPSG:4326").strip().lower())
    if crs is None:
        raise _Bad("crs", "supported_crs", f"unsupported crs {fix.get('crs')!r}: use EPSG:4326 (default), "
                   "EPSG:4490, gcj02 or bd09")
    speed = _number(fix, "speed")
    if speed is not None and not 0 <= speed <= settings.GRIDCITY_FLEET_MAX_SPEED_KMH:
        raise _Bad("speed", "impossible_speed", f"speed {speed} km/h is impossible (0–"
                   f"{settings.GRIDCITY_FLEET_MAX_SPEED_KMH} km/h)")
    heading = _number(fix, "heading")
    if heading is not None and not 0 <= heading <= 360:
        raise _Bad("heading", "heading_range", f"heading {heading} must lie in 0–360 degrees")
    return (key, when, lon, lat, crs, speed, heading, _number(fix, "weight"), _text(fix, "rfid"), _text(fix, "lid"))


def parse(body: object) -> tuple[Parsed, list[Rejection], int]:
    """The batch's fixes that pass the checks needing no database, the others' rejections, the count."""
    if not isinstance(body, dict) or not isinstance(body.get("fixes"), list):
        raise BadBatch('the body must be {"fixes": [{"terminal", "time", "lon", "lat", …}, …]}', field="fixes")
    fixes = body["fixes"]
    if len(fixes) > settings.GRIDCITY_FLEET_MAX_BATCH:
        raise BatchTooLarge(f"{len(fixes)} fixes in one batch; at most {settings.GRIDCITY_FLEET_MAX_BATCH} "
                            "(GRIDCITY_FLEET_MAX_BATCH): split the batch", field="fixes")
    now = datetime.now(UTC)
    oldest = now - timedelta(days=settings.GRIDCITY_FLEET_RETENTION_DAYS)
    parsed, rejections = Parsed(), []
    for index, fix in enumerate(fixes):
        try:
            values = _one(fix, now, oldest)
        except _Bad as bad:
            rejections.append(Rejection(index, bad.field, bad.rule, bad.reason))
            continue
        parsed.index.append(index)
        for column, value in zip(("key", "time", "lon", "lat", "crs", "speed", "heading", "weight", "rfid", "lid"),
                                 values, strict=True):
            getattr(parsed, column).append(value)
    return parsed, rejections, len(fixes)


def to_storage(lon: np.ndarray, lat: np.ndarray, crs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes moved to EPSG:4490. GCJ-02 and BD-09 are undone to WGS84 first;
    WGS84 and CGCS2000 agree to centimetres (GPS noise is metres), so WGS84 is stored as it is."""
    lon, lat = lon.copy(), lat.copy()
    for name, undo in (("gcj02", chinacoords.gcj02_to_wgs84), ("bd09", chinacoords.bd09_to_wgs84)):
        mask = crs == name
        if mask.any():
            lon[mask], lat[mask] = undo(lon[mask], lat[mask])
    return lon, lat


def _resolve(keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(``terminal`` | ``plate``, value) → (vehicle id, terminal), in one query."""
    terminals = sorted({v for k, v in keys if k == "terminal"})
    plates = sorted({v for k, v in keys if k == "plate"})
    with connection.cursor() as cur:
        cur.execute("SELECT id, terminal, plate FROM fleet_vehicle WHERE has_gps AND"
                    " (terminal = ANY(%s) OR plate = ANY(%s))", [terminals, plates])
        rows = cur.fetchall()
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for pk, terminal, plate in rows:
        found[("terminal", terminal)] = (pk, terminal)
        if plate:
            found[("plate", plate)] = (pk, terminal)
    return found


_known_days: set[date] = set()


def ensure_partitions(days: set[date], recheck: bool = False) -> None:
    """Create the day partitions ``days`` need (each asked once per process unless ``recheck``; the
    SQL function is idempotent)."""
    missing = sorted(days if recheck else days - _known_days)
    if not missing:
        return
    with connection.cursor() as cur:
        cur.execute("SELECT fleet_fix_partition(d, %s) FROM unnest(%s::date[]) d", [settings.TIME_ZONE, missing])
    _known_days.update(missing)


def _check(parsed: Parsed, rejections: list[Rejection]) -> tuple[list[int], np.ndarray, np.ndarray, list]:
    """The checks needing the whole batch or the database: coordinates in China, known terminals.
    Returns the positions (into ``parsed``) still good, their storage lon/lat and vehicles."""
    lon, lat = to_storage(np.array(parsed.lon, dtype=float), np.array(parsed.lat, dtype=float),
                          np.array(parsed.crs, dtype=object))
    inside = (lon >= CHINA[0]) & (lon <= CHINA[2]) & (lat >= CHINA[1]) & (lat <= CHINA[3])
    vehicles = _resolve(parsed.key)
    good, resolved = [], []
    for i, index in enumerate(parsed.index):
        if not inside[i]:
            rejections.append(Rejection(index, "lon", "outside_china", f"({parsed.lon[i]}, {parsed.lat[i]}) in "
                                        f"{parsed.crs[i]} lies outside China (lon {CHINA[0]}–{CHINA[2]}, "
                                        f"lat {CHINA[1]}–{CHINA[3]}); is it lat/lon swapped?"))
        elif parsed.key[i] not in vehicles:
            kind, value = parsed.key[i]
            rejections.append(Rejection(index, kind, "unknown_terminal",
                                        f"no vehicle or person with GPS has {kind} {value!r}; register it first"))
        else:
            good.append(i)
            resolved.append(vehicles[parsed.key[i]])
    return good, lon, lat, resolved


# The batch is COPied into a temporary stage first (1.7× faster than binding arrays to unnest():
# the stage is read as rows, with no array parsing), then moved with one INSERT … SELECT.
STAGE = "fleet_fix_stage"
STAGE_COLUMNS = ("vehicle_id", "time", "terminal", "lon", "lat", "speed", "heading", "weight", "rfid", "lid")
CREATE_STAGE = sql.SQL(
    "CREATE TEMP TABLE IF NOT EXISTS {} (vehicle_id bigint, time timestamptz, terminal text, lon float8, lat float8,"
    " speed real, heading real, weight real, rfid text, lid text) ON COMMIT DELETE ROWS"
).format(sql.Identifier(STAGE))
COPY_STAGE = sql.SQL("COPY {} ({}) FROM STDIN").format(
    sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, STAGE_COLUMNS)))
# Rows in key order, so two batches holding the same fixes wait for each other in the same order.
INSERT = sql.SQL("""
WITH ins AS (
  INSERT INTO {table} (vehicle_id, time, terminal, geom, speed, heading, weight, rfid, lid, feed_id)
  SELECT vehicle_id, time, terminal, ST_SetSRID(ST_MakePoint(lon, lat), 4490), speed, heading, weight, rfid, lid, %s
  FROM {stage} ORDER BY vehicle_id, time
  ON CONFLICT DO NOTHING
  RETURNING vehicle_id, time, geom, speed, heading
)
SELECT DISTINCT ON (vehicle_id) vehicle_id, time, ST_X(geom), ST_Y(geom), speed, heading, count(*) OVER ()
FROM ins ORDER BY vehicle_id, time DESC
""").format(table=sql.Identifier(FIX_TABLE), stage=sql.Identifier(STAGE))


# Each vehicle's newest stored fix into its live position, only forward in time; rows in vehicle
# order, so concurrent batches lock them in the same order.
LIVE = """
INSERT INTO fleet_liveposition AS l (vehicle_id, time, geom, speed, heading, stale)
SELECT id, time, ST_SetSRID(ST_MakePoint(lon, lat), 4490), speed, heading, true
FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[], %s::float8[], %s::real[], %s::real[])
     AS n(id, time, lon, lat, speed, heading)
ORDER BY id
ON CONFLICT (vehicle_id) DO UPDATE
SET time = EXCLUDED.time, geom = EXCLUDED.geom, speed = EXCLUDED.speed, heading = EXCLUDED.heading, stale = true
WHERE l.time < EXCLUDED.time
RETURNING vehicle_id
"""
# The vehicles layer takes the stale live positions it has not been given for a while (any vehicle's,
# so a parked vehicle's last fix reaches it with the next batch of any feed); rows another batch is
# refreshing are skipped, not waited for.
REFRESH = """
WITH due AS (
  SELECT vehicle_id FROM fleet_liveposition
  WHERE stale AND (refreshed_at IS NULL OR refreshed_at <= now() - make_interval(secs => %s))
  ORDER BY vehicle_id LIMIT %s FOR UPDATE SKIP LOCKED),
done AS (
  UPDATE fleet_liveposition l SET stale = false, refreshed_at = now() FROM due
  WHERE l.vehicle_id = due.vehicle_id RETURNING l.vehicle_id, l.time, l.geom, l.speed, l.heading)
UPDATE fleet_vehicle v SET geom = d.geom, fix_time = d.time, speed = d.speed, heading = d.heading
FROM done d WHERE v.id = d.vehicle_id
"""
# Stale live positions the layer takes per batch at most.
REFRESH_LIMIT = 500


def _store(rows: list[list], feed_id: int | None, actor: str) -> tuple[int, list[int]]:
    """Insert the fixes and move the live positions in one durable transaction: (stored, moved ids)."""
    # The raw psycopg cursor (for COPY) raises psycopg's errors: wrapped into Django's, as its cursor does.
    with transaction.atomic(), connection.cursor() as wrapper, connection.wrap_database_errors:
        cur: psycopg.Cursor = wrapper.cursor
        cur.execute("SELECT set_config('synchronous_commit', 'on', true), set_config('gridcity.actor', %s, true)",
                    [actor])
        cur.execute(CREATE_STAGE)
        with cur.copy(COPY_STAGE) as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(INSERT, [feed_id])
        latest = cur.fetchall()
        if not latest:
            return 0, []
        stored = int(latest[0][6])
        cur.execute(LIVE, [list(c) for c in zip(*(r[:6] for r in latest), strict=True)])
        moved = sorted(r[0] for r in cur.fetchall())
        refresh_layer(cur)
        for payload in _payloads(moved):
            cur.execute("SELECT pg_notify(%s, %s)", [LIVE_CHANNEL, payload])
    return stored, moved


def refresh_layer(cur: Any, every: float | None = None) -> None:
    """Copy due stale live positions into the vehicles layer (see ``REFRESH``); ``cur`` is a psycopg
    or Django cursor."""
    seconds = settings.GRIDCITY_FLEET_LAYER_REFRESH_SECONDS if every is None else every
    cur.execute(REFRESH, [seconds, REFRESH_LIMIT])


def _payloads(ids: list[int]) -> list[str]:
    """The moved vehicles' ids as comma-separated texts under the NOTIFY size limit."""
    out, current = [], ""
    for pk in ids:
        part = str(pk)
        if current and len(current) + len(part) + 1 > NOTIFY_BYTES:
            out.append(current)
            current = ""
        current = f"{current},{part}" if current else part
    return [*out, current] if current else out


def ingest(body: object, feed_id: int | None, actor: str) -> Result:
    """Check and store one batch (see the module's docstring)."""
    parsed, rejections, received = parse(body)
    result = Result(received, rejections=rejections)
    if not parsed.index:
        return result
    good, lon, lat, vehicles = _check(parsed, rejections)
    rows = [[vehicle, parsed.time[i], terminal, float(lon[i]), float(lat[i]), parsed.speed[i], parsed.heading[i],
             parsed.weight[i], parsed.rfid[i], parsed.lid[i]] for i, (vehicle, terminal) in zip(good, vehicles,
                                                                                              strict=True)]
    zone = ZoneInfo(settings.TIME_ZONE)
    days = {row[1].astimezone(zone).date() for row in rows}
    ensure_partitions(days)
    for attempt in range(RETRIES):
        try:
            result.stored, result.moved = _store(rows, feed_id, actor)
            break
        except DatabaseError as exc:
            last = attempt == RETRIES - 1
            if isinstance(exc.__cause__, psycopg.errors.CheckViolation) and not last:
                # a partition this process knew of is gone (a restored or re-made database): make it again
                _known_days.difference_update(days)
                ensure_partitions(days)
            elif not isinstance(exc.__cause__, psycopg.errors.DeadlockDetected) or last:
                raise
    result.duplicates = len(rows) - result.stored
    result.rejections.sort(key=lambda r: r.index)
    return result

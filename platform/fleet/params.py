"""Query parameters of the fleet API, each refused with a 400 naming it."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from django.contrib.gis.geos import GEOSGeometry, Point

from layers import crs
from layers.editing import geojson_geometry
from layers.errors import BadParameter

from .errors import BadTimeWindow


def moment(raw: str | None, name: str) -> datetime:
    if not raw:
        raise BadTimeWindow(f"{name} is required (ISO 8601 with an offset, e.g. 2026-12-08T08:00:00+08:00)",
                            field=name)
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))  # a '+' unescaped in a query string arrives as ' '
    except ValueError:
        raise BadTimeWindow(f"{name}={raw!r} is not ISO 8601", field=name) from None
    if value.tzinfo is None:
        raise BadTimeWindow(f"{name}={raw!r} has no UTC offset (add +08:00 or Z)", field=name)
    return value


def window(params: dict, longest: timedelta) -> tuple[datetime, datetime]:
    """``from`` and ``to``: both given, in order, at most ``longest`` apart."""
    start, end = moment(params.get("from"), "from"), moment(params.get("to"), "to")
    if end <= start:
        raise BadTimeWindow("to must come after from", field="to")
    if end - start > longest:
        raise BadTimeWindow(f"from–to spans {end - start}; at most {longest} per request", field="to")
    return start, end


def number(params: dict, name: str, default: float | None, low: float, high: float) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise BadParameter(f"{name} is required", field=name, rule="required")
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadParameter(f"{name}={raw!r} is not a number", field=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadParameter(f"{name}={raw!r} must lie in {low}–{high}", field=name)
    return value


def point(params: dict) -> Point:
    lon, lat = number(params, "lon", None, -180, 180), number(params, "lat", None, -90, 90)
    srid = crs.parse_srid(params.get("crs") or "EPSG:4490")
    return crs.to_storage(Point(lon, lat), srid, field="lon")


def geometry(raw: object, srid_name: object) -> GEOSGeometry:
    """A GeoJSON geometry (object or text) in ``crs`` (default EPSG:4490), moved to storage."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise BadParameter("geometry is not JSON", field="geometry", rule="geojson_geometry") from None
    return crs.to_storage(geojson_geometry(raw), crs.parse_srid(str(srid_name or "EPSG:4490")))

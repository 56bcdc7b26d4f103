"""Reverse geocoding: a point → the nearest door plate (or POI, when nearer) with the direction and
distance from it (永安路21号南侧约6米), and the unit grid, community and street it lies in.

The point must lie in the user's jurisdiction (403 otherwise); the plates and POIs considered are
those ``layers.access.visible`` lets the user read.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import Cursor

from layers.access import Actor, code_prefix
from layers.errors import OutsideJurisdiction

from . import lookup, offset
from .regions import address_prefix


@dataclass
class Reverse:
    lon: float  # EPSG:4490
    lat: float
    description: str | None  # 永安路21号南侧约6米
    address: str | None  # with the region: 江苏省盐城市大丰区大中街道永安路21号南侧约6米
    nearest: lookup.Nearest | None
    bearing: float | None  # from the nearest entity to the point
    place: lookup.Place
    reason: str | None = None


def reverse(cur: Cursor, lon: float, lat: float, actor: Actor) -> Reverse:
    place = lookup.locate(cur, [(lon, lat)])[0]
    code = code_prefix(actor)  # "" for the whole platform; an account without a jurisdiction is refused
    if code and not (place.unit_grid or "").startswith(code):
        raise OutsideJurisdiction(f"({lon:.6f}, {lat:.6f}) lies outside your jurisdiction {code}", field="lon")
    found = lookup.nearest(cur, lon, lat, actor)
    reason = None if place.unit_grid else "the point lies in no unit grid of the platform"
    if not found:
        return Reverse(lon, lat, None, None, None, None, place, "no door plate or POI is stored that you may see")
    near = found[0]
    azimuth = offset.bearing(near.lon, near.lat, lon, lat)
    description = near.label + offset.phrase(near.distance_m, azimuth)
    prefix = address_prefix(place.district, place.street)
    return Reverse(lon, lat, description, prefix + description, near, azimuth, place, reason)

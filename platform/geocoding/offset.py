"""Bearings and distances on the ellipsoid (pyproj.Geod, GRS80 = CGCS2000's): the point 50 m east of an
anchor, and the direction and distance from a plate to a point in words (南侧约6米).

>>> lon, lat = move(120.47, 33.20, 90.0, 50.0)
>>> round(distance(120.47, 33.20, lon, lat), 3), round(bearing(120.47, 33.20, lon, lat))
(50.0, 90)
>>> side_word(181.0), phrase(6.4, 181.0)
('南', '南侧约6米')
"""

from __future__ import annotations

import math

from pyproj import Geod

GEOD = Geod(ellps="GRS80")
WORDS = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
NEAR_M = 1.0  # closer than this, a point is "at" the plate


def move(lon: float, lat: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` from (lon, lat) at geodesic azimuth ``bearing_deg`` (clockwise from north)."""
    to_lon, to_lat, _ = GEOD.fwd(lon, lat, bearing_deg, metres)
    return float(to_lon), float(to_lat)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Azimuth from the first point to the second, 0–360°."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[0]) % 360.0


def side_word(bearing_deg: float) -> str:
    """The eight-way direction word of an azimuth (东 for 67.5°–112.5°)."""
    return WORDS[int(((bearing_deg % 360.0) + 22.5) // 45.0) % 8]


def phrase(metres: float, bearing_deg: float) -> str:
    """南侧约6米: where a point lies from an anchor, in the words a dispatcher uses."""
    if metres < NEAR_M:
        return ""
    return f"{side_word(bearing_deg)}侧约{round(metres):d}米"


def corner(points: list[tuple[float, float]], bearing_deg: float) -> tuple[float, float]:
    """The vertex furthest in a direction (西南角 of a zone), measured in local metres."""
    lat0 = sum(p[1] for p in points) / len(points)
    east, north = math.sin(math.radians(bearing_deg)), math.cos(math.radians(bearing_deg))
    scale = math.cos(math.radians(lat0))
    return max(points, key=lambda p: p[0] * scale * east + p[1] * north)

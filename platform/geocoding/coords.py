"""The coordinates of the geocoding API: the ``crs`` named, points checked on the way in and moved on the way out.

Four systems (SPEC §2): EPSG:4490 (the default and the storage CRS), EPSG:4326 (GPS), ``gcj02``
(AMap/Tencent) and ``bd09`` (Baidu). The GCJ-02/BD-09 conversions are ``importers.chinacoords``;
CGCS2000 and WGS84 differ by centimetres and pyproj's transform between them is kept for exactness.
A point must lie in China (the domain of CGCS2000 and of the GCJ-02 offset); swapped longitude and
latitude are named as such.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from pyproj import Transformer

from importers import chinacoords
from importers.crs import LAT_RANGE, LON_RANGE

from .errors import BadCoordinate, UnknownOutputCRS

NAMES = {"epsg:4490": "EPSG:4490", "4490": "EPSG:4490", "cgcs2000": "EPSG:4490",
         "epsg:4326": "EPSG:4326", "4326": "EPSG:4326", "wgs84": "EPSG:4326",
         "gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}


def parse_crs(value: str | None, field: str = "crs") -> str:
    """EPSG:4490 (default), EPSG:4326, gcj02 or bd09; anything else is refused naming ``field``."""
    if value is None or not value.strip():
        return "EPSG:4490"
    name = NAMES.get(value.strip().lower())
    if name is None:
        raise UnknownOutputCRS(f"unsupported crs {value[:40]!r}: use EPSG:4490 (default), EPSG:4326, gcj02 or bd09",
                               field=field)
    return name


@cache
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def parse_point(lon: str | None, lat: str | None, crs: str) -> tuple[float, float]:
    """(lon, lat) in EPSG:4490 from query strings in ``crs``; refuses non-numbers and points outside China."""
    values = []
    for name, text in (("lon", lon), ("lat", lat)):
        try:
            value = float(text) if text is not None and len(text) <= 32 else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise BadCoordinate(f"{name} must be a number (decimal degrees), got {str(text)[:32]!r}", field=name)
        values.append(value)
    x, y = values
    if not (LON_RANGE[0] <= x <= LON_RANGE[1] and LAT_RANGE[0] <= y <= LAT_RANGE[1]):
        if LON_RANGE[0] <= y <= LON_RANGE[1] and LAT_RANGE[0] <= x <= LAT_RANGE[1]:
            raise BadCoordinate(f"lon={x}, lat={y} look swapped: lon (经度) is 73–136, lat (纬度) 3–54 in China",
                                field="lon")
        field = "lon" if not LON_RANGE[0] <= x <= LON_RANGE[1] else "lat"
        raise BadCoordinate(f"({x}, {y}) lies outside China: lon must be {LON_RANGE[0]:g}–{LON_RANGE[1]:g}, "
                            f"lat {LAT_RANGE[0]:g}–{LAT_RANGE[1]:g}", field=field)
    return to_storage(x, y, crs)


def to_storage(x: float, y: float, crs: str) -> tuple[float, float]:
    if crs in ("gcj02", "bd09"):
        convert = chinacoords.gcj02_to_wgs84 if crs == "gcj02" else chinacoords.bd09_to_wgs84
        lon, lat = convert(np.array([x]), np.array([y]))
        x, y, crs = float(lon[0]), float(lat[0]), "EPSG:4326"
    if crs == "EPSG:4326":
        x, y = _transformer(4326, 4490).transform(x, y)
    return float(x), float(y)


def from_storage(x: float, y: float, crs: str) -> tuple[float, float]:
    """A stored point (EPSG:4490) in the output ``crs``, rounded to 1e-7° (about a centimetre)."""
    if crs != "EPSG:4490":
        x, y = _transformer(4490, 4326).transform(x, y)
        if crs in ("gcj02", "bd09"):
            glon, glat = chinacoords.wgs84_to_gcj02(np.array([x]), np.array([y]))
            if crs == "bd09":
                glon, glat = chinacoords.gcj02_to_bd09(glon, glat)
            x, y = float(glon[0]), float(glat[0])
    return round(float(x), 7), round(float(y), 7)

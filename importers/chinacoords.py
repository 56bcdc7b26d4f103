"""GCJ-02 ("Mars coordinates", AMap/Tencent) and BD-09 (Baidu) to and from WGS84, vectorised.

These two are not EPSG systems: GCJ-02 is WGS84 plus the published, deliberately irregular
offset of the State Bureau of Surveying and Mapping; BD-09 is GCJ-02 with Baidu's further
rotation and shift. The forward formulas are the published ones; the inverses have no closed
form and are solved by fixed-point iteration to better than 1e-9° (≈0.1 mm). Points outside
China's bounding box carry no offset.

>>> lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
>>> round(float(lon), 6), round(float(lat), 6)
(121.531542, 31.175304)
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the algorithm defines it
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE = 1e-10
_MAX_STEPS = 30


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS84 ``lon``, ``lat``."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon * 180.0 / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (the published forward formula)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84: iterate ``w ← g − offset(w)`` until the forward image of ``w`` is ``g``."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(_MAX_STEPS):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < _TOLERANCE) and np.all(np.abs(elat) < _TOLERANCE):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, by iterating on the forward formula (the usual closed approximation is off by
    up to ~1e-6°)."""
    blon, blat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    glon, glat = blon - 0.0065, blat - 0.006
    for _ in range(_MAX_STEPS):
        flon, flat = gcj02_to_bd09(glon, glat)
        elon, elat = flon - blon, flat - blat
        glon, glat = glon - elon, glat - elat
        if np.all(np.abs(elon) < _TOLERANCE) and np.all(np.abs(elat) < _TOLERANCE):
            break
    return glon, glat


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))

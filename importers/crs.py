"""The CRS of an import file and the move of its coordinates to EPSG:4490 (SPEC §2).

A file's CRS comes from the file (``.prj``, GeoPackage) or from the user: EPSG:4490, 4326, a
CGCS2000 Gauss-Krüger zone (4491–4554, parsed by ``layers.crs.parse_srid``) or ``gcj02`` / ``bd09``.
Coordinates are checked before any transform, against China's extent (the domain of CGCS2000
and of the GCJ-02 offset): a swapped lat/lon or projected metres under a geographic CRS is
refused naming the first offending row.

Gauss-Krüger: x = easting, y = northing here (Chinese tables label them Y坐标 and X坐标, see
``importers.mapping``). An easting may carry its zone number as a prefix (40 500 000 for zone 40);
it is accepted under either the prefixed (4513–4533, 4491–4501) or the unprefixed EPSG code of
that zone, and refused when the prefix names another zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyproj
import shapely

from layers.crs import GAUSS_KRUGER, GEOGRAPHIC, STORAGE_SRID, parse_srid

from . import chinacoords
from .errors import CoordinateRange, UnsupportedCRS

# China's extent in degrees: CGCS2000's domain, where GCJ-02/BD-09 apply.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
NORTHING_RANGE = (300_000.0, 6_100_000.0)
OFFSET_SYSTEMS = {"gcj02": "GCJ-02", "bd09": "BD-09"}
_ALIASES = {"gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "mars": "gcj02", "火星坐标": "gcj02",
            "bd09": "bd09", "bd-09": "bd09", "baidu": "bd09", "百度坐标": "bd09"}


@dataclass(frozen=True)
class SourceCRS:
    """Where a file's coordinates live: an EPSG ``srid`` or an offset system (``gcj02``/``bd09``)."""

    name: str
    srid: int | None = None

    @property
    def geographic(self) -> bool:
        return self.srid is None or self.srid in GEOGRAPHIC

    @cached_property
    def zone(self) -> tuple[int, float, bool]:
        """Gauss-Krüger (zone number, central meridian, easting carries the zone prefix)."""
        if self.srid is None:
            raise TypeError(f"{self.name} is an offset system, not a Gauss-Krüger zone")
        operation = pyproj.CRS.from_epsg(self.srid).coordinate_operation
        if operation is None:
            raise TypeError(f"{self.name} is not a projected CRS")
        params = {p.name: p.value for p in operation.params}
        meridian, false_easting = float(params["Longitude of natural origin"]), float(params["False easting"])
        if false_easting > 1_000_000:
            return int(false_easting // 1_000_000), meridian, True
        six_degree = self.srid < 4513
        return (int((meridian + 3) // 6) if six_degree else int(round(meridian / 3))), meridian, False

    def check(self, xy: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``xy`` (n×2, x = lon/easting) refused at the first impossible row, else returned with
        Gauss-Krüger eastings normalised to this CRS's own prefix convention."""
        if len(xy) == 0:
            return xy
        if self.geographic:
            bad = ~(_within(xy[:, 0], LON_RANGE) & _within(xy[:, 1], LAT_RANGE))
            if bad.any():
                i = int(np.argmax(bad))
                raise CoordinateRange(_geographic_message(self, xy[i], int(rows[i])), field="geometry")
            return xy
        zone, _, prefixed = self.zone
        east = xy[:, 0].copy()
        prefix = np.floor(east / 1_000_000)
        carries = east >= 1_000_000
        wrong_zone = carries & (prefix != zone)
        local = np.where(carries, east - prefix * 1_000_000, east)
        bad = wrong_zone | ~_within(local, (0.0, 1_000_000.0)) | ~_within(xy[:, 1], NORTHING_RANGE)
        if bad.any():
            i = int(np.argmax(bad))
            x, y = xy[i]
            why = (f"the easting carries zone {int(prefix[i])} but {self.name} is zone {zone}" if wrong_zone[i]
                   else "easting must be 0–1 000 000 m (optionally prefixed by the zone number) and northing "
                        f"{NORTHING_RANGE[0]:,.0f}–{NORTHING_RANGE[1]:,.0f} m")
            if _within(np.array([x]), LON_RANGE)[0] and _within(np.array([y]), LAT_RANGE)[0]:
                why = "these look like degrees: name a geographic CRS such as EPSG:4490"
            elif _within(np.array([y]), (0.0, 1_000_000.0))[0] and _within(np.array([x]), NORTHING_RANGE)[0]:
                why = "easting and northing look swapped (X坐标 is the northing, Y坐标 the easting)"
            raise CoordinateRange(f"row {int(rows[i])}: ({x}, {y}) is not a Gauss-Krüger position in {self.name}: "
                                  f"{why}", field="geometry")
        out = xy.copy()
        out[:, 0] = local + (zone * 1_000_000 if prefixed else 0)
        return out

    def to_storage(self, xy: np.ndarray) -> np.ndarray:
        """``xy`` (already checked) moved to EPSG:4490 longitude/latitude."""
        if self.srid == STORAGE_SRID or len(xy) == 0:
            return xy
        if self.srid is None:
            lon, lat = (chinacoords.gcj02_to_wgs84 if self.name == "gcj02" else chinacoords.bd09_to_wgs84)(
                xy[:, 0], xy[:, 1])
            xy = np.column_stack([lon, lat])
            srid = 4326
        else:
            srid = self.srid
        if srid == STORAGE_SRID:
            return xy
        lon, lat = _transformer(srid).transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def geometries_to_storage(self, geoms: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Shapely geometries checked (naming the first impossible row) and moved to EPSG:4490."""
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        checked = self.check(coords, rows[index])
        if self.srid == STORAGE_SRID:  # already EPSG:4490, and checking changes nothing geographic
            return geoms
        return shapely.set_coordinates(geoms, self.to_storage(checked))


def _within(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return np.isfinite(values) & (values >= bounds[0]) & (values <= bounds[1])


def _geographic_message(crs: SourceCRS, point: np.ndarray, row: int) -> str:
    x, y = float(point[0]), float(point[1])
    where = f"row {row}: ({x}, {y}) is not a longitude/latitude in China under {crs.name}"
    if _within(np.array([y]), LON_RANGE)[0] and _within(np.array([x]), LAT_RANGE)[0]:
        return f"{where}: longitude and latitude look swapped (经度 is x, 纬度 is y)"
    if abs(x) > 1000 or abs(y) > 1000:
        return f"{where}: these look like projected metres; name the Gauss-Krüger zone, e.g. --crs EPSG:4549"
    return f"{where}: longitude must be {LON_RANGE[0]}–{LON_RANGE[1]}, latitude {LAT_RANGE[0]}–{LAT_RANGE[1]}"


def _transformer(srid: int) -> pyproj.Transformer:
    return _TRANSFORMERS.setdefault(srid, pyproj.Transformer.from_crs(srid, STORAGE_SRID, always_xy=True))


_TRANSFORMERS: dict[int, pyproj.Transformer] = {}


def parse(value: str) -> SourceCRS:
    """The CRS a user named: ``gcj02``/``bd09`` (and aliases) or anything ``layers.crs.parse_srid`` takes."""
    key = str(value).strip().lower()
    if key in _ALIASES:
        return SourceCRS(_ALIASES[key])
    srid = parse_srid(value)
    return SourceCRS(f"EPSG:{srid}", srid)


def from_wkt(wkt: str, where: str) -> SourceCRS:
    """The CRS of a ``.prj`` / GeoPackage definition, if it is one the platform accepts."""
    try:
        found = pyproj.CRS.from_user_input(wkt)
    except pyproj.exceptions.CRSError as exc:
        raise UnsupportedCRS(f"{where}: the CRS definition cannot be read ({exc}); give --crs", field="crs") from None
    srid = found.to_epsg(min_confidence=70)
    if srid is None and found.is_geographic and "2000" in found.name:
        srid = 4490
    if srid is None or not (srid in GEOGRAPHIC or srid in GAUSS_KRUGER):
        raise UnsupportedCRS(
            f"{where}: CRS {found.name!r} is not one the platform takes (EPSG:4490, 4326, CGCS2000 Gauss-Krüger "
            "4491–4554); reproject the file or override with --crs", field="crs")
    return SourceCRS(f"EPSG:{srid}", srid)

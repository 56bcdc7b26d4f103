"""Coordinate reference systems accepted at the API boundary (SPEC §2) and the move to EPSG:4490.

Geometries arrive in CGCS2000 geographic (4490, the default), WGS84 (4326) or a CGCS2000
Gauss-Krüger zone (4491–4554), with x = longitude/easting and y = latitude/northing as GeoJSON
orders them. Anything else is refused by name; coordinates impossible in the named CRS are
refused before any transform. (GCJ-02/BD-09 arrive with the importers.)
"""

from __future__ import annotations

import re

from django.contrib.gis.geos import GEOSGeometry

from .errors import BadParameter

STORAGE_SRID = 4490
GEOGRAPHIC = {4490, 4326}
GAUSS_KRUGER = range(4491, 4555)
_NAME = re.compile(r"^(?:EPSG:|urn:ogc:def:crs:EPSG::|urn:ogc:def:crs:EPSG:[\d.]*:)?(\d+)$", re.I)


def parse_srid(value: str | int, field: str = "crs") -> int:
    """The SRID named by ``EPSG:4326``, ``4326`` or an OGC URN; refuses anything unsupported."""
    match = _NAME.match(str(value).strip())
    srid = int(match.group(1)) if match else None
    if srid is None or not (srid in GEOGRAPHIC or srid in GAUSS_KRUGER):
        raise BadParameter(
            f"unsupported CRS {value!r}: use EPSG:4490 (default), EPSG:4326 or a CGCS2000 Gauss-Krüger "
            "zone EPSG:4491–4554", field=field, rule="supported_crs",
        )
    return srid


def to_storage(geom: GEOSGeometry, srid: int, field: str = "geometry") -> GEOSGeometry:
    """``geom`` (in ``srid``) checked for range and transformed to EPSG:4490."""
    xmin, ymin, xmax, ymax = geom.extent
    if srid in GEOGRAPHIC and not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise BadParameter(
            f"coordinates ({xmin}, {ymin}) … ({xmax}, {ymax}) are not longitude/latitude in EPSG:{srid}; "
            "longitude must lie in -180…180 and latitude in -90…90 (x first)",
            field=field, rule="coordinate_range",
        )
    if srid in GAUSS_KRUGER and not (0 <= min(xmin, xmax) and 1_000_000 <= ymin <= ymax <= 10_000_000):
        raise BadParameter(
            f"coordinates ({xmin}, {ymin}) … are not Gauss-Krüger easting/northing in EPSG:{srid} "
            "(x = easting, y = northing in metres)", field=field, rule="coordinate_range",
        )
    geom.srid = srid
    if srid != STORAGE_SRID:
        geom.transform(STORAGE_SRID)
    return geom

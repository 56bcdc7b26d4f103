"""Reading unit grids, communities and streets from PostGIS as shapely arrays in metres.

Geometries are read as WKB (EPSG:4490) in one query per level and put into metres by a
:class:`LocalFrame`: an affine scaling of longitude/latitude around the area's centre, with the
metres per degree measured by pyproj on the CGCS2000 (GRS80) ellipsoid. An affine map keeps
straight edges straight, so grids that tile exactly in the stored coordinates still tile exactly
(a projection such as Gauss-Krüger bends a long community edge away from its grids' shorter edges
and makes false gaps); over a district the scale varies by well under 0.5 %. Tables come from the
models' ``_meta``; values are bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection
from psycopg import sql
from pyproj import Geod

from layers.models import Community, Street, UnitGrid

from .topology import Units


def metric_srid(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Krüger zone (EPSG:4534 = CM 75°E … 4554 = CM 135°E) nearest ``lon``.

    >>> metric_srid(120.5)
    4549
    """
    return 4534 + min(20, max(0, round((lon - 75) / 3)))


@dataclass(frozen=True)
class LocalFrame:
    """Metres east and north of (``lon0``, ``lat0``), ``kx``/``ky`` metres per degree there.

    >>> frame = LocalFrame.around(120.0, 33.0)
    >>> round(frame.kx), round(frame.ky)
    (93453, 110904)
    """

    lon0: float
    lat0: float
    kx: float
    ky: float

    @classmethod
    def around(cls, lon: float, lat: float) -> LocalFrame:
        geod = Geod(ellps="GRS80")
        kx = geod.inv(lon - 0.05, lat, lon + 0.05, lat)[2] / 0.1
        ky = geod.inv(lon, lat - 0.05, lon, lat + 0.05)[2] / 0.1
        return cls(lon, lat, kx, ky)

    def metres(self, geoms: np.ndarray) -> np.ndarray:
        origin, scale = np.array([self.lon0, self.lat0]), np.array([self.kx, self.ky])
        return shapely.transform(geoms, lambda xy: (xy - origin) * scale)

    def degrees(self, geoms: np.ndarray) -> np.ndarray:
        origin, scale = np.array([self.lon0, self.lat0]), np.array([self.kx, self.ky])
        return shapely.transform(geoms, lambda xy: xy / scale + origin)


@dataclass(frozen=True)
class GridSet:
    """The unit grids of an area with their communities and streets, in the metres of ``frame``."""

    frame: LocalFrame
    grids: Units  # parents: community codes
    grid_streets: np.ndarray  # street code of each grid (through its community)
    grid_hashes: np.ndarray  # md5 of each grid's stored geometry: what "unchanged" means to a rebuild
    communities: Units  # parents: street codes
    streets: Units  # parents: district codes


def area_centre(area: str) -> tuple[float, float]:
    """Longitude and latitude of the centre of the streets under ``area`` (any code prefix, '' for all)."""
    with connection.cursor() as cur:
        cur.execute(sql.SQL("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) AS c"
                            " FROM {} WHERE code LIKE %s) s")
                    .format(sql.Identifier(Street._meta.db_table)).as_string(cur.cursor), [area[:9] + "%"])
        lon, lat = cur.fetchone()
    return (lon, lat) if lon is not None else (120.0, 33.0)


def area_srid(area: str) -> int:
    """The Gauss-Krüger zone for PostGIS work in metres over the streets under ``area``."""
    return metric_srid(area_centre(area)[0])


def _fetch(query: sql.Composable, params: list[object]) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(query.as_string(cur.cursor), params)
        return cur.fetchall()


def _units(rows: list[tuple], frame: LocalFrame) -> Units:
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else np.array([], dtype=object)
    return Units(codes=np.array([r[0] for r in rows], dtype=object),
                 parents=np.array([r[1] for r in rows], dtype=object), geoms=frame.metres(geoms))


def load(area: str) -> GridSet:
    """Unit grids whose community's code starts with ``area``, those communities and their streets."""
    frame = LocalFrame.around(*area_centre(area))
    prefix = area + "%"
    grid_rows = _fetch(sql.SQL(
        "SELECT g.code, g.community_id, c.street_id, md5(ST_AsEWKB(g.geom)), ST_AsBinary(g.geom)"
        " FROM {grids} g JOIN {communities} c ON c.code = g.community_id WHERE g.community_id LIKE %s ORDER BY g.code"
    ).format(grids=sql.Identifier(UnitGrid._meta.db_table), communities=sql.Identifier(Community._meta.db_table)),
        [prefix])
    community_rows = _fetch(sql.SQL(
        "SELECT code, street_id, ST_AsBinary(geom) FROM {} WHERE code LIKE %s ORDER BY code"
    ).format(sql.Identifier(Community._meta.db_table)), [prefix])
    street_rows = _fetch(sql.SQL(
        "SELECT code, district_id, ST_AsBinary(geom) FROM {} WHERE code LIKE %s ORDER BY code"
    ).format(sql.Identifier(Street._meta.db_table)), [area[:9] + "%"])
    grids = _units(grid_rows, frame)
    return GridSet(
        frame=frame, grids=grids,
        grid_streets=np.array([r[2] for r in grid_rows], dtype=object),
        grid_hashes=np.array([r[3] for r in grid_rows], dtype=object),
        communities=_units(community_rows, frame), streets=_units(street_rows, frame),
    )

"""The unit grid found in Python while staging (``importers.locate``) is the one the SQL rule finds:
the lowest-coded grid the probe point intersects, boundaries included."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from django.db import connection

from importers.locate import GridLocator

# The fixture city's grids (tests/conftest.py): 0.05° × 0.10° boxes from lon 120.40 and lat 33.10.
CASES = [
    "POINT (120.41 33.12)",                                   # inside one grid
    "POINT (120.45 33.15)",                                   # on the edge of two grids
    "POINT (120.45 33.2)",                                    # on the corner of four
    "POINT (120.7 33.15)",                                    # outside every grid
    "LINESTRING (120.41 33.11, 120.49 33.11)",                # a line across two grids
    "POLYGON ((120.44 33.18, 120.47 33.18, 120.47 33.23, 120.44 33.23, 120.44 33.18))",  # over four
]


def sql_grid(wkt: str) -> str | None:
    with connection.cursor() as cur:
        cur.execute("SELECT code FROM layers_unitgrid, (SELECT ST_GeomFromText(%s, 4490) AS g) x "
                    "WHERE ST_Intersects(geom, CASE WHEN GeometryType(g) = 'POINT' THEN g ELSE ST_PointOnSurface(g) "
                    "END) ORDER BY code LIMIT 1", [wkt])
        row = cur.fetchone()
    return row[0] if row else None


@pytest.mark.usefixtures("city")
def test_python_location_matches_the_sql_rule() -> None:
    with connection.cursor() as cur:
        locator = GridLocator(cur.cursor)
    geoms = np.array([shapely.from_wkt(w) for w in CASES] + [None], dtype=object)
    found = locator.locate(geoms)
    assert found == [sql_grid(w) for w in CASES] + [None]
    assert found[1] == "320982001001001" and found[2] == "320982001001001" and found[3] is None

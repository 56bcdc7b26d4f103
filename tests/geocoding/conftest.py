"""Hand-made roads with known plates, in the shared test city (tests/conftest.py), written in SQL.

    lat 33.16   南阳小学 •         南阳路 (south → north, no plates: ranges 1–99 left, 2–100 right)
                                   |
    lat 33.15   永安路 ─────────────+───────────── (west → east from 120.41 to 120.44)
                odd plates 15 m north (left), even plates 15 m south (right), unevenly spaced;
                7号 is surveyed in ``TRUTH`` but not stored: the geocoder must interpolate it.
                丽华苑 (zone, 120.430–120.434 × 33.152–33.155) with 丽华苑北门 on its north edge.
    east street: 幸福巷 (120.52 → 120.56 at 33.15) with plates 1–3, 东区菜场.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.db import connection
from pyproj import Geod

from layers.editing import acting_as

GEOD = Geod(ellps="GRS80")
START = (120.41, 33.15)  # 永安路's first vertex; it runs due east
SETBACK_M = 15.0
# 门牌号 → metres along 永安路 (odd: north side, even: south side). 7号 is missing from the store.
PLATES = {1: 50.0, 3: 90.0, 5: 200.0, 9: 260.0, 11: 400.0, 13: 700.0, 2: 60.0, 4: 150.0, 6: 170.0, 8: 300.0}
MISSING = {7: 228.0}
CROSSING = (120.425, 33.15)


def along(metres: float, side: int) -> tuple[float, float]:
    """The point ``metres`` east of 永安路's start, set off 15 m north (side 1) or south (side -1)."""
    lon, lat, _ = GEOD.fwd(*START, 90.0, metres)
    lon, lat, _ = GEOD.fwd(lon, lat, 0.0 if side > 0 else 180.0, SETBACK_M)
    return float(lon), float(lat)


def plate_point(number: int) -> tuple[float, float]:
    metres = PLATES.get(number, MISSING.get(number))
    assert metres is not None
    return along(metres, 1 if number % 2 else -1)


STREETS = [
    # code, name, aliases, old names, left range, right range, WKT
    ("JX001", "永安路", ["永安街"], ["解放路"], (1, 13), (2, 8), "LINESTRING(120.41 33.15, 120.44 33.15)"),
    ("JX002", "南阳路", [], [], (1, 99), (2, 100), "LINESTRING(120.425 33.12, 120.425 33.18)"),
    ("JX003", "幸福巷", [], [], (1, 3), (2, 2), "LINESTRING(120.52 33.15, 120.56 33.15)"),
]
ZONES = [("DP001", "丽华苑", ["丽华小区"], ["化肥厂宿舍"],
          "MULTIPOLYGON(((120.430 33.152, 120.434 33.152, 120.434 33.155, 120.430 33.155, 120.430 33.152)))")]
POIS = [
    ("POI001", "丽华苑北门", "小区出入口", (120.432, 33.155)),
    ("POI002", "南阳小学", "学校", (120.427, 33.16)),
    ("POI003", "东区菜场", "农贸市场", (120.55, 33.16)),
]
EAST_PLATES = {1: (120.525, 33.1502), 2: (120.527, 33.1498), 3: (120.53, 33.1502)}


@pytest.fixture
def addresses(city: SimpleNamespace) -> SimpleNamespace:
    """The roads, plates, zone and POIs above, inserted with SQL (unit grids found by ST_Intersects)."""
    plates = [("永安路", n, *plate_point(n)) for n in PLATES] + [("幸福巷", n, *p) for n, p in EAST_PLATES.items()]
    with acting_as("fixture"), connection.cursor() as cur:
        for code, name, aliases, old, left, right, wkt in STREETS:
            cur.execute(
                "INSERT INTO layers_streetline (code, name, aliases, old_names, left_from, left_to, right_from,"
                " right_to, geom, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, ST_GeomFromText(%s, 4490), now(), now())",
                [code, name, json.dumps(aliases), json.dumps(old), *left, *right, wkt])
        for code, name, aliases, old, wkt in ZONES:
            cur.execute("INSERT INTO layers_zone (code, name, aliases, old_names, geom, created_at, updated_at)"
                        " VALUES (%s, %s, %s, %s, ST_GeomFromText(%s, 4490), now(), now())",
                        [code, name, json.dumps(aliases), json.dumps(old), wkt])
        for street, number, lon, lat in plates:
            cur.execute(
                "INSERT INTO layers_doorplate (code, street_name, number, building, aliases, old_names, unit_grid_id,"
                " geom, created_at, updated_at)"
                " SELECT %s, %s, %s, '', '[]', '[]', g.code, p, now(), now()"
                " FROM ST_SetSRID(ST_MakePoint(%s, %s), 4490) p JOIN layers_unitgrid g ON ST_Intersects(g.geom, p)",
                [f"MP-{street}-{number}", street, f"{number}号", lon, lat])
        for code, name, category, (lon, lat) in POIS:
            cur.execute(
                "INSERT INTO layers_poi (code, name, category, address, aliases, old_names, unit_grid_id, geom,"
                " created_at, updated_at)"
                " SELECT %s, %s, %s, '', '[]', '[]', g.code, p, now(), now()"
                " FROM ST_SetSRID(ST_MakePoint(%s, %s), 4490) p JOIN layers_unitgrid g ON ST_Intersects(g.geom, p)",
                [code, name, category, lon, lat])
        cur.execute("SELECT count(*) FROM layers_doorplate")
        assert cur.fetchone()[0] == len(plates)
    return city

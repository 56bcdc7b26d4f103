"""A hand-made district for gridding, with unit grids small enough to aggregate (EPSG:4490).

District 320983, cells of 0.003° × 0.003° (≈ 280 m × 333 m, 0.093 km²)::

    street 320983001: 12 × 10 cells (≈ 11 km²), community 001 = columns 0–5, 002 = columns 6–11
    street 320983002: 2 × 2 cells east of it (≈ 0.37 km²): too small for one evaluation grid

Zones: A over the west half of street 001, B over its east half, C over street 002. Each
cell holds two evaluation points (types 01 and 07, and 11 in every third cell).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from rest_framework.test import APIClient

from layers.editing import acting_as

SRID = 4490
LON, LAT, STEP = 120.0, 33.0, 0.003
DISTRICT, WEST, EAST = "320983", "320983001", "320983002"
USERS = {  # username → (role, jurisdiction)
    "gplanner": ("planner", DISTRICT),
    "gplanner_east": ("planner", EAST),
    "gsupervisor": ("supervisor", DISTRICT),
}


def cell(i: float, j: float, w: float = 1, h: float = 1) -> Polygon:
    return Polygon.from_bbox((LON + i * STEP, LAT + j * STEP, LON + (i + w) * STEP, LAT + (j + h) * STEP))


def multi(poly: Polygon) -> MultiPolygon:
    return MultiPolygon(poly, srid=SRID)


@pytest.fixture
def gcity(build: Callable[..., object], client_for: Callable[[object], APIClient]) -> SimpleNamespace:
    from accounts.models import User

    with acting_as("fixture"):
        build("districts", code=DISTRICT, name="测试区", geom=multi(cell(0, 0, 14, 10)))
        build("streets", code=WEST, name="西街道", geom=multi(cell(0, 0, 12, 10)))
        build("streets", code=EAST, name="小镇", geom=multi(cell(12, 0, 2, 2)))
        layout = {f"{WEST}001": (0, 0, 6, 10), f"{WEST}002": (6, 0, 6, 10), f"{EAST}001": (12, 0, 2, 2)}
        grids: dict[str, tuple[int, int]] = {}
        n = 0
        for community, (i0, j0, w, h) in layout.items():
            build("communities", code=community, name=f"社区{community[-3:]}", geom=multi(cell(i0, j0, w, h)))
            seq = 0
            for j in range(j0, j0 + h):
                for i in range(i0, i0 + w):
                    seq += 1
                    code = f"{community}{seq:03d}"
                    build("unit_grids", code=code, geom=cell(i, j))
                    grids[code] = (i, j)
                    for k, kind in enumerate(("01", "07") + (("11",) if n % 3 == 0 else ())):
                        n += 1
                        build("evaluation_points", code=f"P{n:05d}", name=f"点{n}", point_type=kind,
                              geom=Point(LON + (i + 0.2 + 0.25 * k) * STEP, LAT + (j + 0.5) * STEP, srid=SRID))
        build("zone_areas", zone_type="A", name="西", geom=multi(cell(0, 0, 6, 10)))
        build("zone_areas", zone_type="B", name="东", geom=multi(cell(6, 0, 6, 10)))
        build("zone_areas", zone_type="C", name="小镇", geom=multi(cell(12, 0, 2, 2)))
        users = {}
        for username, (role, jurisdiction) in USERS.items():
            user = User(username=username, role=role, jurisdiction_code=jurisdiction)
            user.set_password("Gridcity-Test-2024!")
            user.save()
            users[username] = user
    return SimpleNamespace(grids=grids, users=users, clients={u: client_for(user) for u, user in users.items()})

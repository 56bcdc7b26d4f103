"""Shared fixtures: a small hand-made city in district 320982, one user per role, an API client each.

The city (EPSG:4490, plain rectangles that tile each other exactly)::

    lon 120.40        120.45        120.50                      120.60
    33.30 +-------------+-------------+---------------------------+
          | 001001002   | 001002002   | 002001002                 |
    33.20 +-------------+-------------+---------------------------+   unit grids (15 digits,
          | 001001001   | 001002001   | 002001001                 |   prefix 320982 left out)
    33.10 +-------------+-------------+---------------------------+
          |<- community 001001 ->|<- 001002 ->|<- community 002001 ->|
          |<------- street 320982001 ------->|<-- street 320982002 -->|

Everything is built through the ORM inside ``acting_as("fixture")`` with the same
``full_clean`` the API runs, so the parents, areas and unit grids are derived, not typed in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.db.models import Model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from layers.editing import acting_as
from layers.registry import registry

SRID = 4490
DISTRICT = "320982"
WEST, EAST = "320982001", "320982002"
PASSWORD = "Gridcity-Test-2024!"

# username → (role, jurisdiction)
USERS = {
    "admin1": ("admin", "*"),      # layers.access.WHOLE_PLATFORM
    "auditor1": ("auditor", "*"),
    "surveyor1": ("surveyor", WEST),
    "dispatcher1": ("dispatcher", DISTRICT),
    "planner1": ("planner", EAST),
    "supervisor1": ("supervisor", "320982001001"),
}


# The databases a test run makes for itself, named with its process id (gridcity.settings.test,
# tests/webmap/conftest.py).
RUN_DATABASES = r"^(test_gridcity|gridcity_browser)_[0-9]+$"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Drop what earlier runs killed before their teardown left behind: their databases, once the
    process that made one is gone (one still in use by a connection stays)."""
    import psycopg
    from django.conf import settings
    from psycopg import sql

    db = settings.DATABASES["default"]
    with psycopg.connect(dbname="postgres", host=db["HOST"], port=db["PORT"], user=db["USER"],
                         password=db["PASSWORD"], autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname ~ %s", [RUN_DATABASES])]
        for name in names:
            if _running(int(name.rsplit("_", 1)[1])):
                continue
            try:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.ObjectInUse:
                continue


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def box(minx: float, miny: float, maxx: float, maxy: float) -> Polygon:
    return Polygon.from_bbox((minx, miny, maxx, maxy))


def multibox(*bounds: float) -> MultiPolygon:
    return MultiPolygon(box(*bounds), srid=SRID)


def add(layer_name: str, **values: object) -> Model:
    """Create one feature of ``layer_name`` as the API would: full_clean (derived fields excluded), save."""
    layer = registry.get(layer_name)
    obj = layer.model(**values)
    geom = getattr(obj, layer.geometry_field)
    if geom is not None and geom.srid is None:
        geom.srid = SRID
    obj.full_clean(exclude=list(layer.read_only_fields))
    obj.save()
    return obj


def api_client(user: Model | None = None) -> APIClient:
    client = APIClient(SERVER_NAME="localhost")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def city(db: None) -> SimpleNamespace:
    from accounts.models import User

    with acting_as("fixture"):
        district = add("districts", code=DISTRICT, name="大丰区", geom=multibox(120.40, 33.10, 120.60, 33.30))
        streets = {
            WEST: add("streets", code=WEST, name="西街道", geom=multibox(120.40, 33.10, 120.50, 33.30)),
            EAST: add("streets", code=EAST, name="东街道", geom=multibox(120.50, 33.10, 120.60, 33.30)),
        }
        communities = {
            code: add("communities", code=code, name=name, geom=multibox(*bounds))
            for code, name, bounds in [
                ("320982001001", "一社区", (120.40, 33.10, 120.45, 33.30)),
                ("320982001002", "二社区", (120.45, 33.10, 120.50, 33.30)),
                ("320982002001", "三社区", (120.50, 33.10, 120.60, 33.30)),
            ]
        }
        grids = {}
        for community in communities.values():
            minx, miny, maxx, maxy = community.geom.extent
            for seq, (low, high) in (("001", (miny, 33.20)), ("002", (33.20, maxy))):
                code = community.code + seq
                grids[code] = add("unit_grids", code=code, geom=box(minx, low, maxx, high))
        components = {
            code: add("components", code=code, component_class_id=code[6:10], name=name, status=status,
                      geom=Point(lon, lat, srid=SRID))
            for code, name, status, lon, lat in [
                ("3209820101000001", "上水井盖一", "完好", 120.42, 33.15),  # grid 320982001001001
                ("3209820101000002", "上水井盖二", "破损", 120.47, 33.25),  # grid 320982001002002
                ("3209820102000001", "污水井盖一", "完好", 120.55, 33.15),  # grid 320982002001001
                ("3209820201000001", "停车场一", "丢失", 120.57, 33.25),    # grid 320982002001002
            ]
        }
        facilities = {
            "F-001": add("facilities", kind="collection_point", code="F-001", name="西收集点",
                         attrs={"type": 1, "sorted": True, "daily_tonnage": 2.5}, geom=Point(120.43, 33.12)),
            "F-002": add("facilities", kind="public_toilet", code="F-002", name="东公厕",
                         attrs={"stalls": 6, "accessible": True}, geom=Point(120.56, 33.22)),
        }
        roads = {
            "西路": add("roads", name="西路", grade=2, geom=LineString((120.41, 33.11), (120.44, 33.11))),
            "东路": add("roads", name="东路", grade=1, geom=LineString((120.52, 33.28), (120.58, 33.28))),
        }
        # one census QA cell (importers' qa_cells layer), so every registered layer has a row
        add("qa_cells", run="fixture", kind="components", cell="0_0", rows=4, attribute_share=0.0,
            position_share=0.0, omission_share=0.0, passed=True, geom=box(120.40, 33.10, 120.41, 33.11))
        users = {}
        for username, (role, jurisdiction) in USERS.items():
            user = User(username=username, role=role, jurisdiction_code=jurisdiction)
            user.set_password(PASSWORD)
            user.full_clean()
            user.save()
            users[role] = user
    clients = {role: api_client(user) for role, user in users.items()}
    return SimpleNamespace(
        district=district, streets=streets, communities=communities, grids=grids, components=components,
        facilities=facilities, roads=roads, users=users, clients=clients, anonymous=api_client(),
    )


@pytest.fixture
def build(db: None) -> Callable[..., Model]:
    """``build(layer_name, **values)``: one more feature, cleaned and saved as the API would (may raise
    ``ValidationError``)."""
    return add

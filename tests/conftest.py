"""Shared fixtures: a small hand-made city in district 320982, one user per role, an API client each;
and what several areas' tests use: ``client_for(user)``, ``error_of(response, status)`` and a
``restricted_layer`` registered for one test (``registry.override``).

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
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.db.models import Model
from django.http import HttpResponse
from rest_framework.test import APIClient

from accounts.tokens import issue
from layers.editing import acting_as
from layers.models import Road
from layers.registry import Layer, Style, registry
from layers.roles import ADMIN

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
    "secadmin1": ("secadmin", ""),
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

    db, owner = settings.DATABASES["default"], settings.GRIDCITY_OWNER_DATABASE or settings.DATABASES["default"]
    with psycopg.connect(dbname="postgres", host=db["HOST"], port=db["PORT"], user=owner["USER"],
                         password=owner["PASSWORD"], autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname ~ %s", [RUN_DATABASES])]
        for name in names:
            if _running(int(name.rsplit("_", 1)[1])):
                continue
            try:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            except (psycopg.errors.ObjectInUse, psycopg.errors.InsufficientPrivilege):  # in use; another's
                continue


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """The test database is made and migrated by the owner role, as ``gridcity migrate`` does."""
    from gridcity.roles import use_owner

    use_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """Then the tests run as the app role, as the platform does; the owner drops the database at the end."""
    from gridcity.roles import use_app, use_owner

    use_app()
    yield
    use_owner()


@pytest.fixture
def owner_conninfo(db) -> str:
    """The test database as the owner role (what ``gridcity migrate`` logs in as): for DDL a test sets up."""
    from django.conf import settings
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    owner, db_settings = settings.GRIDCITY_OWNER_DATABASE, connection.settings_dict
    return make_conninfo(dbname=db_settings["NAME"], host=db_settings["HOST"], port=db_settings["PORT"],
                         user=owner["USER"], password=owner["PASSWORD"])

@pytest.fixture
def superuser_conninfo(db) -> str:
    """The test database as the embedded cluster's superuser: for a row committed past every trigger
    and link check (``session_replication_role = replica``), which neither the app nor the owner role
    may do. Skips when the tests run on a server of their own (DATABASE_URL)."""
    import os

    from django.db import connection
    from psycopg.conninfo import make_conninfo

    from gridcity.cluster import ROLES, Cluster

    if os.environ.get("DATABASE_URL"):
        pytest.skip("committing a row past every check needs the embedded cluster's superuser")
    creds = Cluster.default().credentials()
    user, password = ROLES["superuser"]
    db = connection.settings_dict
    return make_conninfo(dbname=db["NAME"], host=db["HOST"], port=db["PORT"], user=str(creds[user]),
                         password=str(creds[password]))


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
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue(user, 'tests')[0]}")
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


@pytest.fixture
def client_for() -> Callable[[Model | None], APIClient]:
    """``client_for(user)``: an API client authenticated by the user's token (anonymous for ``None``)."""
    return api_client


@pytest.fixture
def restricted_layer() -> Iterator[Layer]:
    """A layer of the roads only the admin may read, registered for one test."""
    layer = Layer(name="restricted_roads", title="内部道路", model=Road, geometry_type="LineString",
                  fields=("name", "grade"), zoom=(10, 22), style=Style({}, {}), read_roles=frozenset({ADMIN}))
    with registry.override(layer):
        yield layer


def first_error(response: HttpResponse, status: int) -> dict:
    """The first error of a refused request, after checking status, JSON content type and body shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()  # type: ignore[attr-defined]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["errors"] and {"field", "rule", "message"} <= set(body["errors"][0])
    return body["errors"][0]


@pytest.fixture
def error_of() -> Callable[[HttpResponse, int], dict]:
    """``error_of(response, status)``: the first error of a refused request, its status and shape checked."""
    return first_error


class _TestConnector:
    """procrastinate's Django connector on the test's own connection, reading JSON as procrastinate's
    psycopg connector does (Django's connection reads jsonb as text, for its JSONField)."""

    @staticmethod
    def make() -> object:
        import psycopg.types.json
        from django.db import connection
        from procrastinate.contrib.django.django_connector import DjangoConnector, wrap_exceptions

        class Connector(DjangoConnector):
            def _cursor(self) -> psycopg.Cursor:
                connection.ensure_connection()
                cur = connection.connection.cursor()
                cur.adapters.register_loader("jsonb", psycopg.types.json.JsonbLoader)
                cur.adapters.register_loader("json", psycopg.types.json.JsonLoader)
                return cur

            @wrap_exceptions()
            def execute_query(self, query, **arguments):  # type: ignore[no-untyped-def]
                with self._cursor() as cur:
                    cur.execute(query, self._wrap_json(arguments))

            @wrap_exceptions()
            def execute_query_one(self, query, **arguments):  # type: ignore[no-untyped-def]
                with self._cursor() as cur:
                    cur.execute(query, self._wrap_json(arguments))
                    return next(self._dictfetch(cur))

            @wrap_exceptions()
            def execute_query_all(self, query, **arguments):  # type: ignore[no-untyped-def]
                with self._cursor() as cur:
                    cur.execute(query, self._wrap_json(arguments))
                    return list(self._dictfetch(cur))

        return Connector()


@pytest.fixture
def run_jobs(db: None, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``run_jobs()``: procrastinate's worker runs every queued job (``wait=False``: until the queue is
    empty), the real tasks on the real queue tables.

    The worker runs under ``async_to_sync`` in the test's thread, on the test's connection, so it sees
    the test's uncommitted rows (the test database cannot commit: the audit log refuses the TRUNCATE
    that would clean up) and the tasks' thread-sensitive work runs in this thread too. Left out,
    because the test has no other connection to give: LISTEN/NOTIFY (the worker polls), the middleware
    closing Django's connection after each task (it would close the test's), and the periodic
    deferrer (a test defers a periodic task itself, so that what runs does not depend on the clock)."""
    from asgiref.sync import async_to_sync
    from procrastinate.contrib.django import app

    monkeypatch.setattr(app.periodic_registry, "periodic_tasks", {})

    def run(**options: object) -> None:
        with app.replace_connector(_TestConnector.make()):
            async_to_sync(app.run_worker_async)(wait=False, listen_notify=False, install_signal_handlers=False,
                                                task_middleware=[], **options)

    return run

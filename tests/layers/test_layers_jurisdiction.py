"""The one jurisdiction rule (layers.access): the neighbour's feature that touches an area is not
inside it; the ORM and SQL forms of the rule select the same rows; deny by default; messages
that name only the user's own area."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from jurisdiction_samples import SRID, make_samples
from psycopg import sql
from tile_helpers import tile_of

from layers.access import WHOLE_PLATFORM, scope_condition, visible
from layers.editing import acting_as
from layers.models import Component, Road
from layers.registry import Layer, registry

WEST, EAST = "320982001", "320982002"
GEOMETRY_SCOPED = sorted(la.name for la in registry.all() if la.scope_field is None)
EDITABLE_GEOMETRY_SCOPED = sorted(la.name for la in registry.all() if la.scope_field is None and la.editable)


def touching(layer: Layer) -> object:
    """A geometry of the east street that shares only the boundary x = 120.50 with the west street."""
    kind = layer.model._meta.get_field(layer.geometry_field).geom_type
    if kind == "LINESTRING":
        return LineString((120.50, 33.15), (120.52, 33.151), (120.55, 33.15), srid=SRID)
    box = Polygon.from_bbox((120.50, 33.14, 120.56, 33.15))
    box.srid = SRID
    return MultiPolygon(box, srid=SRID) if kind == "MULTIPOLYGON" else box


def west_client(client_for, layer: Layer):
    """A west-street user whose role may edit ``layer`` (else one who may read it)."""
    from accounts.models import User

    role = sorted(layer.edit_roles - {"admin"} or layer.edit_roles or layer.read_roles)[0]
    user = User.objects.create(username=f"west-{role}", role=role, jurisdiction_code=WEST)
    return client_for(user)


@pytest.mark.parametrize("name", GEOMETRY_SCOPED)
def test_a_neighbours_feature_touching_the_area_is_not_inside(city, client_for, name: str) -> None:
    """The bug of issue 19: on a geometry-scoped layer a west-street user could read, PATCH and
    DELETE the east street's feature that merely touched (or overlapped) the west street."""
    layer = registry.get(name)
    with acting_as("fixture"):
        samples = make_samples(layer)
        neighbour = next(s for s in samples if s.kind == "neighbour")  # overlaps the west street
        touch = layer.model.objects.get(pk=neighbour.pk)
        touch.pk = None
        for field in layer.model._meta.concrete_fields:  # a copy with fresh unique values
            if field.unique and not field.primary_key:
                setattr(touch, field.attname, f"{getattr(touch, field.attname)}T"[-field.max_length:])
        setattr(touch, layer.geometry_field, touching(layer))
        touch.save()
    client = west_client(client_for, layer)
    outside = [neighbour.pk, touch.pk]
    url = f"/api/layers/{name}/features/"
    listed = {f["id"] for f in client.get(url, {"limit": 5000}).json()["features"]}
    assert not listed & set(outside)
    for pk in outside:
        before = layer.model.objects.get(pk=pk)
        assert client.get(f"{url}{pk}").status_code == 404
        assert client.patch(f"{url}{pk}", {"type": "Feature", "properties": {}}, format="json").status_code == 404
        response = client.delete(f"{url}{pk}")
        assert response.status_code == 404, response.content
        assert "320982002" not in response.json()["detail"]
        after = layer.model.objects.get(pk=pk)
        assert getattr(after, layer.geometry_field).equals(getattr(before, layer.geometry_field))
    # and through the tiles
    z = layer.zoom[0]
    tile = tile_of(*neighbour.obj.geom.point_on_surface.coords, max(z, 12))
    import mapbox_vector_tile

    decoded = mapbox_vector_tile.decode(client.get(f"/tiles/{name}/{'/'.join(map(str, tile))}.mvt").content)
    assert not {int(f["id"]) for f in decoded.get(name, {}).get("features", [])} & set(outside)
    # while the straddling feature whose point on surface is in the west street is the west's
    own = next(s for s in samples if s.kind == "straddle")
    assert client.get(f"{url}{own.pk}").status_code == 200


@pytest.mark.parametrize("name", EDITABLE_GEOMETRY_SCOPED)
def test_a_feature_cannot_be_moved_or_created_across_by_its_point_on_surface(city, client_for, name: str) -> None:
    layer = registry.get(name)
    with acting_as("fixture"):
        samples = make_samples(layer)
    client = west_client(client_for, layer)
    home = next(s for s in samples if s.kind == "home")
    neighbour = next(s for s in samples if s.kind == "neighbour")
    url = f"/api/layers/{name}/features/"
    moved = client.patch(f"{url}{home.pk}", {"type": "Feature", "geometry": _geojson(neighbour.obj.geom),
                                             "properties": {}}, format="json")
    assert moved.status_code == 403, moved.content
    error = moved.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("geometry", "jurisdiction")
    assert "320982002" not in moved.json()["detail"] and WEST in moved.json()["detail"]
    assert layer.model.objects.get(pk=home.pk).geom.equals(home.obj.geom)


def _geojson(geom) -> dict:
    import json

    return json.loads(geom.json)


def test_a_line_belongs_to_the_side_of_its_point_on_surface(city, client_for) -> None:
    """A road across the street boundary: the west may create it when its inner vertex (its point on
    surface) lies in the west, not when it lies in the east — whatever length lies on either side."""
    planner_west = west_client(client_for, registry.get("roads"))
    url = "/api/layers/roads/features/"

    def road(*coords: tuple[float, float]) -> dict:
        return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
                "properties": {"name": "跨界路", "grade": 3}}

    mostly_east = road((120.49, 33.15), (120.495, 33.15), (120.58, 33.15))  # inner vertex in the west
    assert planner_west.post(url, mostly_east, format="json").status_code == 201
    mostly_west = road((120.41, 33.16), (120.55, 33.16), (120.56, 33.16))   # inner vertex in the east
    response = planner_west.post(url, mostly_west, format="json")
    assert response.status_code == 403 and response.json()["errors"][0]["rule"] == "jurisdiction"
    assert not Road.objects.filter(name="跨界路", geom__intersects=LineString(
        (120.55, 33.155), (120.55, 33.165), srid=SRID)).exists()


# -- the ORM and SQL forms are one rule ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(la.name for la in registry.all()))
def test_orm_and_sql_forms_select_the_same_rows(city, name: str) -> None:
    from types import SimpleNamespace

    layer = registry.get(name)
    with acting_as("fixture"):
        make_samples(layer)
    total = layer.model.objects.count()
    seen_some = False
    for code in ("320982", WEST, EAST, "320982001001", "320982001002", "320982002001", WHOLE_PLATFORM, "",
                 "32098200", "abc'; --"):
        actor = SimpleNamespace(username="t", role="admin", jurisdiction_code=code)
        orm = set(visible(layer, actor).values_list("pk", flat=True))
        condition, params = scope_condition(layer, code)
        query = sql.SQL("SELECT id FROM {} WHERE {}").format(sql.Identifier(layer.table), condition)
        with connection.cursor() as cur:
            cur.execute(query.as_string(cur.cursor), params)
            raw = {row[0] for row in cur.fetchall()}
        assert orm == raw, (code, orm ^ raw)
        if code == WHOLE_PLATFORM:
            assert len(orm) == total
        elif code in ("", "32098200", "abc'; --"):
            assert orm == set()  # deny by default: no, malformed or partial codes see nothing
        elif 0 < len(orm) < total:
            seen_some = True
    assert seen_some, f"{name}: no jurisdiction selected a strict subset; the samples prove nothing"


def test_the_spatial_form_keeps_the_gist_index_usable(city) -> None:
    condition, params = scope_condition(registry.get("roads"), WEST)
    query = sql.SQL("EXPLAIN SELECT id FROM layers_road WHERE {}").format(condition)
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(query.as_string(cur.cursor), params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Index" in plan and "geom" in plan, plan


# -- deny by default ---------------------------------------------------------------------------------

@pytest.fixture
def nobody(city, client_for):
    """A surveyor nobody gave a jurisdiction to."""
    from accounts.models import User

    user = User.objects.create(username="nobody", role="surveyor", jurisdiction_code="")
    return client_for(user)


def test_an_account_without_a_jurisdiction_sees_and_writes_nothing(city, nobody) -> None:
    body = nobody.get("/api/layers/components/features/").json()
    assert body["numberMatched"] == 0 and Component.objects.count() == 4
    pk = city.components["3209820101000001"].pk
    assert nobody.get(f"/api/layers/components/features/{pk}").status_code == 404
    assert nobody.delete(f"/api/layers/components/features/{pk}").status_code == 404
    created = nobody.post("/api/layers/components/features/", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [120.46, 33.14]},
        "properties": {"code": "3209820101000100", "component_class": "0101", "name": "新"}}, format="json")
    assert created.status_code == 403 and created.json()["errors"][0]["rule"] == "jurisdiction"
    assert not Component.objects.filter(code="3209820101000100").exists()
    import mapbox_vector_tile

    z, x, y = tile_of(120.42, 33.15, 16)
    tile = nobody.get(f"/tiles/components/{z}/{x}/{y}.mvt")
    assert tile.status_code == 200 and not mapbox_vector_tile.decode(tile.content).get("components")
    package = nobody.get("/api/offline-packages/320982001/version", {"layers": "components"})
    assert package.status_code == 403 and package.json()["errors"][0]["rule"] == "jurisdiction"
    grids = nobody.get("/api/gridding/evaluation-grids/")
    assert grids.status_code == 403 and grids.json()["errors"][0]["rule"] == "jurisdiction"


def test_whole_platform_is_explicit_and_validated(city) -> None:
    from accounts.models import User

    User(username="wide", role="auditor", jurisdiction_code=WHOLE_PLATFORM).full_clean(exclude=["password"])
    User(username="none", role="auditor", jurisdiction_code="").full_clean(exclude=["password"])
    with pytest.raises(ValidationError) as caught:
        User(username="bad", role="auditor", jurisdiction_code="**").full_clean(exclude=["password"])
    assert "jurisdiction_code" in caught.value.message_dict


def test_the_migration_keeps_platform_wide_accounts_and_denies_the_rest(city) -> None:
    import importlib

    from django.apps import apps

    from accounts.models import User

    migration = importlib.import_module("accounts.migrations.0002_whole_platform")
    User.objects.bulk_create([User(username="old-admin", role="admin", jurisdiction_code=""),
                              User(username="old-root", role="dispatcher", jurisdiction_code="", is_superuser=True),
                              User(username="old-clerk", role="dispatcher", jurisdiction_code=""),
                              User(username="old-street", role="planner", jurisdiction_code=EAST)])
    migration.forwards(apps, None)
    found = dict(User.objects.filter(username__startswith="old-").values_list("username", "jurisdiction_code"))
    assert found == {"old-admin": WHOLE_PLATFORM, "old-root": WHOLE_PLATFORM, "old-clerk": "", "old-street": EAST}


# -- messages name only the user's own area --------------------------------------------------------

def test_refusals_do_not_name_codes_outside_the_area(city) -> None:
    surveyor = city.clients["surveyor"]  # street 320982001
    response = surveyor.post("/api/layers/components/features/", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [120.55, 33.14]},
        "properties": {"code": "3209820101000100", "component_class": "0101", "name": "越界"}}, format="json")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert WEST in detail and "320982002001001" not in detail and EAST not in detail

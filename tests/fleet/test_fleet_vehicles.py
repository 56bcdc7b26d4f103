"""The vehicle registry through /api/vehicles/: roles, jurisdiction, uniqueness by name, audit, layer."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from tile_helpers import fetch, tile_of

from accounts.models import User
from fleet.models import Vehicle

NEW = {"category": "vehicle", "kind": "kitchen", "plate": "苏J99999", "plate_colour": "yellow", "group": "餐厨一队",
       "company": "大丰餐厨", "has_weighing": True, "terminal": "T-999", "area_code": "320982001"}


def test_a_dispatcher_registers_changes_and_removes_a_vehicle_and_each_write_is_audited(fleet, city) -> None:
    client = city.clients["dispatcher"]
    created = client.post("/api/vehicles/", NEW, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["plate"], body["kind_name"], body["position"], body["online"]) == ("苏J99999", "餐厨车", None, False)
    pk = body["id"]
    changed = client.patch(f"/api/vehicles/{pk}/", {"group": "餐厨二队", "available": False}, format="json")
    assert changed.status_code == 200 and changed.json()["group"] == "餐厨二队"
    assert client.get(f"/api/vehicles/{pk}/").json()["available"] is False
    assert client.delete(f"/api/vehicles/{pk}/").status_code == 204
    assert not Vehicle.objects.filter(pk=pk).exists()
    with connection.cursor() as cur:
        cur.execute("SELECT action, actor FROM audit_auditentry WHERE table_name = 'fleet_vehicle' AND row_id = %s"
                    " ORDER BY id", [str(pk)])
        assert cur.fetchall() == [("INSERT", "dispatcher1"), ("UPDATE", "dispatcher1"), ("DELETE", "dispatcher1")]


def test_a_plate_or_terminal_twice_is_refused_by_name(fleet, city) -> None:
    client = city.clients["admin"]
    taken = next(iter(fleet.buses.values()))
    twice = client.post("/api/vehicles/", {**NEW, "plate": taken.plate}, format="json")
    assert twice.status_code == 409
    assert twice.json()["errors"][0]["field"] == "plate" and taken.plate in twice.json()["detail"]
    again = client.post("/api/vehicles/", {**NEW, "terminal": taken.terminal}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "terminal"
    moved = client.patch(f"/api/vehicles/{fleet.person.pk}/", {"terminal": taken.terminal}, format="json")
    assert moved.status_code == 409


def test_bad_vehicles_are_refused_with_the_field_and_rule(fleet, city) -> None:
    client = city.clients["admin"]
    cases = [({**NEW, "plate": ""}, "plate", "required"),
             ({**NEW, "kind": "supervisor"}, "kind", "vehicle_kind"),
             ({**NEW, "area_code": "12"}, "area_code", "code_format"),
             ({**NEW, "kind": "tank"}, "kind", "invalid_choice"),
             ({**NEW, "colour": "red"}, "colour", "known_field"),
             ({"category": "person", "kind": "patrol", "name": "李四", "terminal": "P-2", "area_code": "320982001"},
              "responsibility_grid", "required")]
    for body, field, rule in cases:
        response = client.post("/api/vehicles/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert {(e["field"], e["rule"]) for e in response.json()["errors"]} >= {(field, rule)}, response.json()


def test_roles_and_jurisdiction_apply_to_every_read_and_write(fleet, city, client_for) -> None:
    east_bus = next(b for b in fleet.buses.values() if b.area_code == "320982002")
    surveyor = city.clients["surveyor"]  # jurisdiction: the west street
    seen = {v["id"] for v in surveyor.get("/api/vehicles/").json()["vehicles"]}
    assert east_bus.pk not in seen and fleet.person.pk in seen and len(seen) == len(fleet.buses)
    assert surveyor.get(f"/api/vehicles/{east_bus.pk}/").status_code == 404
    assert surveyor.post("/api/vehicles/", NEW, format="json").status_code == 403  # not an editor
    west = User(username="dispatcher-west", role="dispatcher", jurisdiction_code="320982001")
    west.save()
    client = client_for(west)
    outside = client.post("/api/vehicles/", {**NEW, "area_code": "320982002"}, format="json")
    assert outside.status_code == 403 and outside.json()["errors"][0]["rule"] == "jurisdiction"
    assert client.post("/api/vehicles/", NEW, format="json").status_code == 201
    assert city.anonymous.get("/api/vehicles/").status_code == 401


def test_a_vehicle_with_a_track_is_kept(fleet, city) -> None:
    bus = next(iter(fleet.buses.values()))
    fleet.feed.post("/api/gps/fixes/", {"fixes": [{"terminal": bus.terminal, "time": datetime.now(UTC).isoformat(),
                                                   "lon": 120.45, "lat": 33.2}]}, format="json")
    refused = city.clients["admin"].delete(f"/api/vehicles/{bus.pk}/")
    assert refused.status_code == 409 and "available" in refused.json()["detail"]


def test_live_positions_are_the_vehicles_layer_in_the_registry_and_its_tiles(fleet, city, settings) -> None:
    settings.GRIDCITY_FLEET_LAYER_REFRESH_SECONDS = 0
    bus = next(iter(fleet.buses.values()))
    fleet.feed.post("/api/gps/fixes/", {"fixes": [{"terminal": bus.terminal, "time": datetime.now(UTC).isoformat(),
                                                   "lon": 120.45, "lat": 33.2, "heading": 45, "speed": 20}]},
                    format="json")
    admin = city.clients["admin"]
    layer = admin.get("/api/layers/vehicles/").json()
    assert layer["geometry_type"] == "Point" and not layer["editable"]
    features = [f for f in admin.get("/api/layers/vehicles/features/").json()["features"] if f["geometry"]]
    assert [f["properties"]["plate"] for f in features] == [bus.plate]
    assert features[0]["geometry"]["coordinates"] == [120.45, 33.2]
    live = admin.get("/api/vehicles/live/").json()["vehicles"]
    assert [(v["id"], v["online"], v["heading"]) for v in live] == [(bus.pk, True, 45.0)]
    # the tiles follow the live position: the cached tile of the old place loses it, the new place's has it
    old, new = tile_of(120.45, 33.2, 14), tile_of(120.55, 33.25, 14)
    assert [f["properties"]["plate"] for f in fetch(admin, "vehicles", *old)["vehicles"]["features"]] == [bus.plate]
    fleet.feed.post("/api/gps/fixes/", {"fixes": [{"terminal": bus.terminal, "time": datetime.now(UTC).isoformat(),
                                                   "lon": 120.55, "lat": 33.25}]}, format="json")
    assert "vehicles" not in fetch(admin, "vehicles", *old)
    assert [f["properties"]["plate"] for f in fetch(admin, "vehicles", *new)["vehicles"]["features"]] == [bus.plate]

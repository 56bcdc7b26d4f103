"""Playback, a day's trips/stops/mileage, and the questions, on the real tracks of route 14."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from fleet.questions import LEG_SECONDS
from fleet.track import fixes as track_fixes
from fleet.track import stops

GEOD = Geod(ellps="GRS80")


@pytest.fixture
def stored(fleet) -> list:
    fixes = fleet.fixes
    for i in range(0, len(fixes), 500):
        answer = fleet.feed.post("/api/gps/fixes/", {"fixes": [f.as_json() for f in fixes[i:i + 500]]},
                                 format="json").json()
        assert answer["rejected"] == 0
    return fixes


def window(fixes) -> dict[str, str]:
    return {"from": (min(f.time for f in fixes) - timedelta(minutes=1)).isoformat(),
            "to": (max(f.time for f in fixes) + timedelta(minutes=1)).isoformat()}


def own(fixes, terminal: str) -> list:
    return sorted((f for f in fixes if f.terminal == terminal), key=lambda f: f.time)


def test_the_day_of_a_bus_has_its_mileage_stops_and_trips(fleet, city, stored) -> None:
    terminal = "LPL4720"  # the bus with most fixes
    bus, mine = fleet.buses[terminal], own(stored, terminal)
    day = mine[-1].time.astimezone(city.users["admin"].date_joined.tzinfo).date().isoformat()
    response = city.clients["admin"].get(f"/api/vehicles/{bus.pk}/day/", {"date": day})
    assert response.status_code == 200, response.content
    body = response.json()
    # the mileage is the geodesic length of the fixes in order, less any GPS jump (none over 200 km/h here)
    lon, lat = np.array([f.lon for f in mine]), np.array([f.lat for f in mine])
    length = GEOD.line_length(lon, lat) / 1000
    if mine[0].time.date() == mine[-1].time.date():
        assert body["fixes"] == len(mine) and body["km"] == pytest.approx(length, rel=1e-3)
    # the SQL report agrees with the track's numbers
    daily = city.clients["admin"].get("/api/fleet/daily/", {"date": day, "vehicle": bus.pk}).json()["vehicles"]
    assert [d["vehicle"] for d in daily] == [bus.pk]
    assert daily[0]["km"] == pytest.approx(body["km"], rel=1e-4)
    assert daily[0]["working_hours"] == pytest.approx(body["working_hours"], rel=1e-3)
    # a stop is real: every fix of it within the radius of its first, and it lasts the minimum
    for stop in body["stops"]:
        assert stop["minutes"] >= 3
    assert len(body["trips"]) == len(body["stops"]) + 1 or len(body["trips"]) == len(body["stops"])


def test_stops_are_found_where_a_bus_stands(fleet, stored) -> None:
    bus = fleet.buses["LPL4720"]
    mine = own(stored, "LPL4720")
    track = track_fixes(bus.pk, mine[0].time, mine[-1].time + timedelta(seconds=1))
    for first, last in stops(track):
        _, _, dist = GEOD.inv(np.full(last - first, track.lon[first]), np.full(last - first, track.lat[first]),
                              track.lon[first + 1:last + 1], track.lat[first + 1:last + 1])
        assert dist.max() <= 50 and track.t[last] - track.t[first] >= 180


def test_playback_can_be_simplified_for_a_zoom_keeping_times_in_order(fleet, city, stored) -> None:
    bus = fleet.buses["LPL4720"]
    full = city.clients["admin"].get(f"/api/vehicles/{bus.pk}/track/", window(stored)).json()
    coarse = city.clients["admin"].get(f"/api/vehicles/{bus.pk}/track/", {**window(stored), "zoom": 12}).json()
    times = [p[0] for p in coarse["points"]]
    assert 2 <= coarse["count"] < full["count"] and times == sorted(times)
    assert set(times) <= {p[0] for p in full["points"]}  # kept vertices keep their own fix times
    assert times[0] == full["points"][0][0] and times[-1] == full["points"][-1][0]


def test_back_search_finds_the_buses_that_passed_a_place_and_only_in_the_window(fleet, city, stored) -> None:
    mine = own(stored, "LPL4720")
    place = mine[len(mine) // 2]
    point = {"type": "Point", "coordinates": [place.lon, place.lat]}
    admin = city.clients["admin"]
    found = admin.get("/api/fleet/passed/", {**window(stored), "geometry": str(point).replace("'", '"'),
                                             "buffer": 40}).json()["vehicles"]
    passed = {v["label"] for v in found}
    assert fleet.buses["LPL4720"].plate in passed
    # the same question answered independently: in metres around the place (shapely), a fix within
    # 40 m or a step of at most LEG_SECONDS whose segment comes within 40 m
    frame = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lon_0={place.lon} +lat_0={place.lat} +datum=WGS84",
                                 always_xy=True)
    expected = set()
    for terminal, bus in fleet.buses.items():
        theirs = own(stored, terminal)
        x, y = frame.transform([f.lon for f in theirs], [f.lat for f in theirs])
        near = shapely.points(x, y)
        legs = [shapely.LineString([(x[i - 1], y[i - 1]), (x[i], y[i])]) for i in range(1, len(theirs))
                if (theirs[i].time - theirs[i - 1].time).total_seconds() <= LEG_SECONDS]
        if (shapely.distance(shapely.Point(0, 0), near) <= 40).any() or any(leg.distance(shapely.Point(0, 0)) <= 40
                                                                             for leg in legs):
            expected.add(bus.plate)
    assert passed == expected and len(expected) > 1
    before = admin.get("/api/fleet/passed/", {"from": (place.time - timedelta(hours=5)).isoformat(),
                                              "to": (mine[0].time - timedelta(minutes=1)).isoformat(),
                                              "geometry": str(point).replace("'", '"')}).json()["vehicles"]
    assert fleet.buses["LPL4720"].plate not in {v["label"] for v in before}
    # a street's user only hears of their street's buses
    east = [b for b in fleet.buses.values() if b.area_code == "320982002"]
    theirs = city.clients["surveyor"].get("/api/fleet/passed/", {**window(stored), "geometry": str(point)
                                                                 .replace("'", '"'), "buffer": 40}).json()
    assert not {b.plate for b in east} & {v["label"] for v in theirs["vehicles"]}


def test_the_back_search_takes_a_road_of_the_registry(fleet, city, stored) -> None:
    road = city.roads["西路"]
    answer = city.clients["admin"].get("/api/fleet/passed/", {**window(stored), "layer": "roads", "id": road.pk})
    assert answer.status_code == 200 and isinstance(answer.json()["vehicles"], list)
    missing = city.clients["admin"].get("/api/fleet/passed/", {**window(stored), "layer": "roads", "id": 999999})
    assert missing.status_code == 404


def test_the_nearest_available_online_vehicle_of_a_group(fleet, city, stored, settings) -> None:
    settings.GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS = 3600  # the tracks end five minutes ago
    admin = city.clients["admin"]
    live = {v["id"]: v for v in admin.get("/api/vehicles/live/").json()["vehicles"]}
    some = next(iter(live.values()))
    answer = admin.get("/api/fleet/nearest/", {"lon": some["lon"], "lat": some["lat"], "limit": 3}).json()
    distances = [v["distance_m"] for v in answer["vehicles"]]
    assert answer["vehicles"][0]["id"] == some["id"] and distances == sorted(distances) and distances[0] < 1
    group = admin.get("/api/fleet/nearest/", {"lon": some["lon"], "lat": some["lat"], "group": "收运二队"}).json()
    assert {v["group"] for v in group["vehicles"]} <= {"收运二队"}
    admin.patch(f"/api/vehicles/{some['id']}/", {"available": False}, format="json")
    after = admin.get("/api/fleet/nearest/", {"lon": some["lon"], "lat": some["lat"]}).json()
    assert some["id"] not in {v["id"] for v in after["vehicles"]}


@pytest.mark.parametrize("query,field", [
    ({"to": "2026-12-08T10:00:00+08:00"}, "from"),
    ({"from": "2026-12-08T10:00:00", "to": "2026-12-08T11:00:00+08:00"}, "from"),
    ({"from": "2026-12-08T10:00:00+08:00", "to": "2026-12-08T09:00:00+08:00"}, "to"),
    ({"from": "2026-11-01T10:00:00+08:00", "to": "2026-12-08T09:00:00+08:00"}, "to"),
    ({"from": "2026-12-08T10:00:00+08:00", "to": "2026-12-08T11:00:00+08:00", "zoom": "x"}, "zoom"),
])
def test_bad_playback_windows_are_refused_by_name(fleet, city, query, field) -> None:
    bus = next(iter(fleet.buses.values()))
    response = city.clients["admin"].get(f"/api/vehicles/{bus.pk}/track/", query)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_bad_questions_are_refused_by_name(fleet, city) -> None:
    admin = city.clients["admin"]
    w = {"from": "2026-12-08T10:00:00+08:00", "to": "2026-12-08T11:00:00+08:00"}
    assert admin.get("/api/fleet/passed/", {**w, "geometry": "{"}).json()["errors"][0]["field"] == "geometry"
    assert admin.get("/api/fleet/passed/", {**w, "layer": "nope", "id": 1}).status_code == 404
    assert admin.get("/api/fleet/nearest/", {"lon": 200, "lat": 33}).json()["errors"][0]["field"] == "lon"
    assert admin.get("/api/fleet/daily/", {"date": "yesterday"}).json()["errors"][0]["field"] == "date"
    other = city.clients["surveyor"].get(f"/api/vehicles/{[b for b in fleet.buses.values()][-1].pk}/track/", w)
    assert other.status_code == 404  # an east bus is not the west street's to replay

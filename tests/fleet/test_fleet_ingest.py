"""GPS ingest with the real tracks of route 14: shuffled, resent and late batches stored exactly
once and played back in order; each bad fix rejected with its index and reason; feeds only."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import connection
from fleet_tracks import Fix

from fleet import credentials
from fleet.models import LivePosition, Vehicle
from importers import chinacoords

URL = "/api/gps/fixes/"


def post(client, fixes: list) -> dict:
    response = client.post(URL, {"fixes": fixes}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def stored_count() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM fleet_fix")
        return cur.fetchone()[0]


def test_shuffled_resent_and_late_batches_are_stored_once_and_play_back_in_order(fleet, city) -> None:
    rng = random.Random(14)
    fixes = list(fleet.fixes)
    late = sorted(fixes, key=lambda f: f.time)[:150]  # the oldest fixes arrive last, after newer ones
    early = [f for f in fixes if f not in set(late)]
    rng.shuffle(early)
    batches = [early[i:i + 200] for i in range(0, len(early), 200)]
    totals = {"stored": 0, "duplicates": 0}
    for batch in batches:
        answer = post(fleet.feed, [f.as_json() for f in batch])
        assert answer["rejected"] == 0, answer["rejections"][:3]
        totals["stored"] += answer["stored"]
    # a gateway resends a third of the batches (its acknowledgements were lost), reshuffled, plus the late ones
    resent = [f for batch in rng.sample(batches, len(batches) // 3) for f in batch]
    mixed = resent + late
    rng.shuffle(mixed)
    for i in range(0, len(mixed), 250):
        answer = post(fleet.feed, [f.as_json() for f in mixed[i:i + 250]])
        totals["stored"] += answer["stored"]
        totals["duplicates"] += answer["duplicates"]
    assert totals == {"stored": len(fixes), "duplicates": len(resent)}
    assert stored_count() == len(fixes)

    admin = city.clients["admin"]
    by_terminal: dict[str, list[Fix]] = {}
    for f in fixes:
        by_terminal.setdefault(f.terminal, []).append(f)
    start = min(f.time for f in fixes) - timedelta(seconds=1)
    end = max(f.time for f in fixes) + timedelta(seconds=1)
    for terminal, own in by_terminal.items():
        bus = fleet.buses[terminal]
        response = admin.get(f"/api/vehicles/{bus.pk}/track/", {"from": start.isoformat(), "to": end.isoformat()})
        assert response.status_code == 200, response.content
        body = response.json()
        own.sort(key=lambda f: f.time)
        assert [p[0] for p in body["points"]] == [f.time.timestamp() for f in own]
        assert [round(p[1], 7) for p in body["points"]] == [round(f.lon, 7) for f in own]
        # the live position is the newest fix, although older ones arrived after it
        live = LivePosition.objects.get(vehicle=bus)
        assert live.time == own[-1].time
        assert (round(live.geom.x, 7), round(live.geom.y, 7)) == (round(own[-1].lon, 7), round(own[-1].lat, 7))


def test_each_bad_fix_is_rejected_with_its_index_and_reason_and_the_rest_stored(fleet) -> None:
    now = datetime.now(UTC)
    terminal = next(iter(fleet.buses))
    good = {"terminal": terminal, "lon": 120.45, "lat": 33.2, "speed": 30, "heading": 90}
    batch = [
        {**good, "time": (now - timedelta(minutes=3)).isoformat()},
        {**good, "time": (now - timedelta(minutes=2)).isoformat(), "lon": -2.9, "lat": 53.4},  # Liverpool
        {**good, "time": (now + timedelta(hours=1)).isoformat()},
        {**good, "time": (now - timedelta(minutes=1)).isoformat(), "speed": 900},
        {**good, "terminal": "NO-SUCH", "time": now.isoformat()},
        {**good, "time": "2026-12-08T09:00:00"},
        {**good, "time": (now - timedelta(seconds=30)).isoformat(), "crs": "EPSG:3857"},
        "not a fix",
        {**good, "time": (now - timedelta(days=400)).isoformat()},
        {**good, "time": (now - timedelta(seconds=10)).isoformat(), "lat": None},
        {**good, "plate": "苏J00000", "terminal": None, "time": (now - timedelta(seconds=5)).isoformat()},
    ]
    answer = post(fleet.feed, batch)
    rules = {r["index"]: (r["field"], r["rule"]) for r in answer["rejections"]}
    assert rules == {1: ("lon", "outside_china"), 2: ("time", "future_time"), 3: ("speed", "impossible_speed"),
                     4: ("terminal", "unknown_terminal"), 5: ("time", "time_offset"), 6: ("crs", "supported_crs"),
                     7: (None, "fix_shape"), 8: ("time", "too_old"), 9: ("lat", "required")}
    assert all(r["reason"] for r in answer["rejections"])
    assert (answer["received"], answer["stored"], answer["duplicates"], answer["rejected"]) == (11, 2, 0, 9)
    assert stored_count() == 2


def test_gcj02_and_bd09_fixes_are_stored_in_cgcs2000(fleet) -> None:
    lon, lat = 120.45, 33.2
    glon, glat = chinacoords.wgs84_to_gcj02(lon, lat)
    blon, blat = chinacoords.wgs84_to_bd09(lon, lat)
    now = datetime.now(UTC)
    terminals = list(fleet.buses)
    post(fleet.feed, [
        {"terminal": terminals[0], "time": now.isoformat(), "lon": float(glon), "lat": float(glat), "crs": "gcj02"},
        {"terminal": terminals[1], "time": now.isoformat(), "lon": float(blon), "lat": float(blat), "crs": "bd09"},
    ])
    with connection.cursor() as cur:
        cur.execute("SELECT max(ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography)),"
                    " count(*) FROM fleet_fix", [lon, lat])
        worst, count = cur.fetchone()
    assert count == 2 and worst < 0.01
    assert abs(float(glon) - lon) > 1e-4  # the offset was real: undone, not ignored


def test_the_live_position_only_moves_forward(fleet) -> None:
    terminal = next(iter(fleet.buses))
    now = datetime.now(UTC)
    post(fleet.feed, [{"terminal": terminal, "time": (now - timedelta(seconds=10)).isoformat(), "lon": 120.46,
                       "lat": 33.21}])
    post(fleet.feed, [{"terminal": terminal, "time": (now - timedelta(seconds=60)).isoformat(), "lon": 120.41,
                       "lat": 33.11}])
    live = LivePosition.objects.get(vehicle__terminal=terminal)
    assert live.time == now - timedelta(seconds=10) and round(live.geom.x, 6) == 120.46
    assert stored_count() == 2


def test_the_vehicles_layer_takes_live_positions_at_most_every_refresh_interval(fleet, settings) -> None:
    from django.core.management import call_command

    settings.GRIDCITY_FLEET_LAYER_REFRESH_SECONDS = 3600
    terminal = next(iter(fleet.buses))
    now = datetime.now(UTC)
    for seconds, lon in ((60, 120.41), (30, 120.42)):
        post(fleet.feed, [{"terminal": terminal, "time": (now - timedelta(seconds=seconds)).isoformat(), "lon": lon,
                           "lat": 33.2}])
    bus = Vehicle.objects.get(terminal=terminal)
    assert round(bus.geom.x, 6) == 120.41  # the first position at once; the second waits for the interval
    assert round(LivePosition.objects.get(vehicle=bus).geom.x, 6) == 120.42
    call_command("fleet_maintain", verbosity=0)  # and the daily upkeep leaves none behind
    bus.refresh_from_db()
    assert round(bus.geom.x, 6) == 120.42 and bus.fix_time == now - timedelta(seconds=30)


def test_only_an_active_feed_credential_may_ingest_and_it_may_do_nothing_else(fleet, city) -> None:
    fix = {"terminal": next(iter(fleet.buses)), "time": datetime.now(UTC).isoformat(), "lon": 120.45, "lat": 33.2}
    assert city.anonymous.post(URL, {"fixes": [fix]}, format="json").status_code == 401
    assert city.clients["admin"].post(URL, {"fixes": [fix]}, format="json").status_code == 401  # a user token
    assert fleet.feed.get("/api/vehicles/").status_code == 401
    assert fleet.feed.get("/api/layers/").status_code == 401
    assert credentials.revoke("test-gateway")
    refused = fleet.feed.post(URL, {"fixes": [fix]}, format="json")
    assert refused.status_code == 401 and refused.json()["errors"][0]["field"] == "Authorization"
    assert stored_count() == 0


def test_malformed_and_oversized_batches_are_refused_by_name(fleet, settings) -> None:
    bad = fleet.feed.post(URL, "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "fixes"
    shape = fleet.feed.post(URL, {"fix": []}, format="json")
    assert shape.status_code == 400 and shape.json()["errors"][0]["rule"] == "fix_batch"
    settings.GRIDCITY_FLEET_MAX_BATCH = 3
    big = fleet.feed.post(URL, {"fixes": [{}] * 4}, format="json")
    assert big.status_code == 413 and "at most 3" in big.json()["detail"]


def test_fixes_land_in_day_partitions_and_the_retention_detaches_old_ones(fleet, settings) -> None:
    from django.core.management import call_command

    terminal = next(iter(fleet.buses))
    now = datetime.now(UTC)
    post(fleet.feed, [{"terminal": terminal, "time": (now - timedelta(days=d)).isoformat(), "lon": 120.45,
                       "lat": 33.2} for d in (0, 1, 2)])
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'fleet_fix'::regclass")
        assert cur.fetchone()[0] == 3
    settings.GRIDCITY_FLEET_RETENTION_DAYS = 1
    call_command("fleet_maintain", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM fleet_fix")
        kept = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'fleet_fix'::regclass")
        partitions = cur.fetchone()[0]
    assert kept < 3 and partitions >= settings.GRIDCITY_FLEET_PARTITIONS_AHEAD

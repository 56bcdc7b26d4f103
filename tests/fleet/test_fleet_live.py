"""Live positions: the list with online/offline by the signal timeout, and the server-sent event
stream fed by LISTEN/NOTIFY, filtered by the user's jurisdiction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
from django.db import connection

from fleet.models import LIVE_CHANNEL


def events(response, count: int) -> list[tuple[str, dict]]:
    """The next ``count`` named events of an SSE response (comments and retry lines skipped)."""
    out: list[tuple[str, dict]] = []
    for chunk in response.streaming_content:
        text = chunk.decode()
        if text.startswith("event: "):
            name, data = text.split("\n")[:2]
            out.append((name[len("event: "):], json.loads(data[len("data: "):])))
            if len(out) == count:
                return out
    return out


def notify(ids: list[int]) -> None:
    """What the ingest's commit delivers, sent from a connection of its own (the test's transaction
    never commits, so its own notices never leave it; the browser test sees the whole path)."""
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                         port=db["PORT"], autocommit=True) as conn:
        conn.execute("SELECT pg_notify(%s, %s)", [LIVE_CHANNEL, ",".join(map(str, ids))])


def test_the_stream_sends_a_snapshot_then_each_move_the_user_may_see(fleet, city) -> None:
    west, east = (next(b for b in fleet.buses.values() if b.area_code == code) for code in ("320982001", "320982002"))
    now = datetime.now(UTC)
    fleet.feed.post("/api/gps/fixes/", {"fixes": [{"terminal": west.terminal, "time": (now - timedelta(minutes=1))
                                                   .isoformat(), "lon": 120.42, "lat": 33.15}]}, format="json")
    # jurisdiction: the west street; an EventSource asks for text/event-stream
    response = city.clients["surveyor"].get("/api/vehicles/live/stream/", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    [(name, snapshot)] = events(response, 1)
    assert name == "snapshot" and [v["id"] for v in snapshot["vehicles"]] == [west.pk]
    # the east bus moves first (not this user's), then the west one
    fleet.feed.post("/api/gps/fixes/", {"fixes": [{"terminal": east.terminal, "time": now.isoformat(), "lon": 120.55,
                                                   "lat": 33.15}]}, format="json")
    fleet.feed.post("/api/gps/fixes/", {"fixes": [{"terminal": west.terminal, "time": now.isoformat(), "lon": 120.43,
                                                   "lat": 33.16, "heading": 270, "speed": 18}]}, format="json")
    notify([east.pk])
    notify([east.pk, west.pk])
    [(name, moved)] = events(response, 1)
    assert name == "positions"
    assert [(v["id"], v["lon"], v["heading"], v["online"]) for v in moved["vehicles"]] == [(west.pk, 120.43, 270, True)]
    response.close()


def test_online_and_offline_follow_the_signal_timeout(fleet, city, settings) -> None:
    settings.GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS = 120
    buses = list(fleet.buses.values())
    now = datetime.now(UTC)
    fleet.feed.post("/api/gps/fixes/", {"fixes": [
        {"terminal": buses[0].terminal, "time": (now - timedelta(seconds=30)).isoformat(), "lon": 120.42, "lat": 33.15},
        {"terminal": buses[1].terminal, "time": (now - timedelta(minutes=10)).isoformat(), "lon": 120.43, "lat": 33.15},
    ]}, format="json")
    live = city.clients["admin"].get("/api/vehicles/live/").json()
    assert {v["id"]: v["online"] for v in live["vehicles"]} == {buses[0].pk: True, buses[1].pk: False}
    assert live["signal_timeout"] == 120
    assert city.clients["admin"].get(f"/api/vehicles/{buses[2].pk}/").json()["online"] is False  # never reported

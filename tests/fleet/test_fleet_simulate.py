"""The simulator drives registered vehicles along the roads through the ingest API: its fixes are
stored, lie on the roads within receiver noise (bar the odd jump), and make trips and stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection

from fleet import simulate
from fleet.roads import demo_roads
from fleet.track import day_summary, fixes


def test_simulated_vehicles_report_along_the_roads_through_the_ingest_api(fleet, city, monkeypatch) -> None:
    monkeypatch.setattr(simulate, "JUMP_CHANCE", 0.02)  # enough jumps in a short run to see them left out
    vehicles = [(bus.terminal, bus.kind) for bus in list(fleet.buses.values())[:4]]
    sim = simulate.Simulator(demo_roads(), vehicles, seed=7)
    posted: list[int] = []

    def post(batch: list[dict]) -> bool:
        response = fleet.feed.post("/api/gps/fixes/", {"fixes": batch}, format="json")
        assert response.status_code == 200 and response.json()["rejected"] == 0, response.json()
        posted.append(len(batch))
        return True

    # two hours of driving, reported as fast as the loop goes (no sleeping: a fake clock)
    clock = iter(np.arange(0, 10_000, 1.0) + datetime.now(UTC).timestamp())
    monkeypatch.setattr(simulate.time, "sleep", lambda s: None)
    acknowledged = simulate.run(sim, post, speedup=3600, backfill=timedelta(hours=2), seconds=3,
                                now=lambda: next(clock))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT vehicle_id) FROM fleet_fix")
        stored, moving = cur.fetchone()
        cur.execute("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY d), max(d) FROM"
                    " (SELECT (SELECT min(ST_Distance(f.geom::geography, r.geom::geography)) FROM layers_road r) d"
                    "  FROM fleet_fix f) s")
        p90, worst = cur.fetchone()
    assert acknowledged == sum(posted) == stored > 4 * 200 and moving == 4
    assert p90 < 15 and worst > 150  # on the roads within noise, and some jumps
    bus = fleet.buses[vehicles[0][0]]
    now = datetime.now(UTC)
    day = day_summary(fixes(bus.pk, now - timedelta(hours=3), now + timedelta(minutes=1)))
    assert day["km"] > 5 and day["stops"] and day["trips"]
    assert day["working_hours"] < 2.0

"""Fleet fixtures: the test city's vehicles (one per real bus of route 14, plus a person) and a feed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fleet_tracks import liverpool
from rest_framework.test import APIClient

from fleet import credentials
from fleet.models import Vehicle
from layers.editing import acting_as
from layers.models import ResponsibilityGrid


def feed_client(key: str) -> APIClient:
    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Feed {key}")
    return client


@pytest.fixture
def fleet(city) -> SimpleNamespace:
    """Buses of route 14 registered in the west street (320982001) except the last, in the east one;
    a supervisor with a device; a feed credential and its client."""
    fixes = liverpool()
    terminals = sorted({f.terminal for f in fixes})
    with acting_as("fixture"):
        buses = {}
        for i, terminal in enumerate(terminals):
            bus = Vehicle(category="vehicle", kind="collection", plate=f"苏J{i:05d}", plate_colour="blue",
                          group="收运一队" if i % 2 == 0 else "收运二队", company="大丰环卫",
                          terminal=terminal, area_code="320982001" if i < len(terminals) - 1 else "320982002")
            bus.full_clean()
            bus.save()
            buses[terminal] = bus
        grid = ResponsibilityGrid(code="JDY320982001001", name="一社区监督员网格", kind="supervisor",
                                  assignee=city.users["supervisor"], geom=city.communities["320982001001"].geom)
        grid.save()
        person = Vehicle(category="person", kind="supervisor", name="张三", terminal="P-001", area_code="320982001",
                         person=city.users["supervisor"], responsibility_grid=grid)
        person.full_clean()
        person.save()
    credential, key = credentials.create("test-gateway")
    return SimpleNamespace(fixes=fixes, buses=buses, person=person, credential=credential, key=key,
                           feed=feed_client(key))

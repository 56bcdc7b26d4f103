"""Reverse geocoding: the nearest plate (or a nearer POI) with the direction and distance from it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from conftest import GEOD, plate_point

from importers.chinacoords import wgs84_to_gcj02

URL = "/api/geocode/reverse/"


def ask(city: SimpleNamespace, role: str = "dispatcher", **params: object) -> dict:
    response = city.clients[role].get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_nearest_plate_with_direction_and_distance(addresses: SimpleNamespace) -> None:
    lon, lat, _ = GEOD.fwd(*plate_point(5), 180.0, 6.0)  # 6 m south of 永安路5号 (the road is 9 m further)
    body = ask(addresses, lon=lon, lat=lat)
    assert body["description"] == "永安路5号南侧约6米"
    assert body["address"] == "江苏省盐城市大丰区西街道永安路5号南侧约6米"
    assert body["nearest"]["code"] == "MP-永安路-5" and abs(body["nearest"]["distance_m"] - 6.0) < 0.1
    assert body["unit_grid"] == {"code": "320982001001001"}
    assert body["community"]["name"] == "一社区" and body["street"] == {"code": "320982001", "name": "西街道"}


def test_a_point_on_the_plate_is_the_plate(addresses: SimpleNamespace) -> None:
    assert ask(addresses, lon=plate_point(9)[0], lat=plate_point(9)[1])["description"] == "永安路9号"


def test_a_nearer_poi_wins(addresses: SimpleNamespace) -> None:
    lon, lat, _ = GEOD.fwd(120.427, 33.16, 90.0, 12.0)  # 12 m east of 南阳小学, far from every plate
    body = ask(addresses, lon=lon, lat=lat)
    assert body["nearest"]["layer"] == "pois" and body["description"] == "南阳小学东侧约12米"


def test_input_in_gcj02_is_converted(addresses: SimpleNamespace) -> None:
    lon, lat, _ = GEOD.fwd(*plate_point(3), 0.0, 4.0)
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    body = ask(addresses, lon=float(glon[0]), lat=float(glat[0]), crs="gcj02")
    assert body["description"] == "永安路3号北侧约4米"
    assert abs(body["lon"] - float(glon[0])) < 1e-6  # answered in the CRS asked for


def test_jurisdiction(addresses: SimpleNamespace) -> None:
    west = plate_point(5)
    refused = addresses.clients["planner"].get(URL, {"lon": west[0], "lat": west[1]})
    assert refused.status_code == 403 and refused.json()["errors"][0]["rule"] == "jurisdiction"
    # in their own street, a planner gets the nearest plate they may see
    body = ask(addresses, role="planner", lon=120.5251, lat=33.1503)
    assert body["description"].startswith("幸福巷1号")
    assert addresses.anonymous.get(URL, {"lon": west[0], "lat": west[1]}).status_code == 401

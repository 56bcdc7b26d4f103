"""Bad input is a 400 that names the parameter; nothing is invented."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

FORWARD, REVERSE = "/api/geocode/", "/api/geocode/reverse/"


@pytest.mark.parametrize("params, field, rule", [
    ({}, "q", "address_text"),
    ({"q": ""}, "q", "address_text"),
    ({"q": "   "}, "q", "address_text"),
    ({"q": "，。！"}, "q", "address_text"),
    ({"q": "永" * 201}, "q", "address_text"),
    ({"q": "永安路5号", "crs": "EPSG:3857"}, "crs", "supported_crs"),
    ({"q": "永安路5号", "crs": "mars2"}, "crs", "supported_crs"),
    ({"q": "永安路5号", "limit": "0"}, "limit", "limit_range"),
    ({"q": "永安路5号", "limit": "abc"}, "limit", "limit_range"),
    ({"q": "永安路5号", "limit": "999"}, "limit", "limit_range"),
    ({"q": "永安路5号", "area": "999999"}, "area", "known_area"),
    ({"q": "永安路5号", "area": "32098200"}, "area", "known_area"),
])
def test_forward_refuses(addresses: SimpleNamespace, params: dict, field: str, rule: str) -> None:
    response = addresses.clients["dispatcher"].get(FORWARD, params)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert (error["field"], error["rule"]) == (field, rule)
    assert error["message"]


@pytest.mark.parametrize("params, field", [
    ({"lat": "33.15"}, "lon"),
    ({"lon": "120.42"}, "lat"),
    ({"lon": "abc", "lat": "33.15"}, "lon"),
    ({"lon": "120.42", "lat": "nan"}, "lat"),
    ({"lon": "inf", "lat": "33.15"}, "lon"),
    ({"lon": "33.15", "lat": "120.42"}, "lon"),  # swapped
    ({"lon": "2.35", "lat": "48.85"}, "lon"),  # Paris
    ({"lon": "120.42", "lat": "60"}, "lat"),
    ({"lon": "120.42", "lat": "33.15", "crs": "EPSG:9999"}, "crs"),
])
def test_reverse_refuses(addresses: SimpleNamespace, params: dict, field: str) -> None:
    response = addresses.clients["dispatcher"].get(REVERSE, params)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


def test_swapped_coordinates_are_named_as_such(addresses: SimpleNamespace) -> None:
    body = addresses.clients["dispatcher"].get(REVERSE, {"lon": "33.15", "lat": "120.42"}).json()
    assert "swapped" in body["detail"]

"""The web map's pages without a browser: login required, demo accounts shown only in demo mode,
the map page's vendored scripts and tile settings."""

from __future__ import annotations

import json
import re

import pytest
from django.db.models import Model
from django.test import Client, override_settings

from tiles.request import MAX_ZOOM

pytestmark = pytest.mark.django_db


def test_map_requires_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


@override_settings(GRIDCITY_DEMO=True)
def test_login_page_lists_demo_accounts_in_demo_mode(client: Client) -> None:
    body = client.get("/login/").content.decode()
    assert "演示模式" in body and "gridcity-demo" in body and "dispatcher" in body


@override_settings(GRIDCITY_DEMO=False)
def test_login_page_hides_demo_accounts_outside_demo_mode(client: Client) -> None:
    body = client.get("/login/").content.decode()
    assert "用户名" in body and "密码" in body
    assert "演示模式" not in body and "gridcity-demo" not in body


def test_map_page_loads_vector_tiles_from_vendored_assets(client: Client, django_user_model: type[Model]) -> None:
    client.force_login(django_user_model.objects.create_user("viewer", role="dispatcher"))
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', body)
    assert scripts == ["/static/vendor/leaflet/leaflet.js",
                       "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
                       "/static/fleet/fleet.js", "/static/webmap/geocode.js",
                       "/static/webmap/map.js"]
    config = json.loads(re.search(r'<script id="webmap-config" type="application/json">(.*?)</script>',
                                  body, re.S)[1])
    assert config["tilesUrl"] == "/tiles/"
    assert config["maxZoom"] == MAX_ZOOM

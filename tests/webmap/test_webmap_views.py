"""The web map's pages without a browser: login required, demo accounts shown only in demo mode."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

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

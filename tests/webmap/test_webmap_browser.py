"""The web map in headless Chromium against a served demo city: login, layers drawn, popups, themes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from accounts.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/gridcity-map.png"
# Paths Leaflet drew per layer (map.js gives each layer's SVG paths the class gc-<layer name>).
COUNT_PATHS = """() => ({
    grids: document.querySelectorAll('path.gc-unit_grids').length,
    components: document.querySelectorAll('path.gc-components').length,
})"""
# True once both unit grids and component markers are on the map.
DRAWN = "() => document.querySelector('path.gc-unit_grids') && document.querySelector('path.gc-components')"
# True once the popup has faded in (and was not closed by a refresh of the layers while the map moved).
POPUP_SHOWN = "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
# True once the map has stopped moving and no layer is loading.
SETTLED = "() => !document.body.classList.contains('busy')"
# The centre of the component marker nearest the middle of the map, in page pixels.
NEAREST_COMPONENT = """() => {
    const map = document.getElementById('map').getBoundingClientRect();
    const cx = map.left + map.width / 2, cy = map.top + map.height / 2;
    const centres = [...document.querySelectorAll('path.gc-components')].map((path) => {
        const box = path.getBoundingClientRect();
        return {x: box.left + box.width / 2, y: box.top + box.height / 2};
    });
    centres.sort((a, b) => Math.hypot(a.x - cx, a.y - cy) - Math.hypot(b.x - cx, b.y - cy));
    return centres[0];
}"""


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def first_position(coordinates: list) -> tuple[float, float]:
    """The first (lon, lat) of any GeoJSON geometry's coordinates."""
    while isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return float(coordinates[0]), float(coordinates[1])


def open_at_component(page: Page, base: str, zoom: int = 15) -> None:
    """Centre the map on the first component (via the address hash) and wait for grids and markers."""
    response = page.request.get(f"{base}/api/layers/components/features/?limit=1")
    assert response.ok, response.text()
    lon, lat = first_position(response.json()["features"][0]["geometry"]["coordinates"])
    page.goto(f"{base}/#{zoom}/{lat}/{lon}")
    page.wait_for_function(DRAWN)
    page.wait_for_function(SETTLED)


def test_anonymous_visit_lands_on_login(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/")
    assert urlsplit(page.url).path == "/login/"
    expect(page.locator("button[type=submit]")).to_have_text("登录")
    expect(page.locator("label[for=id_username]")).to_have_text("用户名")
    expect(page.locator(".demo-note")).to_contain_text("dispatcher")
    assert page.locator("#map").count() == 0


def test_wrong_password_shows_chinese_error(page: Page, live_url: str) -> None:
    log_in(page, live_url, "dispatcher", "not-the-password")
    expect(page.locator(".form-error")).to_contain_text("用户名或密码错误")
    assert urlsplit(page.url).path == "/login/"
    assert page.locator("#map").count() == 0


def test_dispatcher_sees_grids_and_components(page: Page, live_url: str) -> None:
    log_in(page, live_url, "dispatcher", DEMO_PASSWORD)
    layer_list = page.locator("#layer-list")
    expect(layer_list).to_contain_text("单元网格")
    expect(layer_list).to_contain_text("部件")
    expect(page.locator("#user-info")).to_contain_text("dispatcher（受理派遣员）")
    for name in ("districts", "streets", "communities", "unit_grids", "components"):
        expect(page.locator(f"input[data-layer={name}]")).to_be_checked()

    open_at_component(page, live_url)
    counts = page.evaluate(COUNT_PATHS)
    assert counts["grids"] > 0 and counts["components"] > 0, counts

    target = page.evaluate(NEAREST_COMPONENT)
    page.mouse.click(target["x"], target["y"])
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("标识码")
    assert re.search(r"标识码\s*\d{16}", popup.inner_text()), popup.inner_text()
    page.wait_for_function(POPUP_SHOWN)
    page.wait_for_function(SETTLED)
    page.screenshot(path=SCREENSHOT)


def test_dark_theme_restyles_layers(page: Page, live_url: str) -> None:
    log_in(page, live_url, "dispatcher", DEMO_PASSWORD)
    open_at_component(page, live_url)
    styles = {layer["name"]: layer["style"] for layer in page.request.get(f"{live_url}/api/layers/").json()["layers"]}
    grid = page.locator("path.gc-unit_grids").first
    expect(grid).to_have_attribute("stroke", styles["unit_grids"]["light"]["color"])
    page.click(".theme-switch button[data-theme=dark]")
    expect(page.locator("body")).to_have_class(re.compile(r"\btheme-dark\b"))
    expect(grid).to_have_attribute("stroke", styles["unit_grids"]["dark"]["color"])


def test_logout_returns_to_login(page: Page, live_url: str) -> None:
    log_in(page, live_url, "dispatcher", DEMO_PASSWORD)
    expect(page.locator("#layer-list")).to_contain_text("单元网格")
    page.click("text=退出")
    expect(page.locator("button[type=submit]")).to_have_text("登录")
    page.goto(f"{live_url}/")
    assert urlsplit(page.url).path == "/login/"

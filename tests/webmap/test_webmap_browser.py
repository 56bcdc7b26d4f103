"""The web map in headless Chromium against a served demo city: login, layers drawn from vector tiles,
popups, clusters, themes, the layer panel and fresh tiles after an edit through the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, Response, expect

from accounts.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/gridcity-vt.png"
MVT = "application/vnd.mapbox-vector-tile"
TILE_PATH = re.compile(r"^/tiles/(?P<layers>[a-z0-9_,]+)/(?P<z>\d+)/\d+/\d+\.mvt$")
# the layers whose registry entry says default_on (fleet/layers.py: the live vehicles too)
DEFAULT_ON = ("districts", "streets", "communities", "unit_grids", "components", "vehicles")

# True once a path of the given selector is drawn in a vector tile (VectorGrid draws each tile as an SVG).
DRAWN = "(selector) => document.querySelector(`svg.leaflet-tile ${selector}`) !== null"
# True once the popup has faded in.
POPUP_SHOWN = "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
# True once the map has stopped moving, no tile is loading and the tiles of other zoom levels are gone
# (Leaflet keeps them for a moment after the new level has loaded).
SETTLED = """() => !document.body.classList.contains('busy')
    && document.querySelectorAll('.leaflet-tile-container:not(:empty)').length <= 1"""
# The zoom in the address hash (#zoom/lat/lon).
HASH_ZOOM = "() => Number(location.hash.slice(1).split('/')[0])"
# The centre of the drawn path matching the selector nearest the middle of the map, in page pixels.
NEAREST = """(selector) => {
    const map = document.getElementById('map').getBoundingClientRect();
    const cx = map.left + map.width / 2, cy = map.top + map.height / 2;
    const centres = [...document.querySelectorAll(selector)].map((path) => {
        const box = path.getBoundingClientRect();
        return {x: box.left + box.width / 2, y: box.top + box.height / 2};
    });
    centres.sort((a, b) => Math.hypot(a.x - cx, a.y - cy) - Math.hypot(b.x - cx, b.y - cy));
    return centres[0];
}"""
# A component that is a feature, not a cluster (the layer clusters below zoom 16).
COMPONENT = "path.gc-components:not(.gc-cluster)"
CLUSTER = "path.gc-components.gc-cluster"


@dataclass(frozen=True)
class TileResponse:
    layers: tuple[str, ...]
    z: int
    status: int
    content_type: str


class TileLog:
    """Every vector tile the page received: its layers, zoom, status and content type."""

    def __init__(self, page: Page) -> None:
        self.tiles: list[TileResponse] = []
        page.on("response", self._record)

    def _record(self, response: Response) -> None:
        match = TILE_PATH.match(urlsplit(response.url).path)
        if match:
            self.tiles.append(TileResponse(tuple(match["layers"].split(",")), int(match["z"]), response.status,
                                           response.headers.get("content-type", "")))


def log_in(page: Page, base: str, username: str = "dispatcher", password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def first_position(coordinates: list) -> tuple[float, float]:
    """The first (lon, lat) of any GeoJSON geometry's coordinates."""
    while isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return float(coordinates[0]), float(coordinates[1])


def first_component(page: Page, base: str) -> dict:
    response = page.request.get(f"{base}/api/layers/components/features/?limit=1")
    assert response.ok, response.text()
    return response.json()["features"][0]


def open_at(page: Page, base: str, lon: float, lat: float, zoom: int, selector: str) -> TileLog:
    """Load the map afresh at a view and wait until ``selector`` is drawn and the map settles; the tiles it got."""
    page.goto("about:blank")
    tiles = TileLog(page)
    page.goto(f"{base}/#{zoom}/{lat}/{lon}")
    page.wait_for_function(DRAWN, arg=selector)
    page.wait_for_function(SETTLED)
    return tiles


def open_at_component(page: Page, base: str, zoom: int, selector: str = COMPONENT) -> tuple[dict, TileLog]:
    """Load the map centred on the first component and wait for ``selector``; the component and the tiles."""
    feature = first_component(page, base)
    lon, lat = first_position(feature["geometry"]["coordinates"])
    return feature, open_at(page, base, lon, lat, zoom, selector)


def click_nearest(page: Page, selector: str) -> None:
    target = page.evaluate(NEAREST, selector)
    page.mouse.click(target["x"], target["y"])


def zoom_with_control(page: Page, direction: str, selector: str) -> None:
    """Zoom one level with the map's +/− button and wait until the new level is drawn and settled."""
    zoom = page.evaluate(HASH_ZOOM) + (1 if direction == "in" else -1)
    page.click(f".leaflet-control-zoom-{direction}")
    page.wait_for_function(f"() => ({HASH_ZOOM})() === {zoom}")
    page.wait_for_function(DRAWN, arg=selector)
    page.wait_for_function(SETTLED)


def panel_item(page: Page, layer: str) -> Locator:
    """The layer panel's line of a layer."""
    return page.locator("#layer-list li", has=page.locator(f"input[data-layer={layer}]"))


def styles(page: Page, base: str) -> dict[str, dict]:
    return {layer["name"]: layer["style"] for layer in page.request.get(f"{base}/api/layers/").json()["layers"]}


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


def test_dispatcher_sees_grids_and_components_from_vector_tiles(page: Page, live_url: str) -> None:
    log_in(page, live_url)
    layer_list = page.locator("#layer-list")
    expect(layer_list).to_contain_text("单元网格")
    expect(layer_list).to_contain_text("部件")
    expect(page.locator("#user-info")).to_contain_text("dispatcher（受理派遣员）")
    for name in DEFAULT_ON:
        expect(page.locator(f"input[data-layer={name}]")).to_be_checked()
    for name in ("facilities", "evaluation_grids"):  # listed, not switched on: their layers say so
        expect(page.locator(f"input[data-layer={name}]")).not_to_be_checked()

    geojson: list[str] = []
    page.on("request", lambda request: geojson.append(request.url) if "/features/" in request.url else None)
    _, tiles = open_at_component(page, live_url, zoom=17)

    # One composite source of the checked layers, answered as Mapbox Vector Tiles; GeoJSON features
    # are fetched only for the initial extent (the districts, when the address names no view).
    assert tiles.tiles, "no vector tile was requested"
    assert {tile.layers for tile in tiles.tiles} == {DEFAULT_ON}, tiles.tiles
    assert {tile.z for tile in tiles.tiles} == {17}, tiles.tiles
    assert all(tile.status == 200 and tile.content_type == MVT for tile in tiles.tiles), tiles.tiles
    assert [url for url in geojson if "/api/layers/districts/features/" not in url] == [], geojson
    assert page.locator(f"svg.leaflet-tile {COMPONENT}").count() > 0
    assert page.locator("svg.leaflet-tile path.gc-unit_grids").count() > 0
    assert page.locator(f"svg.leaflet-tile {CLUSTER}").count() == 0

    # Points are circles of the registry's radius (Leaflet writes a circle as two arcs "a{r},{r} …").
    radius = styles(page, live_url)["components"]["light"]["radius"]
    assert f"a{radius},{radius} " in page.locator(COMPONENT).first.get_attribute("d")

    click_nearest(page, COMPONENT)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("标识码")
    assert re.search(r"标识码\s*\d{16}\b", popup.inner_text()), popup.inner_text()
    expect(popup).to_contain_text("部件类别")
    page.wait_for_function(POPUP_SHOWN)
    page.wait_for_function(SETTLED)
    page.screenshot(path=SCREENSHOT)


def test_dark_theme_restyles_tiles_in_place(page: Page, live_url: str) -> None:
    log_in(page, live_url)
    _, tiles = open_at_component(page, live_url, zoom=17)
    style = styles(page, live_url)
    grid = page.locator("path.gc-unit_grids").first
    component = page.locator(COMPONENT).first
    expect(grid).to_have_attribute("stroke", style["unit_grids"]["light"]["color"])
    expect(component).to_have_attribute("fill", style["components"]["light"]["fillColor"])
    fetched = len(tiles.tiles)

    page.click(".theme-switch button[data-theme=dark]")
    expect(page.locator("body")).to_have_class(re.compile(r"\btheme-dark\b"))
    expect(grid).to_have_attribute("stroke", style["unit_grids"]["dark"]["color"])
    expect(component).to_have_attribute("fill", style["components"]["dark"]["fillColor"])
    assert len(tiles.tiles) == fetched, "the theme switch restyles the drawn tiles without fetching them again"

    page.click(".theme-switch button[data-theme=light]")
    expect(grid).to_have_attribute("stroke", style["unit_grids"]["light"]["color"])


@pytest.mark.parametrize("zoom", [12, 15])
def test_components_arrive_as_clusters_below_16(page: Page, live_url: str, zoom: int) -> None:
    log_in(page, live_url)
    open_at_component(page, live_url, zoom=zoom, selector=CLUSTER)
    assert page.locator(COMPONENT).count() == 0
    assert page.locator("svg.leaflet-tile path.gc-unit_grids").count() > 0

    target = page.evaluate(NEAREST, CLUSTER)
    page.mouse.move(target["x"], target["y"])
    expect(page.locator(".leaflet-tooltip")).to_have_text(re.compile(r"^\d+ 个部件$"))

    page.mouse.click(target["x"], target["y"])
    page.wait_for_function(f"() => ({HASH_ZOOM})() === {zoom + 2}")
    page.wait_for_function(DRAWN, arg=CLUSTER if zoom + 2 < 16 else COMPONENT)
    page.wait_for_function(SETTLED)


def test_layer_panel_hints_and_toggles(page: Page, live_url: str) -> None:
    log_in(page, live_url)
    _, tiles = open_at_component(page, live_url, zoom=11, selector="path.gc-communities")
    # Below their zoom range the tiles leave unit grids and components out; the panel says when they show.
    for name in ("unit_grids", "components"):
        expect(panel_item(page, name)).to_contain_text("放大至 12 级")
        expect(panel_item(page, name)).to_have_class(re.compile(r"\bout-of-zoom\b"))
        assert page.locator(f"path.gc-{name}").count() == 0
    expect(panel_item(page, "communities")).not_to_contain_text("放大")

    tiles.tiles.clear()
    page.uncheck("input[data-layer=communities]")
    page.wait_for_function("() => document.querySelector('path.gc-communities') === null")
    page.wait_for_function(SETTLED)
    assert page.locator("svg.leaflet-tile path.gc-districts").count() > 0
    assert tiles.tiles and all("communities" not in tile.layers for tile in tiles.tiles), tiles.tiles


def test_edit_through_the_api_shows_after_the_next_zoom(page: Page, live_url: str, browser: Browser) -> None:
    log_in(page, live_url)
    feature, _ = open_at_component(page, live_url, zoom=17)
    code = feature["properties"]["code"]
    note = f"浏览器测试 {feature['id']}"
    click_nearest(page, COMPONENT)
    expect(page.locator(".leaflet-popup-content")).to_contain_text(code)
    expect(page.locator(".leaflet-popup-content")).not_to_contain_text(note)
    page.click(".leaflet-popup-close-button")

    # A surveyor edits the component through the API, from another client.
    client = browser.new_context().request
    token = client.post(f"{live_url}/api/auth/token/",
                        data={"username": "surveyor", "password": DEMO_PASSWORD}).json()["token"]
    edited = client.patch(f"{live_url}/api/layers/components/features/{feature['id']}/",
                          data={"type": "Feature", "properties": {"note": note}},
                          headers={"Authorization": f"Token {token}"})
    assert edited.ok, edited.text()
    client.dispose()

    # Zooming out and back in fetches the z17 tiles again; the browser revalidates them and gets the new one.
    zoom_with_control(page, "out", COMPONENT)
    zoom_with_control(page, "in", COMPONENT)
    click_nearest(page, COMPONENT)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(code)
    expect(popup).to_contain_text(note)


def test_logout_returns_to_login(page: Page, live_url: str) -> None:
    log_in(page, live_url)
    expect(page.locator("#layer-list")).to_contain_text("单元网格")
    page.click("text=退出")
    expect(page.locator("button[type=submit]")).to_have_text("登录")
    page.goto(f"{live_url}/")
    assert urlsplit(page.url).path == "/login/"


def test_qa_cells_are_drawn_pass_green_fail_red(page: Page, live_url: str, browser_database_url: str) -> None:
    """The census QA layer colours its km² cells by their verdict (two cells written straight to the
    served database, one failing, one passing, beside the first component)."""
    import psycopg

    log_in(page, live_url)
    lon, lat = first_position(first_component(page, live_url)["geometry"]["coordinates"])
    cells = [("browser_fail", False, lon - 0.006), ("browser_pass", True, lon + 0.001)]
    with psycopg.connect(browser_database_url, autocommit=True) as conn:
        for cell, passed, west in cells:
            conn.execute("INSERT INTO importers_qacell (run, kind, cell, rows, attribute_share, position_share,"
                         " omission_share, passed, created_at, updated_at, geom) VALUES ('browser', 'components',"
                         " %s, 10, 0, 0, %s, %s, now(), now(), ST_MakeEnvelope(%s, %s, %s, %s, 4490))",
                         [cell, 0.0 if passed else 0.5, passed, west, lat - 0.002, west + 0.005, lat + 0.002])
    try:
        open_at(page, live_url, lon, lat, 15, "path.gc-unit_grids")
        page.check("input[data-layer=qa_cells]")
        page.wait_for_function(DRAWN, arg="path.gc-qa_cells")
        page.wait_for_function(SETTLED)
        stops = styles(page, live_url)["qa_cells"]["light"]["ramp"]["stops"]
        fills = page.eval_on_selector_all("svg.leaflet-tile path.gc-qa_cells",
                                          "paths => paths.map((p) => p.getAttribute('fill'))")
        assert set(fills) == {stops[0][1], stops[1][1]} and stops[0][1] != stops[1][1], fills
    finally:
        with psycopg.connect(browser_database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM importers_qacell WHERE run = 'browser'")

"""The address search and "what is here" on the web map, in headless Chromium against the served demo city."""

from __future__ import annotations

import re

import pytest
import shapely
from playwright.sync_api import Page, expect
from test_webmap_browser import HASH_ZOOM, log_in

from democity.generate import generate_city

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_plate() -> tuple[str, float, float]:
    """A door plate of the served demo city (scale 0.01: the addresses do not depend on the scale)."""
    a = generate_city(scale=0.01).addresses
    i = next(i for i, name in enumerate(a.plates.street_names) if name in a.streets.names and a.plates.numbers[i] > 20)
    x, y = shapely.get_coordinates(a.plates.points[i])[0]
    return f"{a.plates.street_names[i]}{a.plates.labels[i]}", float(x), float(y)


def test_search_suggests_flies_and_marks_then_right_click_says_what_is_here(
        page: Page, live_url: str, demo_plate: tuple[str, float, float]) -> None:
    address, lon, lat = demo_plate
    log_in(page, live_url)
    page.wait_for_selector("#geocode-input")
    page.locator("#geocode-input").press_sequentially(address, delay=40)
    first = page.locator("#geocode-suggestions li[data-index='0']")
    expect(first).to_contain_text(address, timeout=20_000)
    expect(first).to_contain_text("门牌")
    first.click()

    popup = page.locator(".geocode-popup")
    expect(popup).to_contain_text(address)
    expect(popup).to_contain_text("320982")  # the street, community and unit grid codes
    expect(popup.locator("td").first).to_have_text(re.compile(r"^320982\d{9}$"))
    page.wait_for_function(f"() => ({HASH_ZOOM})() >= 18")
    _, hash_lat, hash_lon = page.evaluate("() => location.hash.slice(1).split('/').map(Number)")
    assert abs(hash_lat - lat) < 2e-4 and abs(hash_lon - lon) < 2e-4  # the map flew to the plate

    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2, button="right")
    answer = page.locator(".reverse-answer")
    expect(answer).to_contain_text("这里是：", timeout=20_000)
    expect(answer).to_contain_text(address)  # a few metres from the plate: the plate is the nearest
    expect(answer).to_contain_text("单元网格")


def test_a_name_that_exists_nowhere_says_so(page: Page, live_url: str) -> None:
    log_in(page, live_url)
    page.locator("#geocode-input").press_sequentially("火星路88号", delay=40)
    expect(page.locator("#geocode-suggestions li.empty")).to_contain_text("火星路88号", timeout=20_000)

"""The fleet on the web map in headless Chromium: a fix posted by a feed reaches the page within
2 s over server-sent events (no reload, no polling), drawn by status and heading; a vehicle's
track plays back from the panel; a right click finds the nearest available vehicle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from accounts.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

BIN = Path(sys.executable).parent
# How soon a posted fix must be on the dispatcher's map (the promise).
LIVE_WITHIN_MS = 2000


def feed_key(database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev"}
    done = subprocess.run([str(BIN / "gridcity"), "fleet", "credential", "create", f"browser-{os.getpid()}"],
                          env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def post_fixes(base: str, key: str, fixes: list[dict]) -> dict:
    request = urllib.request.Request(f"{base}/api/gps/fixes/", data=json.dumps({"fixes": fixes}).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Feed {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_a_posted_fix_reaches_the_map_within_two_seconds_and_plays_back(page: Page, live_url: str,
                                                                       browser_database_url: str) -> None:
    key = feed_key(browser_database_url)
    with psycopg.connect(browser_database_url) as conn:
        vehicle = conn.execute("SELECT id, terminal, plate FROM fleet_vehicle WHERE terminal = 'DEMO-0001'").fetchone()
    assert vehicle is not None, "gridcity demo registers the demo fleet"
    pk, terminal, plate = vehicle
    page.goto(f"{live_url}/login/")
    page.fill("#id_username", "dispatcher")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    # the stream's snapshot has arrived (the page's first tiles may keep the server busy for a while)
    expect(page.locator("#fleet-counts")).to_contain_text("行驶", timeout=60_000)
    now = datetime.now(UTC)
    track = [(now - timedelta(seconds=s), 120.47 + (120 - s) * 0.0001, 33.20) for s in (120, 60, 0)]
    answer = post_fixes(live_url, key, [{"terminal": terminal, "time": t.isoformat(), "lon": lon, "lat": lat,
                                         "speed": 24.0, "heading": 90.0} for t, lon, lat in track])
    assert answer["stored"] == 3
    arrow = page.locator(f'[data-vehicle="{pk}"][data-status="moving"]')
    arrow.wait_for(state="attached", timeout=LIVE_WITHIN_MS)
    assert "rotate(90deg)" in (arrow.get_attribute("style") or "")
    expect(page.locator("#fleet-counts")).to_contain_text("行驶 1")

    page.select_option("#playback-vehicle", str(pk))
    page.click("#playback-load")
    expect(page.locator("#playback-info")).to_contain_text(f"{plate}：3 个定位点")
    expect(page.locator("path.gc-track")).to_have_count(2)
    page.select_option("#playback-speed", "64")
    page.click("#playback-play")
    page.wait_for_function("() => Number(document.getElementById('playback-timeline').value) === 1000")
    expect(page.locator("#playback-play")).to_have_text("▶")  # stopped at the end

    # a right click asks for the nearest available vehicles online: the one that just reported
    page.click("#map", button="right", position={"x": 400, "y": 300})
    expect(page.locator(".gc-nearest")).to_contain_text(plate)

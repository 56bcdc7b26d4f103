"""The web map works under the platform's strict Content-Security-Policy (issue 19): headless Chromium
records every policy violation while a user logs in, draws the vector tiles, opens a popup and
switches the theme; there must be none, while a foreign image or an inline script is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from test_webmap_browser import COMPONENT, POPUP_SHOWN, click_nearest, log_in, open_at_component

pytestmark = pytest.mark.browser

# Every violation the page reports, kept across navigations of the same tab.
RECORD = """() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
}"""


def test_the_map_works_under_a_strict_policy_that_refuses_what_it_should(page: Page, live_url: str) -> None:
    page.add_init_script(f"({RECORD})()")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, live_url)
    policy = page.evaluate("() => fetch('/').then((r) => r.headers.get('Content-Security-Policy'))")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    open_at_component(page, live_url, zoom=17)
    assert page.locator(f"svg.leaflet-tile {COMPONENT}").count() > 0
    click_nearest(page, COMPONENT)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("标识码")
    page.wait_for_function(POPUP_SHOWN)
    page.click(".theme-switch button[data-theme=dark]")
    expect(page.locator("body")).to_have_class(re.compile(r"\btheme-dark\b"))
    assert page.evaluate("() => window.__violations") == []
    assert not [text for text in console if "Content Security Policy" in text], console

    # The recorder sees what the policy refuses: an inline script and an image from another origin.
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.__ran = true';
        document.body.appendChild(script);
        const img = document.createElement('img');
        img.src = 'https://tiles.example.org/0/0/0.png';
        document.body.appendChild(img);
    }""")
    page.wait_for_function("() => window.__violations.length >= 2")
    assert page.evaluate("() => window.__ran === undefined")
    directives = {v.split(" ")[0] for v in page.evaluate("() => window.__violations")}
    assert {"script-src-elem", "img-src"} <= directives, directives

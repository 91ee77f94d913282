"""Offline maps in headless Chromium: no errors, no network, the markers are there, it is not blank.

Uses the Debian ``chromium`` binary through the ``playwright`` package (no downloaded browsers).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from geomap.frames import events_frame
from geomap.model import Event
from geomap.render import build_map, save_map
from test_render_interactive import XSS_IMG, XSS_SCRIPT, scenario

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Page:
    """A page that records console errors, dialogs and every request it tries to make."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.remote: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_timeout(800)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()


@pytest.fixture(scope="module")
def kim_page(browser, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "kim.html"
    save_map(build_map(**scenario(), offline=True, title="Kim Jong Un in Russia"), path, offline=True)
    page = Page(browser, path)
    yield page
    page.page.close()


def test_offline_page_loads_without_errors_or_network(kim_page):
    assert kim_page.errors == []
    assert kim_page.remote == []


def test_stop_markers_and_controls_in_dom(kim_page):
    page = kim_page.page
    assert page.locator(".geomap-stop").count() == 3
    assert page.locator(".geomap-arrow").count() == 2
    assert page.locator(".geomap-stop.geomap-planned").count() == 1
    labels = page.locator(".geomap-label").all_inner_texts()
    assert labels == ["Vostochny Cosmodrome", "Komsomolsk-on-Amur", "Vladivostok"]
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in overlays] == ["Countries mentioned", "Other places mentioned", "Events", "Kim Jong Un"]
    assert page.locator(".geomap-legend").count() == 1
    assert page.locator(".geomap-fullscreen").count() == 1
    assert page.locator(".geomap-slider input[type=range]").count() == 1
    assert page.locator(".geomap-title").inner_text() == "Kim Jong Un in Russia"


def test_screenshot_is_not_blank(kim_page):
    from PIL import Image

    png = kim_page.page.screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert pixels.std() > 15


def test_hostile_text_stays_inert_in_popups(kim_page):
    page = kim_page.page
    page.locator(".geomap-stop").nth(2).click()
    popup = page.locator(".leaflet-popup-content")
    assert XSS_SCRIPT in popup.inner_text()
    assert popup.locator("mark").inner_text() == "Vladivostok"
    assert popup.locator("script").count() == 0
    page.keyboard.press("Escape")
    page.locator(".leaflet-popup-close-button").click() if page.locator(".leaflet-popup").count() else None
    page.evaluate("""() => { for (const k in window) { if (k.startsWith('feature_group_') && window[k].eachLayer) {
        window[k].eachLayer(l => { if (l.feature === undefined && l.getPopup && l.getPopup() && l.getRadius
            && l.getRadius() === 7) { l.openPopup(); } }); } } }""")
    page.wait_for_timeout(200)
    assert XSS_IMG in page.locator(".leaflet-popup-content").inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert kim_page.dialogs == [] and kim_page.errors == []


def test_date_slider_hides_later_events(browser, tmp_path):
    evs = [Event(f"e{i}", ("A",), "visit", f"P{i}", 40 + i, 30 + i, f"2024-01-0{i + 1}", "occurred", "A came.")
           for i in range(3)]
    path = tmp_path / "slider.html"
    save_map(build_map(events=events_frame(evs), offline=True), path, offline=True)
    page = Page(browser, path)
    p = page.page
    count = "() => document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length"
    before = p.evaluate(count)
    p.locator(".geomap-slider input").evaluate("el => { el.value = 0; el.dispatchEvent(new Event('input')); }")
    assert p.evaluate(count) == before - 2
    assert p.locator(".geomap-slider .when").inner_text() == "2024-01-01"
    assert page.errors == [] and page.remote == []


def test_many_events_render_on_canvas(browser, tmp_path):
    evs = [Event(f"e{i}", ("A",), "visit", f"P{i}", -50 + (i * 7) % 100, -170 + (i * 13) % 340, None,
                 ("occurred", "planned", "cancelled")[i % 3], f"A visited P{i} {XSS_SCRIPT}.") for i in range(2000)]
    path = tmp_path / "many.html"
    save_map(build_map(events=events_frame(evs), offline=True), path, offline=True)
    page = Page(browser, path)
    assert page.errors == [] and page.remote == [] and page.dialogs == []
    assert page.page.locator("canvas").count() >= 1
    page.page.evaluate("""() => { for (const k in window) { if (k.startsWith('feature_group_') && window[k].eachLayer) {
        window[k].eachLayer(l => { if (l.feature === undefined && l.eachLayer) { l.openPopup(); } }); } } }""")
    popup = page.page.locator(".leaflet-popup-content")
    assert XSS_SCRIPT in popup.inner_text()
    assert popup.locator("mark").inner_text() == "P0"
    assert popup.locator("script").count() == 0 and page.dialogs == [] and page.errors == []

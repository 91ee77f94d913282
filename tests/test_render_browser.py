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
import folium

from geomap.frames import legs_frame, stops_frame
from test_render_interactive import XSS_IMG, XSS_SCRIPT, itinerary, scenario

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
    assert [t.strip() for t in overlays] == ["Countries mentioned", "Other places mentioned", "Events: meet",
                                             "Kim Jong Un"]
    assert page.locator(".geomap-legend").count() == 1
    assert page.locator(".geomap-fullscreen").count() == 1
    assert page.locator(".geomap-slider input[type=range]").count() == 1
    assert page.locator(".geomap-play").count() == 1
    assert "Natural Earth" in page.locator(".leaflet-control-attribution").inner_text()
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
    page.evaluate(OPEN_FIRST_EVENT)
    page.wait_for_timeout(200)
    assert XSS_IMG in page.locator(".leaflet-popup-content").inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert kim_page.dialogs == [] and kim_page.errors == []


#: opens the popup of the first drawn event of the first canvas event layer
OPEN_FIRST_EVENT = """() => { for (const k in window) { if (k.startsWith('map_') && window[k] && window[k]._geomapEvents) {
    for (const l of window[k]._geomapEvents) { if (l.openFirst() >= 0) { return true; } } } } return false; }"""
#: how many events each canvas layer draws now
DRAWN = """() => { for (const k in window) { if (k.startsWith('map_') && window[k] && window[k]._geomapEvents) {
    return window[k]._geomapEvents.reduce((n, l) => n + l._nvis, 0); } } return -1; }"""


def test_date_slider_hides_later_events(browser, tmp_path):
    evs = [Event(f"e{i}", ("A",), "visit", f"P{i}", 40 + i, 30 + i, f"2024-01-0{i + 1}", "occurred", "A came.")
           for i in range(3)]
    path = tmp_path / "slider.html"
    save_map(build_map(events=events_frame(evs), offline=True), path, offline=True)
    page = Page(browser, path)
    p = page.page
    assert p.evaluate(DRAWN) == 3
    p.locator(".geomap-slider input").evaluate("el => { el.value = 0; el.dispatchEvent(new Event('input')); }")
    assert p.evaluate(DRAWN) == 1
    assert p.locator(".geomap-slider .when").inner_text() == "2024-01-01"
    assert page.errors == [] and page.remote == []


def _trip(path: Path, stops: list[tuple], events: list[Event] | None = None, **kw) -> Path:
    it = itinerary("Envoy", [(p, la, lo, d, "occurred", "visited", f"The envoy visited {p} {XSS_IMG}.")
                             for p, la, lo, d in stops])
    save_map(build_map(stops=stops_frame([it]), legs=legs_frame([it]), events=events_frame(events or []),
                       offline=True, **kw), path, offline=True)
    return path


def _current(p) -> str | None:
    return p.evaluate("() => { const e = document.querySelector('.geomap-current .geomap-label');"
                      " return e ? e.textContent : null; }")


def test_playback_moves_through_stops_legs_and_events_in_order(browser, tmp_path):
    stops = [("Minsk", 53.9, 27.57, "2024-01-01"), ("Moscow", 55.75, 37.62, "2024-01-03"),
             ("Kazan", 55.79, 49.12, "2024-01-05"), ("Perm", 58.0, 56.25, "2024-01-07")]
    evs = [Event(f"e{i}", ("Envoy",), "meet", p, la + 0.5, lo + 0.5, d, "occurred", f"The envoy met in {p}.")
           for i, (p, la, lo, d) in enumerate(stops)]
    page = Page(browser, _trip(tmp_path / "play.html", stops, evs))
    p = page.page
    p.locator(".geomap-speed").select_option("4")
    p.locator(".geomap-play").click()
    seen, shown = [], []
    # the label, the stops and the events of one moment, read in one go: playback may step between calls
    snapshot = ("() => { const e = document.querySelector('.geomap-current .geomap-label');"
                " return [e ? e.textContent : null, document.querySelectorAll('.geomap-stop').length,"
                f" ({DRAWN})()]; }}")
    for _ in range(40):
        cur, n_stops, n_events = p.evaluate(snapshot)
        if cur and (not seen or seen[-1] != cur):
            seen.append(cur)
            shown.append((n_stops, n_events))
        if len(seen) == 4:
            break
        p.wait_for_timeout(100)
    assert seen == ["Minsk", "Moscow", "Kazan", "Perm"]
    assert [s for s, _ in shown] == [1, 2, 3, 4]  # later stops are not drawn yet
    assert [e for _, e in shown] == [1, 2, 3, 4]  # nor later events
    assert p.locator(".leaflet-overlay-pane path").count() >= 3  # the three legs
    assert page.errors == [] and page.remote == []


def test_story_mode_arrow_keys_step_through_stops(browser, tmp_path):
    stops = [("Minsk", 53.9, 27.57, "2024-01-01"), ("Moscow", 55.75, 37.62, "2024-01-03"),
             ("Kazan", 55.79, 49.12, "2024-01-05")]
    page = Page(browser, _trip(tmp_path / "story.html", stops))
    p = page.page
    p.locator(".geomap-story-btn").click()
    panel = p.locator(".geomap-story")
    assert "Step 1 of 3" in panel.inner_text() and _current(p) == "Minsk"
    p.keyboard.press("ArrowRight")
    assert "Step 2 of 3" in panel.inner_text() and _current(p) == "Moscow"
    assert "2024-01-03" in panel.inner_text()
    assert panel.locator("mark").inner_text() == "Moscow"  # the evidence sentence, place marked
    assert XSS_IMG in panel.inner_text() and panel.locator("img").count() == 0
    p.keyboard.press("ArrowRight")
    p.keyboard.press("ArrowRight")  # stays on the last stop
    assert "Step 3 of 3" in panel.inner_text() and _current(p) == "Kazan"
    p.wait_for_timeout(1000)  # the map flew there
    centre = p.evaluate("() => { for (const k in window) { if (k.startsWith('map_') && window[k].getCenter) {"
                        " const c = window[k].getCenter(); return [c.lat, c.lng]; } } }")
    assert abs(centre[0] - 55.79) < 0.5 and abs(centre[1] - 49.12) < 0.5
    p.keyboard.press("ArrowLeft")
    assert "Step 2 of 3" in panel.inner_text()
    assert page.errors == [] and page.remote == [] and page.dialogs == []


VISIBLE_LABEL_BOXES = """() => Array.from(document.querySelectorAll('.geomap-label'))
    .filter(e => e.offsetParent !== null).map(e => { const r = e.getBoundingClientRect();
      return [e.textContent, r.left, r.top, r.right, r.bottom]; })"""


def _overlapping(boxes: list) -> list:
    return [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]


def test_labels_never_overlap(browser, tmp_path, kim_page):
    # the example's shape: two actors begin at one place; then a trip of 8 close stops
    boxes = kim_page.page.evaluate(VISIBLE_LABEL_BOXES)
    assert len(boxes) == 3 and _overlapping(boxes) == []
    close = [(f"Stop {i}", 50.0 + 0.02 * (i % 3), 30.0 + 0.03 * i, f"2024-02-0{i + 1}") for i in range(8)]
    page = Page(browser, _trip(tmp_path / "close.html", close))
    p = page.page
    for zoom in (None, "in", "out"):
        if zoom:
            p.locator(f".leaflet-control-zoom-{zoom}").click()
            p.wait_for_timeout(500)
        boxes = p.evaluate(VISIBLE_LABEL_BOXES)
        assert boxes and _overlapping(boxes) == []
    assert page.errors == []


def test_two_actors_at_one_place_get_one_label(browser, tmp_path):
    a = itinerary("A", [("Vostochny", 51.88, 128.33, None, "occurred", "met", "A met B at Vostochny."),
                        ("Sochi", 43.6, 39.73, None, "occurred", "flew", "A flew to Sochi.")])
    b = itinerary("B", [("Vostochny", 51.88, 128.33, None, "occurred", "met", "A met B at Vostochny.")])
    path = tmp_path / "twins.html"
    save_map(build_map(stops=stops_frame([a, b]), legs=legs_frame([a, b]), offline=True), path, offline=True)
    page = Page(browser, path)
    texts = [b[0] for b in page.page.evaluate(VISIBLE_LABEL_BOXES)]
    assert sorted(texts) == ["Sochi", "Vostochny"]
    assert page.errors == []


def test_user_marker_keeps_its_icon_offline(browser, tmp_path):
    m = build_map(offline=True)
    folium.Marker([43.6, 39.73], tooltip="Sochi").add_to(m)
    path = save_map(m, tmp_path / "mine.html", offline=True)
    page = Page(browser, path)
    icon = page.page.locator(".leaflet-marker-icon")
    assert icon.count() == 1
    assert icon.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.errors == [] and page.remote == []


def test_100k_events_open_without_errors(browser, tmp_path):
    import random

    rnd = random.Random(7)
    kinds = ("protest", "assault", "meet", None)
    evs = [Event(f"e{i}", (f"Actor {i % 50}",), "visit", f"Place {i % 5000}", rnd.uniform(-55, 70),
                 rnd.uniform(-179, 179), f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", ("occurred", "planned")[i % 2],
                 f"Actor {i % 50} visited Place {i % 5000} {XSS_SCRIPT}.") for i in range(100_000)]
    frame = events_frame(evs)
    frame["event_type"] = [kinds[i % 4] for i in range(len(frame))]
    path = tmp_path / "100k.html"
    save_map(build_map(events=frame, offline=True), path, offline=True)
    assert path.stat().st_size < 8_000_000
    page = Page(browser, path)  # waits for load, then 0.8 s
    p = page.page
    # how fast it opens is measured in benchmarks/map_bench.py --open, not here: here it must draw at all
    p.wait_for_function(f"() => ({DRAWN})() > 0", timeout=30000)
    assert page.errors == [] and page.remote == [] and page.dialogs == []
    hub = "(() => { for (const k in window) { if (k.startsWith('map_') && window[k] && window[k]._geomapHub) {" \
          " return window[k]; } } })()"
    assert p.evaluate(f"() => {hub}._geomapHub.clusters.length") > 0  # dense: numbered bubbles
    p.evaluate(f"() => {hub}.setView([20, 10], 7)")
    p.wait_for_timeout(500)
    assert p.evaluate(f"() => {hub}._geomapHub.clusters.length") == 0  # close up: every event
    assert p.evaluate(OPEN_FIRST_EVENT)
    assert XSS_SCRIPT in p.locator(".leaflet-popup-content").inner_text()
    assert p.locator(".leaflet-popup-content script").count() == 0


def test_many_events_render_on_canvas(browser, tmp_path):  # and open a popup
    evs = [Event(f"e{i}", ("A",), "visit", f"P{i}", -50 + (i * 7) % 100, -170 + (i * 13) % 340, None,
                 ("occurred", "planned", "cancelled")[i % 3], f"A visited P{i} {XSS_SCRIPT}.") for i in range(2000)]
    path = tmp_path / "many.html"
    save_map(build_map(events=events_frame(evs), offline=True), path, offline=True)
    page = Page(browser, path)
    assert page.errors == [] and page.remote == [] and page.dialogs == []
    assert page.page.locator("canvas").count() >= 1
    page.page.wait_for_timeout(300)
    assert page.page.evaluate(OPEN_FIRST_EVENT)
    popup = page.page.locator(".leaflet-popup-content")
    assert XSS_SCRIPT in popup.inner_text()
    assert popup.locator("mark").inner_text() == "P0"
    assert popup.locator("script").count() == 0 and page.dialogs == [] and page.errors == []

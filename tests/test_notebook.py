"""The walkthrough notebook runs top to bottom, offline, and its inline map renders with no network."""

import os
from pathlib import Path

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def executed(gazetteer):
    path = ROOT / "notebooks" / "walkthrough.ipynb"
    nb = nbformat.read(path, as_version=4)
    os.environ["GEOMAP_OFFLINE"] = "1"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _outputs(nb):
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def test_walkthrough_executes(executed):
    outputs = _outputs(executed)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs if o.get("output_type") == "execute_result")
    assert "Kim Jong Un" in html  # the map (and the frames) show inline


@pytest.mark.browser
def test_inline_map_renders_with_the_network_blocked(executed, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    maps = [o["data"]["text/html"] for o in _outputs(executed)
            if o.get("output_type") == "execute_result" and "leaflet" in o.get("data", {}).get("text/html", "").lower()]
    assert maps, "no inline map in the notebook's outputs"
    page_file = tmp_path / "cell.html"
    page_file.write_text(f"<!DOCTYPE html><html><body>{maps[0]}</body></html>", encoding="utf-8")
    remote: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r):
                if r.request.url.startswith(("file:", "data:", "about:")):
                    r.continue_()
                else:
                    remote.append(r.request.url)
                    r.abort()

            page.context.route("**/*", route)
            page.goto(page_file.as_uri())
            page.wait_for_timeout(1500)
            frame = next(f for f in page.frames if f is not page.main_frame)
            assert frame.evaluate("typeof L") == "object"  # Leaflet ran without any CDN
            assert frame.locator(".leaflet-container").count() >= 1
            assert frame.locator(".leaflet-marker-icon, .leaflet-interactive").count() > 0
        finally:
            browser.close()
    assert remote == [] and errors == []

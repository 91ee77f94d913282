"""geomap.render.offline: atomic saving and self-contained HTML with no remote references."""

from __future__ import annotations

import json
import re

import folium
import pytest
from shapely.geometry import Point, shape

from geomap.errors import OutputError
from geomap.render import build_map, save_map
from geomap.render._common import BASEMAP_PATH
from geomap.render.offline import inline_resources, remote_references
from test_render_interactive import scenario

#: any http(s) or protocol-relative URL that a browser would fetch: src=, href=, url(
REMOTE = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)\s*(?:https?:)?//""", re.IGNORECASE)


def _fetching_refs(html: str) -> list[str]:
    """Remote references, ignoring plain <a href> links (they fetch nothing until clicked)."""
    out = []
    for m in REMOTE.finditer(html):
        before = html[max(0, m.start() - 200): m.start()]
        if re.search(r"<a\s[^<>]*$", before):
            continue
        out.append(html[m.start(): m.end() + 40])
    return out


@pytest.fixture(scope="module")
def offline_html(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("maps") / "kim.html"
    m = build_map(**scenario(), offline=True, title="Kim Jong Un in Russia")
    assert save_map(m, path, offline=True) == path
    return path.read_text(encoding="utf-8")


def test_offline_html_has_no_remote_resources(offline_html):
    assert _fetching_refs(offline_html) == []
    assert remote_references(offline_html) == []
    assert "tile.openstreetmap" not in offline_html
    assert "<script src=" not in offline_html and "<link " not in offline_html


def test_offline_html_inlines_leaflet_and_basemap(offline_html):
    assert "L.Map" in offline_html or "L.map" in offline_html
    assert "window.geomap" in offline_html
    assert "geomapBase" in offline_html and "geomap-offline" in offline_html
    assert "data:image/png;base64," in offline_html  # leaflet's layer-control icon
    assert "jQuery" not in offline_html  # geomap's own popups need no jQuery


def test_online_html_references_cdn_and_tiles(tmp_path):
    out = save_map(build_map(**scenario()), tmp_path / "online.html")
    html = out.read_text(encoding="utf-8")
    assert "leaflet" in html and "https://" in html and "tile.openstreetmap.org" in html


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "m.html"
    save_map(folium.Map(tiles=None), target)
    save_map(folium.Map(tiles=None), target, offline=True)
    assert [p.name for p in target.parent.iterdir()] == ["m.html"]


def test_save_into_unwritable_place_raises_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        save_map(folium.Map(tiles=None), blocker / "m.html")


def test_offline_save_of_a_tiled_map_drops_tiles_but_keeps_the_map(tmp_path):
    m = folium.Map(tiles="OpenStreetMap")
    folium.Marker([43.6, 39.73], popup=folium.Popup("Sochi")).add_to(m)  # folium's popup needs jQuery
    html = save_map(m, tmp_path / "m.html", offline=True).read_text(encoding="utf-8")
    assert _fetching_refs(html) == [] and "tile.openstreetmap" not in html
    assert "jQuery" in html  # inlined from XStatic-jQuery because the page uses it
    assert any(isinstance(ch, folium.TileLayer) for ch in m._children.values())
    assert "tile.openstreetmap" in m.get_root().render()


def test_offline_refuses_resources_it_cannot_inline(tmp_path):
    m = folium.Map(tiles=None)
    folium.Marker([0, 0], icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(OutputError, match="Awesome"):
        save_map(m, tmp_path / "m.html", offline=True)
    with pytest.raises(OutputError, match="no local copy"):
        inline_resources('<script src="https://example.org/x.js"></script>')
    assert not (tmp_path / "m.html").exists()


def test_basemap_is_small_and_draws_crimea_in_ukraine():
    assert BASEMAP_PATH.stat().st_size < 1_100_000
    doc = json.loads(BASEMAP_PATH.read_text(encoding="utf-8"))
    simferopol = Point(34.1, 44.95)
    owners = [f["properties"]["iso_a2"] for f in doc["features"] if shape(f["geometry"]).contains(simferopol)]
    assert owners == ["UA"]
    codes = {f["properties"]["iso_a2"] for f in doc["features"]}
    assert {"RU", "BY", "KP", "UA", "US", "FR", "NO"} <= codes

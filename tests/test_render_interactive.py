"""geomap.render.interactive: the folium map, tested by what it contains (never whole-file)."""

from __future__ import annotations

import json
import re

import folium
import pytest
from pyproj import Geod

from geomap.frames import events_frame, legs_frame, places_frame, stops_frame
from geomap.model import Event, Itinerary, Leg, Place, Stop
from geomap.render import build_map
from geomap.render.interactive import EVENT_LAYER_THRESHOLD

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"


def _km(a: Stop, b: Stop) -> float:
    return Geod(ellps="WGS84").inv(a.lon, a.lat, b.lon, b.lat)[2] / 1000


def itinerary(actor: str, rows: list[tuple]) -> Itinerary:
    stops = tuple(Stop(p, la, lo, d, st, ev, action=act) for p, la, lo, d, st, act, ev in rows)
    legs = tuple(
        Leg(a.place, b.place, _km(a, b), "planned" if b.status == "planned" else "occurred", a.lat, a.lon, b.lat, b.lon)
        for a, b in zip(stops, stops[1:])
    )
    return Itinerary(actor, stops, legs)


def _place(name: str, lat: float, lon: float, cc: str, kind: str) -> Place:
    return Place(name, 0, len(name), lat, lon, cc, kind, None, name, "gazetteer", 0.9)


def scenario() -> dict:
    """Kim Jong Un's trip, the Sochi meeting and the other places, with hostile text in it."""
    kim = itinerary("Kim Jong Un", [
        ("Vostochny Cosmodrome", 51.884, 128.334, "2023-09-13", "occurred", "visited",
         "Kim Jong Un arrived at the Vostochny Cosmodrome on Wednesday."),
        ("Komsomolsk-on-Amur", 50.55, 137.0, "2023-09-15", "occurred", "toured",
         "He then toured an aircraft plant in Komsomolsk-on-Amur."),
        ("Vladivostok", 43.116, 131.886, "2023-09-16", "planned", "will visit",
         f"Kim is expected to travel to Vladivostok {XSS_SCRIPT} to see the fleet."),
    ])
    sentence = f"Putin and Lukashenko met in Sochi {XSS_IMG} on Friday."
    start = 500
    sochi = Event("e1", ("Putin", "Lukashenko"), "meet", "Sochi", 43.6, 39.73, "2023-09-15", "occurred",
                  sentence, place_start=start + sentence.index("Sochi"), place_end=start + sentence.index("Sochi") + 5,
                  sentence_start=start)
    places = [
        _place("Moscow", 55.75, 37.62, "RU", "city"), _place("Minsk", 53.9, 27.57, "BY", "city"),
        _place("Sochi", 43.6, 39.73, "RU", "city"), _place("Vladivostok", 43.116, 131.886, "RU", "city"),
        _place("Russia", 61.5, 105.3, "RU", "country"), _place("Belarus", 53.7, 27.9, "BY", "country"),
        _place("North Korea", 40.3, 127.5, "KP", "country"), _place("Ukraine", 49.0, 32.0, "UA", "country"),
        _place("United States", 39.8, -98.6, "US", "country"),
    ]
    return dict(places=places_frame(places), events=events_frame([sochi]), stops=stops_frame([kim]),
                legs=legs_frame([kim]))


def unescape_js(html: str) -> str:
    """Undo the unicode escapes used for strings inside <script> (what the browser sees)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html).replace('\\"', '"')


def render(m: folium.Map) -> str:
    return m.get_root().render()


def layer_names(m: folium.Map) -> list[str]:
    return [ch.layer_name for ch in m._children.values() if isinstance(ch, folium.FeatureGroup)]


@pytest.fixture(scope="module")
def frames() -> dict:
    return scenario()


@pytest.fixture(scope="module")
def html(frames) -> str:
    return render(build_map(**frames, title="Kim Jong Un in Russia"))


def test_layers_have_readable_names(frames):
    names = layer_names(build_map(**frames))
    assert names == ["Countries mentioned", "Other places mentioned", "Events", "Kim Jong Un"]


def test_one_numbered_marker_per_stop(html):
    assert len(re.findall(r"geomap-stop geomap-", html)) == 3
    text = unescape_js(html)
    for n, place in enumerate(["Vostochny Cosmodrome", "Komsomolsk-on-Amur", "Vladivostok"], 1):
        assert re.search(rf">{n}</span><span class=\"geomap-label\">{place}<", text)


def test_planned_leg_is_dashed_and_arrows_drawn(html):
    assert len(re.findall(r'"dashArray": "9 7"', html)) == 1
    assert len(re.findall(r"class=\\\"geomap-arrow\\\"|class=\"geomap-arrow\"", unescape_js(html))) == 2


def test_article_text_is_escaped(html):
    assert XSS_SCRIPT not in html and XSS_IMG not in html
    text = unescape_js(html)
    assert XSS_SCRIPT not in text and XSS_IMG not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_template_syntax_in_article_text_stays_literal():
    """branca compiles element output as Jinja: article text must never reach that step raw."""
    it = itinerary("{{ 7*7 }} {% if %}", [
        ("Vladivostok {{ 7*7 }}", 43.116, 131.886, "{{ 8*8 }}", "planned", "{% raw %}",
         "He {# will #} go to Vladivostok {{ 7*7 }} ${alert(1)} `x`."),
    ])
    ev = Event("e1", ("{{ 6*6 }}",), "{% for %}", "Sochi", 43.6, 39.73, "{{ 9*9 }}", "occurred", "{{ 5*5 }} in Sochi.")
    html = render(build_map(stops=stops_frame([it]), legs=legs_frame([it]), events=events_frame([ev])))
    text = unescape_js(html)
    for literal in ("49", "64", "36", "81", "25"):
        assert f">{literal}<" not in text and f" {literal} " not in text
    assert "&#123;&#123; 7*7 &#125;&#125;" in text
    assert "${alert(1)}" not in text and "`x`" not in text


def test_place_highlighted_in_evidence(html):
    text = unescape_js(html)
    assert "<mark>Sochi</mark>" in text
    assert "<mark>Vladivostok</mark>" in text


def test_popup_has_actor_action_date_status(html):
    text = unescape_js(html)
    for needle in ("Putin, Lukashenko", ">meet<", "2023-09-15", "geomap-status geomap-occurred", "Kim Jong Un",
                   "will visit", "geomap-planned"):
        assert needle in text


def test_countries_mentioned_polygons(html):
    text = unescape_js(html)
    for code in ("RU", "BY", "KP", "UA", "US"):
        assert f"({code})" in text
    assert "(FR)" not in text


def test_other_places_exclude_stops_and_events(frames):
    m = build_map(**frames)
    group = next(ch for ch in m._children.values() if getattr(ch, "layer_name", "") == "Other places mentioned")
    markers = [ch for ch in group._children.values() if isinstance(ch, folium.CircleMarker)]
    assert len(markers) == 2  # Moscow and Minsk; Sochi and Vladivostok are already drawn


def test_controls_legend_slider_title(html):
    assert "L.control.layers" in html
    assert "geomap.legend(" in html and "geomap.fullscreen(" in html and "geomap.declutter(" in html
    assert re.search(r"geomap\.slider\(map_\w+, \[feature_group_\w+\], \[\"2023-09-15\"\]\)", html)
    assert "geomap.title(" in html and "Kim Jong Un in Russia" in html
    assert "fitBounds" in html


def test_title_is_escaped():
    html = render(build_map(title="<b>x</b>"))
    assert "<b>x</b>" not in unescape_js(html) and "&lt;b&gt;x&lt;/b&gt;" in unescape_js(html)


def test_no_slider_without_dates():
    ev = Event("e1", ("A",), "meet", "Sochi", 43.6, 39.73, None, "occurred", "A met in Sochi.")
    assert "geomap.slider(" not in render(build_map(events=events_frame([ev])))


def test_online_uses_osm_tiles_and_offline_does_not(frames):
    assert "tile.openstreetmap.org" in render(build_map(**frames))
    off = render(build_map(**frames, offline=True))
    assert "tile.openstreetmap.org" not in off and "geomap-offline" in off


def test_adds_to_an_existing_map(frames):
    mine = folium.Map(tiles="OpenTopoMap")
    folium.LayerControl().add_to(mine)
    out = build_map(**frames, m=mine)
    assert out is mine
    assert "Kim Jong Un" in layer_names(mine)
    html = render(mine)
    assert html.count("L.control.layers") == 1
    assert "opentopomap" in html.lower()
    # the user's layer control lists the new layers, so it must come after them
    assert html.index("L.control.layers") > html.rindex("feature_group_")


def test_cancelled_stop_is_marked():
    it = itinerary("A", [("Minsk", 53.9, 27.57, None, "occurred", "visit", "A was in Minsk."),
                         ("Moscow", 55.75, 37.62, None, "cancelled", "visit", "A cancelled Moscow.")])
    html = render(build_map(stops=stops_frame([it]), legs=legs_frame([it])))
    assert html.count("geomap-stop geomap-cancelled") == 1


def test_many_events_go_through_one_geojson_layer():
    n = EVENT_LAYER_THRESHOLD + 100
    evs = [Event(f"e{i}", ("A",), "visit", f"P{i}", -40 + (i % 80), -170 + (i % 340), f"2024-01-{1 + i % 28:02d}",
                 "occurred", f"A visited P{i} {XSS_SCRIPT}.") for i in range(n)]
    m = build_map(events=events_frame(evs))
    group = next(ch for ch in m._children.values() if getattr(ch, "layer_name", "") == "Events")
    assert not any(isinstance(ch, folium.CircleMarker) for ch in group._children.values())
    html = render(m)
    assert html.count("geomap.eventsLayer(") == 1
    call = re.search(r"geomap\.eventsLayer\(feature_group_\w+, (\{.*?\}), \{\"occurred\"", html, flags=re.S)
    data = json.loads(call.group(1))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == n
    assert XSS_SCRIPT not in unescape_js(html)


def test_antimeridian_route_is_continuous():
    it = itinerary("B", [("Vladivostok", 43.116, 131.886, None, "occurred", "left", "B left Vladivostok."),
                         ("Anchorage", 61.2, -149.9, None, "occurred", "landed", "B landed in Anchorage.")])
    m = build_map(stops=stops_frame([it]), legs=legs_frame([it]))
    lines = [ch for g in m._children.values() for ch in getattr(g, "_children", {}).values()
             if isinstance(ch, folium.PolyLine)]
    assert len(lines) == 1
    lons = [p[1] for p in lines[0].locations]
    assert max(abs(a - b) for a, b in zip(lons, lons[1:])) < 10
    assert min(lons) > 100  # drawn across the Pacific, east of Asia


def test_empty_map_renders():
    html = render(build_map())
    assert "L.map(" in html

"""geomap.render.interactive: the folium map, tested by what it contains (never whole-file)."""

from __future__ import annotations

import base64
import gzip
import json
import re

import folium
import pytest
from pyproj import Geod

from geomap.frames import events_frame, legs_frame, places_frame, stops_frame
from geomap.model import Event, Itinerary, Leg, Place, Stop
from geomap.errors import ConfigError
from geomap.render import _common as c
from geomap.render import build_map
from geomap.render.interactive import COMPRESS_ABOVE

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
    assert names == ["Countries mentioned", "Other places mentioned", "Events: meet", "Kim Jong Un"]


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


def controls_config(html: str) -> dict:
    """The one ``geomap.controls(map, {...})`` call of a page, as a dict."""
    assert html.count("geomap.controls(") == 1
    start = re.search(r"geomap\.controls\(map_\w+, ", html).end()
    return _unescaped(json.JSONDecoder().raw_decode(html, start)[0])


def _unescaped(value):
    """JSON strings as the browser sees them (to_js leaves &lt; and friends, \\u003c is already decoded)."""
    if isinstance(value, dict):
        return {k: _unescaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescaped(v) for v in value]
    return value


def test_controls_legend_timeline_title(html):
    assert "L.control.layers" in html
    cfg = controls_config(html)
    assert cfg["title"] == "Kim Jong Un in Russia" and cfg["fullscreen"] and cfg["labels"]
    assert cfg["dates"] == ["2023-09-15"]
    assert [s["t"] for s in cfg["steps"]] == ["1. Vostochny Cosmodrome", "2. Komsomolsk-on-Amur", "3. Vladivostok"]
    assert [len(s["l"]) for s in cfg["steps"]] == [0, 2, 2]  # the leg into each stop and its arrow
    assert "<mark>Vladivostok</mark>" in cfg["steps"][2]["h"]
    assert "Kim Jong Un" in cfg["legend"] and "meet" in cfg["legend"]
    assert cfg["fit"] is not None


def test_title_is_escaped():
    html = render(build_map(title="<b>x</b>"))
    assert "<b>x</b>" not in unescape_js(html) and "&lt;b&gt;x&lt;/b&gt;" in unescape_js(html)


def test_no_timeline_without_dates_or_stops():
    ev = Event("e1", ("A",), "meet", "Sochi", 43.6, 39.73, None, "occurred", "A met in Sochi.")
    cfg = controls_config(render(build_map(events=events_frame([ev]))))
    assert cfg["dates"] == [] and cfg["steps"] == []


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


def _event_data(html: str) -> dict:
    start = re.search(r"geomap\.events\(map_\w+, \{[^}]*\}, ", html).end()
    data = json.JSONDecoder().raw_decode(html, start)[0]
    if "z" in data:
        data = json.loads(gzip.decompress(base64.b64decode(data["z"])))
    return data


def test_events_ship_as_compact_columns_one_layer_per_type():
    evs = [Event(f"e{i}", ("A", "B"), ("visit", "protest", "assault")[i % 3], f"P{i % 7}", -40 + (i % 80),
                 -170 + (i % 340), f"2024-01-{1 + i % 28:02d}", "occurred", f"A visited P{i % 7} {XSS_SCRIPT}.")
           for i in range(300)]
    m = build_map(events=events_frame(evs))
    assert [n for n in layer_names(m) if n.startswith("Events")] == [
        "Events: visit", "Events: protest", "Events: assault"]
    html = render(m)
    assert html.count("geomap.events(") == 1 and XSS_SCRIPT not in unescape_js(html)
    data = _event_data(html)
    assert data["n"] == 300 and data["K"] == ["visit", "protest", "assault"]
    assert len(data["S"]) < 30  # repeated places, actors and sentences are stored once
    assert data["S"][data["f"]["a"][0]] == "A, B"
    assert data["x"][1] == -169 * 100000 and data["D"][data["d"][1]] == "2024-01-02"
    assert "&lt;script&gt;" in data["S"][data["f"]["q"][0]]


def test_event_type_falls_back_to_action_and_styles_the_legend():
    evs = [Event("e1", ("A",), "met", "Sochi", 43.6, 39.73, None, "occurred", "A met B in Sochi."),
           Event("e2", ("A",), "staged", "Minsk", 53.9, 27.57, None, "planned", "A staged it in Minsk.")]
    frame = events_frame(evs)
    frame.loc[1, "event_type"] = "protest"
    html = render(build_map(events=frame))
    assert _event_data(html)["K"] == ["meet", "protest"]
    legend = controls_config(html)["legend"]
    assert ">meet</div>" in legend and ">protest</div>" in legend and "planned (hollow)" in legend


def test_many_events_are_compressed():
    n = COMPRESS_ABOVE + 100
    evs = [Event(f"e{i}", ("A",), "visit", f"P{i}", -40 + (i % 80), -170 + (i % 340), f"2024-01-{1 + i % 28:02d}",
                 "occurred", f"A visited P{i} {XSS_SCRIPT}.") for i in range(n)]
    html = render(build_map(events=events_frame(evs)))
    assert re.search(r'geomap\.events\(map_\w+, \{[^}]*\}, \{"z":"[A-Za-z0-9+/=]+"\}', html)
    data = _event_data(html)
    assert data["n"] == n and XSS_SCRIPT not in html
    assert all(XSS_SCRIPT not in t for t in data["S"])


def test_composing_calls_keeps_one_control_set_and_actor_colours():
    a = itinerary("A", [("Minsk", 53.9, 27.57, "2024-01-01", "occurred", "visit", "A was in Minsk."),
                        ("Moscow", 55.75, 37.62, "2024-01-03", "occurred", "visit", "A was in Moscow.")])
    b = itinerary("B", [("Sochi", 43.6, 39.73, "2024-01-02", "occurred", "visit", "B was in Sochi.")])
    m = build_map(stops=stops_frame([a]), legs=legs_frame([a]), title="One")
    build_map(stops=stops_frame([b]), m=m)
    build_map(stops=stops_frame([a]), m=m)
    html = render(m)
    cfg = controls_config(html)
    assert html.count("L.control.layers") == 1 and html.count("geomap.controls(") == 1
    assert cfg["legend"].count(">A</div>") == 1 and cfg["legend"].count(">B</div>") == 1
    colours = re.findall(r'border-top-color:(#[0-9a-f]{6})"></span>([AB])<', cfg["legend"])
    assert dict((n, col) for col, n in colours) == {"A": c.actor_color(0), "B": c.actor_color(1)}
    # steps of all calls in time order (the second call's Sochi between A's Minsk and Moscow)
    assert [s["t"] for s in cfg["steps"]] == ["1. Minsk", "1. Minsk", "1. Sochi", "2. Moscow", "2. Moscow"]
    assert html.index("L.control.layers") > html.rindex("feature_group_")


def test_tiles_pass_through_and_offline_refuses_them():
    html = render(build_map(tiles="OpenTopoMap"))
    assert "opentopomap" in html.lower() and "tile.openstreetmap.org" not in html
    mine = folium.Map(tiles=None)
    build_map(m=mine, tiles="https://tiles.example.org/{z}/{x}/{y}.png", attr="Example tiles")
    assert "tiles.example.org" in render(mine) and "Example tiles" in render(mine)
    with pytest.raises(ConfigError):
        build_map(tiles="OpenTopoMap", offline=True)


def test_offline_basemap_is_credited():
    html = unescape_js(render(build_map(offline=True)))
    assert "geomap.credit(" in html and "Natural Earth" in html


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

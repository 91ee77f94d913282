"""Frames -> an interactive ``folium.Map``: numbered stops, routes with arrows, events, countries.

Rendering never computes: the frames arrive finished (see :mod:`geomap.frames`) and this module
only turns rows into map elements. Every piece of article text is escaped in Python
(:func:`geomap.render._common.esc`) before it reaches the page, and is handed to Leaflet as a
JSON string, never through folium's ``Popup``/``Tooltip`` templates.

>>> from geomap.model import Itinerary, Stop
>>> from geomap.frames import stops_frame
>>> it = Itinerary("Kim Jong Un", (Stop("Vladivostok", 43.116, 131.886, None, "planned", "He will go."),))
>>> m = build_map(stops=stops_frame([it]))
>>> "Kim Jong Un" in m.get_root().render()
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from shapely import affinity

from . import _common as c

__all__ = ["build_map", "EVENT_LAYER_THRESHOLD"]

#: above this many events, events are drawn as one GeoJSON layer instead of one marker each
EVENT_LAYER_THRESHOLD = 500

_ASSETS = Path(__file__).resolve().parent / "assets"
_LEG_DASH = {"planned": "9 7", "cancelled": "2 7"}


class _Raw(Element):
    """Text placed in the page as is (branca would otherwise compile it as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _Assets(MacroElement):
    """geomap's own stylesheet and script, inlined once into the page header."""

    def render(self, **kwargs: Any) -> None:
        css = (_ASSETS / "geomap.css").read_text(encoding="utf-8")
        js = (_ASSETS / "geomap.js").read_text(encoding="utf-8")
        self.get_root().header.add_child(_Raw(f"<style>{css}</style>\n<script>{js}</script>"), name="geomap_assets")


class _Script(MacroElement):
    """JavaScript run after its parent element exists, written to the page without templating."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "GeomapScript"
        self.code = code

    def render(self, **kwargs: Any) -> None:
        self.get_root().script.add_child(_Raw(self.code), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def _bind(element: Any, kind: str, html: str, **options: Any) -> None:
    """Attach an already-escaped popup (``kind="Popup"``) or tooltip to a folium layer."""
    element.add_child(_Script(f"{element.get_name()}.bind{kind}({c.to_js(html)}, {c.to_js(options)});"))


def _records(frame: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    df = pd.DataFrame(frame.drop(columns=frame.geometry.name)) if isinstance(frame, gpd.GeoDataFrame) else frame
    rows = df.to_dict("records")
    geoms = list(frame.geometry) if isinstance(frame, gpd.GeoDataFrame) else [None] * len(rows)
    for row, geom in zip(rows, geoms):
        row["_geom"] = geom
    return rows


def _xy(row: dict[str, Any], shift: bool) -> tuple[float, float] | None:
    """(lon, lat) of a row from its geometry, else from its lat/lon columns."""
    g = row.get("_geom")
    if g is not None and not g.is_empty and g.geom_type == "Point":
        x, y = float(g.x), float(g.y)
    elif not c.is_empty(row.get("lat")) and not c.is_empty(row.get("lon")):
        x, y = float(row["lon"]), float(row["lat"])
    else:
        return None
    return (x + 360 if shift and x < 0 else x), y


def _status(value: Any) -> str:
    s = "" if c.is_empty(value) else str(value)
    return s if s in c.STATUS_COLORS else "occurred"


def _key(xy: tuple[float, float]) -> tuple[float, float]:
    return round(xy[0], 3), round(xy[1], 3)


def _countries_data(codes: set[str] | None, shift: bool) -> dict[str, Any]:
    world = c.countries()
    if codes is not None:
        world = world[world["iso_a2"].isin(codes)]
    if shift:  # a copy of the western hemisphere east of the antimeridian
        west = world[world.geometry.bounds["minx"] < 0].copy()
        west["geometry"] = [affinity.translate(g, 360) for g in west.geometry]
        world = pd.concat([world, west], ignore_index=True)
    feats = []
    for code, name, geom in zip(world["iso_a2"], world["name"], world.geometry):
        t = f"<b>{c.esc(name)}</b>" + (f" ({c.esc(code)})" if isinstance(code, str) else "")
        feats.append({"type": "Feature", "properties": {"t": t}, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": feats}


def _legend_html(actors: list[tuple[str, str]], has_events: bool, has_places: bool) -> str:
    rows = ["<h5>Status</h5>"]
    for status, color in c.STATUS_COLORS.items():
        mark = " &#x2715;" if status == "cancelled" else ""
        rows.append(f'<div class="row"><span class="dot" style="background:{color}"></span>{status}{mark}</div>')
    if actors:
        rows.append("<h5>Routes</h5>")
        rows.append('<div class="row"><span class="line"></span>travelled</div>')
        rows.append('<div class="row"><span class="line dashed"></span>planned</div>')
        for name, color in actors:
            rows.append(
                f'<div class="row"><span class="line" style="border-top-color:{color}"></span>{c.esc(name)}</div>'
            )
    if has_events or has_places:
        rows.append("<h5>Markers</h5>")
    if has_events:
        rows.append('<div class="row"><span class="dot" style="background:#c62828;width:10px;height:10px">'
                    "</span>event (colour = status)</div>")
    if has_places:
        rows.append('<div class="row"><span class="dot" style="background:#555;width:8px;height:8px">'
                    "</span>other place mentioned</div>")
    return "".join(rows)


def _stop_icon(row: dict[str, Any], actor_color: str) -> folium.DivIcon:
    status = _status(row.get("status"))
    fill = c.STATUS_COLORS[status]
    date = c.esc(row.get("date"))
    html = (
        f'<div class="geomap-stop geomap-{status}" data-actor="{c.esc(row.get("actor"))}" data-date="{date}">'
        f'<span class="geomap-num" style="background:{fill};box-shadow:0 0 0 2px {actor_color},0 1px 4px rgba(0,0,0,.5)">'
        f'{c.esc(row.get("seq"))}</span>'
        f'<span class="geomap-label">{c.esc(row.get("place"))}</span></div>'
    )
    return folium.DivIcon(html=html, icon_size=(24, 24), icon_anchor=(12, 12), class_name="geomap-stop-icon")


def _arrow_icon(angle: float, color: str) -> folium.DivIcon:
    html = f'<div class="geomap-arrow" style="transform:rotate({angle:.1f}deg);border-bottom-color:{color}"></div>'
    return folium.DivIcon(html=html, icon_size=(20, 20), icon_anchor=(10, 10), class_name="geomap-arrow-icon")


def _add_actor_layers(
    m: folium.Map, stops: list[dict], legs: gpd.GeoDataFrame | None, shift: bool, bounds: list
) -> list[tuple[str, str]]:
    leg_rows = _records(legs)
    actors: list[str] = []
    for row in [*stops, *leg_rows]:
        a = "" if c.is_empty(row.get("actor")) else str(row["actor"])
        if a not in actors:
            actors.append(a)
    colors = []
    for i, actor in enumerate(actors):
        color = c.actor_color(i)
        colors.append((actor or "(unknown actor)", color))
        # Leaflet's layer control shows names as HTML: escape them
        group = folium.FeatureGroup(name=c.esc(actor or "(unknown actor)"), show=True)
        for leg in (r for r in leg_rows if str(r.get("actor") or "") == actor):
            parts = c.line_parts(leg.get("_geom"), shift)
            if not parts:
                continue
            status = _status(leg.get("status"))
            latlngs = [[[y, x] for x, y in p] for p in parts]
            line = folium.PolyLine(
                latlngs if len(latlngs) > 1 else latlngs[0],
                color=color if status != "cancelled" else c.STATUS_COLORS["cancelled"],
                weight=3.5, opacity=0.9, dash_array=_LEG_DASH.get(status),
            )
            km = leg.get("km")
            km_txt = f" · {float(km):,.0f} km" if not c.is_empty(km) else ""
            tip = (f"<b>{c.esc(actor)}</b>: {c.esc(leg.get('from'))} &#8594; {c.esc(leg.get('to'))}"
                   f"{km_txt} · {c.esc(status)}")
            _bind(line, "Tooltip", tip, sticky=True)
            group.add_child(line)
            for p in parts:
                bounds.extend((y, x) for x, y in p)
            mid = c.leg_midpoint(parts)
            if mid is not None:
                (mx, my), angle = mid
                group.add_child(folium.Marker([my, mx], icon=_arrow_icon(angle, color), interactive=False))
        for row in sorted((r for r in stops if str(r.get("actor") or "") == actor), key=lambda r: r.get("seq") or 0):
            xy = _xy(row, shift)
            if xy is None:
                continue
            bounds.append((xy[1], xy[0]))
            marker = folium.Marker([xy[1], xy[0]], icon=_stop_icon(row, color), z_index_offset=1000)
            _bind(marker, "Popup", c.stop_popup(row), maxWidth=340)
            _bind(marker, "Tooltip", c.stop_tooltip(row), direction="top", offset=[0, -12])
            group.add_child(marker)
        m.add_child(group)
    return colors


def _add_events(m: folium.Map, events: list[dict], shift: bool, bounds: list) -> folium.FeatureGroup | None:
    rows = [(r, _xy(r, shift)) for r in events]
    rows = [(r, xy) for r, xy in rows if xy is not None]
    if not rows:
        return None
    group = folium.FeatureGroup(name="Events", show=True)
    bounds.extend((xy[1], xy[0]) for _, xy in rows)
    if len(rows) > EVENT_LAYER_THRESHOLD:
        feats = []
        for r, (x, y) in rows:
            props = {k: v for k, v in c.event_fields(r).items() if v}
            props["s"] = _status(r.get("status"))
            feats.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]},
                "properties": props,
            })
        data = {"type": "FeatureCollection", "features": feats}
        group.add_child(_Script(
            f"geomap.eventsLayer({group.get_name()}, {c.to_js(data)}, {c.to_js(c.STATUS_COLORS)});"
        ))
    else:
        for r, (x, y) in rows:
            status = _status(r.get("status"))
            marker = folium.CircleMarker(
                [y, x], radius=7, color="#ffffff", weight=1.5, fill=True,
                fill_color=c.STATUS_COLORS[status], fill_opacity=0.9,
            )
            if not c.is_empty(r.get("date")):  # read by the date slider
                marker.add_child(_Script(f"{marker.get_name()}.options.geomapDate = {c.to_js(str(r['date']))};"))
            _bind(marker, "Popup", c.event_popup(r), maxWidth=340)
            _bind(marker, "Tooltip", c.event_tooltip(r), direction="top")
            group.add_child(marker)
    m.add_child(group)
    return group


def _add_places(m: folium.Map, places: list[dict], taken: set, shift: bool, bounds: list) -> bool:
    seen: dict[tuple, dict] = {}
    for r in places:
        if str(r.get("kind") or "") in ("country", "demonym"):
            continue
        xy = _xy(r, shift)
        if xy is None or _key(xy) in taken:
            continue
        seen.setdefault((_key(xy), str(r.get("resolved_name") or r.get("name"))), {**r, "_xy": xy})
    if not seen:
        return False
    group = folium.FeatureGroup(name="Other places mentioned", show=True)
    for r in seen.values():
        x, y = r["_xy"]
        bounds.append((y, x))
        marker = folium.CircleMarker(
            [y, x], radius=5, color="#ffffff", weight=1.5, fill=True, fill_color="#555555", fill_opacity=0.9,
        )
        _bind(marker, "Popup", c.place_popup(r), maxWidth=300)
        _bind(marker, "Tooltip", f"<b>{c.esc(r.get('name'))}</b>", direction="top")
        group.add_child(marker)
    m.add_child(group)
    return True


def _add_countries(m: folium.Map, places: list[dict], shift: bool) -> None:
    codes = {
        str(r["country_code"]).upper() for r in places
        if str(r.get("kind") or "") == "country" and not c.is_empty(r.get("country_code"))
    }
    if not codes:
        return
    data = _countries_data(codes, shift)
    if not data["features"]:
        return
    group = folium.FeatureGroup(name="Countries mentioned", show=True)
    style = {"color": "#b8860b", "weight": 1.5, "fillColor": c.COUNTRY_FILL, "fillOpacity": 0.35}
    group.add_child(_Script(
        f"geomap.polygons({m.get_name()}, {group.get_name()}, {c.to_js(data)}, {c.to_js(style)}, true,"
        " 'geomapCountries', 360);"
    ))
    m.add_child(group)


def _add_basemap(m: folium.Map, shift: bool) -> None:
    style = {"color": c.LAND_EDGE, "weight": 0.8, "fillColor": c.LAND_FILL, "fillOpacity": 1}
    m.add_child(_Script(
        f"{m.get_name()}.getContainer().classList.add('geomap-offline');"
        f"geomap.polygons({m.get_name()}, {m.get_name()}, {c.to_js(_countries_data(None, shift))},"
        f" {c.to_js(style)}, false, 'geomapBase', 150);"
    ))
    m._geomap_basemap = True  # noqa: SLF001 - read by save_map(offline=True)


def _layer_control_last(m: folium.Map) -> bool:
    """Move an existing layer control after the new layers (it lists them when rendered)."""
    found = False
    for key, child in list(m._children.items()):  # noqa: SLF001 - branca keeps children here
        if isinstance(child, folium.LayerControl):
            m._children.move_to_end(key)  # noqa: SLF001
            found = True
    return found


def _all_lons(frames: list[gpd.GeoDataFrame | None]) -> list[float]:
    lons: list[float] = []
    for f in frames:
        if f is None or len(f) == 0:
            continue
        b = f.geometry.dropna()
        b = b[~b.is_empty]
        if len(b):
            import shapely

            coords = shapely.get_coordinates(b.values)
            lons.extend(float(x) for x in coords[:, 0][:: max(1, len(coords) // 2000)])
    return lons


def build_map(
    places: gpd.GeoDataFrame | None = None,
    events: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    legs: gpd.GeoDataFrame | None = None,
    *,
    m: folium.Map | None = None,
    offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """Draw the frames on a ``folium.Map`` and return it.

    Parameters
    ----------
    places, events, stops, legs
        Frames with the columns of :mod:`geomap.frames`; any may be ``None`` or empty.
    m
        An existing map to add the layers to (it is returned); by default a new map.
    offline
        Draw the shipped country polygons instead of OpenStreetMap tiles, so the page needs
        no network (save it with ``save_map(m, path, offline=True)``).
    title
        Shown at the top of the map (escaped).

    Returns
    -------
    folium.Map
        Layers: one per actor (numbered stops, route, arrows), "Events", "Other places
        mentioned", "Countries mentioned"; a legend, a layer control, a full-screen button and,
        when events have dates, a date slider.

    Examples
    --------
    >>> from geomap.model import Event
    >>> from geomap.frames import events_frame
    >>> ev = Event("e1", ("Putin", "Lukashenko"), "meet", "Sochi", 43.6, 39.73, "2024-01-29",
    ...            "occurred", "Putin met Lukashenko in Sochi.")
    >>> m = build_map(events=events_frame([ev]), offline=True, title="Sochi")
    >>> html = m.get_root().render()
    >>> "Putin, Lukashenko" in html and "tile.openstreetmap" not in html
    True
    """
    shift = c.wants_shift(_all_lons([events, stops, legs]))
    created = m is None
    if m is None:
        m = folium.Map(
            location=[30, 20], zoom_start=2, tiles=None if offline else "OpenStreetMap",
            control_scale=True, world_copy_jump=False,
        )
    m.add_child(_Assets())
    if offline and not getattr(m, "_geomap_basemap", False):
        _add_basemap(m, shift)

    place_rows, event_rows, stop_rows = _records(places), _records(events), _records(stops)
    bounds: list[tuple[float, float]] = []
    _add_countries(m, place_rows, shift)
    taken = {_key(xy) for r in [*event_rows, *stop_rows] if (xy := _xy(r, shift)) is not None}
    has_places = _add_places(m, place_rows, taken, shift, bounds)
    events_group = _add_events(m, event_rows, shift, bounds)
    actor_colors = _add_actor_layers(m, stop_rows, legs, shift, bounds)

    name = m.get_name()
    if title:
        m.add_child(_Script(f"geomap.title({name}, {c.to_js(c.esc(title))});"))
    if actor_colors or events_group is not None or has_places:
        legend = _legend_html(actor_colors, events_group is not None, has_places)
        m.add_child(_Script(f"geomap.legend({name}, {c.to_js(legend)});"))
    if created:
        m.add_child(_Script(f"geomap.fullscreen({name});"))
    dates = sorted({str(r["date"]) for r in event_rows if not c.is_empty(r.get("date"))})
    if events_group is not None and dates:
        m.add_child(_Script(f"geomap.slider({name}, [{events_group.get_name()}], {c.to_js(dates)});"))
    if stop_rows:
        m.add_child(_Script(f"geomap.declutter({name});"))
    if not _layer_control_last(m):
        m.add_child(folium.LayerControl(collapsed=False))
    if created and bounds:
        lats = [b[0] for b in bounds]
        lons = [b[1] for b in bounds]
        south, north, west, east = min(lats), max(lats), min(lons), max(lons)
        pad = 1.0 if (north - south) < 2 and (east - west) < 2 else 0.0
        # stop labels stand to the right of their markers: leave room for them on that side
        m.fit_bounds([[south - pad, west - pad], [north + pad, east + pad]], padding_top_left=(40, 60),
                     padding_bottom_right=(200, 40), max_zoom=9)
    return m

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

import base64
import gzip
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.raster_layers import TileLayer
from shapely import affinity

from ..errors import ConfigError
from . import _common as c

__all__ = ["build_map", "COMPRESS_ABOVE", "BASEMAP_CREDIT"]

#: above this many events, the event data is shipped gzip-compressed (the browser inflates it)
COMPRESS_ABOVE = 2000
#: above this many places, "other places" are not drawn one marker each
PLACE_MARKER_LIMIT = 2000
#: credit for the offline basemap, shown in the map's attribution
BASEMAP_CREDIT = 'Basemap: <a href="https://www.naturalearthdata.com/">Natural Earth</a>'

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


_SHAPES = {
    "circle": '<circle cx="7" cy="7" r="5"/>',
    "square": '<rect x="2.5" y="2.5" width="9" height="9"/>',
    "triangle": '<path d="M7 1.5L12.5 12H1.5Z"/>',
    "down": '<path d="M7 12.5L12.5 2H1.5Z"/>',
    "diamond": '<path d="M7 1L13 7L7 13L1 7Z"/>',
}


def _swatch(shape: str, color: str, fill: str | None = None, dash: str | None = None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<svg class="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">'
            f'<g fill="{fill or color}" stroke="{color if fill else "#fff"}" stroke-width="1.5"{d}>'
            f"{_SHAPES[shape]}</g></svg>")


class _Controls(MacroElement):
    """The one set of geomap controls of a map, whatever the number of ``build_map(m=...)`` calls.

    Every call adds what it drew (actors and their colours, event types, stops for the
    timeline, dates, bounds); the controls are written once, when the page is rendered: title,
    legend, full screen, attribution, timeline with playback and story mode, label placement and
    the first view.
    """

    def __init__(self, fullscreen: bool, fit: bool) -> None:
        super().__init__()
        self._name = "GeomapControls"
        self.fullscreen = fullscreen
        self.fit = fit
        self.title: str | None = None
        self.actors: dict[str, str] = {}
        self.kinds: dict[str, None] = {}
        self.dates: set[str] = set()
        self.steps: list[dict[str, Any]] = []
        self.bounds: list[tuple[float, float]] = []
        self.has_places = False
        self.has_legs = False
        self.has_events = False

    def actor_color(self, actor: str) -> str:
        """The actor's colour: the same in every call, the next unused one for a new actor."""
        if actor not in self.actors:
            self.actors[actor] = c.actor_color(len(self.actors))
        return self.actors[actor]

    def legend_html(self) -> str:
        rows: list[str] = []
        if self.steps:
            rows.append("<h5>Stops</h5>")
            for status, color in c.STATUS_COLORS.items():
                mark = " &#x2715;" if status == "cancelled" else ""
                rows.append(f'<div class="row"><span class="dot" style="background:{color}"></span>{status}{mark}</div>')
        if self.actors:
            rows.append("<h5>Routes</h5>")
            if self.has_legs:
                rows.append('<div class="row"><span class="line"></span>travelled</div>')
                rows.append('<div class="row"><span class="line dashed"></span>planned</div>')
            for name, color in self.actors.items():
                rows.append(
                    f'<div class="row"><span class="line" style="border-top-color:{color}"></span>{c.esc(name)}</div>'
                )
        if self.kinds:
            rows.append("<h5>Events</h5>")
            for kind in self.kinds:
                shape, color = c.EVENT_STYLES[kind]
                rows.append(f'<div class="row">{_swatch(shape, color)}{c.esc(kind)}</div>')
            rows.append(f'<div class="row">{_swatch("circle", "#555", "#fff", "2 1.5")}planned (hollow)</div>')
            rows.append(f'<div class="row">{_swatch("circle", "#8a8a8a", "#d9d9d9", "1.5 1.5")}cancelled (faded)</div>')
        if self.has_places:
            rows.append('<h5>Places</h5><div class="row"><span class="dot" style="background:#555;width:8px;height:8px">'
                        "</span>other place mentioned</div>")
        return "".join(rows)

    def config(self) -> dict[str, Any]:
        steps = sorted(self.steps, key=lambda s: (s["cut"] or "", s["_order"]))
        cfg: dict[str, Any] = {
            "title": c.esc(self.title) if self.title else None,
            "legend": self.legend_html() or None,
            "fullscreen": self.fullscreen,
            "steps": [{k: v for k, v in s.items() if not k.startswith("_")} for s in steps],
            "dates": sorted(self.dates),
            "labels": bool(self.steps),
            "fit": None,
        }
        if self.fit and self.bounds:
            lats = [b[0] for b in self.bounds]
            lons = [b[1] for b in self.bounds]
            south, north, west, east = min(lats), max(lats), min(lons), max(lons)
            pad = 0.1 if (north - south) < 0.2 and (east - west) < 0.2 else 0.0  # one place: not the street
            cfg["fit"] = [[south - pad, west - pad], [north + pad, east + pad]]
        return cfg

    def render(self, **kwargs: Any) -> None:
        code = f"geomap.controls({self._parent.get_name()}, {c.to_js(self.config())});"
        self.get_root().script.add_child(_Raw(code), name=self.get_name())


def _controls(m: folium.Map, created: bool) -> _Controls:
    ctl = getattr(m, "_geomap_controls", None)
    if ctl is None:
        ctl = _Controls(fullscreen=created, fit=created)
        m._geomap_controls = ctl  # noqa: SLF001 - one set of controls per map
        m.add_child(ctl)
    return ctl


def _stop_icon(row: dict[str, Any], actor_color: str) -> folium.DivIcon:
    status = _status(row.get("status"))
    fill = c.STATUS_COLORS[status]
    date = c.esc(c.date_text(row.get("date"), row.get("date_precision")))
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
    m: folium.Map, ctl: _Controls, stops: list[dict], legs: gpd.GeoDataFrame | None, shift: bool, bounds: list
) -> None:
    leg_rows = _records(legs)
    actors: list[str] = []
    for row in [*stops, *leg_rows]:
        a = "" if c.is_empty(row.get("actor")) else str(row["actor"])
        if a not in actors:
            actors.append(a)
    for actor in actors:
        label = actor or "(unknown actor)"
        color = ctl.actor_color(label)
        # Leaflet's layer control shows names as HTML: escape them
        group = folium.FeatureGroup(name=c.esc(label), show=True)
        leg_layers: dict[int, list[str]] = {}
        for leg in (r for r in leg_rows if str(r.get("actor") or "") == actor):
            parts = c.line_parts(leg.get("_geom"), shift)
            if not parts:
                continue
            ctl.has_legs = True
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
            names = [line.get_name()]
            for p in parts:
                bounds.extend((y, x) for x, y in p)
            mid = c.leg_midpoint(parts)
            if mid is not None:
                (mx, my), angle = mid
                arrow = folium.Marker([my, mx], icon=_arrow_icon(angle, color), interactive=False)
                group.add_child(arrow)
                names.append(arrow.get_name())
            try:  # leg n leads to stop n + 1 and is drawn with it during playback
                leg_layers.setdefault(int(leg.get("seq")) + 1, []).extend(names)
            except (TypeError, ValueError):
                pass
        rows = sorted((r for r in stops if str(r.get("actor") or "") == actor), key=lambda r: r.get("seq") or 0)
        last_date = None
        for row in rows:
            xy = _xy(row, shift)
            if xy is None:
                continue
            bounds.append((xy[1], xy[0]))
            marker = folium.Marker([xy[1], xy[0]], icon=_stop_icon(row, color), z_index_offset=1000)
            _bind(marker, "Popup", c.stop_popup(row), maxWidth=340)
            _bind(marker, "Tooltip", c.stop_tooltip(row), direction="top", offset=[0, -12])
            group.add_child(marker)
            date = c.esc(c.date_text(row.get("date"), row.get("date_precision"))) or None
            last_date = date or last_date
            try:
                seq = int(row.get("seq"))
            except (TypeError, ValueError):
                seq = 0
            ctl.steps.append({
                "g": group.get_name(), "m": marker.get_name(), "l": leg_layers.get(seq, []),
                "d": date, "cut": last_date, "ll": [round(xy[1], 5), round(xy[0], 5)],
                "h": c.stop_popup(row), "t": f"{c.esc(row.get('seq'))}. {c.esc(row.get('place'))}",
                "_order": (len(ctl.steps), seq),
            })
        m.add_child(group)


def _text(value: Any) -> str:
    """A cell as display text: lists (actors, targets) joined, numbers without a trailing .0."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return "" if math.isnan(value) else (str(int(value)) if value.is_integer() else str(value))
    return "" if c.is_empty(value) else str(value)


class _Strings:
    """One table of escaped strings shared by every field (repeated values are stored once)."""

    def __init__(self) -> None:
        self.table: list[str] = [""]
        self._index: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        i = self._index.get(text)
        if i is None:
            i = self._index[text] = len(self.table)
            self.table.append(text)
        return i

    def codes(self, codes: np.ndarray, uniques: list[Any]) -> list[int]:
        """Table indexes of a factorised column (code -1, a missing value, is the empty string)."""
        table = np.array([self.add(c.esc(_text(u[0] if len(u) == 1 else u))) for u in uniques] + [0])
        return table[codes].tolist()


def _factor(*cols: pd.Series) -> tuple[np.ndarray, list[tuple]]:
    """Codes of the rows' value tuples over ``cols`` and the distinct tuples (-1 where all are missing).

    Lists (actors, targets) are joined into text first, so they can be compared.
    """
    parts = []
    for col in cols:
        try:
            codes, uniques = pd.factorize(col, use_na_sentinel=True)
        except TypeError:  # unhashable cells: lists or arrays
            codes, uniques = pd.factorize(pd.Series([_text(v) for v in col], dtype=object), use_na_sentinel=True)
        parts.append((codes, uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)))
    if len(parts) == 1:
        codes, uniques = parts[0]
        return codes, [(u,) for u in uniques]
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    for codes, uniques in parts:  # kept dense after each column, so it never overflows
        key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))
    first = np.empty(int(key.max()) + 1 if len(key) else 0, dtype=np.int64)
    first[key[::-1]] = np.arange(len(key))[::-1]  # the first row of each distinct tuple
    uniques = [tuple(None if p[0][i] < 0 else p[1][p[0][i]] for p in parts) for i in first]
    return key, uniques


def _quote(sentence: Any, place: Any, a: int, b: int) -> str:
    """The escaped sentence with the place marked, from offsets inside it when they fit."""
    if c.is_empty(sentence):
        return ""
    text = str(sentence)
    if 0 <= a < b <= len(text):
        return f"{c.esc(text[:a])}<mark>{c.esc(text[a:b])}</mark>{c.esc(text[b:])}"
    return c.highlight(text, place)


def _event_payload(events: gpd.GeoDataFrame, shift: bool) -> tuple[dict[str, Any], list[str], np.ndarray] | None:
    """The events as compact columns: coordinates as integers, every text field as codes into one table.

    Returns the payload, the event kinds present (in order of first appearance) and the
    (lon, lat) array of the drawn events.
    """
    if events is None or len(events) == 0:
        return None
    df = events
    geom = df.geometry.values if isinstance(df, gpd.GeoDataFrame) else None
    n = len(df)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if geom is not None:
        is_point = np.asarray(shapely.get_type_id(geom) == 0) & ~np.asarray(shapely.is_missing(geom))
        x[is_point] = shapely.get_x(geom[is_point])
        y[is_point] = shapely.get_y(geom[is_point])
    miss = np.isnan(x) | np.isnan(y)
    if miss.any() and "lat" in df.columns and "lon" in df.columns:
        x[miss] = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=float)[miss]
        y[miss] = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=float)[miss]
    keep = ~(np.isnan(x) | np.isnan(y))
    if not keep.any():
        return None
    df = pd.DataFrame(df.drop(columns=df.geometry.name) if geom is not None else df)[keep]
    x, y = x[keep], y[keep]
    if shift:
        x = np.where(x < 0, x + 360, x)

    def col(name: str) -> pd.Series:
        return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)

    # every field is factorised (in C), and converted and escaped once per distinct value
    kc, kinds_u = _factor(col("event_type"), col("action"))
    kind_u = [c.event_kind(t, a) for t, a in kinds_u]
    kinds = list(dict.fromkeys(kind_u[i] for i in pd.unique(kc)))
    kind_code = np.array([kinds.index(k) for k in kind_u] + [0])
    sc, status_u = _factor(col("status"))
    status_code = {st: i for i, st in enumerate(c.STATUS_COLORS)}
    statuses = np.array([status_code.get(_text(v[0]), 0) for v in status_u] + [0])[sc]
    dc, dates_u = _factor(col("date"), col("date_precision"))
    shown = [c.esc(c.date_text(d, p)) for d, p in dates_u]
    date_table = sorted({d for d in shown if d})
    date_index = np.array([date_table.index(d) if d else -1 for d in shown] + [-1])
    dates = date_index[dc]

    strings = _Strings()
    fields = {key: strings.codes(*_factor(col(name)))
              for key, name in (("pl", "place"), ("a", "actors"), ("tg", "targets"), ("ac", "action"),
                                ("f", "fatalities"), ("i", "injured"))}
    s0 = pd.to_numeric(col("sentence_start"), errors="coerce").fillna(0).to_numpy()
    pa = pd.to_numeric(col("place_start"), errors="coerce").to_numpy(dtype=float) - s0
    pb = pd.to_numeric(col("place_end"), errors="coerce").to_numpy(dtype=float) - s0
    pa, pb = np.nan_to_num(pa, nan=-1).astype(np.int64), np.nan_to_num(pb, nan=-1).astype(np.int64)
    qc, q_u = _factor(col("sentence"), col("place"), pd.Series(pa, index=df.index), pd.Series(pb, index=df.index))
    quotes = [strings.add(_quote(*u)) for u in q_u]
    fields["q"] = (np.array(quotes + [0])[qc]).tolist()
    payload = {
        "n": int(len(x)),
        "x": np.round(x * 1e5).astype(np.int64).tolist(),
        "y": np.round(y * 1e5).astype(np.int64).tolist(),
        "k": kind_code[kc].tolist(),
        "s": statuses.tolist(),
        "d": dates.tolist(),
        "f": fields,
        "S": strings.table,
        "D": date_table,
        "K": kinds,
    }
    return payload, kinds, np.column_stack([x, y])


def _encode(payload: dict[str, Any]) -> str:
    """JavaScript for the payload: JSON for small maps, gzip in base64 above COMPRESS_ABOVE events."""
    if payload["n"] <= COMPRESS_ABOVE:
        return c.to_js(payload)
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return '{"z":"' + base64.b64encode(gzip.compress(raw, compresslevel=1, mtime=0)).decode("ascii") + '"}'


def _add_events(m: folium.Map, ctl: _Controls, events: gpd.GeoDataFrame | None, shift: bool, bounds: list) -> None:
    got = _event_payload(events, shift)
    if got is None:
        return
    payload, kinds, xy = got
    ctl.dates.update(payload["D"])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    bounds.extend([(float(lo[1]), float(lo[0])), (float(hi[1]), float(hi[0]))])
    groups = {}
    for kind in kinds:
        ctl.kinds.setdefault(kind, None)
        group = folium.FeatureGroup(name=c.esc(f"Events: {kind}"), show=True)
        m.add_child(group)
        groups[kind] = group.get_name()
    ctl.has_events = True
    styles = {k: c.EVENT_STYLES[k] for k in kinds}
    code = (f"geomap.events({m.get_name()}, {{{', '.join(f'{c.to_js(k)}: {g}' for k, g in groups.items())}}}, "
            f"{_encode(payload)}, {c.to_js(styles)}, {c.to_js(c.STATUS_COLORS)});")
    m.add_child(_Script(code))


def _add_places(m: folium.Map, places: list[dict], taken: set, shift: bool, bounds: list) -> bool:
    if len(places) > PLACE_MARKER_LIMIT:  # a corpus: its places are the events' and stops' places
        return False
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


@lru_cache(maxsize=2)
def _basemap_js(shift: bool) -> str:
    """The whole basemap as JavaScript, made once per process (it is the same for every map)."""
    return c.to_js(_countries_data(None, shift))


def _add_basemap(m: folium.Map, shift: bool) -> None:
    style = {"color": c.LAND_EDGE, "weight": 0.8, "fillColor": c.LAND_FILL, "fillOpacity": 1}
    m.add_child(_Script(
        f"{m.get_name()}.getContainer().classList.add('geomap-offline');"
        f"geomap.polygons({m.get_name()}, {m.get_name()}, {_basemap_js(shift)},"
        f" {c.to_js(style)}, false, 'geomapBase', 150);"
        f"geomap.credit({m.get_name()}, {c.to_js(BASEMAP_CREDIT)});"
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
        b = f.geometry.values
        b = b[~(shapely.is_missing(b) | shapely.is_empty(b))]
        if len(b):
            coords = shapely.get_coordinates(b)
            lons.extend(coords[:, 0][:: max(1, len(coords) // 2000)].tolist())
    return lons


_DEFAULT_TILES = "OpenStreetMap"


def build_map(
    places: gpd.GeoDataFrame | None = None,
    events: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    legs: gpd.GeoDataFrame | None = None,
    *,
    m: folium.Map | None = None,
    offline: bool = False,
    title: str | None = None,
    tiles: str | TileLayer | None = _DEFAULT_TILES,
    attr: str | None = None,
) -> folium.Map:
    """Draw the frames on a ``folium.Map`` and return it.

    Parameters
    ----------
    places, events, stops, legs
        Frames with the columns of :mod:`geomap.frames`; any may be ``None`` or empty.
    m
        An existing map to add the layers to (it is returned); by default a new map. However
        many calls add to one map, it keeps one legend, one layer control and one timeline, and
        an actor keeps its colour.
    offline
        Draw the shipped country polygons instead of tiles, so the page needs no network
        (save it with ``save_map(m, path, offline=True)``).
    title
        Shown at the top of the map (escaped).
    tiles, attr
        The basemap tiles, as for ``folium.Map`` (a name, a URL template with its ``attr``
        credit, a ``folium.TileLayer``, or ``None``). With ``m=``, other tiles are added to it as
        a layer. Offline maps draw no tiles.

    Returns
    -------
    folium.Map
        Layers: one per actor (numbered stops, route, arrows), one per event type
        ("Events: protest", ...), "Other places mentioned", "Countries mentioned"; a legend, a
        layer control, a full-screen button, a timeline that plays stops, legs and events in
        time order, and a story mode that steps through the stops.

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
    if offline and tiles is not None and tiles is not _DEFAULT_TILES:
        raise ConfigError("offline maps draw the shipped basemap and no tiles: leave tiles= out or pass None")
    shift = c.wants_shift(_all_lons([events, stops, legs]))
    created = m is None
    if m is None:
        layer = None if offline else tiles
        m = folium.Map(
            location=[30, 20], zoom_start=2, tiles=layer, attr=attr, control_scale=True, world_copy_jump=False,
        )
    elif tiles is not None and tiles is not _DEFAULT_TILES and not offline:
        (tiles if isinstance(tiles, TileLayer) else TileLayer(tiles, attr=attr)).add_to(m)
    m.add_child(_Assets())
    if offline and not getattr(m, "_geomap_basemap", False):
        _add_basemap(m, shift)
    ctl = _controls(m, created)
    if title:
        ctl.title = title

    place_rows, stop_rows = _records(places), _records(stops)
    bounds: list[tuple[float, float]] = []
    _add_countries(m, place_rows, shift)
    taken = {_key(xy) for r in stop_rows if (xy := _xy(r, shift)) is not None}
    if events is not None and len(events):
        taken |= _points_keys(events, shift)
    ctl.has_places |= _add_places(m, place_rows, taken, shift, bounds)
    _add_events(m, ctl, events, shift, bounds)
    _add_actor_layers(m, ctl, stop_rows, legs, shift, bounds)
    ctl.bounds.extend(bounds)

    m._children.move_to_end(ctl.get_name())  # noqa: SLF001 - the controls come after every layer
    if not _layer_control_last(m):
        m.add_child(folium.LayerControl(collapsed=False))
    return m


def _points_keys(frame: gpd.GeoDataFrame, shift: bool) -> set[tuple[float, float]]:
    """The rounded (lon, lat) keys of a frame's points (see ``_key``), computed at once."""
    g = frame.geometry.values
    ok = np.asarray(shapely.get_type_id(g) == 0)
    xs, ys = shapely.get_x(g[ok]), shapely.get_y(g[ok])
    if shift:
        xs = np.where(xs < 0, xs + 360, xs)
    return set(zip(np.round(xs, 3).tolist(), np.round(ys, 3).tolist()))

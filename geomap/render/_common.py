"""Pieces shared by the interactive and the static maps: colours, escaping, popup text, the basemap.

Everything here is pure except :func:`countries`, which reads the shipped basemap once.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from ..io import atomic_path

__all__ = [
    "STATUS_COLORS",
    "ACTOR_COLORS",
    "COUNTRY_FILL",
    "BASEMAP_PATH",
    "countries",
    "esc",
    "highlight",
    "actor_color",
    "date_text",
    "EVENT_STYLES",
    "event_kind",
    "stop_popup",
    "stop_tooltip",
    "event_fields",
    "event_popup",
    "event_tooltip",
    "place_popup",
    "is_empty",
    "wants_shift",
    "line_parts",
    "mercator_bearing",
    "leg_midpoint",
    "to_js",
    "atomic_target",
]

#: marker colour of each status (stops and events), also used by the legend
STATUS_COLORS: dict[str, str] = {
    "occurred": "#c62828",
    "planned": "#ef6c00",
    "cancelled": "#8a8a8a",
}
#: route colours, one per actor in order of appearance
ACTOR_COLORS: tuple[str, ...] = (
    "#1f4e9c", "#6a1b9a", "#00796b", "#ad1457", "#5d4037", "#283593", "#2e7d32", "#c2185b",
)
#: event types: (marker shape, colour). The shape groups kinds of event, the colour tells them apart.
EVENT_STYLES: dict[str, tuple[str, str]] = {
    "travel": ("circle", "#1565c0"), "visit": ("circle", "#1e88e5"), "meet": ("circle", "#3949ab"),
    "host": ("circle", "#5e35b1"), "attend": ("circle", "#0277bd"), "address": ("circle", "#00838f"),
    "sign": ("square", "#2e7d32"), "agree": ("square", "#558b2f"), "vote": ("square", "#827717"),
    "protest": ("triangle", "#f9a825"), "rally": ("triangle", "#ff8f00"), "strike": ("triangle", "#e65100"),
    "clash": ("diamond", "#d32f2f"), "assault": ("diamond", "#8e0000"),
    "arrest": ("square", "#6d4c41"), "trial": ("square", "#a1887f"),
    "deploy": ("diamond", "#37474f"), "exercise": ("diamond", "#78909c"),
    "evacuate": ("down", "#00897b"), "aid": ("down", "#26a69a"), "sanction": ("square", "#ad1457"),
    "disaster": ("down", "#4e342e"), "accident": ("down", "#c2185b"),
    "other": ("circle", "#616161"),
}
#: when an event has no ``event_type`` (older data), the first word of its ``action`` picks one
_ACTION_TYPES: tuple[tuple[str, str], ...] = (
    ("meet", "meet"), ("met", "meet"), ("talk", "meet"), ("visit", "visit"), ("tour", "visit"),
    ("arriv", "travel"), ("depart", "travel"), ("travel", "travel"), ("flew", "travel"), ("fly", "travel"), ("flies", "travel"), ("left", "travel"),
    ("return", "travel"), ("went", "travel"), ("host", "host"), ("welcom", "host"),
    ("attend", "attend"), ("address", "address"), ("speak", "address"), ("spoke", "address"),
    ("sign", "sign"), ("agree", "agree"), ("vot", "vote"), ("protest", "protest"), ("march", "protest"),
    ("rall", "rally"), ("strik", "strike"), ("clash", "clash"), ("fight", "clash"), ("attack", "assault"),
    ("assault", "assault"), ("shell", "assault"), ("bomb", "assault"), ("kill", "assault"),
    ("arrest", "arrest"), ("detain", "arrest"), ("trial", "trial"), ("tried", "trial"), ("sentenc", "trial"),
    ("deploy", "deploy"), ("exercis", "exercise"), ("drill", "exercise"), ("evacuat", "evacuate"),
    ("aid", "aid"), ("sanction", "sanction"), ("earthquake", "disaster"), ("flood", "disaster"),
    ("crash", "accident"),
)
COUNTRY_FILL = "#f6c945"
LAND_FILL = "#e4e2dc"
LAND_EDGE = "#b5b2aa"
SEA_FILL = "#cfe3ef"

BASEMAP_PATH = Path(__file__).resolve().parent.parent / "data" / "countries.geojson"


@lru_cache(maxsize=1)
def _countries_cached(path: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path)


def countries(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """The shipped country polygons (Natural Earth admin-0), columns ``iso_a2``, ``name``, geometry.

    >>> world = countries()
    >>> bool((world["iso_a2"] == "UA").any())
    True
    """
    return _countries_cached(str(path or BASEMAP_PATH)).copy()


#: what html.escape(quote=True) replaces, plus template and JS openers
_ESCAPES = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
    "`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;",
}
_TO_ESCAPE = re.compile(r"[&<>\"'`$\\{}]")


def _escape_one(m: re.Match) -> str:
    return _ESCAPES[m.group()]


def esc(text: Any) -> str:
    """HTML-escape untrusted text, so it is inert in HTML, JS template strings and Jinja templates.

    >>> esc('<img src=x onerror=alert(1)> `${x}`')
    '&lt;img src=x onerror=alert(1)&gt; &#96;&#36;&#123;x&#125;&#96;'
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    text = str(text)
    return _TO_ESCAPE.sub(_escape_one, text) if _TO_ESCAPE.search(text) else text


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (bool, int)):
        return False
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple)) else len(value) == 0
    except (TypeError, ValueError):
        return False


def highlight(sentence: Any, place: Any, start: int | None = None, end: int | None = None) -> str:
    """Escape ``sentence`` and wrap the place name in ``<mark>``.

    ``start``/``end`` are offsets of the place inside the sentence when known; otherwise the
    first case-insensitive occurrence of ``place`` is marked.

    >>> highlight("Putin met <b>Lukashenko</b> in Sochi.", "Sochi")
    'Putin met &lt;b&gt;Lukashenko&lt;/b&gt; in <mark>Sochi</mark>.'
    """
    if is_empty(sentence):
        return ""
    s = str(sentence)
    if start is None or end is None or not (0 <= start < end <= len(s)):
        start = end = None
        if not is_empty(place):
            m = re.search(re.escape(str(place)), s, flags=re.IGNORECASE)
            if m:
                start, end = m.span()
    if start is None or end is None:
        return esc(s)
    return f"{esc(s[:start])}<mark>{esc(s[start:end])}</mark>{esc(s[end:])}"


def event_kind(event_type: Any, action: Any = None) -> str:
    """The styling key of an event: its ``event_type``, else a type read off its ``action``, else "other".

    >>> event_kind("protest"), event_kind(None, "will visit"), event_kind(None, "met"), event_kind("", None)
    ('protest', 'visit', 'meet', 'other')
    """
    if not is_empty(event_type):
        t = str(event_type).strip().lower()
        return t if t in EVENT_STYLES else "other"
    if is_empty(action):
        return "other"
    for word in str(action).lower().split():
        if word in ("will", "to", "would", "is", "was", "has", "had", "be", "been", "expected", "due"):
            continue
        for prefix, kind in _ACTION_TYPES:
            if word.startswith(prefix):
                return kind
        break
    return "other"


def date_text(value: Any, precision: Any = None) -> str:
    """A date as ISO text to its precision (frames hold ``datetime64`` with a ``date_precision``).

    >>> date_text(pd.Timestamp("2024-03-01"), "month"), date_text(pd.Timestamp("2024-03-05")), date_text(pd.NaT)
    ('2024-03', '2024-03-05', '')
    """
    if is_empty(value):
        return ""
    if isinstance(value, (_dt.date, pd.Timestamp)):
        ts = pd.Timestamp(value)
        p = "" if is_empty(precision) else str(precision)
        fmt = {"year": "%Y", "month": "%Y-%m"}.get(p, "%Y-%m-%d")
        if ts.hour or ts.minute:
            fmt += " %H:%M"
        return ts.strftime(fmt)
    return str(value)


def actor_color(index: int) -> str:
    return ACTOR_COLORS[index % len(ACTOR_COLORS)]


def _actors(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(a) for a in value)
    if is_empty(value):
        return ""
    try:  # a numpy array from a parquet round trip
        return ", ".join(str(a) for a in list(value))
    except TypeError:
        return str(value)


def _rows(pairs: list[tuple[str, Any]]) -> str:
    cells = [
        f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs if v not in ("", None)
    ]
    return f"<table class=\"geomap-table\">{''.join(cells)}</table>" if cells else ""


def _status(value: Any) -> str:
    s = "" if is_empty(value) else str(value)
    return f'<span class="geomap-status geomap-{esc(s)}">{esc(s)}</span>' if s else ""


def stop_popup(row: Any) -> str:
    """Popup HTML of one ``stops`` row: place, actor, action, date, status, evidence."""
    title = f"{esc(row['seq'])}. {esc(row['place'])}"
    table = _rows([
        ("Actor", esc(row.get("actor"))),
        ("Action", esc(row.get("action"))),
        ("Date", esc(date_text(row.get("date"), row.get("date_precision")))),
        ("Status", _status(row.get("status"))),
    ])
    quote = highlight(row.get("evidence"), row.get("place"))
    quote = f"<blockquote class=\"geomap-evidence\">{quote}</blockquote>" if quote else ""
    return f"<div class=\"geomap-popup\"><h4>{title}</h4>{table}{quote}</div>"


def stop_tooltip(row: Any) -> str:
    bits = [esc(row.get("actor")), esc(row.get("action")), esc(date_text(row.get("date"), row.get("date_precision"))),
            esc(row.get("status"))]
    detail = " · ".join(b for b in bits if b)
    return f"<b>{esc(row['seq'])}. {esc(row['place'])}</b><br>{detail}"


def _event_offsets(row: Any) -> tuple[int | None, int | None]:
    try:
        s0 = int(row.get("sentence_start") or 0)
        a, b = int(row.get("place_start")), int(row.get("place_end"))
    except (TypeError, ValueError):
        return None, None
    if a < 0 or b <= a:
        return None, None
    a, b = a - s0, b - s0
    sentence = row.get("sentence")
    if is_empty(sentence) or not (0 <= a < b <= len(str(sentence))):
        return None, None
    return a, b


def event_fields(row: Any) -> dict[str, str]:
    """The escaped pieces of an event popup: place, actors, action, date, status, marked sentence.

    The interactive map ships these as columns and assembles the same popup in the browser
    (``geomap.events`` in ``assets/geomap.js``).
    """
    actors = _actors(row.get("actors"))
    a, b = _event_offsets(row)
    status = "" if is_empty(row.get("status")) else str(row.get("status"))
    return {
        "k": esc(event_kind(row.get("event_type"), row.get("action"))),
        "pl": esc(row.get("place")),
        "a": esc(actors),
        "tg": esc(_actors(row.get("targets"))),
        "f": esc(_count(row.get("fatalities"))),
        "i": esc(_count(row.get("injured"))),
        "ac": esc(row.get("action")),
        "d": esc(date_text(row.get("date"), row.get("date_precision"))),
        "s": esc(status),
        "q": highlight(row.get("sentence"), row.get("place"), a, b),
    }


def _count(value: Any) -> str:
    if is_empty(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def event_popup(row: Any) -> str:
    """Popup HTML of one ``events`` row (every value escaped, the place marked in the sentence)."""
    f = event_fields(row)
    head = " ".join(x for x in (f["a"], f["ac"]) if x) or "Event"
    status = f'<span class="geomap-status geomap-{f["s"]}">{f["s"]}</span>' if f["s"] else ""
    table = _rows([("Type", f["k"]), ("Place", f["pl"]), ("Actors", f["a"]), ("Targets", f["tg"]),
                   ("Action", f["ac"]), ("Date", f["d"]), ("Killed", f["f"]), ("Injured", f["i"]), ("Status", status)])
    quote = f"<blockquote class=\"geomap-evidence\">{f['q']}</blockquote>" if f["q"] else ""
    return f"<div class=\"geomap-popup\"><h4>{head}</h4>{table}{quote}</div>"


def event_tooltip(row: Any) -> str:
    f = event_fields(row)
    bits = [f["a"], f["ac"], f["d"], f["s"]]
    return f"<b>{f['pl']}</b><br>{' · '.join(b for b in bits if b)}"


def place_popup(row: Any) -> str:
    resolved = row.get("resolved_name")
    table = _rows([
        ("Resolved as", esc(resolved) if not is_empty(resolved) and resolved != row.get("name") else ""),
        ("Kind", esc(row.get("kind"))),
        ("Country", esc(row.get("country_code"))),
        ("Source", esc(row.get("source"))),
    ])
    return f"<div class=\"geomap-popup\"><h4>{esc(row.get('name'))}</h4>{table}</div>"


# --- geometry helpers -------------------------------------------------------------------------

def wants_shift(lons: list[float]) -> bool:
    """True when the data is more compact with longitudes in [0, 360) (it straddles the antimeridian).

    >>> wants_shift([170.0, -170.0])
    True
    >>> wants_shift([30.0, 130.0])
    False
    """
    if not lons:
        return False
    span = max(lons) - min(lons)
    shifted = [x + 360 if x < 0 else x for x in lons]
    return max(shifted) - min(shifted) + 1e-9 < span


def line_parts(geom: BaseGeometry | None, shift: bool = False) -> list[list[tuple[float, float]]]:
    """(lon, lat) vertex lists of a leg; with ``shift`` a line split at the antimeridian is rejoined.

    >>> line_parts(MultiLineString([[(170, 0), (180, 1)], [(-180, 1), (-170, 2)]]), shift=True)
    [[(170.0, 0.0), (180.0, 1.0), (180.0, 1.0), (190.0, 2.0)]]
    """
    if geom is None or geom.is_empty:
        return []
    lines = list(geom.geoms) if isinstance(geom, MultiLineString) else [geom]
    parts = [[(float(x), float(y)) for x, y, *_ in ln.coords] for ln in lines if isinstance(ln, LineString)]
    if not shift:
        return parts
    joined: list[tuple[float, float]] = []
    for part in parts:
        joined.extend((x + 360 if x < 0 else x, y) for x, y in part)
    return [joined] if joined else []


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def mercator_bearing(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Screen angle (degrees clockwise from up) of the direction p -> q on a Web Mercator map.

    >>> round(mercator_bearing((0, 0), (1, 0)))
    90
    """
    dx = q[0] - p[0]
    dy = _merc_y(q[1]) - _merc_y(p[1])
    return math.degrees(math.atan2(dx, dy)) % 360


def leg_midpoint(parts: list[list[tuple[float, float]]]) -> tuple[tuple[float, float], float] | None:
    """The midpoint of the longest part of a leg and the direction of travel there."""
    parts = [p for p in parts if len(p) >= 2]
    if not parts:
        return None
    line = LineString(max(parts, key=lambda p: LineString(p).length))
    if line.length == 0:
        return None
    mid = line.interpolate(0.5, normalized=True)
    a = line.interpolate(0.45, normalized=True)
    b = line.interpolate(0.55, normalized=True)
    return (mid.x, mid.y), mercator_bearing((a.x, a.y), (b.x, b.y))


def to_js(obj: Any) -> str:
    """JSON for embedding in a ``<script>``: ``<``, ``>``, ``&``, ``'`` and Jinja openers are escaped.

    >>> print(to_js({"t": "</script>{{x}}"}))
    {"t": "\\u003c/script\\u003e\\u007b{x}}"}
    """
    text = re.sub(r"\{(?=[{%#])", r"\\u007b", json.dumps(obj, ensure_ascii=False))
    return (
        text
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


#: Atomic writes: a temporary file beside the target, renamed over it on success.
atomic_target = atomic_path

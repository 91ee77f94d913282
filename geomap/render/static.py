"""Frames -> a static PNG or SVG map drawn with matplotlib over the shipped country polygons.

Fully offline. The projection is chosen from the data: a Lambert azimuthal equal-area
projection centred on the data for a region, Equal Earth for data spread over the globe. Data
that straddles the antimeridian is drawn around it (longitudes taken in [0, 360)), with the
world cut at the meridian opposite the data instead.

>>> import tempfile, pathlib
>>> from geomap.model import Event
>>> from geomap.frames import events_frame
>>> ev = Event("e1", ("Putin",), "visit", "Sochi", 43.6, 39.73, None, "occurred", "Putin was in Sochi.")
>>> out = render_static(pathlib.Path(tempfile.mkdtemp()) / "m.png", events=events_frame([ev]), title="Sochi")
>>> out.suffix
'.png'
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, box

from ..errors import ConfigError
from . import _common as c

__all__ = ["render_static", "split_halves", "projected_basemap"]

DPI = 150
FIGSIZE = (11.0, 8.0)
#: a light box behind labels (kept as real text in SVG, unlike a path-effect halo)
_BOX = dict(boxstyle="round,pad=0.18", facecolor="white", edgecolor="none", alpha=0.82)


#: article text is drawn as it is: no mathtext (``$x$`` stays ``$x$``), no TeX; SVG keeps real text
_RC = {"text.parse_math": False, "text.usetex": False, "svg.fonttype": "none"}


def _frame_lon(x: float, west: float) -> float:
    """``x`` expressed in the longitude frame [west, west + 360)."""
    while x < west:
        x += 360.0
    while x >= west + 360.0:
        x -= 360.0
    return x


def _world_in_frame(world: gpd.GeoDataFrame, west: float, clip: Any | None) -> gpd.GeoDataFrame:
    """Country polygons cut at the meridian ``west`` and moved into [west, west + 360)."""
    eps = 1e-6  # keep clear of the seam itself, which projects to both edges
    east_box = box(max(west, -180.0) + eps, -90, 180, 90)
    west_box = box(-180, -90, west - eps, 90) if west > -180 else None
    geoms, keep = [], []
    for i, g in enumerate(world.geometry):
        parts = [g.intersection(east_box)]
        if west_box is not None:
            parts.append(affinity.translate(g.intersection(west_box), 360.0))
        parts = [p for p in parts if not p.is_empty]
        if not parts:
            continue
        geom = parts[0] if len(parts) == 1 else parts[0].union(parts[1])
        if clip is not None:
            geom = geom.intersection(clip)
            if geom.is_empty:
                continue
        geoms.append(geom)
        keep.append(i)
    out = world.iloc[keep].copy()
    out["geometry"] = geoms
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def split_halves(world: gpd.GeoDataFrame, west: float) -> gpd.GeoDataFrame:
    """Polygons already in the frame [west, west + 360) cut at its middle meridian too.

    Every piece then spans at most 180 degrees of longitude, so no ring can jump across the map
    after projection (the horizontal stripes of a polygon drawn around the back of the globe).
    Edges are drawn from the uncut outlines, so the cut leaves no line.

    >>> from shapely.geometry import box
    >>> w = gpd.GeoDataFrame({"iso_a2": ["AQ"]}, geometry=[box(-180, -90, 180, -60)], crs="EPSG:4326")
    >>> [round(g.bounds[2] - g.bounds[0]) for g in split_halves(w, -180).geometry]
    [180, 180]
    """
    halves = (box(west, -90, west + 180, 90), box(west + 180, -90, west + 360, 90))
    rows, geoms = [], []
    for i, g in enumerate(world.geometry):
        for half in halves:
            piece = g.intersection(half)
            if not piece.is_empty and piece.area > 0:
                rows.append(i)
                geoms.append(piece)
    out = world.iloc[rows].copy()
    out["geometry"] = geoms
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def projected_basemap(west: float, proj: str, clip: Any | None = None) -> gpd.GeoDataFrame:
    """The filled basemap as drawn for a view: cut at ``west`` and at the middle meridian, projected."""
    return split_halves(_world_in_frame(c.countries(), west, clip), west).to_crs(proj)


_MARKERS = {"circle": "o", "square": "s", "triangle": "^", "down": "v", "diamond": "D"}


class _Label:
    """A label to place: its priority (1 first), anchor, text, gap from the anchor and text style."""

    __slots__ = ("priority", "x", "y", "text", "gap", "style", "mark")

    def __init__(self, priority: int, x: float, y: float, text: str, gap: float, style: dict[str, Any],
                 mark: int = -1) -> None:
        self.priority, self.x, self.y, self.text, self.gap, self.style = priority, x, y, text, gap, style
        self.mark = mark  # index of the label's own marker in the marker list (it may touch that one)


#: where a label may go around its anchor: (dx, dy) direction, horizontal and vertical alignment
_SPOTS = (
    ((1, 0), "left", "center"), ((-1, 0), "right", "center"), ((0, 1), "center", "bottom"),
    ((0, -1), "center", "top"), ((0.8, 0.8), "left", "bottom"), ((0.8, -0.8), "left", "top"),
    ((-0.8, 0.8), "right", "bottom"), ((-0.8, -0.8), "right", "top"),
)


def _place_labels(ax: Any, labels: list[_Label], marks: list[tuple[float, float, float]],
                  blocked: list[Bbox], renderer: Any) -> None:
    """Write each label at the first free spot around its anchor (then further out, with a leader).

    Free means: inside the map, over no other label, marker, legend or title. A label with no
    free spot is left out rather than drawn over something.
    """
    to_px = ax.transData.transform
    ppx = ax.figure.dpi / 72.0
    boxes = list(blocked)
    for x, y, r in marks:
        (px, py), rr = to_px((x, y)), r * ppx
        boxes.append(Bbox([[px - rr, py - rr], [px + rr, py + rr]]))
    frame = ax.get_window_extent(renderer)
    placed: list[Bbox] = []
    for lab in sorted(labels, key=lambda lab: lab.priority):
        own = [boxes[len(blocked) + lab.mark]] if lab.mark >= 0 else []
        done = False
        for reach in (1.0, 2.2, 3.4):
            for (dx, dy), ha, va in _SPOTS:
                off = (dx * lab.gap * reach, dy * lab.gap * reach)
                arrow = dict(arrowstyle="-", color="#555555", linewidth=0.6) if reach > 1 else None
                t = ax.annotate(lab.text, (lab.x, lab.y), xytext=off, textcoords="offset points", ha=ha, va=va,
                                arrowprops=arrow, annotation_clip=False, **lab.style)
                bb = t.get_window_extent(renderer).expanded(1.04, 1.08)
                inside = (bb.x0 >= frame.x0 and bb.x1 <= frame.x1 and bb.y0 >= frame.y0 and bb.y1 <= frame.y1)
                if inside and not any(bb.overlaps(b) for b in placed) and                         not any(bb.overlaps(b) for b in boxes if not any(b is o for o in own)):
                    placed.append(bb)
                    done = True
                    break
                t.remove()
            if done:
                break


def _legend(fig: Any, ax: Any, handles: list[Any], points: list[tuple[float, float]], renderer: Any) -> Any:
    """The legend in the corner of the map that covers no data; outside the map when every corner does."""
    px = ax.transData.transform(points) if points else np.empty((0, 2))
    best = None
    for loc in ("lower left", "lower right", "upper left", "upper right"):
        leg = ax.legend(handles=handles, loc=loc, fontsize=8, framealpha=0.92, title="Legend", title_fontsize=9,
                        borderpad=0.7)
        bb = leg.get_window_extent(renderer).expanded(1.08, 1.08)
        hits = int(((px[:, 0] >= bb.x0) & (px[:, 0] <= bb.x1) & (px[:, 1] >= bb.y0) & (px[:, 1] <= bb.y1)).sum())
        if best is None or hits < best[0]:
            best = (hits, loc)
        if hits == 0:
            leg.set_zorder(20)
            return leg
    leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, framealpha=0.92,
                    title="Legend", title_fontsize=9, borderpad=0.7)
    ax.set_position([0.02, 0.02, 0.80, 0.90])
    leg.set_zorder(20)
    return leg


def _points(frame: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    rows = frame.drop(columns=frame.geometry.name).to_dict("records")
    out = []
    for row, g in zip(rows, frame.geometry):
        if g is not None and not g.is_empty and g.geom_type == "Point":
            row["_lonlat"] = (float(g.x), float(g.y))
        elif not c.is_empty(row.get("lat")) and not c.is_empty(row.get("lon")):
            row["_lonlat"] = (float(row["lon"]), float(row["lat"]))
        else:
            continue
        out.append(row)
    return out


def _status(value: Any) -> str:
    s = "" if c.is_empty(value) else str(value)
    return s if s in c.STATUS_COLORS else "occurred"


def _short(text: Any, n: int = 38) -> str:
    s = "" if c.is_empty(text) else " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _actors(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(a) for a in value)
    return "" if c.is_empty(value) else str(value)


@rc_context(_RC)
def render_static(
    path: str | Path,
    places: gpd.GeoDataFrame | None = None,
    events: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    legs: gpd.GeoDataFrame | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Draw the frames as a static map and write it to ``path`` (``.png`` or ``.svg``), atomically.

    Numbered stops with labels, routes with direction arrows (dashed when planned), events,
    other places, highlighted countries, a legend and a title, over the shipped country
    polygons. No network is used.

    Parameters
    ----------
    path
        Output file; the suffix picks the format (``.png`` at 150 dpi, or ``.svg``).
    places, events, stops, legs
        Frames with the columns of :mod:`geomap.frames`; any may be ``None`` or empty.
    title
        Drawn above the map.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ConfigError(f"static maps are written as .png or .svg, not {path.suffix or 'no suffix'!r}")

    place_rows, event_rows, stop_rows = _points(places), _points(events), _points(stops)
    leg_rows = [] if legs is None or len(legs) == 0 else [
        {**r, "_geom": g} for r, g in zip(legs.drop(columns=legs.geometry.name).to_dict("records"), legs.geometry)
    ]
    country_codes = {
        str(r["country_code"]).upper() for r in place_rows
        if str(r.get("kind") or "") == "country" and not c.is_empty(r.get("country_code"))
    }
    taken = {(round(r["_lonlat"][0], 3), round(r["_lonlat"][1], 3)) for r in [*event_rows, *stop_rows]}
    other_places, seen = [], set()
    for r in place_rows:
        key = (round(r["_lonlat"][0], 3), round(r["_lonlat"][1], 3))
        if str(r.get("kind") or "") in ("country", "demonym") or key in taken or key in seen:
            continue
        seen.add(key)
        other_places.append(r)

    # --- the view: frame, projection, extent ---------------------------------------------------
    data_ll = [r["_lonlat"] for r in [*stop_rows, *event_rows, *other_places]]
    for leg in leg_rows:
        for part in c.line_parts(leg["_geom"]):
            data_ll.extend(part)
    world = c.countries()
    if not data_ll and country_codes:
        hit = world[world["iso_a2"].isin(country_codes)]
        if len(hit):
            x0, y0, x1, y1 = hit.total_bounds
            data_ll = [(x0, y0), (x1, y1)]
    shift = c.wants_shift([x for x, _ in data_ll])
    lons = [(x + 360 if shift and x < 0 else x) for x, _ in data_ll]
    lats = [y for _, y in data_ll]
    if lons:
        lon_min, lon_max, lat_min, lat_max = min(lons), max(lons), min(lats), max(lats)
    else:
        lon_min, lon_max, lat_min, lat_max = -170.0, 170.0, -60.0, 80.0
    lon0 = (lon_min + lon_max) / 2
    lat0 = (lat_min + lat_max) / 2
    west = _frame_lon(lon0 - 180.0, -180.0)  # the world is cut at the meridian opposite the data
    lon0 = west + 180.0  # the same meridian, in the frame [west, west + 360) used below
    lon0_std = _frame_lon(lon0, -180.0)
    regional = (lon_max - lon_min) <= 140 and (lat_max - lat_min) <= 70
    if regional:
        proj = f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0_std:.4f} +datum=WGS84 +units=m +no_defs"
        clip = box(lon0 - 100, max(lat0 - 80, -89.9), lon0 + 100, min(lat0 + 80, 89.9))
    else:
        proj = f"+proj=eqearth +lon_0={lon0_std:.4f} +datum=WGS84 +units=m +no_defs"
        clip = None
    to_xy = Transformer.from_crs("EPSG:4326", proj, always_xy=True).transform

    def project(lon: float, lat: float) -> tuple[float, float]:
        x, y = to_xy(_frame_lon(lon, west), lat)
        return float(x), float(y)

    framed = _world_in_frame(world, west, clip)
    basemap = split_halves(framed, west).to_crs(proj)  # filled: no piece wider than 180 degrees
    basemap["geometry"] = shapely.make_valid(basemap.geometry.values)
    basemap = basemap[~basemap.is_empty]
    edges = gpd.GeoDataFrame(framed[["iso_a2"]], geometry=framed.boundary, crs="EPSG:4326").to_crs(proj)

    pts = [project(x, y) for x, y in data_ll] or [project(-170, -60), project(170, 80)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    size = max(w, h)
    pad = max(0.12 * size, 150_000.0)
    label_room = 0.14 * size if stop_rows or event_rows else 0.0  # stop labels are written to the right
    x0, x1, y0, y1 = x0 - pad, x1 + pad + label_room, y0 - pad, y1 + pad
    aspect = (FIGSIZE[0] - 0.4) / (FIGSIZE[1] - 1.0)
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (w / aspect - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    scale = x1 - x0  # for offsets in map units

    # --- drawing -------------------------------------------------------------------------------
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_axes([0.02, 0.02, 0.96, 0.90])
    ax.set_facecolor(c.SEA_FILL)
    basemap.plot(ax=ax, color=c.LAND_FILL, edgecolor="none", linewidth=0, zorder=1)
    edges.plot(ax=ax, color=c.LAND_EDGE, linewidth=0.5, zorder=1.5)
    hi = basemap[basemap["iso_a2"].isin(country_codes)]
    if len(hi):
        hi.plot(ax=ax, color=c.COUNTRY_FILL, alpha=0.45, edgecolor="none", linewidth=0, zorder=2)
        hi_edges = edges[edges["iso_a2"].isin(country_codes)]
        hi_edges.plot(ax=ax, color="#b8860b", linewidth=0.9, zorder=2.5)

    handles: list[Any] = []
    labels: list[_Label] = []
    kinds_seen: dict[str, None] = {}
    marks: list[tuple[float, float, float]] = []  # (x, y, radius in points) of every marker
    labelled: set[tuple[str, float, float]] = set()

    # other places
    for r in other_places:
        px, py = project(*r["_lonlat"])
        ax.scatter([px], [py], s=16, color="#555555", edgecolor="white", linewidth=0.6, zorder=4)
        marks.append((px, py, 3.0))
        if len(other_places) <= 30:
            labels.append(_Label(3, px, py, _short(r.get("name"), 30), 5.0,
                                 dict(fontsize=7.5, color="#444444", bbox=_BOX, zorder=4), len(marks) - 1))

    # events
    for r in event_rows:
        px, py = project(*r["_lonlat"])
        kind = c.event_kind(r.get("event_type"), r.get("action"))
        kinds_seen.setdefault(kind, None)
        shape, col = c.EVENT_STYLES[kind]
        status = _status(r.get("status"))
        face, edge = {"planned": ("white", col), "cancelled": ("#d9d9d9", "#8a8a8a")}.get(status, (col, "white"))
        ax.scatter([px], [py], s=60, marker=_MARKERS[shape], color=face, edgecolor=edge,
                   linewidth=1.4 if status == "planned" else 1.0, zorder=5)
        r["_mark"] = len(marks)
        marks.append((px, py, 5.0))
    if len(event_rows) <= 12:
        done: set[tuple[int, int]] = set()
        for r in event_rows:
            px, py = project(*r["_lonlat"])
            key = (round(px / scale * 200), round(py / scale * 200))
            if key in done or any(s.get("_lonlat") == r["_lonlat"] for s in stop_rows):
                continue
            done.add(key)
            text = _short(f"{_actors(r.get('actors'))}: {r.get('action') or ''}".strip(": "), 40)
            labels.append(_Label(2, px, py, f"{_short(r.get('place'), 30)}\n{text}", 7.0,
                                 dict(fontsize=8, color="#7a1010", bbox=_BOX, zorder=6, style="italic"), r["_mark"]))

    # routes and stops, per actor
    actors: list[str] = []
    for r in [*stop_rows, *leg_rows]:
        a = "" if c.is_empty(r.get("actor")) else str(r["actor"])
        if a not in actors:
            actors.append(a)
    placed: list[tuple[float, float]] = []
    route_points: list[tuple[float, float]] = []
    min_gap = 0.028 * scale
    for i, actor in enumerate(actors):
        color = c.actor_color(i)
        for leg in (r for r in leg_rows if str(r.get("actor") or "") == actor):
            status = _status(leg.get("status"))
            style = "--" if status == "planned" else (":" if status == "cancelled" else "-")
            lcolor = c.STATUS_COLORS["cancelled"] if status == "cancelled" else color
            projected = []
            for part in c.line_parts(leg["_geom"]):
                xy = [project(x, y) for x, y in part]
                projected.append(xy)
                route_points.extend(xy)
                ax.plot([p[0] for p in xy], [p[1] for p in xy], linestyle=style, color=lcolor, linewidth=2.2,
                        zorder=7, solid_capstyle="round")
            longest = max(projected, key=lambda p: LineString(p).length if len(p) > 1 else 0, default=None)
            if longest and len(longest) > 1 and LineString(longest).length > 0:
                ln = LineString(longest)
                a, m, b = (ln.interpolate(f, normalized=True) for f in (0.45, 0.5, 0.55))
                dx, dy = b.x - a.x, b.y - a.y
                norm = math.hypot(dx, dy) or 1.0
                ax.annotate("", xy=(m.x + dx / 2, m.y + dy / 2), xytext=(-dx / norm * 12, -dy / norm * 12), textcoords="offset points",
                            zorder=8, arrowprops=dict(arrowstyle="-|>,head_length=0.75,head_width=0.4", color=lcolor,
                                                      linewidth=1.5, mutation_scale=15, shrinkA=0, shrinkB=0))
        for r in sorted((s for s in stop_rows if str(s.get("actor") or "") == actor), key=lambda s: s.get("seq") or 0):
            px, py = project(*r["_lonlat"])
            sx, sy = px, py
            ring = 0
            while any(math.hypot(sx - qx, sy - qy) < min_gap for qx, qy in placed) and ring < 40:
                ring += 1
                ang = math.pi / 2 + ring * 2 * math.pi / 8  # first to the upper left, away from the labels
                rad = min_gap * (1 + (ring - 1) // 8)
                sx, sy = px + rad * math.cos(ang), py + rad * math.sin(ang)
            placed.append((sx, sy))
            if (sx, sy) != (px, py):
                ax.plot([px, sx], [py, sy], color="#333333", linewidth=0.8, zorder=8)
            status = _status(r.get("status"))
            ax.scatter([sx], [sy], s=300, color=c.STATUS_COLORS[status], edgecolor=color, linewidth=2.2, zorder=9,
                       linestyle="--" if status == "planned" else "-")
            ax.text(sx, sy, str(r.get("seq")), ha="center", va="center", color="white", fontsize=9,
                    fontweight="bold", zorder=10)
            if status == "cancelled":
                ax.scatter([sx + 0.012 * scale], [sy + 0.012 * scale], marker="X", s=70, color="#b00020",
                           edgecolor="white", linewidth=0.8, zorder=11)
            marks.append((sx, sy, 10.0))
            place_key = (str(r.get("place")), round(px, 6), round(py, 6))
            if place_key in labelled:
                continue  # two actors at one place: one label, beside the first of their markers
            labelled.add(place_key)
            labels.append(_Label(1, sx, sy, _short(r.get("place"), 34), 12.0,
                                 dict(fontsize=9, fontweight="bold", color="#222222", bbox=_BOX, zorder=10), len(marks) - 1))
        handles.append(Line2D([], [], color=color, linewidth=2.2, label=_short(actor or "(unknown actor)", 30)))

    # legend
    status_handles = [
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=col, markeredgecolor="white",
               label=status + (" (×)" if status == "cancelled" else ""))
        for status, col in c.STATUS_COLORS.items()
    ]
    extra: list[Any] = []
    if leg_rows:
        extra += [Line2D([], [], color="#333333", linewidth=2, label="travelled"),
                  Line2D([], [], color="#333333", linewidth=2, linestyle="--", label="planned")]
    for kind in kinds_seen:
        shape, col = c.EVENT_STYLES[kind]
        extra.append(Line2D([], [], marker=_MARKERS[shape], linestyle="", markersize=7, markerfacecolor=col,
                            markeredgecolor="white", label=f"event: {kind}"))
    if any(_status(r.get("status")) == "planned" for r in event_rows):
        extra.append(Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor="white",
                            markeredgecolor="#555555", label="planned event (hollow)"))
    if other_places:
        extra.append(Line2D([], [], marker="o", linestyle="", markersize=4, markerfacecolor="#555555",
                            markeredgecolor="white", label="other place"))
    if len(hi):
        extra.append(Patch(facecolor=c.COUNTRY_FILL, alpha=0.6, edgecolor="#b8860b", label="country mentioned"))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    points = [(x, y) for x, y, _ in marks] + route_points
    leg = _legend(fig, ax, [*status_handles, *extra, *handles], points, renderer)
    ax.apply_aspect()
    _place_labels(ax, labels, marks, [leg.get_window_extent(renderer)], renderer)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#888888")
    if title:
        fig.suptitle(title, fontsize=15, fontweight="bold", y=0.965, parse_math=False)
    fig.text(0.98, 0.005, "Basemap: Natural Earth", ha="right", va="bottom", fontsize=6.5, color="#777777")

    with c.atomic_target(path) as tmp, rc_context({**_RC, "svg.hashsalt": "geomap"}):
        fig.savefig(tmp, format=fmt, dpi=DPI, facecolor="white")
    return path

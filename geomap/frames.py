"""Pipeline values -> GeoDataFrames. The one place where (lat, lon) becomes ``Point(lon, lat)``.

Column contracts (other modules and users depend on these names):

``places``  name, start, end, lat, lon, country_code, kind, geonameid, resolved_name,
            source, service, confidence, unresolved_reason, doc_id, geometry (Point or None)
``events``  event_id, doc_id, event_type, actors (list of str), targets (list of str), action,
            cameo, plover, place, lat, lon, country_code, geonameid, date, date_precision,
            status, geo_precision, origin, host, role, fatalities, injured, sentence,
            place_start, place_end, sentence_start, geometry (Point)
``stops``   actor, seq (1-based, time order), place, lat, lon, date, date_precision, status
            (occurred, planned, cancelled), role (origin, via or empty), action, evidence,
            event_id, geonameid, parent_id, doc_id, geometry (Point)
``legs``    actor, seq, from, to, km, status ("planned" when the destination is planned),
            geometry (LineString along the great circle; MultiLineString when it crosses
            the antimeridian)

All frames are in EPSG:4326.

Column types (pandas): ``date`` is ``datetime64`` (day resolution; ``NaT`` when unknown) with
its ``date_precision`` (``day``, ``week``, ``month``, ``year``) beside it; closed vocabularies
(``kind``, ``source``, ``status``, ``event_type``, ``date_precision``, ``role``) and ``action``
are categoricals; ids and counts that may be missing (``geonameid``, ``parent_id``,
``fatalities``, ``injured``, ``geo_precision``) are nullable integers (``Int64``); list columns
(``actors``, ``targets``) hold :class:`JsonList` values, lists that ``to_file`` writes as JSON.
:func:`plain` turns a frame back into plain Python values (ISO date strings, ``None``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from .model import Event, Itinerary, Place

__all__ = [
    "CRS",
    "PLACE_COLUMNS",
    "EVENT_COLUMNS",
    "STOP_COLUMNS",
    "LEG_COLUMNS",
    "point",
    "points",
    "places_frame",
    "events_frame",
    "stops_frame",
    "legs_frame",
    "great_circle",
    "great_circles",
    "JsonList",
    "plain",
    "CATEGORIES",
]

CRS = "EPSG:4326"
PLACE_COLUMNS = [
    "name", "start", "end", "lat", "lon", "country_code", "kind", "geonameid", "resolved_name",
    "source", "service", "confidence", "unresolved_reason", "doc_id",
]
EVENT_COLUMNS = [
    "event_id", "doc_id", "event_type", "actors", "targets", "action", "cameo", "plover", "place", "lat",
    "lon", "country_code", "geonameid", "date", "date_precision", "status", "geo_precision", "origin",
    "host", "role", "fatalities", "injured", "sentence", "place_start", "place_end", "sentence_start",
]
STOP_COLUMNS = [
    "actor", "seq", "place", "lat", "lon", "date", "date_precision", "status", "role", "action",
    "evidence", "event_id", "geonameid", "parent_id", "doc_id",
]
LEG_COLUMNS = ["actor", "seq", "from", "to", "km", "status"]


class JsonList(list):
    """A list whose text form is JSON, so ``GeoDataFrame.to_file`` (GPKG, CSV) writes ``["a", "b"]``.

    >>> str(JsonList(["Putin", "Lukashenko"]))
    '["Putin", "Lukashenko"]'
    >>> JsonList(["a"]) == ["a"]
    True
    """

    def __str__(self) -> str:
        return json.dumps(list(self), ensure_ascii=False)

    __repr__ = __str__


def _event_types() -> tuple[str, ...]:
    try:
        from .events import EVENT_TYPES
    except ImportError:  # pragma: no cover - the vocabulary moves with the events package
        return ()
    return tuple(t.name for t in EVENT_TYPES)


#: Fixed categories of the closed vocabularies (``event_type`` is read from the events vocabulary).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "kind": ("country", "admin", "city", "landmark", "region", "water", "demonym"),
    "source": ("gazetteer", "user", "cache", "fallback"),
    "status": ("occurred", "planned", "cancelled"),
    "date_precision": ("day", "week", "month", "year"),
    "role": ("origin", "via"),
}
_OBSERVED_CATEGORIES = ("action", "service")
_NULLABLE_INTS = ("geonameid", "parent_id", "fatalities", "injured", "geo_precision", "place_start", "place_end",
                  "sentence_start")
_LISTS = ("actors", "targets")


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Apply the column types of the module docstring."""
    for col in _LISTS:
        if col in df:
            df[col] = pd.Series([JsonList(v or ()) for v in df[col]], index=df.index, dtype=object)
    for col in _NULLABLE_INTS:
        if col in df:
            df[col] = pd.array([None if v is None or v != v else int(v) for v in df[col]], dtype="Int64")
    if "date" in df:
        df["date"] = pd.to_datetime(pd.Series([v or None for v in df["date"]], index=df.index, dtype=object),
                                    errors="coerce", format="ISO8601").astype("datetime64[ns]")
    cats = dict(CATEGORIES, event_type=_event_types())
    for col, values in cats.items():
        if col in df:
            seen = [v for v in pd.unique(df[col].dropna()) if v not in values]
            df[col] = pd.Categorical(df[col], categories=[*values, *sorted(map(str, seen))])
    for col in _OBSERVED_CATEGORIES:
        if col in df:
            df[col] = pd.Categorical(df[col], categories=sorted(map(str, pd.unique(df[col].dropna()))))
    return df


def plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with plain Python values: dates as ISO strings, categories as text, missing values ``None``.

    >>> from geomap.model import Place
    >>> p = Place("Sochi", 0, 5, 43.6, 39.7, "RU", "city", 491422, "Sochi", "gazetteer", 0.9)
    >>> plain(places_frame([p]))["kind"].tolist()
    ['city']
    """
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = pd.Series([None if pd.isna(v) else v.date().isoformat() for v in s], index=out.index, dtype=object)
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_extension_array_dtype(s.dtype):
            out[col] = pd.Series([None if v is pd.NA or (not isinstance(v, (list, str)) and pd.isna(v)) else
                                  (int(v) if pd.api.types.is_integer_dtype(s.dtype) else v) for v in s.astype(object)],
                                 index=out.index, dtype=object)
        if col in _LISTS:
            out[col] = pd.Series([list(v) for v in out[col]], index=out.index, dtype=object)
    return out


def point(lat: float | None, lon: float | None) -> Point | None:
    """The single (lat, lon) -> ``Point(x=lon, y=lat)`` swap."""
    if lat is None or lon is None:
        return None
    return Point(float(lon), float(lat))


def _frame(rows: list[dict], columns: list[str], geometry: list) -> gpd.GeoDataFrame:
    df = _typed(pd.DataFrame(rows, columns=columns))
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geometry, crs=CRS), crs=CRS)


def places_frame(places: Iterable[Place]) -> gpd.GeoDataFrame:
    """Places as a frame; with explanations (``explain=True``) an ``explanation`` column is added."""
    rows, geoms = [], []
    explained = False
    for p in places:
        d = p.to_dict()
        d.setdefault("doc_id", None)
        if "explanation" in d:
            d["explanation"] = JsonList(d["explanation"])
            explained = True
        rows.append(d)
        geoms.append(point(p.lat, p.lon))
    return _frame(rows, PLACE_COLUMNS + (["explanation"] if explained else []), geoms)


def events_frame(events: Iterable[Event]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for e in events:
        rows.append(e.to_dict())
        geoms.append(point(e.lat, e.lon))
    return _frame(rows, EVENT_COLUMNS, geoms)


def points(lats: Sequence[float | None], lons: Sequence[float | None]) -> list[Point | None]:
    """:func:`point` for many (the points are made in one call).

    >>> [p.wkt if p else p for p in points([43.6, None], [39.7, 2.0])]
    ['POINT (39.7 43.6)', None]
    """
    known = [i for i, (lat, lon) in enumerate(zip(lats, lons)) if lat is not None and lon is not None]
    out: list[Point | None] = [None] * len(lats)
    if known:
        xy = np.array([(float(lons[i]), float(lats[i])) for i in known])
        for i, p in zip(known, shapely.points(xy)):
            out[i] = p
    return out


def stops_frame(itineraries: Sequence[Itinerary]) -> gpd.GeoDataFrame:
    rows, lats, lons = [], [], []
    for it in itineraries:
        for seq, s in enumerate(it.stops, 1):
            rows.append({"actor": it.actor, "seq": seq, **s.to_dict()})
            lats.append(s.lat)
            lons.append(s.lon)
    return _frame(rows, STOP_COLUMNS, points(lats, lons))


def legs_frame(itineraries: Sequence[Itinerary]) -> gpd.GeoDataFrame:
    rows, ends = [], []
    for it in itineraries:
        for seq, leg in enumerate(it.legs, 1):
            rows.append({"actor": it.actor, "seq": seq, **leg.to_dict()})
            ends.append((leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon))
    return _frame(rows, LEG_COLUMNS, great_circles(ends))


@lru_cache(maxsize=1)
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def _path(lat1: float, lon1: float, lat2: float, lon2: float, n: int) -> np.ndarray:
    """``n`` (lon, lat) points along the geodesic, the two ends as given."""
    from pyproj.enums import GeodIntermediateFlag

    pts = np.empty((max(n, 2), 2))
    pts[0], pts[-1] = (lon1, lat1), (lon2, lat2)
    if n > 2:
        inner = _geod().inv_intermediate(lon1, lat1, lon2, lat2, n - 2, flags=GeodIntermediateFlag.AZIS_DISCARD,
                                         return_back_azimuth=False)
        pts[1:-1, 0], pts[1:-1, 1] = inner.lons, inner.lats
    return pts


def _split(pts: np.ndarray) -> MultiLineString:
    """A path that crosses the antimeridian, closed at +-180 and reopened on the other side."""
    pts = [(float(x), float(y)) for x, y in pts]
    parts: list[list[tuple[float, float]]] = [[pts[0]]]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if abs(x1 - x0) > 180:
            edge = 180.0 if x0 > 0 else -180.0
            x1u = x1 + 360 if x0 > 0 else x1 - 360
            t = (edge - x0) / (x1u - x0)
            y = y0 + t * (y1 - y0)
            parts[-1].append((edge, y))
            parts.append([(-edge, y)])
        parts[-1].append((x1, y1))
    return MultiLineString([p for p in parts if len(p) >= 2])


def great_circles(ends: Sequence[tuple[float, float, float, float]], n: int = 64) -> list[LineString | MultiLineString]:
    """:func:`great_circle` for many ``(lat1, lon1, lat2, lon2)`` at once (the lines are made in one call).

    >>> [g.geom_type for g in great_circles([(48.85, 2.35, 52.52, 13.40), (43.06, 131.9, 61.2, -149.9)])]
    ['LineString', 'MultiLineString']
    """
    if not ends:
        return []
    paths = np.stack([_path(*e, n) for e in ends])
    crossing = (np.abs(np.diff(paths[:, :, 0], axis=1)) > 180).any(axis=1)
    lines = list(shapely.linestrings(paths))
    for i in np.flatnonzero(crossing):
        lines[i] = _split(paths[i])
    return lines


def great_circle(lat1: float, lon1: float, lat2: float, lon2: float, n: int = 64) -> LineString | MultiLineString:
    """The great-circle path as a line, split at the antimeridian when it crosses it.

    >>> g = great_circle(43.06, 131.9, 61.2, -149.9)   # Vladivostok -> Anchorage
    >>> g.geom_type
    'MultiLineString'
    """
    return great_circles([(lat1, lon1, lat2, lon2)], n)[0]

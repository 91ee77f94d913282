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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, MultiLineString, Point

from .model import Event, Itinerary, Place

__all__ = [
    "CRS",
    "PLACE_COLUMNS",
    "EVENT_COLUMNS",
    "STOP_COLUMNS",
    "LEG_COLUMNS",
    "point",
    "places_frame",
    "events_frame",
    "stops_frame",
    "legs_frame",
    "great_circle",
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


def point(lat: float | None, lon: float | None) -> Point | None:
    """The single (lat, lon) -> ``Point(x=lon, y=lat)`` swap."""
    if lat is None or lon is None:
        return None
    return Point(float(lon), float(lat))


def _frame(rows: list[dict], columns: list[str], geometry: list) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geometry, crs=CRS), crs=CRS)


def places_frame(places: Iterable[Place]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for p in places:
        d = p.to_dict()
        d.setdefault("doc_id", None)
        rows.append(d)
        geoms.append(point(p.lat, p.lon))
    return _frame(rows, PLACE_COLUMNS, geoms)


def events_frame(events: Iterable[Event]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for e in events:
        rows.append(e.to_dict())
        geoms.append(point(e.lat, e.lon))
    return _frame(rows, EVENT_COLUMNS, geoms)


def stops_frame(itineraries: Sequence[Itinerary]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for it in itineraries:
        for seq, s in enumerate(it.stops, 1):
            rows.append({"actor": it.actor, "seq": seq, **s.to_dict()})
            geoms.append(point(s.lat, s.lon))
    return _frame(rows, STOP_COLUMNS, geoms)


def legs_frame(itineraries: Sequence[Itinerary]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for it in itineraries:
        for seq, leg in enumerate(it.legs, 1):
            rows.append({"actor": it.actor, "seq": seq, **leg.to_dict()})
            geoms.append(great_circle(leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon))
    return _frame(rows, LEG_COLUMNS, geoms)


def great_circle(lat1: float, lon1: float, lat2: float, lon2: float, n: int = 64) -> LineString | MultiLineString:
    """The great-circle path as a line, split at the antimeridian when it crosses it.

    >>> g = great_circle(43.06, 131.9, 61.2, -149.9)   # Vladivostok -> Anchorage
    >>> g.geom_type
    'MultiLineString'
    """
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    inner = geod.npts(lon1, lat1, lon2, lat2, max(n - 2, 0))
    pts = [(lon1, lat1), *inner, (lon2, lat2)]
    parts: list[list[tuple[float, float]]] = [[pts[0]]]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if abs(x1 - x0) > 180:  # crossing the antimeridian: close at +-180 and reopen
            edge = 180.0 if x0 > 0 else -180.0
            x1u = x1 + 360 if x0 > 0 else x1 - 360
            t = (edge - x0) / (x1u - x0)
            y = y0 + t * (y1 - y0)
            parts[-1].append((edge, y))
            parts.append([(-edge, y)])
        parts[-1].append((x1, y1))
    if len(parts) == 1:
        return LineString(parts[0])
    return MultiLineString([p for p in parts if len(p) >= 2])

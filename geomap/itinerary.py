"""Events -> per-traveller itineraries: stops in time order, repeated stops merged, legs with distances (pure).

Only events that put their actor at a place (``event_type`` in :data:`geomap.events.STOP_TYPES`:
travel, visit, meet, host, attend, address, sign) make stops; protests, attacks and the
like never do. Stops are ordered by status (what happened, then what is planned), then by
date (the start of its precision window), then by narrative order. A country or region is
not a stop when the traveller has a stop inside it (it is the context, not a place they
went to). Cancelled stops are listed with ``status: "cancelled"`` and no leg leads to them.

A traveller named by a description rather than a name ("officials", "protesters", "the
delegation") is a different group of people in each article: when the events carry their
article's ``doc_id``, such a traveller has one itinerary per article, labelled
``"officials (doc-7)"``. Named travellers' itineraries span articles.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from functools import lru_cache

from pyproj import Geod

from .events.vocabulary import STOP_TYPES, is_description
from .model import Event, Itinerary, Leg, Stop

__all__ = ["build_itineraries", "stop_order_key", "traveller_key", "STOP_TYPES"]

_SAME_PLACE_KM = 2.0
_RANK = {"occurred": 0, "planned": 1, "cancelled": 2}
_COARSE = {"country", "admin", "region"}
_GEOD = Geod(ellps="WGS84")


def stop_order_key(e: Event) -> tuple:
    """Status, then date (the event's own, else the one its sentence or story gives), then narrative order.

    Across articles the article order follows their dates.
    """
    return (_RANK.get(e.status, 0), e.sort_date or e.date or "", e.doc_id or "", e.order, e.sentence_start, e.place_start)


@lru_cache(maxsize=1 << 16)
def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic km on the WGS84 ellipsoid (Karney's algorithm), once per pair of points (corpora repeat places)."""
    return _GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


def traveller_key(actor: str, doc_id: str | None) -> str:
    """The itinerary an event of ``actor`` belongs to: the actor's name, or for a description
    ("officials") in an identified article, the description and that article."""
    return f"{actor} ({doc_id})" if doc_id is not None and is_description(actor) else actor


def _same_place(a: Stop, b: Stop) -> bool:
    if a.geonameid is not None and a.geonameid == b.geonameid:
        return True
    if abs(a.lat - b.lat) > 0.05:  # over 5.5 km apart north-south: no need for the (slow) geodesic
        return False
    return _km(a.lat, a.lon, b.lat, b.lon) <= _SAME_PLACE_KM


def _merge(a: Stop, b: Stop) -> Stop:
    """One stop for two consecutive events at the same place: the earliest date, the firmest status."""
    keep = a if _RANK[a.status] <= _RANK[b.status] else b
    dated = a if a.date else b
    return Stop(
        place=keep.place, lat=keep.lat, lon=keep.lon, date=dated.date, status=keep.status,
        evidence=keep.evidence, action=keep.action, event_id=keep.event_id, geonameid=keep.geonameid,
        parent_id=keep.parent_id, doc_id=keep.doc_id, date_precision=dated.date_precision,
        role=a.role if a.role == "origin" else keep.role,
    )


def _stop(e: Event) -> Stop:
    return Stop(
        place=e.place, lat=e.lat, lon=e.lon, date=e.date, status=e.status, evidence=e.sentence, action=e.action,
        event_id=e.event_id, geonameid=e.geonameid, parent_id=e.parent_id, doc_id=e.doc_id,
        date_precision=e.date_precision, role=e.role,
    )


def build_itineraries(
    events: Sequence[Event], *, min_stops: int = 1, actors: Collection[str] | None = None
) -> list[Itinerary]:
    """One itinerary per actor with at least ``min_stops`` distinct stops, in time order.

    With ``actors``, only the itineraries of those travellers (each the same as without it).
    Itineraries are keyed by :func:`traveller_key`.
    """
    by_actor: dict[str, list[Event]] = {}
    for e in events:
        if e.lat is None or e.lon is None or (e.event_type or "travel") not in STOP_TYPES:
            continue
        for a in e.actors:
            if actors is None or a in actors:
                by_actor.setdefault(traveller_key(a, e.doc_id), []).append(e)
    out: list[Itinerary] = []
    for actor, evs in by_actor.items():
        evs = _drop_context(evs)
        stops: list[Stop] = []
        called_off: set = set()  # places of the cancelled stops so far
        for e in sorted(evs, key=stop_order_key):
            stop = _stop(e)
            if stops and _same_place(stops[-1], stop) and stops[-1].status != "cancelled" or (
                stops and stop.status == "cancelled" and _place_key(stop) in called_off
            ):
                if stops[-1].status != "cancelled" or stop.status == "cancelled":
                    if _same_place(stops[-1], stop):
                        stops[-1] = _merge(stops[-1], stop)
                    continue
            stops.append(stop)
            if stop.status == "cancelled":
                called_off.add(_place_key(stop))
        stops = _cancelled_last(stops)
        if len(stops) < min_stops:
            continue
        out.append(Itinerary(actor=actor, stops=tuple(stops), legs=tuple(_legs(stops))))
    out.sort(key=lambda it: (-len(it.stops), it.actor))
    return out


def _place_key(s: Stop) -> tuple:
    """One key per place: its gazetteer id, else its point to about a kilometre."""
    return ("id", s.geonameid) if s.geonameid is not None else ("pt", round(s.lat, 2), round(s.lon, 2))


def _drop_context(evs: list[Event]) -> list[Event]:
    """A country (or state, or region) is context when the same sentence puts the traveller somewhere in it."""
    by_sentence: dict[tuple, list[Event]] = {}
    for e in evs:
        by_sentence.setdefault((e.doc_id, e.sentence_start), []).append(e)
    keep = []
    for e in evs:
        if e.geo_precision is not None and e.geo_precision <= 2 and e.country_code:
            if any(o is not e and (o.geo_precision or 0) > e.geo_precision and o.country_code == e.country_code
                   and o.status != "cancelled" for o in by_sentence[(e.doc_id, e.sentence_start)]):
                continue
        keep.append(e)
    return keep


def _cancelled_last(stops: list[Stop]) -> list[Stop]:
    """A cancelled stop stays out of the route; a cancelled place later reached for real is not cancelled."""
    real = [s for s in stops if s.status != "cancelled"]
    reached = {_place_key(s) for s in real}
    called_off = [s for s in stops if s.status == "cancelled" and _place_key(s) not in reached]
    return real + called_off


def _legs(stops: Sequence[Stop]) -> list[Leg]:
    moving = [s for s in stops if s.status != "cancelled"]
    legs = []
    for a, b in zip(moving, moving[1:]):
        legs.append(
            Leg(
                origin=a.place, destination=b.place, km=_km(a.lat, a.lon, b.lat, b.lon),
                status="planned" if b.status == "planned" else "occurred",
                from_lat=a.lat, from_lon=a.lon, to_lat=b.lat, to_lon=b.lon,
            )
        )
    return legs

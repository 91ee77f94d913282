"""Events -> per-actor itineraries: stops in time order, repeated stops merged, legs with distances (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from geopy.distance import geodesic

from .model import Event, Itinerary, Leg, Stop

__all__ = ["build_itineraries", "stop_order_key"]

_SAME_PLACE_KM = 2.0


def stop_order_key(e: Event) -> tuple:
    """Dates first (the start of their precision window), then narrative cues, then text order.

    Events of one article without any date sort by their narrative ``order``;
    across articles the article date (carried in ``date``) comes first.
    """
    return (e.sort_date or e.date or "", e.order, e.doc_id or "", e.sentence_start, e.place_start)


def _same_place(a: Stop, b: Stop) -> bool:
    if a.geonameid is not None and a.geonameid == b.geonameid:
        return True
    return geodesic((a.lat, a.lon), (b.lat, b.lon)).km <= _SAME_PLACE_KM


def _merge(a: Stop, b: Stop) -> Stop:
    """One stop for two consecutive events at the same place: the earliest date, the firmest status."""
    rank = {"occurred": 0, "planned": 1, "cancelled": 2}
    status = min((a.status, b.status), key=rank.__getitem__)
    keep = a if rank[a.status] <= rank[b.status] else b
    return Stop(
        place=keep.place, lat=keep.lat, lon=keep.lon, date=a.date or b.date, status=status,
        evidence=keep.evidence, action=keep.action, event_id=keep.event_id,
        geonameid=keep.geonameid, parent_id=keep.parent_id, doc_id=keep.doc_id,
    )


def build_itineraries(events: Sequence[Event], *, min_stops: int = 2) -> list[Itinerary]:
    """One itinerary per actor with at least ``min_stops`` distinct stops, in time order.

    Cancelled stops are kept (so maps can show them) but no leg leads to them.
    """
    by_actor: dict[str, list[Event]] = {}
    for e in events:
        if e.lat is None or e.lon is None:
            continue
        for a in e.actors:
            by_actor.setdefault(a, []).append(e)
    out: list[Itinerary] = []
    for actor, evs in by_actor.items():
        stops: list[Stop] = []
        for e in sorted(evs, key=stop_order_key):
            stop = Stop(
                place=e.place, lat=e.lat, lon=e.lon, date=e.date, status=e.status, evidence=e.sentence,
                action=e.action, event_id=e.event_id, geonameid=e.geonameid, parent_id=e.parent_id,
                doc_id=e.doc_id,
            )
            if stops and _same_place(stops[-1], stop):
                stops[-1] = _merge(stops[-1], stop)
            else:
                stops.append(stop)
        if len(stops) < min_stops:
            continue
        out.append(Itinerary(actor=actor, stops=tuple(stops), legs=tuple(_legs(stops))))
    out.sort(key=lambda it: (-len(it.stops), it.actor))
    return out


def _legs(stops: Sequence[Stop]) -> list[Leg]:
    moving = [s for s in stops if s.status != "cancelled"]
    legs = []
    for a, b in zip(moving, moving[1:]):
        legs.append(
            Leg(
                origin=a.place, destination=b.place, km=geodesic((a.lat, a.lon), (b.lat, b.lon)).km,
                status="planned" if b.status == "planned" else "occurred",
                from_lat=a.lat, from_lon=a.lon, to_lat=b.lat, to_lon=b.lon,
            )
        )
    return legs

"""The public verbs: text -> places, events, itineraries, frames and maps.

>>> import geomap
>>> a = geomap.analyse("Putin met Lukashenko in Sochi.")      # doctest: +SKIP
>>> a.places_frame()[["name", "kind", "country_code"]]        # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import frames as _frames
from .errors import ConfigError, InputError
from .events import extract_events
from .geoparse import find_mentions, find_people, tokenize
from .itinerary import build_itineraries
from .model import Event, Itinerary, Place
from .resolve import resolve_mentions
from .settings import Settings, from_env
from .text import split_sentences

__all__ = [
    "Analysis",
    "analyse",
    "analyse_many",
    "places",
    "events",
    "itinerary",
    "build_map",
    "open_gazetteer",
    "make_fallback",
]


@lru_cache(maxsize=4)
def _open_gazetteer_cached(path: str, sources: str) -> Any:
    from .gazetteer import Gazetteer

    return Gazetteer.open(path=Path(path), sources=Path(sources))


def open_gazetteer(settings: Settings | None = None) -> Any:
    """The local gazetteer for ``settings`` (built on first use, then reused in this process)."""
    s = settings or from_env()
    return _open_gazetteer_cached(str(s.gazetteer_file), str(s.gazetteer_sources))


def make_fallback(settings: Settings) -> Any | None:
    """The fallback for ``settings`` (its cache, then the online service), or ``None`` when offline.

    Without a user agent the online service is not used (geomap never sends geopy's
    default agent); those names stay unresolved with a reason that says so.
    """
    if settings.offline:
        return None
    from .geocoders.fallback import FallbackResolver

    if not settings.user_agent:
        return _NoUserAgent(settings.geocoder)
    return FallbackResolver(settings)


@dataclass
class _NoUserAgent:
    service: str

    def resolve(self, name: str, **_: Any) -> Any:
        from .geocoders.fallback import FallbackAnswer

        return FallbackAnswer(None, None, self.service, "online fallback off: no user agent (set --user-agent or GEOMAP_USER_AGENT)")

    def close(self) -> None:
        pass


@dataclass
class Analysis:
    """Everything geomap reads from one or more articles, as plain values and as GeoDataFrames."""

    places: list[Place] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    itineraries: list[Itinerary] = field(default_factory=list)

    def places_frame(self):
        return _frames.places_frame(self.places)

    def events_frame(self):
        return _frames.events_frame(self.events)

    def stops_frame(self):
        return _frames.stops_frame(self.itineraries)

    def legs_frame(self):
        return _frames.legs_frame(self.itineraries)

    def unresolved_summary(self) -> dict[str, list[str]]:
        """Unresolved names grouped by reason."""
        out: dict[str, list[str]] = {}
        for p in self.places:
            if not p.resolved:
                names = out.setdefault(p.unresolved_reason or "unknown", [])
                if p.name not in names:
                    names.append(p.name)
        return out


def _analyse_one(
    text: str, *, date: dt.date | None, doc_id: str | None, gazetteer: Any, fallback: Any | None,
    known_people: set[str] | None = None,
) -> tuple[list[Place], list[Event]]:
    if not isinstance(text, str):
        raise InputError("the article must be text (str)")
    if not text.strip():
        raise InputError("the article is empty")
    people, places = people_and_places(text, gazetteer, fallback=fallback, doc_id=doc_id, known_people=known_people)
    events = extract_events(text, split_sentences(text), places, people, pub_date=date, doc_id=doc_id)
    return places, events


def people_and_places(
    text: str, gazetteer: Any, *, fallback: Any | None = None, doc_id: str | None = None,
    known_people: set[str] | None = None,
) -> tuple[list[tuple[int, int, str]], list[Place]]:
    """The people (spans) and the resolved places of one text: recognition and resolution, without events."""
    tokens = tokenize(text)
    people = find_people(text, gazetteer, tokens=tokens)
    if known_people:
        people += _known_people(text, people, known_people)
    mentions = find_mentions(text, gazetteer, people=people, tokens=tokens)
    return people, resolve_mentions(mentions, gazetteer, fallback=fallback, doc_id=doc_id)


def _known_people(text: str, found: list[tuple[int, int, str]], known: set[str]) -> list[tuple[int, int, str]]:
    """People named in full in earlier articles, mentioned here by family name only ("Biden")."""
    import re

    taken = [(s, e) for s, e, _ in found]
    here = {name for _, _, name in found}
    out = []
    for name in sorted(known - here):
        family = name.split()[-1]
        for m in re.finditer(rf"\b{re.escape(family)}\b", text):
            if not any(s <= m.start() < e for s, e in taken):
                out.append((m.start(), m.end(), name))
    return out


def _coerce_date(date: dt.date | str | None) -> dt.date | None:
    if date is None or isinstance(date, dt.date):
        return date
    try:
        return dt.date.fromisoformat(date)
    except ValueError:
        raise ConfigError(f"--date {date!r}: expected YYYY-MM-DD") from None


def analyse(
    text: str,
    *,
    date: dt.date | str | None = None,
    doc_id: str | None = None,
    settings: Settings | None = None,
    gazetteer: Any | None = None,
    fallback: Any | None = None,
    offline: bool | None = None,
) -> Analysis:
    """Read one article: places, events and itineraries.

    ``date`` is the publication date for relative dates ("this week") when the
    text has no dateline. Pass ``offline=True`` to guarantee no network use.
    """
    return analyse_many([(doc_id, text, date)], settings=settings, gazetteer=gazetteer, fallback=fallback, offline=offline)


def analyse_many(
    docs: Iterable[tuple[str | None, str, dt.date | str | None]],
    *,
    settings: Settings | None = None,
    gazetteer: Any | None = None,
    fallback: Any | None = None,
    offline: bool | None = None,
) -> Analysis:
    """Several articles at once; itineraries span articles, ordered by date."""
    from .io import parse_dateline

    s = (settings or from_env()).replace(offline=offline)
    gaz = gazetteer or open_gazetteer(s)
    own_fallback = fallback is None
    fb = make_fallback(s) if own_fallback else fallback
    result = Analysis()
    docs = list(docs)
    # people named in full in any article: the others may use their family name alone ("Biden")
    known: set[str] = set()
    if len(docs) > 1:
        for _, text, _ in docs:
            if isinstance(text, str):
                known.update(name for _, _, name in find_people(text, gaz) if " " in name)
    try:
        for doc_id, text, date in docs:
            d = _coerce_date(date) or (parse_dateline(text) if isinstance(text, str) else None)
            places, events = _analyse_one(text, date=d, doc_id=doc_id, gazetteer=gaz, fallback=fb, known_people=known)
            result.places.extend(places)
            result.events.extend(events)
    finally:
        if own_fallback and fb is not None:
            fb.close()
    result.itineraries = build_itineraries(result.events)
    return result


def places(text: str, **kwargs: Any):
    """Every place mention as a GeoDataFrame (columns: :data:`geomap.frames.PLACE_COLUMNS`)."""
    return analyse(text, **kwargs).places_frame()


def events(text: str, **kwargs: Any):
    """Events as a GeoDataFrame (columns: :data:`geomap.frames.EVENT_COLUMNS`)."""
    return analyse(text, **kwargs).events_frame()


def itinerary(text: str, **kwargs: Any):
    """Each moving actor's stops in time order as a GeoDataFrame (``.attrs["legs"]`` holds the legs frame)."""
    a = analyse(text, **kwargs)
    stops = a.stops_frame()
    stops.attrs["legs"] = a.legs_frame()
    return stops


def build_map(
    source: str | Analysis,
    *,
    m: Any | None = None,
    offline: bool = False,
    title: str | None = None,
    **kwargs: Any,
):
    """A ``folium.Map`` of an article (text) or an :class:`Analysis`; ``m=`` adds to an existing map."""
    from .render import build_map as _build_map

    a = source if isinstance(source, Analysis) else analyse(source, offline=offline or None, **kwargs)
    return _build_map(
        places=a.places_frame(), events=a.events_frame(), stops=a.stops_frame(), legs=a.legs_frame(),
        m=m, offline=offline, title=title,
    )

"""Plain values passed along the pipeline: text -> mentions -> places -> events -> itineraries.

All are frozen dataclasses with no behaviour beyond conversion to dicts; the
work lives in the module that owns each step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

__all__ = [
    "KINDS",
    "STATUSES",
    "Kind",
    "Status",
    "Candidate",
    "Mention",
    "Place",
    "Event",
    "Stop",
    "Leg",
    "Itinerary",
]

Kind = Literal["country", "admin", "city", "landmark", "region", "water", "demonym"]
Status = Literal["occurred", "planned", "cancelled"]
KINDS: tuple[str, ...] = ("country", "admin", "city", "landmark", "region", "water", "demonym")
STATUSES: tuple[str, ...] = ("occurred", "planned", "cancelled")


@dataclass(frozen=True)
class Candidate:
    """One gazetteer (or fallback) entry that a name may refer to."""

    geonameid: int | None
    name: str
    lat: float
    lon: float
    country_code: str | None
    kind: str
    population: int = 0
    feature_code: str | None = None
    admin1: str | None = None
    #: geonameid of the city a landmark belongs to (for grouping stops)
    parent_id: int | None = None
    #: "name" when the query matched the entry's main or ASCII name, "alias" for an alternate name
    match: str = "name"
    source: str = "gazetteer"
    service: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Mention:
    """A span of text that names a place, before resolution."""

    name: str
    start: int
    end: int
    #: kind suggested by the text itself (a cue word such as "spaceport", or a demonym)
    hint: str | None = None
    #: a containing place named next to it ("X, Y" or "X in Y"), as written
    parent: str | None = None
    #: query to send to a gazetteer when it differs from ``name`` (e.g. "Vostochny spaceport")
    query: str | None = None
    #: found by what the text says (a head word, a cue, a preposition), not by a gazetteer name
    open: bool = False
    #: the list the name is an item of ("New Jersey and New York"): one number per list in a text
    listed: int | None = None


@dataclass(frozen=True)
class Place:
    """A mention with its resolution; the row of ``places --format json``."""

    name: str
    start: int
    end: int
    lat: float | None
    lon: float | None
    country_code: str | None
    kind: str
    geonameid: int | None
    resolved_name: str | None
    source: str | None
    confidence: float
    service: str | None = None
    unresolved_reason: str | None = None
    population: int = 0
    parent_id: int | None = None
    doc_id: str | None = None
    #: with ``explain=True``: the candidates considered, best first, with scores and reasons
    explanation: tuple[dict[str, Any], ...] | None = field(default=None, compare=False)

    @property
    def resolved(self) -> bool:
        return self.lat is not None and self.lon is not None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("population")
        d.pop("parent_id")
        if d["doc_id"] is None:
            d.pop("doc_id")
        if d["explanation"] is None:
            d.pop("explanation")
        else:
            d["explanation"] = list(d["explanation"])
        return d


@dataclass(frozen=True)
class Event:
    """Who did what, where, when, and whether it happened, with the sentence that says so."""

    event_id: str
    actors: tuple[str, ...]
    action: str
    place: str
    lat: float | None
    lon: float | None
    date: str | None
    status: str
    sentence: str
    place_start: int = -1
    place_end: int = -1
    sentence_start: int = 0
    date_precision: str | None = None
    geo_precision: int | None = None
    origin: str | None = None
    host: str | None = None
    cameo: str | None = None
    country_code: str | None = None
    geonameid: int | None = None
    parent_id: int | None = None
    #: position of the event in narrative time (smaller is earlier) when dates tie
    order: float = 0.0
    doc_id: str | None = None
    #: the date used to order events: the event's own when the text gives one, else the last stated date
    sort_date: str | None = None
    #: the event family (see :data:`geomap.events.vocabulary.EVENT_TYPES`): travel, meet, protest, assault, ...
    event_type: str | None = None
    #: PLOVER event category (None where PLOVER has none)
    plover: str | None = None
    #: who or what the event was done to ("police arrested three activists" -> the activists)
    targets: tuple[str, ...] = ()
    fatalities: int | None = None
    injured: int | None = None
    #: "via" when the place is passed through on the way, "origin" when it is where a trip started
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["actors"] = list(self.actors)
        d["targets"] = list(self.targets)
        d.pop("sort_date")
        return d


@dataclass(frozen=True)
class Stop:
    place: str
    lat: float
    lon: float
    date: str | None
    status: str
    evidence: str
    action: str = ""
    event_id: str | None = None
    geonameid: int | None = None
    parent_id: int | None = None
    doc_id: str | None = None
    date_precision: str | None = None
    #: "origin" for the stated start of a trip, "via" for a place passed through, else None
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # every field is a plain value: no need for asdict's deep copy (frames of many stops call this)
        return {name: getattr(self, name) for name in _STOP_FIELDS}


_STOP_FIELDS = tuple(f.name for f in fields(Stop))


@dataclass(frozen=True)
class Leg:
    origin: str
    destination: str
    km: float
    status: str = "occurred"
    from_lat: float = 0.0
    from_lon: float = 0.0
    to_lat: float = 0.0
    to_lon: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.origin, "to": self.destination, "km": round(self.km, 1), "status": self.status}


@dataclass(frozen=True)
class Itinerary:
    actor: str
    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...] = field(default=())

    @property
    def total_km(self) -> float:
        return sum(leg.km for leg in self.legs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "stops": [s.to_dict() for s in self.stops],
            "legs": [leg.to_dict() for leg in self.legs],
            "total_km": round(self.total_km, 1),
        }

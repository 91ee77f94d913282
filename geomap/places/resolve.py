"""Mentions + gazetteer candidates + document context -> places and open questions (pure but for
the index lookups; never the network).

Each mention's candidates are scored with priors a reader uses: the kind of place the text
suggests (a cue word such as "spaceport"), the population and rank of the place, the document's
focus countries, a container the text names ("Tripoli, in northern Lebanon", "the US state of
Georgia"), a caller's bias (``country_codes``, ``bbox``), and one referent per name within a
document. Every score is a sum of named parts, so ``explain=True`` can say why a candidate won.

A mention with no candidate becomes a :class:`Question`. The caller's edge
(:func:`geomap.geocoders.chain.ask`) asks its chain of sources, and :func:`merge` folds the
answers in: an answer resolves the place; without one a place named inside or beside a known
container ("Port of Newcastle", "Annaya, a village in Lebanon") takes the container's point
(``source="container"``); anything else stays unresolved with its ``unresolved_reason``.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..model import Candidate, Mention, Place
from ..text import normalize_name

__all__ = ["CandidateSource", "Bias", "Question", "Resolution", "resolve", "merge", "score_parts", "score_candidate"]


class CandidateSource(Protocol):
    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]: ...
    def demonym(self, word: str) -> Candidate | None: ...


#: Weight of a likely reading of another name close by (times its likelihood).
_NEIGHBOUR = 3.0
_KIND_PRIOR = {"country": 14.0, "admin": 8.0, "region": 10.0, "water": 9.0, "landmark": 3.0, "city": 1.0}
_MAX_CITY_FOCUS = 10.0
#: A first-level region below this population (log10) is no better known than a town of its
#: size; from the second figure on it takes the whole ``admin`` prior ("Portland" is the city
#: in Oregon, not the Jamaican parish of 22,000; "Mississippi" is still the state, not the river).
_KNOWN_AREA = (4.8, 5.8)
#: A second-level region needs half an order of magnitude more ("Norfolk" in a Nebraskan story).
_KNOWN_AREA2 = (5.3, 6.3)


@dataclass(frozen=True)
class Focus:
    """Where a document is about: shares of its countries and first-level regions, and its anchor points."""

    countries: dict[str, float]
    admin1: dict[tuple[str, str], float]
    anchors: tuple[tuple[float, float], ...] = ()
    #: the likely readings of the document's other names, for :meth:`neighbour`
    readings: "_Readings | None" = None
    name: str = ""
    #: the kinds the first reading gave the items of each list, as (name, kind, confidence) by list number
    lists: Mapping[int, tuple[tuple[str, str, float], ...]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> "Focus":
        return cls({}, {})

    def listed_with(self, c: Candidate, m: Mention) -> float:
        """The share of the other items of ``m``'s list that read as ``c``'s kind: "New Jersey and
        New York" are two states, "Washington, New York and Boston" three cities."""
        others = [(k, w) for n, k, w in self.lists.get(m.listed, ()) if n != self.name] if m.listed is not None else []
        return sum(w for k, w in others if k == _list_kind(c)) / len(others) if others else 0.0

    def neighbour(self, c: Candidate) -> float:
        """The likelihood of the most likely reading of another name within :data:`_NEAR_KM` of
        candidate ``c`` that pairs a town or site with a county ("Huntsville" and "Walker County")."""
        return self.readings.near(c, self.name) if self.readings is not None else 0.0


#: Weight of a list's other items being of a candidate's kind (times their share).
_LISTED = 6.0


def _list_kind(c: Candidate) -> str:
    """What a list holds alike: countries, first-level regions, or local places (towns, counties, sites)."""
    return "country" if c.kind == "country" else "region" if c.feature_code == "ADM1" else "local"

#: A city with at least this share of its first-level region's people is what their shared name
#: means ("New York", "Vienna", "Chihuahua"), unless the text says the region.
_MAIN_CITY_SHARE = 0.25

#: How close two readings must lie to support each other: a town and its county.
_NEAR_KM = 40.0
#: Readings of a name less likely than this (in the first reading) support no other name.
_MIN_READING = 0.15
#: A reading this likely supports its neighbours fully; less likely ones in proportion.
_LIKELY_READING = 0.3
_CELL = 0.5  # degrees


class _Readings:
    """The likely readings of each name, in a grid of half-degree cells. A town lies in or near its
    county: of all the Walker Counties and Huntsvilles, the pair that lies together is the one meant.
    Two towns close together are no such pair: small namesakes lie near each other by chance."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[tuple[Candidate, float, str]]] = {}

    def add(self, c: Candidate, weight: float, name: str) -> None:
        self._cells.setdefault((int(c.lat // _CELL), int(c.lon // _CELL)), []).append((c, weight, name))

    def __bool__(self) -> bool:
        return bool(self._cells)

    def has_county(self) -> bool:
        return any(c.feature_code == "ADM2" for cell in self._cells.values() for c, _, _ in cell)

    def near(self, c: Candidate, name: str) -> float:
        best, county = 0.0, c.feature_code == "ADM2"
        i, j = int(c.lat // _CELL), int(c.lon // _CELL)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for o, w, n in self._cells.get((i + di, j + dj), ()):
                    if w > best and (o.feature_code == "ADM2") != county and n not in name and name not in n \
                            and _km(c.lat, c.lon, o.lat, o.lon) < _NEAR_KM:
                        best = w  # "Springfield City" is no neighbour of "Springfield"
        return best


@dataclass
class _Evidence:
    """Focus evidence per name, so that a name is scored on what the *other* names say."""

    countries: dict[str, Counter] = field(default_factory=dict)
    admin1: dict[str, Counter] = field(default_factory=dict)
    anchors: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    readings: _Readings = field(default_factory=_Readings)
    lists: dict[int, tuple[tuple[str, str, float], ...]] = field(default_factory=dict)

    def focus_without(self, name: str) -> Focus:
        countries: Counter = Counter()
        admin1: Counter = Counter()
        anchors: list[tuple[float, float]] = []
        for n, c in self.countries.items():
            if n != name:
                countries.update(c)
        for n, c in self.admin1.items():
            if n != name:
                admin1.update(c)
        for n, pts in self.anchors.items():
            if n != name:
                anchors.extend(pts)
        tc, ta = sum(countries.values()), sum(admin1.values())
        return Focus(
            {k: v / tc for k, v in countries.items()} if tc else {},
            {k: v / ta for k, v in admin1.items()} if ta >= 1.0 else {},
            tuple(anchors[:50]),
            self.readings or None,
            name,
            self.lists,
        )


@dataclass(frozen=True)
class Bias:
    """What the caller says about where the documents are: ISO country codes and a bounding box
    ``(min_lon, min_lat, max_lon, max_lat)``. Candidates inside win; the fallback is told too."""

    country_codes: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "country_codes", tuple(c.upper() for c in self.country_codes))

    def __bool__(self) -> bool:
        return bool(self.country_codes) or self.bbox is not None

    def contains(self, lat: float, lon: float) -> bool:
        if self.bbox is None:
            return False
        w, s_, e, n = self.bbox
        inside_lon = w <= lon <= e if w <= e else (lon >= w or lon <= e)  # a box across the antimeridian
        return s_ <= lat <= n and inside_lon

    @property
    def viewbox(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The box as the fallback takes it: ``((lat, lon), (lat, lon))``."""
        if self.bbox is None:
            return None
        w, s_, e, n = self.bbox
        return ((s_, w), (n, e))


def _kind_prior(c: Candidate) -> float:
    """The prior of ``c``'s kind; an administrative area's grows with how well known it can be
    (its population), and one of unknown population (0) keeps the whole prior."""
    prior = _KIND_PRIOR.get(c.kind, 1.0)
    if c.kind != "admin" or c.population <= 0:
        return prior
    low, high = _KNOWN_AREA2 if c.feature_code == "ADM2" else _KNOWN_AREA
    return round(prior * min(1.0, max(0.0, (math.log10(c.population) - low) / (high - low))), 3)


def _alias_penalty(population: int) -> float:
    """An alternate name counts less than a main name, but a well-known alternate name of a big
    place ("Zaporozhye", 700,000 people) still beats the main name of a village."""
    scale = (6.5 - math.log10(population + 10)) / 2.0
    return -2.5 * min(1.0, max(0.6, scale))


def score_parts(
    c: Candidate, m: Mention, focus: Focus, parent: Candidate | None, capital_named: bool = False,
    bias: Bias | None = None, city_named: bool = False,
) -> list[tuple[str, float]]:
    """The named parts of candidate ``c``'s score for mention ``m`` (their sum is the score).

    ``capital_named``: a national capital among the candidates bears exactly this name ("Washington").
    ``city_named``: ``c`` is a region named like the city that holds much of its people ("New York").
    """
    parts: list[tuple[str, float]] = [("kind", _kind_prior(c))]
    city_named = city_named and m.hint != "admin"  # "the state of New York" is the state
    if city_named:
        parts.append(("its city's name", round(_KIND_PRIOR["city"] - parts[0][1], 3)))  # no more than a town
    if c.kind == "city":
        parts.append(("population", math.log10(c.population + 10)))
        if c.feature_code == "PPLC":
            parts.append(("capital", 4.0))
    elif c.kind in ("admin", "landmark"):
        parts.append(("population", 0.3 * math.log10(c.population + 10)))
    if c.match != "name":
        parts.append(("alternate name", _alias_penalty(c.population)))
    if m.hint and m.hint != "demonym":
        if c.kind == m.hint or (m.hint == "region" and c.kind in ("landmark", "region")):
            parts.append(("cue", 6.0))
        elif m.hint == "landmark" and c.kind != "landmark":
            parts.append(("cue", -2.0))
    if c.kind in ("country", "admin", "region", "water", "landmark") and normalize_name(c.name) == normalize_name(m.name):
        if not (c.kind == "admin" and (capital_named or city_named)):
            parts.append(("own name", 4.0))  # the entry's own name, not an alternate (a capital's name is the capital's)
    bonus = 0.0
    if c.country_code:
        bonus += 5.0 * focus.countries.get(c.country_code, 0.0)
        if c.admin1 and c.kind != "admin" or c.feature_code == "ADM2":
            bonus += 5.0 * focus.admin1.get((c.country_code, c.admin1 or ""), 0.0)
    if focus.anchors and c.kind in ("city", "landmark", "admin"):
        near = min(_km(c.lat, c.lon, a, b) for a, b in focus.anchors)
        bonus += 2.0 if near < 50 else 1.0 if near < 200 else 0.0
    bonus = min(bonus, _MAX_CITY_FOCUS) if c.kind in ("city", "landmark") else bonus
    if bonus:
        parts.append(("focus", bonus))
    if (
        focus.readings is not None and parent is None and c.match == "name"
        and c.kind in ("city", "landmark", "admin") and c.feature_code != "ADM1"
    ):
        near = focus.neighbour(c)  # "Huntsville" and "Walker County": the Texan pair lies together
        if near:
            parts.append(("neighbour", round(_NEIGHBOUR * min(1.0, near / _LIKELY_READING), 3)))
    if c.kind in ("country", "admin", "city") and (alike := focus.listed_with(c, m)):
        parts.append(("list", round(_LISTED * alike, 3)))
    if parent is not None:
        if parent.kind == "country" and c.country_code == parent.country_code:
            parts.append(("container", 6.0))
        elif parent.kind == "admin" and c.country_code == parent.country_code:
            parts.append(("container", 4.0 + (4.0 if c.admin1 and c.admin1 == parent.admin1 else 0.0)))
        elif c.country_code != parent.country_code and m.listed is None:
            parts.append(("container", -5.0))  # (in a list, "X, Y" may be two items: "Paris, London and Rome")
    if bias:
        if bias.country_codes:
            parts.append(("bias", 6.0 if c.country_code in bias.country_codes else -2.0))
        if bias.bbox is not None:
            parts.append(("bias", 6.0 if bias.contains(c.lat, c.lon) else -2.0))
    return parts


def score_candidate(
    c: Candidate, m: Mention, focus: Focus, parent: Candidate | None, capital_named: bool = False,
    bias: Bias | None = None, city_named: bool = False,
) -> float:
    """A log-scale plausibility score of candidate ``c`` for mention ``m``; higher is better
    (the sum of :func:`score_parts`)."""
    return sum(v for _, v in score_parts(c, m, focus, parent, capital_named, bias, city_named))


def _named_after_cities(cs: Sequence[Candidate]) -> set[int]:
    """The regions among ``cs`` that a city among them names and largely fills (by index)."""
    cities = [c for c in cs if c.kind == "city" and c.match == "name" and c.admin1]
    return {
        i for i, a in enumerate(cs)
        if a.kind == "admin" and a.population > 0 and any(
            t.country_code == a.country_code and t.admin1 == a.admin1 and t.population >= _MAIN_CITY_SHARE * a.population
            for t in cities
        )
    }


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))


def _candidates(index: CandidateSource, m: Mention) -> list[Candidate]:
    if m.hint == "demonym":
        c = index.demonym(m.name)
        return [c] if c else []
    found: list[Candidate] = []
    seen: set[Any] = set()
    queries = [q for q in (m.query, m.name) if q]
    for q in queries:
        for c in index.lookup(q, limit=40):  # lookups include the name's variants
            key = (c.geonameid, c.lat, c.lon)
            if key not in seen:
                seen.add(key)
                found.append(c)
    return found


#: Weight of the regions a name *could* be in (beside where the first reading put it): names that
#: share a region support each other ("Huntsville" and "Walker County" are both in Texas).
_SUPPORT = 0.75


def _evidence(
    mentions: Sequence[Mention], picks: Sequence[_Pick | None], cands: Sequence[list[Candidate]]
) -> _Evidence:
    """What a first reading says about the document's countries, regions and anchor points."""
    ev = _Evidence()
    for m, cs in zip(mentions, cands):
        regions = {(c.country_code, c.admin1) for c in cs[:20] if c.country_code and c.admin1 and c.kind in ("city", "admin")}
        if len(regions) > 1:
            counter = ev.admin1.setdefault(normalize_name(m.name), Counter())
            for r in regions:
                counter[r] += _SUPPORT / len(regions)
    for m, got in zip(mentions, picks):
        if got is None or got.candidate is None:
            continue
        c, conf = got.candidate, got.confidence
        if not c.country_code:
            continue
        name = normalize_name(m.name)
        w = conf if c.kind != "country" else 0.5 * conf
        ev.countries.setdefault(name, Counter())[c.country_code] += w
        if c.admin1 and c.kind in ("city", "admin", "landmark"):
            ev.admin1.setdefault(name, Counter())[(c.country_code, c.admin1)] += conf
        if (c.kind in ("city", "landmark") or c.feature_code == "ADM2") and conf >= 0.9:
            ev.anchors.setdefault(name, []).append((c.lat, c.lon))
    ev.readings = _readings(mentions, picks)
    items: dict[int, list[tuple[str, str]]] = {}
    for m, got in zip(mentions, picks):
        if m.listed is not None and got is not None and got.candidate is not None:
            items.setdefault(m.listed, []).append((normalize_name(m.name), _list_kind(got.candidate), got.confidence))
    ev.lists = {k: tuple(v) for k, v in items.items() if len(v) > 1}
    return ev


def _readings(mentions: Sequence[Mention], picks: Sequence[_Pick | None]) -> _Readings:
    """The likely readings of each name that may pair a town with a county, weighted by likelihood."""
    readings = _Readings()
    seen: set[str] = set()
    for m, got in zip(mentions, picks):
        name = normalize_name(m.name)
        if got is None or got.candidate is None or name in seen or m.hint == "demonym":
            continue
        seen.add(name)
        for behind, c in got.alternatives or ((0.0, got.candidate),):
            w = got.confidence * math.exp(behind)
            if w >= _MIN_READING and (c.kind in ("city", "landmark") or c.feature_code == "ADM2"):
                readings.add(c, round(w, 3), name)
    return readings


@dataclass(frozen=True)
class Question:
    """A mention no candidate answered, for the chain of sources at the edge."""

    #: position of the place in :attr:`Resolution.places`
    index: int
    name: str
    #: what the text says the place is ("landmark", "water", or a query such as "Kutupalong camp")
    context: str | None
    country_codes: tuple[str, ...] = ()
    viewbox: tuple[tuple[float, float], tuple[float, float]] | None = None


@dataclass(frozen=True)
class Resolution:
    """Places in text order (unanswered ones unresolved for now), the questions left, and the
    containers that can stand in for unanswered places."""

    places: tuple[Place, ...]
    questions: tuple[Question, ...] = ()
    containers: Mapping[int, Candidate] = field(default_factory=dict)


def resolve(
    mentions: Sequence[Mention],
    index: CandidateSource,
    *,
    bias: Bias | None = None,
    explain: bool = False,
    doc_id: str | None = None,
) -> Resolution:
    """Resolve every mention that has candidates; ask about the rest.

    Two readings: the first with priors alone gives the document's focus (countries,
    first-level regions, anchor points); the second scores again with that focus.
    A name takes one referent per document, the one of its most specific mention
    ("Paris, Texas" makes every later "Paris" the Texan one).

    >>> from geomap.model import Candidate, Mention
    >>> class Index:
    ...     def lookup(self, name, *, limit=50):
    ...         return [Candidate(1, "Tripoli", 32.9, 13.2, "LY", "city", 1_150_000),
    ...                 Candidate(2, "Tripoli", 34.4, 35.8, "LB", "city", 230_000)] if name == "Tripoli" else []
    ...     def demonym(self, word):
    ...         return None
    >>> r = resolve([Mention("Tripoli", 0, 7)], Index(), bias=Bias(country_codes=("LB",)))
    >>> r.places[0].country_code
    'LB'
    """
    cands = [_candidates(index, m) for m in mentions]
    first = _pick_all(mentions, cands, index, lambda name: Focus.empty(), bias, False)
    evidence = _evidence(mentions, first, cands)
    picks = _pick_all(mentions, cands, index, functools.cache(evidence.focus_without), bias, explain)
    if evidence.readings.has_county():
        # a third reading: the towns and counties of the second support each other ("Lancaster" made
        # the Ohio one by its county makes "Fairfield County" the Ohio one in turn)
        evidence.readings = _readings(mentions, picks)
        picks = _pick_all(mentions, cands, index, functools.cache(evidence.focus_without), bias, explain)
    focus = evidence.focus_without("")

    # one referent per name: the mention with a parent or cue word, else the most confident one
    referent: dict[str, _Pick] = {}
    for m, got in sorted(zip(mentions, picks), key=lambda t: (t[0].parent is None and t[0].hint is None, -(t[1].confidence if t[1] else 0))):
        if got is not None and got.candidate is not None and m.hint != "demonym":
            referent.setdefault(normalize_name(m.name), got)
    focus_codes = tuple(sorted(focus.countries, key=lambda k: -focus.countries[k])[:3])
    codes = (bias.country_codes if bias and bias.country_codes else focus_codes)
    viewbox = bias.viewbox if bias else None
    places: list[Place] = []
    questions: list[Question] = []
    containers: dict[int, Candidate] = {}
    for m, got in zip(mentions, picks):
        if got is not None and got.candidate is not None and m.hint is None and m.parent is None:
            got = referent.get(normalize_name(m.name), got)
        if got is None or got.candidate is None:
            i = len(places)
            questions.append(Question(i, m.query or m.name, m.hint, codes, viewbox))
            if got is not None and got.container is not None and m.hint not in ("water", "demonym"):
                containers[i] = got.container
            places.append(_unresolved(m, doc_id, got.explanation if got else None))
            continue
        c = got.candidate
        places.append(
            Place(
                name=m.name, start=m.start, end=m.end, lat=c.lat, lon=c.lon,
                country_code=c.country_code, kind="demonym" if m.hint == "demonym" else c.kind,
                geonameid=c.geonameid, resolved_name=c.name, source=c.source, confidence=got.confidence,
                service=c.service, population=c.population, parent_id=c.parent_id, doc_id=doc_id,
                explanation=got.explanation,
            )
        )
    return Resolution(tuple(places), tuple(questions), containers)


def merge(resolution: Resolution, answers: Mapping[int, Any]) -> list[Place]:
    """Fold the chain's answers (``FallbackAnswer``-like: ``candidate``, ``source``, ``service``,
    ``reason``, keyed by :attr:`Question.index`) into the places; pure."""
    places = list(resolution.places)
    for q in resolution.questions:
        p = places[q.index]
        ans = answers.get(q.index)
        c = getattr(ans, "candidate", None)
        if c is not None:
            places[q.index] = replace(
                p, lat=c.lat, lon=c.lon, country_code=c.country_code, kind=c.kind, geonameid=c.geonameid,
                resolved_name=c.name, source=ans.source, confidence=0.5, service=ans.service,
                population=c.population, unresolved_reason=None,
            )
            continue
        container = resolution.containers.get(q.index)
        if container is not None:
            places[q.index] = replace(
                p, lat=container.lat, lon=container.lon, country_code=container.country_code,
                resolved_name=container.name, source="container", confidence=0.3, geonameid=None,
                parent_id=container.geonameid, unresolved_reason=None,
                service=getattr(ans, "service", None),
            )
            continue
        if ans is not None:
            places[q.index] = replace(p, service=ans.service, unresolved_reason=ans.reason or "not found")
    return places


#: Kinds of candidate that can answer a mention whose text calls it an area or a body of water.
_AREA_HINTS = {
    "admin": ("admin", "region", "country"),
    "region": ("region", "admin", "landmark", "country"),
    "water": ("water", "region"),
}


def _candidate_row(c: Candidate) -> dict[str, Any]:
    """A candidate as an explanation shows it."""
    return {"name": c.name, "country_code": c.country_code, "kind": c.kind, "population": c.population,
            "geonameid": c.geonameid, "match": c.match, "lat": c.lat, "lon": c.lon}


def _explain_none(cs: Sequence[Candidate], m: Mention) -> tuple[dict[str, Any], ...]:
    return tuple(
        {**_candidate_row(c), "score": None, "probability": 0.0,
         "reasons": {"cue": f"the text calls it a {m.hint} place; this is a {c.kind}"}}
        for c in cs[:10]
    )


@dataclass(frozen=True)
class _Pick:
    candidate: Candidate | None
    confidence: float
    #: the resolved container of a mention without candidates, to stand in for it
    container: Candidate | None = None
    explanation: tuple[dict[str, Any], ...] | None = None
    #: the next readings as (score behind the best, candidate), for a joint reading with a child
    alternatives: tuple[tuple[float, Candidate], ...] = ()
    #: the text's cue (a province, an island) fits no candidate
    cue_failed: bool = False


def _pick_all(
    mentions: Sequence[Mention], cands: Sequence[list[Candidate]], index: CandidateSource, focus_for: Any,
    bias: Bias | None, explain: bool,
) -> list[_Pick | None]:
    """Pick a candidate per mention. A mention with a container named next to it ("Savannah,
    Georgia") is read together with it: the pair whose child lies in its container wins, even when
    the container alone would read otherwise (the country Georgia), and the container follows."""
    by_name: dict[str, tuple[Mention, list[Candidate]]] = {}
    for m, cs in zip(mentions, cands):  # the most specific mention of a name speaks for it ("Savannah, Georgia")
        k = normalize_name(m.name)
        if k not in by_name or (by_name[k][0].parent is None and m.parent is not None):
            by_name[k] = (m, cs)
    memo: dict[str, _Pick | None] = {}
    forced: dict[str, Candidate] = {}
    #: names the text places others in: "Buffalo, New York" uses New York as the state
    holders = {normalize_name(m.parent) for m in mentions if m.parent and m.listed is None}

    def ranked(m: Mention, cs: Sequence[Candidate], parent: Candidate | None) -> list[tuple[float, list, Candidate]]:
        key_name = normalize_name(m.name)
        focus = focus_for(key_name)
        capital = any(c.feature_code == "PPLC" and normalize_name(c.name) == key_name for c in cs)
        named = _named_after_cities(cs) if key_name not in holders else set()
        out = []
        for i, c in enumerate(cs):
            parts = score_parts(c, m, focus, parent, capital, bias, i in named)
            out.append((sum(v for _, v in parts), parts, c))
        out.sort(key=lambda t: -t[0])
        return out

    def containers(m: Mention, depth: int) -> list[tuple[float, Candidate]]:
        """The container's readings as (score behind its best, candidate), best first."""
        if not m.parent or depth >= 2:
            return []
        pm = by_name.get(normalize_name(m.parent))
        if pm is not None:
            got = pick(pm[0], pm[1], depth + 1)
            if got is None or got.candidate is None:
                return []
            return list(got.alternatives) or [(0.0, got.candidate)]
        pcs = index.lookup(m.parent, limit=10)  # a place inside the name ("Halifax" in "Halifax Shipyard")
        if not pcs:
            return []
        return [(0.0, ranked(Mention(m.parent, 0, 0), pcs, None)[0][2])]

    def pick(m: Mention, cs: list[Candidate], depth: int = 0) -> _Pick | None:
        key = "|".join((normalize_name(m.query or m.name), m.hint or "", normalize_name(m.parent or ""), str(m.listed)))
        if key in memo:
            return memo[key]
        options = containers(m, depth)
        parent = options[0][1] if options else None
        if not cs:
            memo[key] = _Pick(None, 0.0, parent) if parent is not None else None
            return memo[key]
        if m.hint in _AREA_HINTS and not any(c.kind in _AREA_HINTS[m.hint] for c in cs):
            # "Soum province", "the islands of Tanna": a village elsewhere is no answer; the town
            # that names its province ("Idlib province") is, when it lies where the story is
            focus = focus_for(normalize_name(m.name))
            if not any(focus.countries.get(c.country_code or "", 0.0) >= 0.2 for c in cs):
                memo[key] = _Pick(None, 0.0, parent, _explain_none(cs, m) if explain else None, cue_failed=True)
                return memo[key]
        best_total, scored, chosen = None, [], parent
        for behind, p in options[:5] or [(0.0, None)]:
            r = ranked(m, cs, p)
            if behind < 0 and not any(name == "container" and v > 0 for name, v in r[0][1]):
                continue  # another reading of the container only counts when the place lies in it
            if best_total is None or r[0][0] + behind > best_total:
                best_total, scored, chosen = r[0][0] + behind, r, p
        if chosen is not parent and m.parent and normalize_name(m.parent) in by_name:
            forced[normalize_name(m.parent)] = chosen
        totals = [t for t, _, _ in scored]
        z = sum(math.exp(t - totals[0]) for t in totals[:10])
        why = _explain([(parts, c) for _, parts, c in scored[:10]], totals, m, chosen) if explain else None
        alternatives = tuple((t - totals[0], c) for t, _, c in scored[:5] if totals[0] - t < 8.0)
        memo[key] = _Pick(scored[0][2], round(1.0 / z, 3), None, why, alternatives=alternatives)
        return memo[key]

    picks = [pick(m, cs) for m, cs in zip(mentions, cands)]
    if forced:
        for i, m in enumerate(mentions):
            got = forced.get(normalize_name(m.name))
            if got is not None and m.parent is None and picks[i] is not None:
                picks[i] = replace(picks[i], candidate=got, alternatives=())
    # "the islands of Tanna" leaves "Tanna" open: its other mentions do not become a namesake elsewhere
    failed = {normalize_name(m.name) for m, got in zip(mentions, picks) if got is not None and got.cue_failed}
    if failed:
        picks = [_Pick(None, 0.0) if normalize_name(m.name) in failed and m.hint is None and got is not None
                 and got.candidate is not None else got for m, got in zip(mentions, picks)]
    return picks


def _explain(
    scored: Sequence[tuple[list[tuple[str, float]], Candidate]], totals: Sequence[float], m: Mention, parent: Candidate | None
) -> tuple[dict[str, Any], ...]:
    """The candidates considered, best first, with their scores and the reasons behind them."""
    z = sum(math.exp(t - totals[0]) for t in totals[: len(scored)])
    out = []
    for (parts, c), total in zip(scored, totals):
        reasons: dict[str, float] = {}
        for name, v in parts:
            reasons[name] = round(reasons.get(name, 0.0) + v, 2)
        out.append({
            **_candidate_row(c),
            "score": round(total, 2), "probability": round(math.exp(total - totals[0]) / z, 3), "reasons": reasons,
        })
    if out and (m.hint or parent is not None or m.open):
        ctx = {"cue": m.hint, "container": parent.name if parent is not None else None, "found_by": "context" if m.open else "name"}
        out[0] = {**out[0], "context": ctx}
    return tuple(out)


def _unresolved(m: Mention, doc_id: str | None, explanation: tuple[dict[str, Any], ...] | None) -> Place:
    """A mention no candidate answered, until the chain's answers are merged in."""
    return Place(
        name=m.name, start=m.start, end=m.end, lat=None, lon=None, country_code=None,
        kind=m.hint if m.hint and m.hint != "demonym" else "city", geonameid=None, resolved_name=None,
        source=None, confidence=0.0, unresolved_reason="not in gazetteer", doc_id=doc_id, explanation=explanation,
    )

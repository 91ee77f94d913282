"""Mentions + gazetteer candidates + document context -> places (pure but for the lookups).

Each mention's candidates are scored with priors a reader uses: the kind of place
the text suggests (a cue word such as "spaceport"), the population and rank of the
place, the document's focus countries, a container named next to it ("Paris, Texas"),
and one referent per name within a document. Names the gazetteer lacks go to an
optional fallback (an object with ``resolve(name, context=..., country_codes=...)``,
see :mod:`geomap.geocoders.fallback`).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, Protocol

from .model import Candidate, Mention, Place
from .text import normalize_name

__all__ = ["CandidateSource", "resolve_mentions", "score_candidate"]


class CandidateSource(Protocol):
    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]: ...
    def demonym(self, word: str) -> Candidate | None: ...


_KIND_PRIOR = {"country": 14.0, "admin": 8.0, "region": 10.0, "water": 9.0, "landmark": 3.0, "city": 1.0}
_MAX_CITY_FOCUS = 10.0


@dataclass(frozen=True)
class Focus:
    """Where a document is about: shares of its countries and first-level regions, and its anchor points."""

    countries: dict[str, float]
    admin1: dict[tuple[str, str], float]
    anchors: tuple[tuple[float, float], ...] = ()

    @classmethod
    def empty(cls) -> "Focus":
        return cls({}, {})


@dataclass
class _Evidence:
    """Focus evidence per name, so that a name is scored on what the *other* names say."""

    countries: dict[str, Counter] = field(default_factory=dict)
    admin1: dict[str, Counter] = field(default_factory=dict)
    anchors: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

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
        )


def score_candidate(
    c: Candidate, m: Mention, focus: Focus, parent: Candidate | None, capital_named: bool = False
) -> float:
    """A log-scale plausibility score of candidate ``c`` for mention ``m``; higher is better.

    ``capital_named``: a national capital among the candidates bears exactly this name ("Washington").
    """
    score = _KIND_PRIOR.get(c.kind, 1.0)
    if c.kind == "city":
        score += math.log10(c.population + 10)
        if c.feature_code == "PPLC":
            score += 4.0
    elif c.kind in ("admin", "landmark"):
        score += 0.3 * math.log10(c.population + 10)
    if c.match != "name":
        score -= 2.5
    if m.hint and m.hint != "demonym":
        if c.kind == m.hint or (m.hint == "region" and c.kind in ("landmark", "region")):
            score += 6.0
        elif m.hint == "landmark" and c.kind != "landmark":
            score -= 2.0
    if c.kind in ("country", "admin", "region", "water", "landmark") and normalize_name(c.name) == normalize_name(m.name):
        if not (c.kind == "admin" and capital_named):
            score += 4.0  # the entry's own name, not one of its alternate names (a capital's name is the capital's)
    bonus = 0.0
    if c.country_code:
        bonus += 5.0 * focus.countries.get(c.country_code, 0.0)
        if c.admin1 and c.kind != "admin" or c.feature_code == "ADM2":
            bonus += 5.0 * focus.admin1.get((c.country_code, c.admin1 or ""), 0.0)
    if focus.anchors and c.kind in ("city", "landmark", "admin"):
        near = min(_km(c.lat, c.lon, a, b) for a, b in focus.anchors)
        bonus += 2.0 if near < 50 else 1.0 if near < 200 else 0.0
    score += min(bonus, _MAX_CITY_FOCUS) if c.kind in ("city", "landmark") else bonus
    if parent is not None:
        if parent.kind == "country" and c.country_code == parent.country_code:
            score += 6.0
        elif parent.kind == "admin" and c.country_code == parent.country_code:
            score += 4.0 + (4.0 if c.admin1 and c.admin1 == parent.admin1 else 0.0)
        elif c.country_code != parent.country_code:
            score -= 3.0
    return score


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
    mentions: Sequence[Mention], picks: Sequence[tuple[Candidate, float] | None], cands: Sequence[list[Candidate]]
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
        if got is None:
            continue
        c, conf = got
        if not c.country_code:
            continue
        name = normalize_name(m.name)
        w = conf if c.kind != "country" else 0.5 * conf
        ev.countries.setdefault(name, Counter())[c.country_code] += w
        if c.admin1 and c.kind in ("city", "admin", "landmark"):
            ev.admin1.setdefault(name, Counter())[(c.country_code, c.admin1)] += conf
        if (c.kind in ("city", "landmark") or c.feature_code == "ADM2") and conf >= 0.9:
            ev.anchors.setdefault(name, []).append((c.lat, c.lon))
    return ev


def resolve_mentions(
    mentions: Sequence[Mention],
    index: CandidateSource,
    *,
    fallback: Any | None = None,
    doc_id: str | None = None,
) -> list[Place]:
    """Resolve every mention to a :class:`Place` (unresolved ones keep lat/lon ``None``).

    Two readings: the first with priors alone gives the document's focus (countries,
    first-level regions, anchor points); the second scores again with that focus.
    A name takes one referent per document, the one of its most specific mention
    ("Paris, Texas" makes every later "Paris" the Texan one).
    """
    cands = [_candidates(index, m) for m in mentions]
    first = _pick_all(mentions, cands, index, lambda name: Focus.empty())
    evidence = _evidence(mentions, first, cands)
    picks = _pick_all(mentions, cands, index, functools.cache(evidence.focus_without))
    focus = evidence.focus_without("")

    # one referent per name: the mention with a parent or cue word, else the most confident one
    referent: dict[str, tuple[Candidate, float]] = {}
    for m, got in sorted(zip(mentions, picks), key=lambda t: (t[0].parent is None and t[0].hint is None, -(t[1][1] if t[1] else 0))):
        if got is not None and m.hint != "demonym":
            referent.setdefault(normalize_name(m.name), got)
    places: list[Place] = []
    focus_codes = sorted(focus.countries, key=lambda k: -focus.countries[k])[:3]
    for m, got in zip(mentions, picks):
        if got is not None and m.hint is None and m.parent is None:
            got = referent.get(normalize_name(m.name), got)
        if got is None:
            places.append(_unresolved_or_fallback(m, fallback, focus_codes, doc_id))
            continue
        c, conf = got
        places.append(
            Place(
                name=m.name, start=m.start, end=m.end, lat=c.lat, lon=c.lon,
                country_code=c.country_code, kind="demonym" if m.hint == "demonym" else c.kind,
                geonameid=c.geonameid, resolved_name=c.name, source=c.source, confidence=conf,
                service=c.service, population=c.population, parent_id=c.parent_id, doc_id=doc_id,
            )
        )
    return places


def _pick_all(
    mentions: Sequence[Mention], cands: Sequence[list[Candidate]], index: CandidateSource, focus_for: Any
) -> list[tuple[Candidate, float] | None]:
    by_name = {normalize_name(m.name): (m, cs) for m, cs in zip(mentions, cands)}
    memo: dict[str, tuple[Candidate, float] | None] = {}

    def pick(m: Mention, cs: list[Candidate], depth: int = 0) -> tuple[Candidate, float] | None:
        key = "|".join((normalize_name(m.query or m.name), m.hint or "", normalize_name(m.parent or "")))
        if key in memo:
            return memo[key]
        if not cs:
            return None
        parent = None
        if m.parent and depth < 2:
            pm = by_name.get(normalize_name(m.parent))
            if pm is not None:
                got = pick(pm[0], pm[1], depth + 1)
                parent = got[0] if got else None
            else:
                pcs = index.lookup(m.parent, limit=5)
                parent = pcs[0] if pcs else None
        key_name = normalize_name(m.name)
        focus = focus_for(key_name)
        capital = any(c.feature_code == "PPLC" and normalize_name(c.name) == key_name for c in cs)
        scored = sorted(((score_candidate(c, m, focus, parent, capital), c) for c in cs), key=lambda t: -t[0])
        best_score, best = scored[0]
        z = sum(math.exp(s - best_score) for s, _ in scored[:10])
        memo[key] = (best, round(1.0 / z, 3))
        return memo[key]

    return [pick(m, cs) for m, cs in zip(mentions, cands)]


def _unresolved_or_fallback(m: Mention, fallback: Any | None, focus_codes: list[str], doc_id: str | None) -> Place:
    reason, service = "not in gazetteer", None
    if fallback is not None:
        ans = fallback.resolve(m.query or m.name, context=m.hint, country_codes=focus_codes or None)
        c = ans.candidate
        if c is not None:
            return Place(
                name=m.name, start=m.start, end=m.end, lat=c.lat, lon=c.lon,
                country_code=c.country_code, kind=c.kind, geonameid=c.geonameid,
                resolved_name=c.name, source=ans.source, confidence=0.5, service=ans.service,
                population=c.population, doc_id=doc_id,
            )
        reason, service = ans.reason or "not found", ans.service
    return Place(
        name=m.name, start=m.start, end=m.end, lat=None, lon=None, country_code=None,
        kind=m.hint if m.hint and m.hint != "demonym" else "city", geonameid=None, resolved_name=None,
        source=None, confidence=0.0, service=service, unresolved_reason=reason, doc_id=doc_id,
    )

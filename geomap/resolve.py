"""Mentions + gazetteer candidates + document context -> places (pure but for the lookups).

Each mention's candidates are scored with priors a reader uses: the kind of place
the text suggests (a cue word such as "spaceport"), the population and rank of the
place, the document's focus countries, a container named next to it ("Paris, Texas"),
and one referent per name within a document. Names the gazetteer lacks go to an
optional fallback (an object with ``resolve(name, context=..., country_codes=...)``,
see :mod:`geomap.geocoders.fallback`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from .model import Candidate, Mention, Place
from .text import name_variants, normalize_name

__all__ = ["CandidateSource", "resolve_mentions", "score_candidate"]


class CandidateSource(Protocol):
    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]: ...
    def demonym(self, word: str) -> Candidate | None: ...


_KIND_PRIOR = {"country": 9.0, "admin": 6.0, "region": 5.5, "water": 5.0, "landmark": 3.0, "city": 1.0}


def score_candidate(c: Candidate, m: Mention, focus: Counter[str], parent: Candidate | None) -> float:
    """A log-scale plausibility score of candidate ``c`` for mention ``m``; higher is better."""
    score = _KIND_PRIOR.get(c.kind, 1.0)
    if c.kind == "city":
        score += math.log10(c.population + 10)
        if c.feature_code == "PPLC":
            score += 2.5
    elif c.kind in ("admin", "landmark"):
        score += 0.3 * math.log10(c.population + 10)
    if c.match != "name":
        score -= 2.5
    if m.hint and m.hint != "demonym":
        if c.kind == m.hint or (m.hint == "region" and c.kind in ("landmark", "region")):
            score += 6.0
        elif m.hint == "landmark" and c.kind != "landmark":
            score -= 2.0
    total = sum(focus.values())
    if total and c.country_code:
        score += 4.0 * focus.get(c.country_code, 0) / total
    if parent is not None:
        if parent.kind == "country" and c.country_code == parent.country_code:
            score += 6.0
        elif parent.kind == "admin" and c.country_code == parent.country_code:
            score += 4.0 + (4.0 if c.admin1 and c.admin1 == parent.admin1 else 0.0)
        elif c.country_code != parent.country_code:
            score -= 3.0
    return score


def _candidates(index: CandidateSource, m: Mention) -> list[Candidate]:
    if m.hint == "demonym":
        c = index.demonym(m.name)
        return [c] if c else []
    found: list[Candidate] = []
    seen: set[Any] = set()
    queries = [q for q in (m.query, m.name) if q]
    for q in queries:
        hits = index.lookup(q, limit=40)
        if not hits:
            for v in name_variants(normalize_name(q)):
                hits = index.lookup(v, limit=40)
                if hits:
                    break
        for c in hits:
            key = (c.geonameid, c.lat, c.lon)
            if key not in seen:
                seen.add(key)
                found.append(c)
    return found


def _focus(cands: Sequence[list[Candidate]], mentions: Sequence[Mention]) -> Counter[str]:
    """The document's focus countries: countries named, demonyms, and clear-cut big places."""
    focus: Counter[str] = Counter()
    for m, cs in zip(mentions, cands):
        if not cs:
            continue
        top = max(cs, key=lambda c: (_KIND_PRIOR.get(c.kind, 1.0), c.population))
        if m.hint == "demonym" or top.kind == "country":
            if top.country_code:
                focus[top.country_code] += 2 if top.kind == "country" and m.hint != "demonym" else 1
        elif len({c.country_code for c in cs}) == 1 and cs[0].country_code:
            focus[cs[0].country_code] += 1
        elif top.population >= 1_000_000 and cs[0].country_code:
            focus[top.country_code or ""] += 0.5
    focus.pop("", None)
    return focus


def resolve_mentions(
    mentions: Sequence[Mention],
    index: CandidateSource,
    *,
    fallback: Any | None = None,
    doc_id: str | None = None,
    context_text: str | None = None,
) -> list[Place]:
    """Resolve every mention to a :class:`Place` (unresolved ones keep lat/lon ``None``)."""
    cands = [_candidates(index, m) for m in mentions]
    focus = _focus(cands, mentions)
    by_name = {normalize_name(m.name): (m, cs) for m, cs in zip(mentions, cands)}
    chosen: dict[str, tuple[Candidate, float]] = {}

    def pick(m: Mention, cs: list[Candidate], depth: int = 0) -> tuple[Candidate, float] | None:
        key = normalize_name(m.query or m.name) + "|" + (m.hint or "") + "|" + normalize_name(m.parent or "")
        if key in chosen:
            return chosen[key]
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
        scored = sorted(((score_candidate(c, m, focus, parent), c) for c in cs), key=lambda t: -t[0])
        best_score, best = scored[0]
        z = sum(math.exp(s - best_score) for s, _ in scored[:10])
        conf = round(1.0 / z, 3)
        chosen[key] = (best, conf)
        return chosen[key]

    # one referent per name: a later "Vostochny" takes the referent of an earlier "Vostochny spaceport"
    referent: dict[str, tuple[Candidate, float]] = {}
    places: list[Place] = []
    focus_codes = [c for c, _ in focus.most_common(3)]
    for m, cs in zip(mentions, cands):
        got = pick(m, cs)
        nkey = normalize_name(m.name)
        if got is not None and m.hint is None and nkey in referent:
            prev = referent[nkey]
            if prev[0].kind == "landmark" or prev[1] > got[1]:
                got = prev
        if got is not None:
            referent.setdefault(nkey, got)
            c, conf = got
            kind = "demonym" if m.hint == "demonym" else c.kind
            places.append(
                Place(
                    name=m.name, start=m.start, end=m.end, lat=c.lat, lon=c.lon,
                    country_code=c.country_code, kind=kind, geonameid=c.geonameid,
                    resolved_name=c.name, source=c.source, confidence=conf, service=c.service,
                    population=c.population, parent_id=c.parent_id, doc_id=doc_id,
                )
            )
            continue
        places.append(_unresolved_or_fallback(m, fallback, focus_codes, doc_id))
    return places


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

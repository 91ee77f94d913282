"""Sentences + people + places -> events (pure).

An event is a trigger word from a small vocabulary (:data:`ACTIONS`) with its
actors (people, resolved across "Kim", "the North Korean leader" and "he"), the
place it happened at (the place a locative phrase attaches to the trigger, not
any place in the sentence), its date (resolved against the publication date, with
a precision), its status (occurred, planned, cancelled; hypotheticals are dropped)
and the sentence that says so.

Action vocabulary and codes
===========  =======  ==========  ==================================================
action       CAMEO    PLOVER      triggers
===========  =======  ==========  ==================================================
meet         040      CONSULT     met, meet(s|ing) with, talks, discussions, summit
meet (plan)  036      CONSULT     the same, planned
visit        042      CONSULT     visit(ed|s|ing)
arrive       042      CONSULT     arrive(d|s), land(ed), reach(ed)
depart       042      CONSULT     left, depart(ed|s)
travel       042      CONSULT     flew, fly, travel(l)ed, went, headed, returned
tour         042      CONSULT     tour(ed|s|ing), inspect(ed)
host         043      CONSULT     host(ed|s|ing), welcomed
attend       042      CONSULT     attend(ed|s|ing)
address      010      --          addressed, gave a speech
sign         057      AGREE       sign(ed|s|ing)
call off     --       --          called off, cancel(l)ed, postponed, scrapped (status cancelled)
===========  =======  ==========  ==================================================
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from geopy.distance import geodesic

from .model import Event, Place
from .text import Sentence
from .geoparse import PERSON_TITLES, _SINO_KOREAN

__all__ = ["ACTIONS", "CAMEO", "PLOVER", "Actor", "find_actors", "extract_events", "resolve_date"]

#: trigger pattern (word-boundary regex) -> action
ACTIONS: dict[str, str] = {
    r"met|meets?|meeting|talks|discussions|summit": "meet",
    r"visit(?:ed|s|ing)?": "visit",
    r"arriv(?:e|ed|es|ing)|land(?:ed|s)|reach(?:ed|es)": "arrive",
    r"left for|leaves for|leaving for|depart(?:ed|s|ing)?": "depart",
    r"flew|fly|flies|flying|travel(?:l?ed|s|l?ing)?|went|headed|returned|returns|returning": "travel",
    r"tour(?:ed|s|ing)?|inspect(?:ed|s|ing)?": "tour",
    r"host(?:ed|s|ing)?|welcomed": "host",
    r"attend(?:ed|s|ing)?": "attend",
    r"address(?:ed|es|ing)": "address",
    r"sign(?:ed|s|ing)": "sign",
    r"took place|was held|were held|held talks": "meet",
}
CAMEO = {"meet": "040", "visit": "042", "arrive": "042", "depart": "042", "travel": "042", "tour": "042",
         "host": "043", "attend": "042", "address": "010", "sign": "057"}
PLOVER = {"meet": "CONSULT", "visit": "CONSULT", "arrive": "CONSULT", "depart": "CONSULT", "travel": "CONSULT",
          "tour": "CONSULT", "host": "CONSULT", "attend": "CONSULT", "sign": "AGREE"}

_TRIGGER = re.compile(r"\b(" + "|".join(f"(?:{p})" for p in ACTIONS) + r")\b", re.I)
_ACTION_OF = [(re.compile(rf"^(?:{p})$", re.I), a) for p, a in ACTIONS.items()]
_CANCEL = re.compile(r"\b(called off|call off|calls off|cancel(?:l)?ed|cancels|postponed|scrapped|shelved|put off)\b", re.I)
_PLANNED = re.compile(
    r"\b(will|shall|(?:is|are|was|were) (?:scheduled|due|expected|set|slated|planning|going) to|(?:is|are|was|were) to|plans? to|planned to|intends? to|would)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(r"\b(might|could|may|if|whether|unless|should)\b", re.I)
_WOULD_CONDITIONAL = re.compile(r"\b(which|that) would\b", re.I)
_PAST_PERFECT = re.compile(r"\bhad (?:\w+ )?(?:been |already )?\w+(?:ed|wn|ne|ft|et|ught|ook|ent)\b", re.I)
_LOCATIVE = {"in", "at", "to", "into", "near", "outside", "inside", "on", "visit", "visited", "visiting", "visits",
             "toured", "touring", "tour", "tours", "reached", "of"}
_NOT_STOP_BEFORE = re.compile(r"\b(from|independence from|against|with|than|like|of)\s+(?:the\s+)?$", re.I)
_PRONOUN = re.compile(r"\b(he|she|him|her|his)\b", re.I)
_GROUP = re.compile(r"\b(the two leaders|both leaders|the two men|the leaders|the pair|they)\b", re.I)
_WITH = re.compile(r"\b(with|between|and)\s+$", re.I)
_CLAUSE_BREAK = re.compile(r"[;:]|, (?:which|while|but|and)\b|\bwhere\b")
_GEO_PRECISION = {"landmark": 5, "city": 4, "admin": 2, "region": 1, "country": 1, "water": 1}


@dataclass
class Actor:
    """A person in the document, with the words and titles that refer to them."""

    name: str
    aliases: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)  # e.g. {"leader", "north korean"}

    def title_phrase_matches(self, words: list[str]) -> bool:
        """Does a definite description ("the North Korean leader") fit this actor?"""
        head = words[-1]
        if head not in self.titles:
            return False
        mods = " ".join(words[:-1]).strip()
        return not mods or mods in self.titles


def find_actors(text: str, people: Sequence[tuple[int, int, str]]) -> list[Actor]:
    """Merge the people spans into actors: "Kim Jong Un" and a later "Kim" are one actor."""
    actors: dict[str, Actor] = {}
    for s, e, name in sorted(people, key=lambda p: -len(p[2])):
        canon = next((a for a in actors.values() if name in a.aliases or name == a.name), None)
        if canon is None:
            canon = next((a for a in actors.values() if name in a.name.split()), None)
        if canon is None:
            canon = actors.setdefault(name, Actor(name))
            words = name.split()
            canon.aliases.add(name)
            canon.aliases.add(words[-1])
            if words[0].lower() in _SINO_KOREAN:
                canon.aliases.add(words[0])
        before = text[max(0, s - 60) : s].split()
        titles = [w for w in before[-4:]]
        for k in range(len(titles) - 1, -1, -1):
            w = titles[k].lower().strip(",.")
            if w in PERSON_TITLES:
                canon.titles.add(w)
                mods = [t.lower().strip(",.") for t in titles[max(0, k - 2) : k] if t[:1].isupper()]
                if mods:
                    canon.titles.add(" ".join(mods))
                    canon.titles.add(mods[-1])
                break
    return list(actors.values())


@dataclass(frozen=True)
class _Ref:
    start: int
    end: int
    actors: tuple[str, ...]
    kind: str  # "name" | "pronoun" | "title" | "group"


def _actor_refs(sent: Sentence, actors: Sequence[Actor], prev_subject: tuple[str, ...], prev_group: tuple[str, ...]) -> list[_Ref]:
    refs: list[_Ref] = []
    taken: list[tuple[int, int]] = []
    for a in actors:
        for alias in sorted(a.aliases, key=len, reverse=True):
            for m in re.finditer(rf"\b{re.escape(alias)}\b", sent.text):
                if any(s <= m.start() < e for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                refs.append(_Ref(m.start(), m.end(), (a.name,), "name"))
    for m in re.finditer(r"\b[Tt]he ((?:[A-Z][a-z]+ ){0,2}[a-z]+)\b", sent.text):
        words = m.group(1).lower().split()
        if words[-1] not in PERSON_TITLES or any(s <= m.start() < e for s, e in taken):
            continue
        nxt = sent.text[m.end() : m.end() + 2]
        if nxt[:1] == " " and nxt[1:2].isupper():
            continue  # "the leader Kim ..." is a name with a title, already found
        fits = [a.name for a in actors if a.title_phrase_matches(words)]
        if len(fits) == 1:
            refs.append(_Ref(m.start(), m.end(), (fits[0],), "title"))
    for m in _GROUP.finditer(sent.text):
        if prev_group:
            refs.append(_Ref(m.start(), m.end(), prev_group, "group"))
    for m in _PRONOUN.finditer(sent.text):
        if prev_subject and not any(s <= m.start() < e for s, e in taken):
            refs.append(_Ref(m.start(), m.end(), prev_subject[:1], "pronoun"))
    return sorted(refs, key=lambda r: r.start)


def _subject(sent: Sentence, refs: list[_Ref]) -> tuple[str, ...]:
    """The first actor reference not governed by a preposition: the sentence's grammatical subject."""
    for r in refs:
        before = sent.text[: r.start].lower().split()[-1:] or [""]
        if before[0] in {"with", "about", "to", "by", "for", "between", "from", "brief", "told", "met"}:
            continue
        return r.actors
    return ()


def _action_of(word: str) -> str:
    for rx, action in _ACTION_OF:
        if rx.match(word):
            return action
    return "meet"


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TIME = re.compile(
    r"\b(this week|last week|next week|earlier this week|later this week|this month|last month|next month|"
    r"yesterday|today|tomorrow|tonight|the (?:following|next|previous) day|the day before|"
    r"(?:on |last |next |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"in (?:19|20)\d\d|"
    r"(?:on )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?(?:,? (?:19|20)\d\d)?|"
    r"(?:on )?\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?:,? (?:19|20)\d\d)?)\b",
    re.I,
)


def resolve_date(
    expr: str | None, pub: dt.date | None, *, planned: bool = False, previous: dt.date | None = None
) -> tuple[str | None, str | None]:
    """A time expression -> (ISO date, precision "day"|"week"|"month"|"year"), relative to ``pub``.

    Week-precision dates are the Monday of the week, month-precision the 1st.

    >>> resolve_date("this week", dt.date(2023, 9, 15))
    ('2023-09-11', 'week')
    >>> resolve_date("on Monday", dt.date(2023, 9, 15))
    ('2023-09-11', 'day')
    >>> resolve_date("in 2011", None)
    ('2011-01-01', 'year')
    """
    if expr is None:
        if pub is None:
            return None, None
        return (pub - dt.timedelta(days=pub.weekday())).isoformat(), "week"
    e = expr.lower().strip()
    e = re.sub(r"^on ", "", e)
    m = re.fullmatch(r"in ((?:19|20)\d\d)", e)
    if m:
        return f"{m.group(1)}-01-01", "year"
    if "following day" in e or "next day" in e:
        return ((previous + dt.timedelta(days=1)).isoformat(), "day") if previous else (None, None)
    if "previous day" in e or "day before" in e:
        return ((previous - dt.timedelta(days=1)).isoformat(), "day") if previous else (None, None)
    if pub is None:
        parsed = _absolute(e, None)
        return (parsed.isoformat(), "day") if parsed else (None, None)
    monday = pub - dt.timedelta(days=pub.weekday())
    if e in ("this week", "earlier this week", "later this week"):
        return monday.isoformat(), "week"
    if e == "last week":
        return (monday - dt.timedelta(days=7)).isoformat(), "week"
    if e == "next week":
        return (monday + dt.timedelta(days=7)).isoformat(), "week"
    if e in ("this month", "last month", "next month"):
        first = pub.replace(day=1)
        if e == "last month":
            first = (first - dt.timedelta(days=1)).replace(day=1)
        elif e == "next month":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        return first.isoformat(), "month"
    if e in ("yesterday",):
        return (pub - dt.timedelta(days=1)).isoformat(), "day"
    if e in ("today", "tonight"):
        return pub.isoformat(), "day"
    if e == "tomorrow":
        return (pub + dt.timedelta(days=1)).isoformat(), "day"
    for prefix in ("last ", "next ", "this ", ""):
        if e.startswith(prefix) and e[len(prefix):] in _WEEKDAYS:
            wd = _WEEKDAYS.index(e[len(prefix):])
            if planned or prefix == "next ":
                delta = (wd - pub.weekday()) % 7 or 7
                return (pub + dt.timedelta(days=delta)).isoformat(), "day"
            delta = (pub.weekday() - wd) % 7
            if prefix == "last " and delta == 0:
                delta = 7
            return (pub - dt.timedelta(days=delta)).isoformat(), "day"
    parsed = _absolute(e, pub)
    return (parsed.isoformat(), "day") if parsed else (None, None)


def _absolute(expr: str, pub: dt.date | None) -> dt.date | None:
    import dateparser

    base = dt.datetime.combine(pub, dt.time()) if pub else dt.datetime(2000, 1, 1)
    got = dateparser.parse(
        expr, languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]},
    )
    if got is None:
        return None
    if pub is None and not re.search(r"(19|20)\d\d", expr):
        return None
    return got.date()


def _place_for(sent: Sentence, trig_end: int, places: list[Place], action: str) -> tuple[Place | None, Place | None]:
    """The place a trigger's locative phrase names (and an origin for "from X to Y")."""
    origin = None
    best = None
    for p in places:
        rel_s = p.start - sent.start
        if rel_s < trig_end:
            continue
        gap = sent.text[trig_end:rel_s]
        if _CLAUSE_BREAK.search(gap) and best is None and origin is None:
            break
        words = gap.lower().replace(",", " ").split()
        if len(words) > 9:
            break
        prep = next((w for w in reversed(words) if w in _LOCATIVE or w == "from"), None)
        if prep == "from" and action in ("travel", "depart", "arrive", "meet", "visit", "tour") and re.search(r"\bfrom\s+(?:the\s+)?$", gap):
            origin = origin or p
            continue
        if prep is None and words and words[-1] not in ("the",):
            if not (action in ("visit", "tour", "host") and len(words) <= 1):
                continue
        if _NOT_STOP_BEFORE.search(sent.text[:rel_s]) and not re.search(r"\b(in|at|to)\s+(?:the\s+)?$", sent.text[:rel_s]):
            continue
        best = p
        break
    return best, origin


def extract_events(
    text: str,
    sentences: Sequence[Sentence],
    places: Sequence[Place],
    people: Sequence[tuple[int, int, str]],
    *,
    pub_date: dt.date | None = None,
    doc_id: str | None = None,
) -> list[Event]:
    """Events in document order. Sentences without a located trigger yield none."""
    actors = find_actors(text, people)
    events: list[Event] = []
    prev_subject: tuple[str, ...] = ()
    last_travellers: tuple[str, ...] = ()  # the actors of the previous sentence's events
    prev_group: tuple[str, ...] = ()
    last_date: dt.date | None = None
    last_stated: str | None = None
    stop_kinds = {"city", "landmark", "admin", "region", "country", "water"}
    for si, sent in enumerate(sentences):
        in_sent = [p for p in places if sent.start <= p.start < sent.end and p.resolved and p.kind in stop_kinds]
        refs = _actor_refs(sent, actors, prev_subject, prev_group)
        subject = _subject(sent, refs) or ()
        seen_places: set[int] = set()
        events_before = len(events)
        triggers = list(_TRIGGER.finditer(sent.text))
        # the trigger nearest before a place wins it: walk triggers from the last one backwards
        for tm in reversed(triggers):
            action = _action_of(tm.group(1))
            place, origin = _place_for(sent, tm.end(), in_sent, action)
            if place is None or place.start in seen_places:
                continue
            if place.kind == "country" and any(p.kind in ("city", "landmark") and p.start > tm.end() for p in in_sent if p is not place):
                continue
            seen_places.add(place.start)
            before = sent.text[max(0, tm.start() - 45) : tm.start()]
            window = sent.text[max(0, tm.start() - 45) : min(len(sent.text), tm.end() + 60)]
            if _HYPOTHETICAL.search(before) and not _PLANNED.search(before[-25:]):
                continue  # "might supply", "could visit": not an event
            if _WOULD_CONDITIONAL.search(before):
                continue
            status = "occurred"
            if _CANCEL.search(window):
                status = "cancelled"
            elif _PLANNED.search(before[-30:]) or re.search(r"\b(next week|tomorrow|next month)\b", sent.text, re.I):
                status = "planned"
            # actors: the subject, plus the other party of a meeting ("with X", "between X and Y")
            names: list[str] = list(subject)
            if action == "meet":
                for r in refs:
                    pre = sent.text[max(0, r.start - 40) : r.start]
                    if re.search(r"\b(with|between|and)\s+(?:his |her |their )?(?:[A-Z][a-z]+ )*(?:[a-z]+ )?(?:[A-Z][a-z]+ )*$", pre):
                        names.extend(a for a in r.actors if a not in names)
            if not names:
                near = [r for r in refs if r.start < tm.start() and len(sent.text[r.end : tm.start()].split()) <= 4]
                if near:
                    names = list(near[-1].actors)  # "... sent by Pope Gregory, landed" is not Gregory's landing
                elif not refs and last_travellers:
                    names = list(last_travellers)  # "A planned visit to X was called off": the story's traveller
            if not names:
                continue
            tmatch = _TIME.search(sent.text)
            expr = tmatch.group(0) if tmatch else None
            date, precision = resolve_date(expr, pub_date, planned=status == "planned", previous=last_date)
            order = float(si)
            if expr and re.search(r"this week|last week|earlier|yesterday|ago|previous", expr, re.I):
                order -= 1000.0
            if _PAST_PERFECT.search(sent.text):
                order -= 1000.0
            if status != "occurred":
                order += 1000.0
            host = None
            if action == "host":
                host = names[0]  # "Putin hosted Kim at ...": the subject hosts, the people after it are guests
                for r in refs:
                    if r.start > tm.end() and r.start < place.start - sent.start:
                        names.extend(a for a in r.actors if a not in names)
            elif action == "meet" and re.search(r"\b(?:his|her|their) (?:host|hosts)\b|\bhosted by\b", sent.text):
                host = next((r.actors[0] for r in refs if re.search(r"hosted by\s+(?:\w+\s+){0,3}$", sent.text[: r.start])), None)
            events.append(
                Event(
                    event_id="", actors=tuple(names), action=action, place=place.name,
                    lat=place.lat, lon=place.lon, date=date, status=status, sentence=sent.text,
                    place_start=place.start, place_end=place.end, sentence_start=sent.start,
                    date_precision=precision, geo_precision=_GEO_PRECISION.get(place.kind, 4),
                    origin=origin.name if origin else None, host=host,
                    cameo="036" if action == "meet" and status == "planned" else CAMEO.get(action),
                    country_code=place.country_code, geonameid=place.geonameid, parent_id=place.parent_id,
                    order=order, doc_id=doc_id,
                    sort_date=date if expr or last_stated is None else last_stated,
                )
            )
            if expr and date:
                last_stated = date
            if date and precision == "day":
                last_date = dt.date.fromisoformat(date)
        last_travellers = events[-1].actors if len(events) > events_before else ()
        if subject:
            prev_subject = subject
        names_here = list(dict.fromkeys(a for r in refs for a in r.actors))
        if len(names_here) >= 2:
            prev_group = tuple(names_here)
    events = _fold_subplaces(sorted(events, key=lambda e: (e.sentence_start, e.place_start)))
    prefix = f"{doc_id}:" if doc_id else ""
    return [replace(e, event_id=f"{prefix}e{i}") for i, e in enumerate(events, 1)]


_SUBPLACE_KM = 30.0


def _fold_subplaces(events: list[Event]) -> list[Event]:
    """One event per visit: "arrive in Vladivostok, where he will visit the Pacific Fleet" is one stop.

    An event at a landmark in the same sentence, with the same actors and status, within
    a short distance of a city event, is folded into the city event.
    """
    out: list[Event] = []
    for e in events:
        host = next(
            (
                o for o in out
                if o.sentence_start == e.sentence_start and o.actors == e.actors and o.status == e.status
                and e.geo_precision == 5 and (o.geo_precision or 0) < 5
                and geodesic((o.lat, o.lon), (e.lat, e.lon)).km <= _SUBPLACE_KM
            ),
            None,
        )
        if host is None:
            out.append(e)
    return out


"""Sentences + people + places -> events (pure): the composition of actors, clauses and time."""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace

from geopy.distance import geodesic

from ..model import Event, Place
from ..text import Sentence
from .actors import Story, find_entities, sentence_refs
from .clauses import Frame, PlaceArg, read_sentence
from .time import find_time_phrases, resolve_date
from .vocabulary import STOP_TYPES, TYPES, number_of

__all__ = ["extract_events"]

_GEO_PRECISION = {"landmark": 5, "city": 4, "admin": 2, "region": 1, "country": 1, "water": 1}
_EVENT_KINDS = frozenset({"city", "landmark", "admin", "region", "country", "water"})
_SUBPLACE_KM = 30.0


def extract_events(
    text: str,
    sentences: Sequence[Sentence],
    places: Sequence[Place],
    people: Sequence[tuple[int, int, str]],
    *,
    pub_date: dt.date | None = None,
    doc_id: str | None = None,
) -> list[Event]:
    """Events in document order: one per (trigger, place), with actors, targets, date, status and evidence."""
    story = find_entities(text, people)
    dateline = _dateline_place(sentences, places)
    located = sorted((p for p in places if p.resolved and p.kind in _EVENT_KINDS), key=lambda p: p.start)
    all_spans = sorted((p.start, p.end) for p in places if p.kind != "demonym")  # "the Finnish diplomat" is a person
    span_starts = [a for a, _ in all_spans]
    events: list[Event] = []
    last_date: dt.date | None = None
    last_sort: str | None = pub_date.isoformat() if pub_date else None
    prev_subject: tuple[str, ...] = ()
    pi = 0

    def spans_of(sent: Sentence) -> list[tuple[int, int]]:
        a, b = bisect_left(span_starts, sent.start), bisect_left(span_starts, sent.end)
        return [(s - sent.start, e - sent.start) for s, e in all_spans[a:b]]

    for si, sent in enumerate(sentences):
        while pi < len(located) and located[pi].start < sent.start:
            pi += 1
        pj = pi
        while pj < len(located) and located[pj].start < sent.end:
            pj += 1
        in_sent = located[pi:pj]
        if not in_sent:
            # no event here: read only for who the story is about (names and he/she)
            prev_refs = sentence_refs(sent.text, story, spans_of(sent), full=False)
            if prev_refs:
                _remember(story, prev_refs, [])
                prev_subject = next((r.keys for r in prev_refs if r.subject_form), ())
            continue
        refs = sentence_refs(sent.text, story, spans_of(sent))
        times = find_time_phrases(sent.text)
        frames = read_sentence(sent.text, sent.start, in_sent, refs, times, prev_subject=prev_subject)
        sent_events: list[Event] = []
        anchor: str | None = None
        dated: list[tuple[Frame, str | None, str | None]] = []
        for f in frames:
            if f.time is None and f.type not in STOP_TYPES and times:
                f.time = times[0]  # a report's other events take the time its sentence gives
            date, prec = _date_of(f, pub_date, last_date)
            if date is None and f.type not in STOP_TYPES and last_date and _past_simple(sent.text, f):
                date, prec = last_date.isoformat(), "day"  # the story's day goes on ("Deaths were also reported in X")
            if date and prec == "day":
                last_date = dt.date.fromisoformat(date)
            if date and anchor is None and f.shift == 0:
                anchor = date
            dated.append((f, date, prec))
        earliest = min((d for _, d, _ in dated if d), default=None)
        for fi, (f, date, prec) in enumerate(dated):
            # told later but happened before ("after stops in X", "had flown from X"): no later than the sentence's earliest day
            default = (earliest if f.shift < 0 else anchor) or last_sort
            sent_events.extend(_events_of(f, fi, si, sent, date, prec, default, pub_date, doc_id, dateline))
        _add_magnitudes(sent.text, sent_events)
        events.extend(sent_events)
        if anchor:
            last_sort = anchor
        _remember(story, refs, frames)
        subj = next((f.actors for f in frames if f.actors and not f.passive), ())
        if subj:
            prev_subject = subj
        elif refs:
            prev_subject = ()
    events = _fold_subplaces(events)
    prefix = f"{doc_id}:" if doc_id else ""
    return [replace(e, event_id=f"{prefix}e{i}") for i, e in enumerate(events, 1)]


def _date_of(f: Frame, pub: dt.date | None, last: dt.date | None) -> tuple[str | None, str | None]:
    if f.time is None:
        return None, None
    expr = f.time.text
    if f.time_invert:  # "a day after flying into X": X came a day before the event it is told with
        expr = re.sub(r"(after|before)$", lambda m: "before" if m.group(1).lower() == "after" else "after", expr, flags=re.I)
    # news present tense with a day ("flies home on Monday") is a schedule
    present = f.trigger.pos == "verb" and f.trigger.tag in ("VBZ", "VBP") and not f.mod.perfect
    return resolve_date(expr, pub, future=f.mod.future or f.mod.status == "planned" or present, previous=last)


def _past_simple(text: str, f: Frame) -> bool:
    """A past-tense clause that is not present perfect or progressive ("have begun fleeing" is ongoing)."""
    before = text[max(0, f.start - 40) : f.start].lower()
    if re.search(r"\b(?:has|have|is|are|will|would)\b(?:\s+\w+){0,3}\s*$", before):
        return False
    if f.trigger.pos == "verb":
        return f.trigger.tag == "VBD" or bool(re.search(r"\b(?:was|were)\s+$", before))
    return bool(re.search(r"\b(?:was|were|had)\b|\b\w+ed\b", text[f.end : f.end + 60].lower()))


def _sort_date(f: Frame, date: str | None, prec: str | None) -> str | None:
    """The day an event is ordered by: a weekend is the end of its week, not its Monday."""
    if date and prec == "week" and f.time is not None and "weekend" in f.time.text.lower():
        return (dt.date.fromisoformat(date) + dt.timedelta(days=5)).isoformat()
    return date


def _status(f: Frame, date: str | None, pub: dt.date | None) -> str:
    status = f.mod.status
    if status == "occurred" and date and pub and date > pub.isoformat() and not f.mod.perfect:
        return "planned"
    return status


def _events_of(
    f: Frame, fi: int, si: int, sent: Sentence, date: str | None, prec: str | None, sort_default: str | None,
    pub: dt.date | None, doc_id: str | None, dateline: Place | None = None,
) -> list[Event]:
    if f.mod.status in ("negated", "hypothetical"):
        return []
    et = TYPES[f.type]
    is_stop = f.type in STOP_TYPES
    if is_stop and not f.actors:
        return []
    main = [a for a in f.places if a.role in ("destination", "location")]
    origins = [a for a in f.places if a.role == "origin"]
    vias = [a for a in f.places if a.role == "via"]
    if is_stop:
        main = [a for a in main if _can_be_stop(a.place)]
    status = _status(f, date, pub)
    order = si + 0.5 * f.shift + 0.01 * fi
    if not date and (f.mod.perfect or (f.time is not None and _EARLIER.search(f.time.text))):
        # an undated "had flown", or "this week" / "yesterday" with no publication date to resolve it:
        # back before what the story told just before
        order -= 1.5
    rows: list[tuple[Place, str | None, float]] = []
    if not main and origins and dateline is not None and f.trigger.lemma in _ARRIVALS and not re.search(
        r"\bwhere\b", sent.text[max(0, f.start - 60) : f.start]
    ):
        main = [PlaceArg(dateline, "destination")]  # "had flown in from X": to where the report is filed
    if not main and origins and f.type in ("travel", "evacuate"):
        rows = [(origins[0].place, "origin", order)]
        origins = []
    rows += [(v.place, "via", order + 0.001 * k) for k, v in enumerate(vias)]
    rows += [(a.place, None, order + 0.002 + 0.001 * k) for k, a in enumerate(main)]
    out = []
    for place, role, o in rows:
        out.append(Event(
            event_id="", actors=f.actors, action=f.trigger.lemma, place=place.name, lat=place.lat, lon=place.lon,
            date=date, status=status, sentence=sent.text, place_start=place.start, place_end=place.end,
            sentence_start=sent.start, date_precision=prec, geo_precision=_GEO_PRECISION.get(place.kind, 4),
            origin=origins[0].place.name if origins and role is None else None, host=f.host,
            cameo="036" if f.type == "meet" and status == "planned" else et.cameo, plover=et.plover,
            country_code=place.country_code, geonameid=place.geonameid, parent_id=place.parent_id,
            order=o, doc_id=doc_id, sort_date=_sort_date(f, date, prec) or sort_default, event_type=f.type, targets=f.targets,
            role=role,
        ))
    if origins and out and f.type in ("travel", "visit", "attend", "meet"):
        # the named origin of a trip is a stop before it ("had flown in from X")
        o = origins[0].place
        out.insert(0, Event(
            event_id="", actors=f.actors, action=f.trigger.lemma, place=o.name, lat=o.lat, lon=o.lon, date=None,
            status="occurred", sentence=sent.text, place_start=o.start, place_end=o.end, sentence_start=sent.start,
            geo_precision=_GEO_PRECISION.get(o.kind, 4), cameo=et.cameo, plover=et.plover, country_code=o.country_code,
            geonameid=o.geonameid, parent_id=o.parent_id, order=order - 0.004, doc_id=doc_id,
            sort_date=out[0].sort_date, event_type=f.type, role="origin",
        ))
    return out


_EARLIER = re.compile(r"\b(?:this week|last|earlier|yesterday|ago|previous|the day before)\b", re.I)
_ARRIVALS = frozenset({"fly in", "arrive", "land", "come", "touch down", "be back"})


def _dateline_place(sentences: Sequence[Sentence], places: Sequence[Place]) -> Place | None:
    """The place a dateline names ("NUUK, Greenland, March 5 —"): where the report is filed."""
    if not sentences or not re.match(r"\s*[A-Z][A-Z .'’\-]{1,40}\b", sentences[0].text):
        return None
    first = sentences[0]
    return next((p for p in places if first.start <= p.start < first.end and p.resolved and p.kind in ("city", "landmark")), None)


def _can_be_stop(p: Place) -> bool:
    """Oceans, seas and continent-sized regions are where things are, not where someone stops."""
    if p.kind == "water":
        return False
    if p.kind == "region" and not p.country_code:
        return False
    return True


_KILLED = re.compile(
    r"\b(?:killing|killed|kills|leaving|left)\s+(?:at least |more than |nearly |about |some |around |up to )?"
    r"(?P<n>\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty|dozens|a dozen)"
    r"(?:\s+[\w-]+){0,3}?(?:\s+(?:dead|people|civilians|soldiers|others|persons|children|villagers))?|"
    r"(?P<n2>\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:were|was|have been|had been|are)?\s*(?:killed|dead|died)\b|death toll (?:\w+ ){0,3}(?:to|of|at) (?P<n3>\d[\d,]*)",
    re.I,
)
_INJURED = re.compile(
    r"\b(?:wounding|injuring|wounded|injured|hurting)\s+(?:at least |more than |about |some )?(?P<n>\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|dozens)|"
    r"(?P<n2>\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty)\s+(?:[\w-]+\s+){0,3}?(?:were|was|have been|had been)?\s*(?:injured|wounded|hurt)\b",
    re.I,
)
_HARM_TYPES = ("assault", "clash", "accident", "disaster", "protest", "strike")
_ONE_DEAD = re.compile(r"\b(?:a|one|an?(?: \d+-year-old)?) (?:[\w-]+ ){0,2}(?:was|has been) (?:shot dead|killed|stabbed to death|beaten to death)|\b(?:a|one) (?:[\w-]+ ){0,2}died\b", re.I)


def _add_magnitudes(text: str, events: list[Event]) -> None:
    """Fatalities and injured, when the sentence states them, go to its first harmful event."""
    idx = next((k for k, e in enumerate(events) if e.event_type in _HARM_TYPES), None)
    if idx is None:
        return
    dead = _count(_KILLED, text)
    if dead is None and _ONE_DEAD.search(text):
        dead = 1
    hurt = _count(_INJURED, text)
    if dead is not None or hurt is not None:
        events[idx] = replace(events[idx], fatalities=dead, injured=hurt)


def _count(rx: re.Pattern, text: str) -> int | None:
    total = None
    for m in rx.finditer(text):
        raw = next((m.group(g) for g in ("n", "n2", "n3") if g in rx.groupindex and m.group(g)), None)
        n = number_of(raw) if raw else None
        if n is None and raw and raw.lower().endswith("teen"):
            n = {"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}.get(raw.lower())
        if n is not None:
            total = max(total or 0, n)
    return total


def _remember(story: Story, refs, frames: list[Frame]) -> None:
    persons = [k for r in refs if r.kind in ("name", "title", "pronoun") for k in r.keys if story.entities.get(k) and story.entities[k].kind == "person"]
    subj = [k for f in frames for k in f.actors if k in story.entities]
    for k in persons:
        if k in story.recent:
            story.recent.remove(k)
        story.recent.append(k)
    focus = subj or persons
    if focus:
        story.last_person = focus[0] if subj else focus[-1]
        story.last_persons = tuple(dict.fromkeys(persons))
    groups = [k for f in frames for k in f.actors if k not in story.entities]
    multi = next((f.actors for f in frames if len(f.actors) >= 2), None)
    if groups:
        story.last_group = tuple(dict.fromkeys(groups))[:1]
    elif multi:
        story.last_group = multi


def _fold_subplaces(events: list[Event]) -> list[Event]:
    """"arrive in Vladivostok, where he will visit the Pacific Fleet" is one stop: a landmark told in a
    "where" clause of a city event, for the same actors, folds into it."""
    out: list[Event] = []
    by_sentence: dict[int, list[Event]] = {}
    for e in events:
        host = next(
            (o for o in by_sentence.get(e.sentence_start, ())
             if o.actors == e.actors and o.status == e.status
             and e.geo_precision == 5 and (o.geo_precision or 0) < 5 and o.place_end <= e.place_start
             and re.search(r"\bwhere\b", e.sentence[o.place_end - o.sentence_start : e.place_start - e.sentence_start])
             and geodesic((o.lat, o.lon), (e.lat, e.lon)).km <= _SUBPLACE_KM),
            None,
        )
        if host is None:
            out.append(e)
            by_sentence.setdefault(e.sentence_start, []).append(e)
    return out

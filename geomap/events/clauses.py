"""Who did what where: one sentence -> frames (trigger, actors, targets, places with roles, time, status).

A shallow reading with no model: tokens, the vocabulary's triggers, the places the
recogniser found and the references :mod:`geomap.events.actors` found. Each place is
tied to the trigger that governs it through its preposition ("to" destination, "in/at"
location, "from" origin, "via" via; the object of "visited"); lists ("in X, Y and Z")
share the first item's role; a container ("Tromsø, Norway", "Gao in northern Mali") and
a possessive ("Argentina's second city") are context, not the event's place. The subject
is the nearest reference in subject position before the trigger (relative "who" takes its
antecedent; a clause with no subject of its own takes the previous trigger's); the other
side of a meeting and the victims of an attack come after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import NamedTuple

from ..model import Place
from .actors import Ref
from .time import Modality, TimePhrase, modality
from .vocabulary import GROUP_NOUNS, PERSON_NOUNS, STOP_TYPES, TYPES, Trigger, is_participle, trigger_of

__all__ = ["Frame", "PlaceArg", "read_sentence", "tokens_of"]

_TOKEN = re.compile(r"[\w’'-]+|[^\w\s]")

ROLE_OF_PREP = {
    "to": "destination", "into": "destination", "for": "destination", "toward": "destination",
    "towards": "destination", "onto": "destination", "in": "location", "at": "location", "near": "location",
    "outside": "location", "inside": "location", "around": "location", "across": "location",
    "throughout": "location", "off": "location", "on": "location", "over": "location", "within": "location",
    "from": "origin", "via": "via", "through": "via", "between": "location", "along": "location",
    "beyond": "location", "past": "via",
}
#: Words that may stand between a preposition and a place: "in northern Mali", "to the port of Batumi".
_DESCRIPTOR = frozenset(
    """the a an northern southern eastern western central north south east west northeast northwest southeast
    southwest north-east north-west south-east south-west far upper lower greater port town city village
    capital region province district county state island islands coastal border fishing nearby neighbouring
    neighboring of outskirts suburbs centre center heart edge southern-most outside downtown old new main
    frontline front-line besieged rebel-held occupied disputed restive remote mountainous rural breakaway
    historic ancient key strategic seaside resort mining oil industrial financial commercial administrative
    regional provincial economic its their his her embattled devastated flooded war-torn quake-hit storm-hit
    camp camps base small tiny little large big sleepy quiet bustling picturesque nearby area areas
    surrounding""".split()
)
_SUBJECT_BLOCK = frozenset(
    "with by to for from of about at in on between against among than like as into onto toward towards via "
    "met meet meets meeting joined join joins accompanied accompany hosted host hosts welcomed received told tells "
    "tell thanked invited urged asked visited visit".split()
)
_SPEECH = frozenset("said says say told tells added adds noted notes warned argued claimed according".split())
_BOUNDARY = re.compile(r";|\s[—–]\s|\bwhile\b|\bwhereas\b|, but\b|\bbut\b|, as\b|\bbecause\b|\balthough\b|\bthough\b|\bamid\b|\bas\b(?= \w+ (?:from|of|in)\b)|\bwhich\b|\bthat\b")
_NEW_CLAUSE = re.compile(r";|\s[—–]\s|\bwhile\b|\bwhereas\b|\bbut\b|, and\b|\band\b|\bafter\b|\bbefore\b|\bwhere\b|\bwho\b")
_AFTER_CUE = re.compile(r"\b(?:after|following|since|having)\b(?:(?! and | but ).)*$", re.I)
_BEFORE_CUE = re.compile(r"\b(?:before|then|ahead of|until|later|afterwards|and then|next|onward|onwards)\b(?:(?! and | but ).)*$", re.I)


@dataclass(frozen=True)
class PlaceArg:
    place: Place
    role: str  # destination | location | origin | via


@dataclass
class Frame:
    trigger: Trigger
    type: str
    start: int  # char offset of the trigger in the sentence
    end: int
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    places: list[PlaceArg] = field(default_factory=list)
    time: TimePhrase | None = None
    time_invert: bool = False  # "a day after flying": the phrase dates the other event relative to this one
    mod: Modality = Modality("occurred", False, False)
    #: narrative order within the sentence: -1 told after but happened before ("after talks in X"), +1 after
    shift: float = 0.0
    host: str | None = None
    passive: bool = False


class Tok(NamedTuple):
    text: str
    low: str
    start: int
    end: int


def tokens_of(text: str) -> list[Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        w = m.group(0)
        out.append(Tok(w, w.lower(), m.start(), m.end()))
    return out


_DETERMINERS = frozenset("a an the his her their its this that these those another any some no each every one two "
                         "three four five several many planned proposed scheduled first second final last next new "
                         "further latest fresh".split())
_AUX = frozenset("will would shall to is are was were be been being has have had did does do not never also then "
                 "later reportedly allegedly 'll can could may might must should he she they it we who which".split())


def _choose(cands: list[Trigger], toks: list[Tok], i: int, sent: str) -> Trigger | None:
    """One trigger for a position: the longest phrase, the part of speech its context calls for."""
    if not cands:
        return None
    prev = toks[i - 1].low if i > 0 else ""
    prev2 = toks[i - 2].low if i > 1 else ""
    nouny = prev in _DETERMINERS or prev.endswith("'s") or prev.endswith("’s") or prev.isdigit() or (
        i > 0 and toks[i - 1].text[:1].isupper() and prev not in _AUX and not _cap_start(toks, i - 1))
    verby = prev in _AUX or prev2 in ("will", "to", "would")
    adjective = "-" in prev or prev.endswith(("al", "ic", "ous", "ive", "ful", "less", "ary", "ern", "est"))
    if prev in ("a", "an", "the", "his", "her", "their", "its") or (prev2 in ("a", "an", "the") and adjective and prev not in _AUX):
        cands = [c for c in cands if c.pos == "noun"]  # "a high-speed train", "a fire at": no verb
        if not cands:
            return None
    if prev in ROLE_OF_PREP or prev in ("a", "an", "the", "his", "her", "their", "its", "of", "with"):
        # "for advanced weapons", "the planned stop": a participle before a noun is an adjective
        nxt = toks[i + 1].low if i + 1 < len(toks) else ""
        if nxt.isalpha() and nxt not in ROLE_OF_PREP and nxt not in _AUX:
            cands = [c for c in cands if not (c.pos == "verb" and c.tag in ("VBN", "VBD") and c.end - c.start == 1)]
            if not cands:
                return None
    best_len = max(c.end - c.start for c in cands)
    longest = [c for c in cands if c.end - c.start == best_len]
    if best_len > 1:
        return longest[0]
    nouns = [c for c in longest if c.pos == "noun"]
    verbs = [c for c in longest if c.pos == "verb"]
    if nouny and nouns and not verby:
        pick = nouns
    elif verbs and not (nouny and nouns):
        pick = verbs
    else:
        pick = nouns or verbs
    if len({c.type for c in pick}) > 1:
        return _disambiguate(pick, toks, i)
    return pick[0]


def _cap_start(toks: list[Tok], i: int) -> bool:
    return i == 0 or toks[i - 1].text in (".", ";", ":", "—", "–", '"', "“")


_NATURAL = frozenset("earthquake quake storm cyclone hurricane typhoon flood floods floodwaters tornado wildfire "
                     "fire fires blaze rains rain tsunami landslide drought outbreak epidemic virus disease".split())


_MISHAP = frozenset("crash crashed collided collision capsized capsize derailed derailment overturned plunged sank "
                    "ferry bus truck train boat speedboat minibus plane aircraft vessel".split())


def _disambiguate(cands: list[Trigger], toks: list[Tok], i: int) -> Trigger:
    window = {t.low for t in toks[max(0, i - 8) : i + 8]}
    types = {c.type: c for c in cands}
    if "disaster" in types and window & _NATURAL:
        return types["disaster"]
    if "accident" in types and window & _MISHAP:
        return types["accident"]
    if "strike" in types and "assault" in types:
        prev = toks[i - 1].low if i else ""
        if prev in ("air", "drone", "missile", "rocket", "military", "airstrike") or window & {"killed", "killing", "missile", "drone", "bomb", "bombs"}:
            return types["assault"]
        return types["strike"]
    for name in ("assault", "travel", "visit", "meet", "protest", "arrest", "trial", "deploy", "aid"):
        if name in types and name != "disaster":
            return types[name]
    return cands[0]


def _place_tokens(toks: list[Tok], places: Sequence[Place], base: int) -> dict[int, int]:
    """Token index -> index into ``places`` for the tokens a place covers."""
    out: dict[int, int] = {}
    k = 0
    for pi, p in enumerate(places):
        s, e = p.start - base, p.end - base
        while k < len(toks) and toks[k].end <= s:
            k += 1
        j = k
        while j < len(toks) and toks[j].start < e:
            out[j] = pi
            j += 1
    return out


def _coarser(a: Place, b: Place) -> bool:
    """Is ``a`` a container of ``b`` (a country, region or state it lies in)?"""
    rank = {"country": 3, "admin": 2, "region": 2, "water": 2, "city": 1, "landmark": 0}
    ra, rb = rank.get(a.kind, 1), rank.get(b.kind, 1)
    if ra <= rb:
        return False
    if a.kind == "country":
        return a.country_code == b.country_code or b.country_code is None
    return a.country_code in (None, b.country_code)


def read_sentence(
    text: str, base: int, places: Sequence[Place], refs: Sequence[Ref], times: Sequence[TimePhrase],
    *, prev_subject: tuple[str, ...] = (),
) -> list[Frame]:
    """The frames of one sentence. ``base`` is the sentence's offset in the document."""
    toks = tokens_of(text)
    ptok = _place_tokens(toks, places, base)
    ref_tok: dict[int, Ref] = {}
    starts = [t.start for t in toks]
    for r in refs:
        k = bisect_left(starts, r.start)
        while k < len(toks) and toks[k].start < r.end:
            ref_tok[k] = r
            k += 1
    lows = [t.low for t in toks]
    # 1. triggers
    frames: list[Frame] = []
    i = 0
    while i < len(toks):
        if i in ptok or (i in ref_tok and ref_tok[i].kind in ("name", "title")):
            i += 1
            continue
        t = toks[i]
        if t.text[:1].isupper() and not _cap_start(toks, i) and (
            i + 1 < len(toks) and toks[i + 1].text[:1].isupper() or t.low in ("march", "may")
        ):
            i += 1
            continue  # inside a name ("Peace Talks Centre"), or a month ("in March")
        trig = _choose(trigger_of(lows, i), toks, i, text)
        if trig is None and (lows[i] == "back" or lows[i] in _SYN_STAY):
            trig = _synthetic(toks, i)
        if trig is None:
            i += 1
            continue
        if trig.pos == "noun" and frames and frames[-1].trigger.pos == "verb" and _object_of(toks, frames[-1].trigger.end, trig.start):
            i = trig.end
            continue  # "sign a supply agreement", "deliver aid": the verb governs
        if trig.type == "travel" and trig.lemma.split()[0] in ("leave", "flee", "escape", "abandon") and re.search(
            r"\b(?:order(?:ed|s)?|forc(?:ed|es)|told|urg(?:ed|es)|asked|advised|compelled)\b[^.;]{0,60}\bto\s*$", text[: toks[i].start]
        ):
            trig = Trigger("evacuate", trig.lemma, trig.start, trig.end, trig.pos, trig.tag)  # "ordered 6,000 people to leave X"
        frames.append(Frame(trig, trig.type, toks[trig.start].start, toks[trig.end - 1].end))
        i = trig.end
    if not frames:
        return []
    # 2. places: role and governing frame
    rel: dict[int, tuple[str, int | None]] = {}  # place index -> (role, frame index or None)
    seen_pi: list[int] = []
    for k in sorted(set(ptok.values())):
        pk = [j for j, v in ptok.items() if v == k]
        a, b = min(pk), max(pk) + 1
        p = places[k]
        if b < len(toks) and toks[b].low in ("'s", "’s", "'", "’") or (b < len(toks) and toks[b].low.endswith(("'s", "’s"))):
            continue  # "Argentina's second-largest city": context
        if text[p.end - base : p.end - base + 2] in ("'s", "’s"):
            continue
        role, fi = _role(toks, a, ptok, places, k, rel, frames, text)
        if role is None:
            continue
        rel[k] = (role, fi)
        seen_pi.append(k)
    for k in sorted(set(ptok.values())):
        if k in rel:
            continue
        b = max(j for j, v in ptok.items() if v == k) + 1
        for fi, f in enumerate(frames):
            if f.trigger.pos == "noun" and 0 <= f.trigger.start - b <= 2 and all(
                toks[q].low in _DESCRIPTOR or toks[q].low in ("city", "provincial", "district", "regional", "high", "military", "state") for q in range(b, f.trigger.start)
            ):
                rel[k] = ("location", fi)
                seen_pi.append(k)
                break
    # 3. attach places to frames
    for k in seen_pi:
        role, fi = rel[k]
        pstart = places[k].start - base
        if fi is None:
            fi = _governor(frames, pstart, text)
        if fi is None:
            continue
        f = frames[fi]
        if role == "origin" and f.type in ("protest", "rally"):
            role = "location"  # "march from X to parliament" starts at X
        if role == "origin" and f.type not in ("travel", "evacuate", "deploy", "aid", "visit", "meet", "attend"):
            continue  # "refugees from Sudan", "independence from Portugal"
        if role == "destination" and f.type not in ("travel", "deploy", "aid", "evacuate", "visit", "assault", "protest") and _text_before(text, pstart).endswith("for"):
            continue
        f.places.append(PlaceArg(places[k], role))
    # containers: a coarser place beside a finer one of the same frame is context
    for f in frames:
        keep = []
        for arg in f.places:
            if any(_coarser(arg.place, o.place) for o in f.places if o is not arg):
                continue
            keep.append(arg)
        f.places = keep
    # "..., where she had flown in from X": the antecedent place is the location
    for fi, f in enumerate(frames):
        if not any(a.role in ("destination", "location") for a in f.places):
            m = None
            for k in seen_pi:
                pe = places[k].end - base
                if pe <= f.start and re.fullmatch(r",?\s*where\b[^;.]*", text[pe : f.start]):
                    m = k
            if m is not None and f.type == "travel" and (fi == 0 or frames[fi - 1].end < places[m].start - base):
                f.places.append(PlaceArg(places[m], "location"))
    # 4. actors, targets, time, status
    prev_end = 0
    last_subject: tuple[str, ...] = ()
    for fi, f in enumerate(frames):
        nxt = frames[fi + 1].start if fi + 1 < len(frames) else len(text)
        f.passive = bool(re.search(r"\b(?:was|were|been|being|be|is|are|got)\s+(?:\w+ly\s+)?$", text[prev_end : f.start])) \
            and f.trigger.pos == "verb" and is_participle(toks[f.trigger.start].low)
        subj = _subject(text, refs, prev_end, f, f.passive, prev_verb=fi > 0 and frames[fi - 1].trigger.pos == "verb")
        own = next((r for r in refs if r.kind == "group" and r.start <= f.start < r.end), None)
        if own is not None:
            subj = own.keys
        if f.trigger.pos == "noun":
            owner = next((r for r in refs if 0 <= f.start - r.end <= 12 and re.fullmatch(r"(?:['’]s)?\s+(?:\w+\s+)?", text[r.end : f.start])
                          and (r.kind != "pronoun" or text[r.start : r.end].lower() in ("his", "her", "their"))), None)
            if owner is not None:
                subj = owner.keys  # "his trip to X", "Lind's visit to X"
            elif re.search(r"\b(?:its|their)\s+(?:\w+\s+)?$", text[max(0, f.start - 20) : f.start]) and f.type in STOP_TYPES:
                subj = ()
                last_subject = ()  # "a pledge by the G7 at its summit in X": not the traveller's
        named = _named_subject(text, prev_end, f.start) if not subj and f.trigger.pos == "verb" and not f.passive else ()
        gap = text[prev_end : f.start]
        main_gap = re.sub(r",\s*(?:which|who|that|where)\b[^,;]*,", ",", gap)  # a relative clause ends, the subject resumes
        if subj:
            last_subject = subj
        elif last_subject and (not _BOUNDARY.search(main_gap) or _SAME_SUBJECT.search(main_gap)):
            subj = last_subject
        elif not frames[:fi] and prev_subject and not any(r.start < f.start for r in refs):
            subj = prev_subject if _story_subject_ok(text, f) else ()
        if not subj and named:
            subj = last_subject = named
        if not subj and f.type not in STOP_TYPES:
            np = _np_actor(text, prev_end, f)
            if np:
                subj = (np,)
                if f.trigger.pos == "verb" and not f.passive:
                    last_subject = subj  # "An earthquake struck X, killing ... and flattening ..."
        if f.type == "travel" and subj and all(k.split()[-1].lower() in _AID_CARRIERS for k in subj):
            f.type = "aid"  # "a convoy crossed into X": aid on the move
        after_refs = [r for r in refs if f.end <= r.start < nxt]
        if f.passive and f.type in STOP_TYPES:
            f.actors = subj  # "was flown to X", "were transferred to X": the subject travels
            if f.type in ("meet", "attend", "host", "visit"):
                by = [r for r in after_refs if re.search(r"\bby\s+(?:\w+\s+){0,4}$", text[max(0, r.start - 40) : r.start])]
                f.actors = tuple(dict.fromkeys((*subj, *(k for r in by[:1] for k in r.keys))))  # "was joined in X by Y"
        elif f.passive:
            by = [r for r in after_refs if re.search(r"\bby\s+(?:the\s+)?$", text[max(0, r.start - 12) : r.start])]
            f.targets = subj
            f.actors = tuple(k for r in by[:1] for k in r.keys)
            if not f.actors and f.type not in STOP_TYPES:
                # "57 people were arrested, police said": the authority that reports it
                speaker = next((r for r in refs if r.kind == "group" and re.match(r"\s+(?:said|say|says|told)\b", text[r.end : r.end + 8])), None)
                if speaker is not None:
                    f.actors = speaker.keys
        else:
            f.actors = subj
            if f.type in ("meet", "host", "sign", "agree", "attend", "clash"):
                others = []
                for r in after_refs:
                    pre = text[max(f.end, r.start - 45) : r.start]
                    if r.kind in ("name", "title", "group", "org") and (
                        re.search(r"\b(?:with|between|and|met|meet|meeting|hosted|welcomed|received|joined|by)\b", pre)
                        or r.start - f.end <= 2 or re.fullmatch(r"\s*(?:[A-Z][\w.’'-]*\s+){1,4}", text[f.end : r.start])
                    ) and not re.search(r"\b(?:said|told)\b", pre):
                        others.extend(k for k in r.keys if k not in others)
                if f.type == "host" and others:
                    f.host = f.actors[0] if f.actors else None
                f.actors = tuple(dict.fromkeys((*f.actors, *others)))
            elif f.type in ("assault", "arrest", "trial", "sanction", "clash", "evacuate", "aid"):
                f.targets = tuple(k for r in after_refs[:2] if r.kind in ("name", "group", "title") for k in r.keys
                                  if k not in f.actors)
        # time: a phrase after the trigger in its clause, else before it, else the sentence's only phrase
        after_t = [p for p in times if f.end <= p.start < nxt]
        before_t = [p for p in times if prev_end <= p.start and p.end <= f.start]
        if after_t:
            f.time = after_t[0]
        elif before_t:
            f.time = before_t[-1]
            f.time_invert = bool(re.search(r"\b(?:after|before)$", f.time.text, re.I))
        elif times and times[0].start < f.start and (fi == 0 or not text[: times[0].start].strip(" \"“")):
            f.time = times[0]  # "Late on Tuesday, ...": a fronted time phrase dates the whole sentence
        aux = text[max(0, prev_end - 0) : f.start]
        clause_aux = re.split(r"[;,]\s+(?=and\b|but\b|while\b)|;\s*", aux)[-1]
        if f.trigger.lemma in _RESIDENCE and f.trigger.tag in ("VBZ", "VBP"):
            f.mod = Modality("hypothetical", False, False)  # "who lives in Paris": where someone lives, not a stop
            prev_end = f.end
            continue
        f.mod = modality(clause_aux, text[f.end : min(nxt if nxt > f.end + 40 else len(text), f.end + 140)], noun=f.trigger.pos == "noun")
        if f.trigger.lemma.startswith(("be due", "be expected")) and f.mod.status == "occurred" and f.trigger.tag != "VBD":
            f.mod = Modality("planned", f.mod.perfect, True)
        if f.mod.status == "occurred" and fi > 0 and not _NEW_CLAUSE.search(gap) and frames[fi - 1].mod.status == "planned" \
                and (re.search(r"\b(?:to|for|on to|and|then)\b", gap) or f.trigger.pos == "noun") \
                and not re.search(r"\b(?:about|of|that|which)\b", gap):
            f.mod = Modality("planned", f.mod.perfect, True)
        if fi > 0 and re.search(r"\b(?:before|then|and then)\b", gap) and frames[fi - 1].mod.status == "planned" and f.mod.status == "occurred":
            f.mod = Modality("planned", f.mod.perfect, True)
        fronted = fi == 0 and len(frames) > 1
        if _AFTER_CUE.search(text[max(0, f.start - 40) : f.start]) and (fi > 0 or fronted):
            f.shift = -1.0
        elif _BEFORE_CUE.search(text[max(0, f.start - 25) : f.start]) and (fi > 0 or fronted):
            f.shift = 1.0 if fronted else 0.5
        if f.mod.perfect:
            f.shift = min(f.shift, -1.0)
        prev_end = f.end
    # "Before heading to X, Lind toured Y": a fronted clause shares the main clause's subject
    if frames and not frames[0].actors and re.match(r"\s*(?:Before|After|While|Having|On|Upon|During|Ahead of|Since)\b", text):
        main = next((f for f in frames[1:] if f.actors and not f.passive), None)
        if main is not None:
            for f in frames:
                if f is main:
                    break
                if not f.actors:
                    f.actors = main.actors
    return frames


_OBJECT_FILL = frozenset("a an the his her their its new first second further fresh supply trade peace security "
                         "defence defense military joint major formal final".split())


_OBJECT_STOP = frozenset("and or but about with of between against over during after before since than".split())


def _object_of(toks: list[Tok], after_verb: int, noun_start: int) -> bool:
    gap = toks[after_verb:noun_start]
    return len(gap) <= 3 and all(
        t.low in _OBJECT_FILL or (t.text.islower() and t.low.isalpha() and t.low not in ROLE_OF_PREP and t.low not in _AUX
                                  and t.low not in _OBJECT_STOP)
        for t in gap
    )


def _text_before(text: str, pos: int) -> str:
    return text[max(0, pos - 12) : pos].strip().lower()


#: "... but was rerouted", "... and then flew": a conjunction followed by a verb keeps the subject
_SAME_SUBJECT = re.compile(r"\b(?:but|and|while)\s+(?:was|were|is|are|had|has|have|then|also|later|would|will|could|did|instead)\b")
_RESIDENCE = frozenset({"live", "reside", "be based", "work", "settle"})
_AID_CARRIERS = frozenset("convoy convoys trucks lorries airlift shipment shipments consignment".split())
_SYN_STAY = frozenset("days nights hours weeks day night".split())


def _synthetic(toks: list[Tok], i: int) -> Trigger | None:
    """Presence without a verb: "back in X", "after three days at X", "a night in X"."""
    w = toks[i].low
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    if w == "back" and nxt in ("in", "at", "to", "home"):
        return Trigger("travel", "be back", i, i + 1, "verb", "VBD")
    if w in _SYN_STAY and nxt in ("in", "at") and i > 0 and (toks[i - 1].low.isdigit() or toks[i - 1].low in
                                                                ("two", "three", "four", "five", "six", "seven", "a", "several", "few")):
        return Trigger("travel", "stay", i, i + 1, "noun", "NNS")
    return None


#: Nouns a located phrase describes rather than the event: "the situation in X", "the war in X".
TOPIC_NOUNS = frozenset(
    """situation conflict war crisis relations tensions ties policy policies issue issues question future security
    interests interest investment investments stake stakes presence influence role involvement economy market
    markets population embassy embassies consulate ministry government capital border borders independence sovereignty occupation annexation invasion affairs trade
    exports imports elections politics history culture rights law laws sanctions programme program development
    developments events news violence instability unrest insurgency refugees citizens nationals residents""".split()
)


def _role(toks, a, ptok, places, k, rel, frames, text) -> tuple[str | None, int | None]:
    """How place ``k`` (first token ``a``) is governed: a preposition's role, a list, an object, or nothing."""
    j = a - 1
    steps = 0
    listed = False  # inside "X, Y and <place>" (names the gazetteer lacks stand in the list)
    while j >= 0 and steps < 6:
        t = toks[j].low
        if j in ptok:
            if steps == 0 or toks[j + 1].low in ("of", "in", ","):
                return None, None  # right after another place ("Port Louis Mauritius", "Gao in Mali")
            while j >= 0 and j in ptok:
                j -= 1  # "the Black Sea port of Batumi": the other place describes this one
            continue
        if t == "of" and j > 0:
            if toks[j - 1].low == "out":
                return "origin", None  # "flying residents out of X"
            if toks[j - 1].low in GROUP_NOUNS and steps == 0:
                return "location", None  # "Residents of Madrid voted"
            for fi, f in enumerate(frames):
                if f.trigger.pos == "noun" and f.trigger.end in (j, j - 1):
                    return "location", fi  # "the evacuation of X", "the shelling of X"
        if t in ROLE_OF_PREP and j > 0 and toks[j - 1].low in TOPIC_NOUNS:
            return None, None  # "the situation in Ukraine"
        if t in ROLE_OF_PREP:
            if t == "on" and j + 1 < a and toks[j + 1].low == "to":
                return "destination", None
            if t == "for" and j > 0 and toks[j - 1].low in ("bound", "headed", "leave", "left", "leaves", "leaving", "depart", "departed", "set", "sets", "off", "out"):
                return "destination", None
            if t == "for":
                return None, None
            if t == "between":
                return None, None
            return ROLE_OF_PREP[t], None
        if t in (",", "and", "or", "&"):
            # a list: "in Nairobi, Mombasa and Kisumu"; an apposition after a place is context
            q = j - 1
            if q >= 0 and q in ptok:
                prev_k = ptok[q]
                if prev_k in rel and not _coarser(places[k], places[prev_k]):
                    return rel[prev_k][0], rel[prev_k][1]
                return None, None
            if q >= 0 and toks[q].text[:1].isupper() and q not in ptok and steps < 4 and (listed or t in ("and", "or")):
                listed = True
                j = q - 1  # "in Bajhang, Doti and Achham": a list with names the gazetteer lacks
                steps += 1
                continue
            if t == ",":
                return None, None
            j -= 1
            steps += 1
            continue
        for fi, f in enumerate(frames):
            if f.trigger.end - 1 == j:
                lemma = f.trigger.lemma.split()[0]
                et = TYPES.get(f.type)
                if et and (lemma in et.object_place or f.type == "visit" or lemma in ("reach", "enter", "cross", "leave", "hit", "attack", "raid", "shell", "storm")):
                    if f.type == "evacuate":
                        return "location", fi
                    return ("origin" if lemma == "leave" else "destination" if f.type in ("travel", "visit") else "location"), fi
                return None, None
        if t not in _DESCRIPTOR and not (toks[j].text[:1].isupper() and t not in ("the",)) and not re.fullmatch(r"[\w-]+(?:ern|ward|ian|ish|ese|i)", t):
            return None, None
        j -= 1
        steps += 1
    return None, None


def _governor(frames: list[Frame], pstart: int, text: str) -> int | None:
    """The trigger a located phrase belongs to: the nearest one before it in its clause, else the next."""
    before = [fi for fi, f in enumerate(frames) if f.end <= pstart]
    if before:
        fi = before[-1]
        gap = text[frames[fi].end : pstart]
        if re.search(r"\b(?:that|which)\s+(?:will|would|is|are|was|were|has|have|had|can|could)\b", gap):
            return None  # "a plant that will ship ammonia to X": the relative clause's place
        if not re.search(r";|\s[—–]\s", gap) and len(gap.split()) <= 16:
            return fi
    after = [fi for fi, f in enumerate(frames) if f.start >= pstart]
    if after:
        gap = text[pstart : frames[after[0]].start]
        if not re.search(r";|\s[—–]\s", gap) and len(gap.split()) <= 14:
            return after[0]
    return before[-1] if before and len(text[frames[before[-1]].end : pstart].split()) <= 22 else None


def _subject(text: str, refs: Sequence[Ref], lo: int, f: Frame, passive: bool, *, prev_verb: bool = True) -> tuple[str, ...]:
    """The subject of a trigger: the nearest reference in subject position before it in its clause."""
    cands = [r for r in refs if lo <= r.start and r.end <= f.start and not (lo and not text[lo : r.start].strip())]
    # relative "who": ", who had flown in" -> the antecedent, whatever its position
    for r in reversed([r for r in refs if r.end <= f.start]):
        between = text[r.end : f.start]
        if re.fullmatch(r",?\s*(?:who|which|that)\b[^,;]*", between) and r.kind != "pronoun":
            return r.keys
        break
    good = []
    for r in cands:
        if not r.subject_form:
            continue
        if lo and prev_verb:
            seg = text[lo : r.start]
            if not re.search(r"[;,]|\b(?:and|while|but|who|whereas|as|then|before|after|when|said|says|told)\b", seg + text[r.end : r.end + 8]):
                continue  # the object of the previous verb ("met X")
            piece = re.split(r"[;]|\b(?:and|while|but|whereas)\b", seg)[-1]
            if piece.rstrip().endswith(",") and any(w.strip(",’'s").lower() in PERSON_NOUNS for w in piece.split()):
                continue  # an apposition to the previous verb's object
        pre = text[max(0, r.start - 30) : r.start].lower().split()
        pre_w = pre[-1].strip(",") if pre else ""
        if pre_w in _SUBJECT_BLOCK:
            continue
        post = text[r.end : r.end + 14].lower().split()
        participle = f.trigger.tag == "VBG" and re.search(r",\s*$", text[: f.start]) is not None
        if post and post[0].strip(",") in _SPEECH and not participle and not re.search(r"\b(?:said|says)\s+(?:that\s+)?$", text[r.end : f.start]):
            continue  # the speaker of "..., X said" (but "X told reporters ..., speaking at Y" is X's)
        if pre_w in _SPEECH and r.kind != "pronoun":  # "..., said Z" (but "Z said he would fly" is his)
            continue
        between = text[r.end : f.start]
        if not participle and re.search(r"\b(?:said|says|told)\b", between) and not re.search(r"\b(?:he|she|they|it|we)\b", between) and len(between) > 40:
            continue
        good.append(r)
    if not good:
        return ()
    last = good[-1]
    keys = list(last.keys)
    # coordination: "X and Y flew"
    for r in reversed(good[:-1]):
        gap = text[r.end : last.start]
        if re.fullmatch(r"\s*(?:,|and|, and|&)\s*", gap):
            keys = list(r.keys) + [k for k in keys if k not in r.keys]
            last = r
        else:
            break
    return tuple(dict.fromkeys(keys))


_NAMED_SUBJECT = re.compile(
    r"((?:[Tt]he )?(?:[A-Z][\w’'-]*|al-[A-Z][\w’'-]*)(?: (?:[A-Z][\w’'-]*|of|for|and|al-[A-Z][\w’'-]*|\([A-Z]+\))){0,6})"
    r"(?: (?:also|then|later|reportedly|has|have|had|will|would|was|were|is|are|on \w+|said it|said they|\w+ly))*\s*$"
)
_NOT_SUBJECT_WORDS = frozenset("on in at the a an this that these those it they he she we i but and or if when after before".split())


def _named_subject(text: str, lo: int, start: int) -> tuple[str, ...]:
    """A capitalised name right before a verb is its subject when no known reference is: an
    organisation ("Al-Shabaab", "the World Food Programme") or a state ("Thailand deported")."""
    seg = text[lo:start]
    m = _NAMED_SUBJECT.search(seg)
    if not m:
        return ()
    name = re.sub(r"^[Tt]he ", "", m.group(1)).strip()
    if not name or name.split()[0].lower() in _NOT_SUBJECT_WORDS or len(name) < 2:
        return ()
    if name.split()[-1].lower() in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        return ()
    return (name,)


_NP_STOP = frozenset(
    "of in at on to for from with by and or but as that which who whose when where while after before since if "
    "is are was were be been has have had will would said says told also then later it they he she we its their "
    "his her this these those there here not".split()
)
_NP_DET = frozenset("a an the another some several two three four five six seven eight nine ten dozens hundreds "
                    "thousands".split())


def _np_actor(text: str, lo: int, f: Frame) -> str | None:
    """The noun phrase that does a non-travel event: the subject before a verb ("a speedboat collided",
    "Gang members stormed"), or the hazard a disaster noun names ("Cyclone Rua", "a wildfire")."""
    if f.trigger.pos == "noun":
        if f.type not in ("disaster", "accident"):
            return None
        m = re.match(r"(?: (?:[A-Z][\w’'-]+))+", text[f.end :])  # "Cyclone Rua"
        head = text[f.start : f.end] + (m.group(0) if m else "")
        before = re.search(r"(?:\b(?:[Aa]n?|[Tt]he|[Aa]nother|[Tt]hird|[Ss]econd)\s+)?(?:[\w’'-]+\s+){0,2}$", text[lo : f.start])
        words = [w for w in (before.group(0).split() if before else []) if w.lower() not in _NP_STOP]
        return " ".join([*words[-3:], head]).strip() or None
    seg = text[lo : f.start]
    seg = re.sub(r"(?:\s+(?:has|have|had|was|were|is|are|will|would|also|then|reportedly|allegedly|later|been|\w+ly))+\s*$", "", seg)
    words = re.findall(r"[\w’'-]+|[^\w\s]", seg)
    out: list[str] = []
    for w in reversed(words):
        if not re.match(r"[\w’'-]+$", w) or w.lower() in _NP_STOP:
            break
        out.append(w)
        if w.lower() in _NP_DET or len(out) >= 4:
            break
    if not out:
        return None
    np = " ".join(reversed(out))
    if np.lower() in _NP_DET or re.fullmatch(r"\d[\d,]*", np):
        return None
    return np


def _story_subject_ok(text: str, f: Frame) -> bool:
    """An actorless sentence ("A planned visit to X was called off") continues the story's traveller;
    other events do not inherit the traveller."""
    return f.type in STOP_TYPES

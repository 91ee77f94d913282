"""Who: the people, groups and organisations of a story, and the words that refer to them (pure).

A story's *entities* come from the people the recogniser found (merged so that "Kim Jong Un"
and a later "Kim" are one) plus groups and organisations met in subject position. In each
sentence :func:`sentence_refs` finds the references: names, appositions ("Her deputy, Tomas
Lind,"), definite descriptions ("the minister", "the Finnish diplomat"), pronouns, group noun
phrases ("Suspected militants", "the delegation led by X") and coordinated subjects.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..places.recognise import PERSON_TITLES
from .vocabulary import GROUP_NOUNS, PERSON_NOUNS, lemma_of

__all__ = ["Entity", "Ref", "Story", "find_entities", "sentence_refs", "gender_of"]

_SINO_KOREAN = frozenset("kim lee park choi jong un il sung xi jinping li wang zhang liu chen yang".split())


@dataclass
class Entity:
    """A person, group or organisation the story follows."""

    key: str
    kind: str = "person"  # person | group | org
    aliases: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    gender: str | None = None


@dataclass(frozen=True)
class Ref:
    """A reference to entities in a sentence (offsets relative to the sentence)."""

    start: int
    end: int
    keys: tuple[str, ...]
    kind: str  # name | title | pronoun | group | org | relative
    subject_form: bool = True  # "he", "she", "they" (not "him", "her", "his")


@dataclass
class Story:
    """What the reader remembers from one sentence to the next."""

    entities: dict[str, Entity]
    last_person: str | None = None
    last_persons: tuple[str, ...] = ()
    last_group: tuple[str, ...] = ()
    #: head noun of a group ("delegation") -> the entity that leads it
    leaders: dict[str, str] = field(default_factory=dict)
    #: the leader of the last group said to be led by someone ("a delegation led by X")
    led: str | None = None
    #: first word of an alias -> the aliases it starts, longest first
    alias_by_first: dict[str, list[str]] = field(default_factory=dict)
    #: people in the order the story last mentioned them (most recent last)
    recent: list[str] = field(default_factory=list)
    alias_of: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _detector():
    import gender_guesser.detector as gd

    return gd.Detector(case_sensitive=False)


@lru_cache(maxsize=4096)
def gender_of(first: str) -> str | None:
    """"f", "m" or ``None`` for a given name (package ``gender-guesser``)."""
    g = _detector().get_gender(first)
    return "f" if g == "female" else "m" if g == "male" else None


def find_entities(text: str, people: Sequence[tuple[int, int, str]]) -> Story:
    """Merge the people spans into entities and note their titles ("Denmark's Arctic ambassador, X")."""
    ents: dict[str, Entity] = {}
    of_name: dict[str, Entity] = {}  # each distinct name is matched to an entity once
    for s, _e, name in sorted(people, key=lambda p: (-len(p[2]), p[0])):
        ent = of_name.get(name)
        if ent is None:
            ent = next((a for a in ents.values() if name in a.aliases or name == a.key), None)
        if ent is None:
            ent = next((a for a in ents.values() if set(name.split()) <= set(a.key.split())), None)
        if ent is None:
            words = name.split()
            ent = ents.setdefault(name, Entity(name, "person"))
            ent.aliases.add(name)
            if len(words) > 1:
                ent.aliases.add(words[-1])
                if "-" in words[-1]:
                    ent.aliases.update(p for p in words[-1].split("-") if len(p) > 3)
                if words[0].lower() in _SINO_KOREAN:
                    ent.aliases.add(words[0])
                if len(words) >= 3:  # "Lucía Ferrer Ortega": "Ferrer Ortega" and "Ferrer"
                    ent.aliases.add(" ".join(words[1:]))
                    if words[1][:1].islower():  # "Pieter van Aalst" is "Van Aalst" at the start of a sentence
                        ent.aliases.add(" ".join([words[1][:1].upper() + words[1][1:], *words[2:]]))
            ent.gender = gender_of(words[0]) if len(words) > 1 and words[0].lower() not in _SINO_KOREAN else None
        of_name[name] = ent
        if len(ent.titles) < 12:
            _note_titles(text, s, ent)
    story = Story(ents)
    _compile_aliases(story)
    return story


def _note_titles(text: str, start: int, ent: Entity) -> None:
    before = text[max(0, start - 120) : start].rstrip(", ")
    # "President X", "the UN's director for East Africa, X": the head nouns before the name
    seg = _NOT_NAME_CHARS.split(before)[-1][-100:]
    words = [w.lower().strip(",.'’") for w in seg.split()][-8:]
    for w in words:
        if w in PERSON_TITLES or w in PERSON_NOUNS:
            ent.titles.add(w)
    after = text[start : start + 160]
    m = re.match(r"[^,.;]{2,60}?, (?:the |a |an |who is |his |her )?((?:[\w'’-]+ ){0,5}[\w'’-]+)", after)
    if m:
        for w in m.group(1).lower().split():
            if w in PERSON_TITLES or w in PERSON_NOUNS:
                ent.titles.add(w)


_NOT_NAME_CHARS = re.compile(r"[^\w'’ -]")


def _compile_aliases(story: Story) -> None:
    alias_of: dict[str, str] = {}
    for ent in story.entities.values():
        for a in ent.aliases:
            alias_of.setdefault(a, ent.key)
    story.alias_of = alias_of
    by_first: dict[str, list[str]] = {}
    for a in sorted(alias_of, key=len, reverse=True):
        by_first.setdefault(_CAP_WORD_RX.match(a).group(0) if _CAP_WORD_RX.match(a) else a.split()[0], []).append(a)
    story.alias_by_first = by_first


def find_aliases(text: str, story: Story) -> list[tuple[int, int, str]]:
    """(start, end, entity key) of every alias in ``text``, longest first at each word, left to right."""
    if not story.alias_of:
        return []
    by_first = story.alias_by_first
    out = []
    pos = 0
    for m in _CAP_WORD_RX.finditer(text):
        s0 = m.start()
        if s0 < pos:
            continue
        cands = by_first.get(m.group(0))
        if not cands:
            continue
        for alias in cands:  # longest first
            e0 = s0 + len(alias)
            if text.startswith(alias, s0) and (e0 == len(text) or not (text[e0].isalnum() or text[e0] in "-_")):
                out.append((s0, e0, story.alias_of[alias]))
                pos = e0
                break
    return out


def add_entity(story: Story, key: str, kind: str) -> Entity:
    ent = story.entities.get(key)
    if ent is None:
        ent = story.entities[key] = Entity(key, kind, {key})
        _compile_aliases(story)
    return ent


#: Groups that travel together and are keyed by whoever leads them.
_TRAVEL_GROUPS = frozenset("delegation delegations group team mission visitors party entourage squad band crew contingent "
                           "orchestra choir troupe".split())

_PRONOUNS = {"he": ("m", True), "she": ("f", True), "him": ("m", False), "his": ("m", False), "her": ("f", False),
             "they": (None, True), "them": (None, False), "their": (None, False)}
_SEVERAL_RX = re.compile(r"\b(?:[Tt]he )?(two|three|four|[Bb]oth)(?: \w+)? (?:envoys|ministers|leaders|men|women|presidents|diplomats|officials|mediators|delegates|executives|players|athletes|sides)\b")
_APPOSED_RX = re.compile(
    r"(?:^|[.;:] |, |\b(?:and|while|but) )((?:[A-Z][\w’'-]*|[Tt]he|[Hh]is|[Hh]er|[Tt]heir)(?: [\w’'-]+){0,9}), $"
)
_APPOSED_WINDOW = 400
_CAP_WORD_RX = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ſ][\w’'-]*")
_WORD_RX = re.compile(r"[\w’'-]+")
_PRONOUN_RX = re.compile(r"\b(?:he|she|him|his|her|they|them|their|He|She|His|Her|They|Their)\b")
_DESCR_RX = re.compile(r"\b(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir|[Aa]n?|[Ii]ts|[\w’']+['’]s)((?: [\w’'-]+){1,4})")
_NUM_WORDS = r"(?:\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds|thousands|several|many|some|" \
             r"more than \d[\d,]*|at least \d[\d,]*|about \d[\d,]*)"
_DET_BEFORE = re.compile(r"(?:^|\b)(?:the|a|an|some|many|several|\d[\d,]*|his|her|their|its)\s+$", re.I)
_STOP_MODIFIERS = frozenset(
    "the a an of in at on to for from with by and or but as that which who whose his her their its this these those"
    " is are was were be been has have had will would said says told".split()
)


def text_gap(words: list[tuple[str, int, int, str]], j: int) -> str:
    """The characters between word ``j`` and word ``j + 1``."""
    return words[j][3][words[j][2] : words[j + 1][1]]


def _group_span(words: list[tuple[str, int, int, str]], k: int) -> int:
    """Token index where the noun phrase ending at group noun ``k`` starts (up to 3 modifiers)."""
    j = k
    while j > 0 and k - j < 3:
        if text_gap(words, j - 1) != " ":
            break
        w = words[j - 1][0]
        wl = w.lower()
        if wl in _STOP_MODIFIERS or not re.match(r"^[\w'’-]+$", w) or wl.endswith("ed") and wl not in ("armed", "suspected", "masked", "unidentified", "allied"):
            break
        if lemma_of(wl) is not None and not w[:1].isupper():
            break  # "to brief members": the verb is not part of the group
        j -= 1
    return j


class _Occupied:
    """Spans of a sentence already taken, in buckets of 256 characters, so that asking whether a span
    is free costs the same in a long sentence as in a short one."""

    _SIZE = 256

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._buckets: dict[int, list[tuple[int, int]]] = {}
        for span in spans:
            self.append(span)

    def append(self, span: tuple[int, int]) -> None:
        a, b = span
        for k in range(a // self._SIZE, max(a, b - 1) // self._SIZE + 1):
            self._buckets.setdefault(k, []).append(span)

    def free(self, s: int, e: int) -> bool:
        for k in range(s // self._SIZE, max(s, e - 1) // self._SIZE + 1):
            if any(a < e and s < b for a, b in self._buckets.get(k, ())):
                return False
        return True


def sentence_refs(sent_text: str, story: Story, taken: list[tuple[int, int]], *, full: bool = True) -> list[Ref]:
    """References to entities in one sentence, in text order. ``taken`` are place spans (no refs inside).

    ``full=False`` finds only names and subject pronouns: enough to follow who the story is about
    through sentences that name no place."""
    refs: list[Ref] = []
    occupied = _Occupied(taken)
    free = occupied.free

    for a, b, key in find_aliases(sent_text, story):
        if free(a, b):
            refs.append(Ref(a, b, (key,), "name"))
            occupied.append((a, b))
    if not full:
        for m in _PRONOUN_RX.finditer(sent_text):
            if m.group(0).lower() in ("he", "she") and free(m.start(), m.end()):
                keys = _by_gender(story, _PRONOUNS[m.group(0).lower()][0])
                if keys:
                    refs.append(Ref(m.start(), m.end(), keys, "pronoun"))
        refs.sort(key=lambda r: r.start)
        return refs
    # appositions: "Her deputy, Jonas Lindqvist," / "The UN's envoy, X," -> the name, from the description on
    for r in list(refs):
        # a description of at most ten words before the name, looked for in a window before it so that
        # a long sentence stays linear ("^" matches only where the sentence starts, not at the window)
        m = _APPOSED_RX.search(sent_text, max(0, r.start - _APPOSED_WINDOW), r.start)
        if m and any(w.lower().strip("’'s") in PERSON_NOUNS or w.lower() in PERSON_TITLES for w in m.group(1).split()[-4:]):
            refs.remove(r)
            refs.append(Ref(m.start(1), r.end, r.keys, "name"))
            occupied.append((m.start(1), r.end))
    # "the two envoys", "both ministers": the people the story has just named
    for m in _SEVERAL_RX.finditer(sent_text):
        n = {"two": 2, "both": 2, "three": 3, "four": 4}[m.group(1).lower()]
        if len(story.recent) >= n and free(m.start(), m.end()):
            refs = [r for r in refs if not (m.start() <= r.start < m.end())]
            refs.append(Ref(m.start(), m.end(), tuple(story.recent[-n:]), "group"))
            occupied.append((m.start(), m.end()))
    # groups: "protesters", "Suspected jihadist fighters", "a delegation led by X"
    words = [(m.group(0), m.start(), m.end(), sent_text) for m in _WORD_RX.finditer(sent_text)]
    lows = {w[0].lower() for w in words}
    for k, (w, s, e, _) in enumerate(words if not lows.isdisjoint(GROUP_NOUNS) else ()):
        wl = w.lower()
        if wl not in GROUP_NOUNS or not free(s, e):
            continue
        if w[:1].isupper() and k > 0 and words[k - 1][0][:1].isupper() and not _sentence_start(sent_text, words[k - 1][1]):
            continue  # part of a name ("Kanbalu People's Defence Force")
        j = _group_span(words, k)
        start = words[j][1]
        after = sent_text[e : e + 80]
        after = sent_text[e : e + 160]
        led = re.search(r"^[^.;]{0,90}?\b(?:led|headed) by (?:[a-z-]+ ){0,3}((?:[A-Z][\w’'-]+ ?){1,4})", after)
        if led:
            leader = story.alias_of.get(led.group(1).strip())
            if leader is None:
                got = find_aliases(led.group(1), story)
                leader = got[0][2] if got and got[0][0] == 0 else None
            if leader:
                story.leaders[wl] = leader
                story.led = leader
                refs.append(Ref(start, e, (leader,), "group"))
                occupied.append((start, e))
                continue
        led_by_pronoun = re.match(r" (?:that |which )?(he|she) (?:leads|led|heads|headed)\b", after)
        if led_by_pronoun:
            g = "m" if led_by_pronoun.group(1) == "he" else "f"
            keys = _by_gender(story, g)
            if keys:
                story.leaders[wl] = keys[0]
                refs.append(Ref(start, e, keys, "group"))
                occupied.append((start, e))
                continue
        if wl in _TRAVEL_GROUPS and story.led and wl not in story.leaders:
            story.leaders[wl] = story.led
        if wl in _TRAVEL_GROUPS and wl not in story.leaders and story.last_person and re.search(
            r"\b(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:\w+\s+)?$", sent_text[max(0, s - 20) : s]
        ):
            refs.append(Ref(s, e, (story.last_person,), "group"))  # "the group" travelling with the story's traveller
            occupied.append((s, e))
            continue
        if wl in story.leaders and re.search(r"\b(?:the|his|her|its|their)\s+(?:\w+\s+){0,2}$", sent_text[max(0, s - 30) : s], re.I):
            refs.append(Ref(start, e, (story.leaders[wl],), "group"))
            occupied.append((start, e))
            continue
        more = re.match(r" of (?:[\w-]+ ){0,2}?([\w-]+)", sent_text[e : e + 40])
        if more and more.group(1).lower() in GROUP_NOUNS:
            e = e + more.end()  # "crowds of demonstrators", "hundreds of students"
        phrase = sent_text[start:e]
        key = re.sub(r"^(?:[Tt]he|[Aa]n?|[Ss]ome) ", "", phrase)
        refs.append(Ref(start, e, (key,), "group"))
        occupied.append((start, e))
    for r in [r for r in refs if r.kind == "name"]:
        m = re.match(r"(?:\s+and\s+(?:his|her|their)|['’]s)\s+([a-z][\w-]+)\b", sent_text[r.end : r.end + 40])
        if m and m.group(1) not in PERSON_NOUNS and len(m.group(1)) > 2:
            story.leaders.setdefault(m.group(1), r.keys[0])
    for m in re.finditer(r"\b[Tt]he ([a-z][\w-]+)\b", sent_text):
        key = story.leaders.get(m.group(1))
        if key and free(m.start(), m.end()) and m.group(1) not in GROUP_NOUNS:
            refs.append(Ref(m.start(), m.end(), (key,), "group"))
            occupied.append((m.start(), m.end()))
    # definite descriptions: "the minister", "the Finnish diplomat", "the ambassador"
    for m in _DESCR_RX.finditer(sent_text):
        ws = m.group(1).split()
        head_i = next((i for i, w in enumerate(ws) if w.lower() in PERSON_NOUNS), None)
        if head_i is None:
            continue
        end = m.start(1) + len(" ".join(ws[: head_i + 1])) + 1
        if not free(m.start(), end):
            continue
        nxt = sent_text[end : end + 2]
        if nxt[:1] == " " and nxt[1:2].isupper():
            continue  # "minister Lucía Ferrer": a title before a name
        if nxt[:1] == ",":
            tail = sent_text[end + 1 : end + 3]
            if tail[:1] == " " and tail[1:2].isupper():
                continue  # an apposition, handled above
        det = sent_text[m.start() : m.start(1)].strip().lower()
        if det in ("a", "an"):
            continue  # an indefinite description introduces someone new
        head = ws[head_i].lower()
        fits = [e.key for e in story.entities.values() if e.kind == "person" and head in e.titles]
        key = fits[-1] if len(fits) == 1 else (story.last_person if story.last_person in fits or not fits else fits[0])
        if key is None:
            continue
        refs.append(Ref(m.start(), end, (key,), "title"))
        occupied.append((m.start(), end))
    if story.led:
        for m in re.finditer(r"(?:^|(?<=[.;] ))It\b|\bit (?=will|is|was|has|had|flew|travel)", sent_text):
            if free(m.start(), m.end()):
                refs.append(Ref(m.start(), m.end(), (story.led,), "pronoun"))
    # pronouns
    for m in _PRONOUN_RX.finditer(sent_text):
        if not free(m.start(), m.end()):
            continue
        g, subj = _PRONOUNS[m.group(0).lower()]
        earlier = [r for r in refs if r.end <= m.start() and r.kind in ("name", "title")]
        if g is not None and earlier and re.search(r"\b(?:said|says|told|added|announced|insisted)\s+(?:that\s+)?$", sent_text[: m.start()]):
            keys = earlier[-1].keys  # "X said he would fly": the speaker
        elif g is None:
            keys = story.last_group or story.last_persons
        else:
            keys = _by_gender(story, g) or (earlier[-1].keys if earlier else ())
        if keys:
            refs.append(Ref(m.start(), m.end(), tuple(keys), "pronoun", subj))
    refs.sort(key=lambda r: r.start)
    return refs


def _sentence_start(text: str, pos: int) -> bool:
    return not text[:pos].strip() or text[:pos].rstrip()[-1:] in ".;:—–-\"“"


def _by_gender(story: Story, g: str) -> tuple[str, ...]:
    last = story.last_person
    if last is None:
        return ()
    ent = story.entities.get(last)
    if ent is None or ent.gender in (None, g):
        return (last,)
    for key in reversed(story.last_persons):
        e = story.entities.get(key)
        if e and e.gender == g:
            return (key,)
    return (last,)


_NAME_WORD = r"(?:[A-Z][\w’'-]*[a-z][\w’'-]*|(?:al|el|bin|ibn|van|von|de|da|du|der|le|la)(?:-[A-Z][\w’'-]+)?)"
_NAME = rf"[A-Z][\w’'-]*[a-z][\w’'-]*(?: {_NAME_WORD}){{1,3}}"
_NAME_RX = re.compile(rf"\b{_NAME}\b")
_APPOS_NEXT = re.compile(r",|\s+(?:who|said|told|says)\b")
_DESCR_AFTER = re.compile(r",\s+(?:the\s+|a\s+|an\s+|who\s+is\s+)?((?:[\w’'-]+\s+){0,6}?[\w’'-]+)(?=[,\s])")
_LED_BY_BEFORE = re.compile(r"\b(?:led|headed|chaired|accompanied|joined) by (?:[a-z-]+ ){0,3}$")
_TITLE_WORDS = PERSON_NOUNS | PERSON_TITLES


class _Spans:
    """Disjoint character spans kept sorted, with an overlap test in logarithmic time."""

    def __init__(self, spans=()) -> None:
        self.spans: list[tuple[int, int]] = []
        for a, b in sorted(spans):
            if not self.overlaps(a, b):
                self.spans.append((a, b))

    def overlaps(self, s: int, e: int) -> bool:
        k = bisect_left(self.spans, (e, -1))  # the spans that start before e; the last of them ends latest
        return k > 0 and self.spans[k - 1][1] > s

    def add(self, s: int, e: int) -> None:
        insort(self.spans, (s, e))


def described_people(text: str, found: Sequence[tuple[int, int, str]], is_place=None) -> list[tuple[int, int, str]]:
    """People the recogniser missed whom the text describes as people.

    Appositions ("Her deputy, Jonas Lind, flew"), a name followed by its description ("Park Min-jun,
    chief executive of ..."), a person noun before a name ("activist Mira Sol"), plus the later
    mentions of their family name. ``is_place(name)`` (optional) vetoes names that are places.
    """
    taken = _Spans((s, e) for s, e, _ in found)
    names: dict[str, tuple[int, int]] = {}

    def add(s: int, e: int, name: str) -> None:
        if taken.overlaps(s, e):
            return
        words = name.split()
        if len(words) < 2 or any(w.lower() in _STOP_MODIFIERS for w in words):
            return
        if is_place is not None and is_place(name):
            return
        names.setdefault(name, (s, e))
        taken.add(s, e)

    for m in _NAME_RX.finditer(text):  # one pass over the candidate names, each judged by its context
        s, e, name = m.start(), m.end(), m.group(0)
        before = text[max(0, s - 100) : s]
        after = text[e : e + 90]
        prev_word = before.rsplit(None, 1)[-1] if before.strip() else ""
        if before.endswith(", ") and _APPOS_NEXT.match(after):
            head = re.split(r"[,.;:(—]", before[:-2])[-1]  # "Her deputy, Jonas Lind, ..."
            if any(w.lower().strip("’'s") in PERSON_NOUNS or w.lower() in PERSON_TITLES for w in head.split()[-14:]):
                add(s, e, name)
                continue
        if (not before.strip() or before.rstrip()[-1] in ".;:—,\n") and after.startswith(", "):
            d = _DESCR_AFTER.match(after)  # "Park Min-jun, chief executive of ...", "Achieng, 31,"
            if d and (re.fullmatch(r"\d{1,3}", d.group(1)) or any(w in PERSON_NOUNS or w in PERSON_TITLES for w in d.group(1).lower().split()[:4])):
                add(s, e, name)
                continue
        if prev_word in _TITLE_WORDS or _LED_BY_BEFORE.search(before):  # "activist Mira Sol", "led by Mira Sol"
            add(s, e, name)
    out = [(s, e, n) for n, (s, e) in names.items()]
    for name in list(names):
        family = name.split()[-1]
        for m in re.finditer(rf"(?<![\w-]){re.escape(family)}(?![\w-])", text):
            if not taken.overlaps(m.start(), m.end()):
                out.append((m.start(), m.end(), name))
                taken.add(m.start(), m.end())
    return sorted(out)

"""Text -> place mentions (pure). Also finds the people a document names, so they are not places.

The recogniser scans runs of capitalised words, takes the longest run of words
that the gazetteer knows as a name (or a demonym such as "North Korean"), and
then filters what a careful reader would not call a place: people ("Kim",
"Florence Pugh"), organisations ("the Houston Chronicle", "Pacific Fleet"),
sentence-initial common words, and weak alternate-name matches.
"""

from __future__ import annotations

import bisect
import functools

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ..model import Candidate, Mention
from ..text import dateline_head, name_variants, normalize_name

__all__ = ["NameIndex", "Token", "tokenize", "find_people", "find_mentions", "PERSON_TITLES"]


class NameIndex(Protocol):
    """What the recogniser needs from a gazetteer (``geomap.gazetteer.Gazetteer`` has it)."""

    def has_key(self, key: str) -> bool: ...
    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]: ...
    def max_words(self) -> int: ...
    def demonym(self, word: str) -> Candidate | None: ...
    def word_frequency(self, word: str) -> float: ...
    def is_first_name(self, word: str) -> bool: ...


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    #: followed directly by "." in the text ("St.", "D.", "Va.")
    dotted: bool = False


_TOKEN = re.compile(r"\w+(?:[-‐'’.]\w+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
_CONTRACTION = re.compile(r"['’](?:re|ll|ve|d|m|t)$", re.I)
_ROMAN = re.compile(r"^[IVXLC]+$")

#: Words that may stand inside a capitalised name: "Isle of Man", "Rostov on Don", "Bosnia and Herzegovina".
CONNECTORS = frozenset(
    "of the and de del da do dos das di la le les el al upon on am an na sur du van von y e et".split()
)
#: Abbreviations joined to the next word across their dot: "St. Petersburg", "Ft. Worth".
_JOIN_ABBREV = frozenset("st mt ft pt sta ste".split())

#: Words before a name that make it a person: "President Vladimir Putin", "analyst Valery Karbalevich".
PERSON_TITLES = frozenset(
    """president presidents premier minister ministers chancellor leader leaders counterpart counterparts
    king queen prince princess emperor pope sheikh emir sultan ayatollah
    analyst analysts spokesman spokeswoman spokesperson senator sen governor gov mayor general gen
    colonel col lieutenant lt captain capt sergeant sgt admiral commander secretary ambassador envoy
    official officials chief ceo director professor prof dr mr mrs ms miss sir lord lady dame
    judge justice attorney lawyer rep representative congressman congresswoman councilman councilwoman
    coach manager striker midfielder defender goalkeeper player actor actress singer rapper author writer
    journalist correspondent reporter editor founder chairman chairwoman chair executive economist
    researcher scientist historian commentator dissident activist opposition candidate nominee
    pastor reverend rev father bishop archbishop cardinal rabbi imam
    sheriff detective officer officers trooper deputy superintendent principal investigator agent
    husband wife son daughter brother sister mother father uncle aunt cousin widow
    """.split()
)

#: Words that end street and road names, never a person's: "Ledo Road", "Royal Street".
_STREETS = frozenset("road street avenue boulevard lane drive highway way square court place trail parkway isla".split())

#: Titles right before a name that make it a person even when the name is also a place ("Mrs. Lincoln").
HONORIFICS = frozenset(
    """mr mrs ms miss dr sir lord lady dame president sen senator rep gov governor mayor judge justice
    gen general col lt capt sgt pope king queen prince princess sheikh emir sultan coach officer
    detective sheriff deputy rev reverend bishop""".split()
)

#: State abbreviations that are ordinary words without their dot ("Miss", "Mass", "Wash").
_DOTTED_ONLY = frozenset(
    "ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss mo mont neb nev okla ore pa tenn vt va wash wis wyo".split()
)

#: Organisations that some gazetteers list as places.
_ORGANISATIONS = frozenset(
    """hamas hezbollah hizbollah fatah taliban nato asean opec mercosur ecowas sadc comesa igad""".split()
)

#: Words after a place name that make the run an institution of that place: "Mansfield Police
#: Department", "Paris High School", "Kansas Department of Transportation". The place is kept.
JURISDICTION_HEADS = frozenset(
    """police sheriff sheriff's fire department departments council city county counties parish school schools
    high elementary middle board district court courthouse circuit hospital medical university college
    state public library airport chamber commission commissioners government mayor governor legislature
    assembly senate house parliament ministry port harbor zoo museum regional metro transit water
    utilities housing health emergency area township village town jail prison office authority
    community region province national guard""".split()
)

#: Words after a place name that make the whole run something named after the place, not in it:
#: media, teams, companies, events ("Houston Chronicle", "Paris Saint-Germain", "Gulf War").
NAMED_AFTER = frozenset(
    """chronicle times post herald tribune journal gazette globe telegraph guardian observer independent
    examiner inquirer courier sentinel register review express mirror sun star daily weekly news record
    bulletin monitor press reporter magazine radio tv television network broadcasting
    fc cf afc sc united rovers wanderers athletic athletics rangers club team squad lakers giants bulls
    yankees mets celtics knicks saint-germain cowboys tech
    bank airlines airways corporation corp inc ltd llc plc company co group holdings partners
    olympics games marathon festival open cup championship championships league series prix
    treaty accord agreement protocol declaration convention summit conference talks war
    orchestra ballet opera theatre theater center centre""".split()
)

#: The compass words that stand before a place or a part of it: "northern", "north-eastern", "central".
_COMPASS_RX = r"(?:north|south|east|west|central|northern|southern|eastern|western|north-?eastern|north-?western|" \
    r"south-?eastern|south-?western|northeast|northwest|southeast|southwest)"
#: A part of a place after its possessive: "Java's southern coast", "Syria's north", "Mali's capital".
_PART_OF_PLACE = re.compile(
    r"['’]s (?:(?:far |deep )?(?:" + _COMPASS_RX + r"|remote|rural|mountainous|coastal) )?"
    r"(?:coast|coastline|shores?|borders?|frontier|north|south|east|west|interior|"
    r"capital|outskirts|provinces|regions|islands|mountains|highlands|lowlands|countryside|heartland|hinterland)\b"
)

#: Events named after the place they are held in.
_HELD_AT = frozenset("olympics games marathon festival summit conference talks".split())

#: Words after a place name that make the run an organisation of that place ("Georgia Bureau of
#: Investigation", "Ohio Association of ..."): a well-known place is kept, a small one is not.
ORG_HEADS = NAMED_AFTER | frozenset(
    """party committee fleet army navy forces force guard agency bureau service administration
    church cathedral mosque temple synagogue foundation fund trust association society union""".split()
)

#: Words before a place that keep it a place: "Northern Ireland" aside, "central Texas", "East Tennessee".
DIRECTIONS = frozenset(
    """north south east west northern southern eastern western central northeast northwest southeast
    southwest northeastern northwestern southeastern southwestern upstate downstate downtown greater
    metro metropolitan rural coastal mid""".split()
)

#: Capitalised words that are not places on their own, whatever a gazetteer's alternate names say.
NOT_PLACES = frozenset(
    """the a an he she it we they i you his her its our their this that these those there here
    in on at by for with from to of and or but not no yes if when while after before since until
    as so then during however although though because also yet still even only just
    what who which where why how all some many most more much one two three four five six seven
    eight nine ten first second third last next new old
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    president minister government police army state city town county province region country
    north south east west northern southern eastern western central national international
    university church street road avenue congress senate parliament republican republicans democrat
    democrats god christmas easter internet earth moon sun world global
    mr mrs ms dr sir un nato
    people man woman men women child children family news report reports
    said says told added according
    """.split()
)

#: Lower-case words after a place name that make it an eponym: "West Nile virus", "Marburg fever".
_EPONYM_NEXT = frozenset("virus viruses fever flu influenza disease syndrome strain ebolavirus encephalitis".split())

_SPEECH = frozenset("said says say told tells added adds wrote writes noted notes argued argues asked asks".split())
_PLACE_PREPS = frozenset(
    "in at near from to into outside across throughout around via toward towards below above beyond off inside within along".split()
)
_CAPITAL_CODES = frozenset({"PPLC"})
_COMMON_ZIPF = 4.0

#: Lower-case words after a name that say what kind of place it is.
CUE_KINDS: dict[str, str] = {
    **dict.fromkeys(
        """spaceport cosmodrome airport airbase aerodrome port harbour harbor base plant factory works shipyard
        university campus palace castle station terminal bridge dam stadium arena prison camp refinery mine
        embassy consulate hotel square park cathedral""".split(),
        "landmark",
    ),
    **dict.fromkeys("river lake sea bay strait gulf ocean channel".split(), "water"),
    **dict.fromkeys("province county region oblast krai state district prefecture governorate territory".split(), "admin"),
    **dict.fromkeys("city town village".split(), "city"),
    **dict.fromkeys("island islands peninsula mountains mountain valley desert".split(), "region"),
}


def tokenize(text: str) -> list[Token]:
    """Word tokens with offsets; hyphenated names stay whole, possessive 's is cut off,
    and abbreviations keep their final dot ("U.S.", "W.Va.").

    >>> [t.text for t in tokenize("Russia’s Far East, the U.S. and Komsomolsk-on-Amur.")]
    ['Russia', 'Far', 'East', 'the', 'U.S.', 'and', 'Komsomolsk-on-Amur']
    """
    out: list[Token] = []
    n = len(text)
    for m in _TOKEN.finditer(text):
        s, e = m.start(), m.end()
        word = m.group(0)
        cut = _POSSESSIVE.search(word)
        if cut and cut.start() > 0 and (len(word) - cut.start()) <= 2:
            word = word[: cut.start()]
        word = word.rstrip(".")
        e = s + len(word)
        if not word:
            continue
        dotted = e < n and text[e] == "."
        if dotted and "." in word:  # an abbreviation: "U.S." keeps its dot
            word += "."
            e += 1
            dotted = False
        out.append(Token(word, s, e, dotted))
    return out


def _join_possessive_names(tokens: list[Token], text: str, index: NameIndex) -> list[Token]:
    """"Cox's Bazar", "Martha's Vineyard": a possessive inside a name the index knows is one token."""
    if "'s " not in text and "’s " not in text:
        return tokens
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if i + 1 < len(tokens) and text[t.end + 1 : t.end + 3] == "s " and text[t.end : t.end + 1] in "'’" \
                and _is_cap(t) and _is_cap(tokens[i + 1]):
            nxt = tokens[i + 1]
            gap = text[t.end : nxt.start]
            if gap in ("'s ", "’s ") and (
                index.has_key(normalize_name(text[t.start : nxt.end])) or nxt.text.lower() in FEATURE_HEADS
                or _inside_a_known_name(tokens, text, index, i)
            ):
                out.append(Token(text[t.start : nxt.end], t.start, nxt.end, nxt.dotted))
                i += 2
                continue
        out.append(t)
        i += 1
    return out


def _inside_a_known_name(tokens: list[Token], text: str, index: NameIndex, i: int) -> bool:
    """Whether the possessive after ``tokens[i]`` is inside a longer name the index knows: "People's
    Republic of China", "Democratic People's Republic of Korea"."""
    for a in range(max(0, i - 2), i + 1):
        for b in range(i + 2, min(len(tokens), i + 6)):
            if index.has_key(normalize_name(text[tokens[a].start : tokens[b].end])):
                return True
    return False


#: Lower-case second halves that leave the first half a place: "London-based", "Saudi-led".
_PLACE_MODIFIER_SUFFIXES = frozenset(
    """based led backed owned born bound controlled held run made registered headquartered listed funded area wide
    administered occupied annexed ruled allied brokered sponsored flagged""".split()
)


_PARTY_CODES = frozenset("D R I DFL Ind".split())
#: Words after a place name that make the run someone from it: "the Decatur Democrat".
_PARTISANS = frozenset("republican republicans democrat democrats".split())
#: Words that may stand between a place and its institution: "Bantam Superior Court",
#: "Tega Cay Volunteer Fire Department".
_INSTITUTION_MODIFIERS = frozenset("volunteer superior municipal general public community regional juvenile".split())
#: A party and home-town tag before a name, as US news writes them: "(R-Ocilla)", "D-Kanawha".
_HOME_TAG = re.compile(r"(?:^|[\s(\[,])(?:D|R|I|DFL|Ind)-$")


def _title_case_headline(text: str, index: NameIndex) -> int:
    """Where a headline in title case at the top of the text ends, or 0: "Senior Official Visits Georgia"."""
    m = _HEADLINE.match(text)
    if m is None:
        return 0
    if m.end() >= len(text.rstrip()):
        return 0  # a headline stands above a story
    lower = sum(1 for w in re.findall(r"\b[a-z][a-z'’-]{3,}", m.group(1)))
    if lower * 4 > len(re.findall(r"\b[A-Z][\w'’-]{3,}", m.group(1))):
        return 0  # lower-case words are plain words: too many of them for a title
    # the plain words of the line (no names, no places): capitalised nearly all, as titles are
    words = [
        w for w in re.findall(r"[^\W\d_][\w'’-]*", m.group(1))
        if len(w) >= 4 and _freq(index, w.lower()) >= 3.5 and not _first_name(index, w)
        and not index.has_key(normalize_name(w))
    ]
    capped = [w for w in words if w[:1].isupper()]
    return m.end(1) if len(words) >= 3 and len(capped) >= 0.8 * len(words) else 0


_HEADLINE = re.compile(r"""\s*([^\n]{10,160}?)(?:(?<=[a-z0-9'"”’)])[.!?](?:\s|$)|\n|$)""")


def _plain_word(index: NameIndex, word: str, *, title: bool = False) -> bool:
    """A common English word that heads no institution, medium or team name (nor a title
    of the person named next, unless ``title``)."""
    return (
        _freq(index, word) >= _COMMON_ZIPF and word not in NAMED_AFTER and word not in ORG_HEADS
        and word not in JURISDICTION_HEADS and word not in CONNECTORS and (title or not _is_title(word))
    )


def _institution_of_place(suffix: Sequence[str]) -> bool:
    """Whether the words after a place name make an institution of it ("Police Department",
    "Volunteer Fire Department"), which keeps the place a place."""
    for w in suffix:
        if w in JURISDICTION_HEADS:
            return True
        if w not in _INSTITUTION_MODIFIERS:
            return False
    return False


def _split_compounds(tokens: list[Token], index: NameIndex) -> list[Token]:
    """"DPRK-South Korea", "Syrian-Turkish", "Washington-Moscow": capitalised parts that name places,
    in a compound the index does not know, become tokens of their own ("Komsomolsk-on-Amur",
    "Guinea-Bissau" and "Paris Saint-Germain" stay whole)."""
    out: list[Token] = []
    for t in tokens:
        parts = t.text.split("-")
        if len(parts) >= 2 and parts[0] in _PARTY_CODES and parts[1][:1].isupper():
            rest = t.text[len(parts[0]) + 1 :]  # "D-Kanawha": the party, then the member's home
            out.append(Token(rest, t.start + len(parts[0]) + 1, t.end, t.dotted))
            continue
        if len(parts) >= 2 and parts[-1] in _PLACE_MODIFIER_SUFFIXES and parts[0][:1].isupper():
            head = "-".join(parts[:-1])
            if index.has_key(normalize_name(head)) or index.demonym(head) is not None:
                out.append(Token(head, t.start, t.start + len(head)))
                continue
        if (
            len(parts) > 1
            and all(p[:1].isupper() for p in parts)
            and not index.has_key(normalize_name(t.text))
            and any(index.demonym(p) is not None or _strong_place(index.lookup(p, limit=10)) for p in parts)
        ):
            pos = t.start
            for p in parts:
                out.append(Token(p, pos, pos + len(p)))
                pos += len(p) + 1
            continue
        out.append(t)
    return out


def _is_cap(tok: Token) -> bool:
    """Capitalised, or an elided particle before a capital ("d'Ivoire" in "Côte d'Ivoire")."""
    t = tok.text
    if t[:1].isupper():
        return True
    return t[:1] in "dl" and t[1:2] in "'’" and t[2:3].isupper()


def _sentence_initial(text: str, tok: Token) -> bool:
    # walks back from the token instead of copying all the text before it (linear in the article)
    i = tok.start
    while i > 0 and text[i - 1] in " \t\"“‘'(":
        i -= 1
    return i == 0 or text[i - 1] in ".!?:\n;" or (i >= 2 and text[i - 2 : i] == "--")


def _joins(text: str, a: Token, b: Token) -> bool:
    """Whether two neighbouring tokens can stand in one name."""
    gap = text[a.end : b.start]
    if gap.strip(" ") == "":
        return True  # a spaced dash parts a dateline from the story: "BANTAM - A Danbury mason"
    # "St. Petersburg", "Matthew D. Flores"
    return gap.strip() == "." and a.dotted and (a.text.lower() in _JOIN_ABBREV or (len(a.text) == 1 and a.text.isupper()))


_MAX_RUN = 16


def _cap_runs(tokens: list[Token], text: str) -> list[tuple[int, int]]:
    """Index ranges [i, j) of maximal capitalised runs (connectors allowed inside)."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(tokens)
    while i < n:
        if not _is_cap(tokens[i]):
            i += 1
            continue
        j = i + 1
        while j < n and j - i < _MAX_RUN:  # no name is longer; a run of capitals (a shouted page) is cut
            if not _joins(text, tokens[j - 1], tokens[j]):
                break
            if _is_cap(tokens[j]):
                j += 1
                continue
            # a connector run followed by a capitalised word continues the name
            k = j
            while k < n and tokens[k].text.lower() in CONNECTORS and _joins(text, tokens[k - 1], tokens[k]):
                k += 1
            if (
                k > j and k < n and _is_cap(tokens[k]) and _joins(text, tokens[k - 1], tokens[k])
                and tokens[k].text.lower() not in _DATE_WORDS
            ):
                j = k + 1
                continue
            break
        runs.append((i, j))
        i = j
    return runs


_DATE_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december""".split()
)


def _freq(index: NameIndex | None, word: str) -> float:
    f = getattr(index, "word_frequency", None)
    return f(word) if f else 0.0


def _first_name(index: NameIndex | None, word: str) -> bool:
    f = getattr(index, "is_first_name", None)
    return bool(f(word)) if f else False


def _strong_place(cands: list[Candidate]) -> bool:
    return any(
        c.kind in ("country", "admin") or c.feature_code in _CAPITAL_CODES or c.population >= 100_000 for c in cands
    )


def find_people(
    text: str, index: NameIndex | None = None, *, tokens: list[Token] | None = None
) -> list[tuple[int, int, str]]:
    """People the text names, as (start, end, name) spans.

    Titled names ("President Vladimir Putin"), "Given Family" names whose first word
    is a given name ("Florence Pugh", "Jack London"), multiword names before a
    speech verb, and East Asian names ("Kim Jong Un").

    >>> find_people("Russian President Vladimir Putin met Kim Jong Un. Valery Karbalevich noted it.")
    [(18, 32, 'Vladimir Putin'), (37, 48, 'Kim Jong Un'), (50, 68, 'Valery Karbalevich')]
    """
    tokens = tokenize(text) if tokens is None else tokens
    spans: list[tuple[int, int, str]] = []
    runs: list[tuple[int, int]] = []
    for i, j in _cap_runs(tokens, text):  # "Sergei Lavrov and Joe Biden" are two people
        cut = i
        for q in range(i, j):
            if tokens[q].text.lower() == "and":
                runs.append((cut, q))
                cut = q + 1
        runs.append((cut, j))
    for i, j in runs:
        if i >= j:
            continue
        while i < j - 1 and _sentence_initial(text, tokens[i]) and (
            tokens[i].text.lower() in NOT_PLACES or tokens[i].text.lower() in _COMMON_SENTENCE_STARTERS
        ):
            i += 1  # "One Edmonton resident", "During Putin's visit"
        while j - i > 1 and _is_title(tokens[j - 1].text):
            j -= 1  # a title at the end belongs to the next name: "New York Gov. Andrew Cuomo"
        run = tokens[i:j]
        # drop everything up to the last title inside the run ("Russian President Vladimir Putin")
        k = 0
        for p, t in enumerate(run[:-1]):
            if _is_title(t.text):
                k = p + 1
        # "Secretary of State Hillary Clinton", "Minister for Foreign Affairs Sergei Lavrov"
        if k and k < len(run) - 1 and run[k].text.lower() in CONNECTORS:
            given = next((q for q in range(k + 1, len(run) - 1) if _first_name(index, run[q].text)), None)
            k = given if given is not None else k + 2
        while k and k < len(run) and run[k].text.lower() in CONNECTORS:
            k += 2  # "Deputy Minister of Defence of Azerbaijan" names no one
        if k >= len(run):
            continue
        # a title before the name, in the same sentence ("Justice Kennedy", not "of Justice. Azerbaijan has")
        gap = text[tokens[i - 1].end : tokens[i].start] if i > 0 else ""
        joined = gap == " " or (gap == ". " and tokens[i - 1].dotted and len(tokens[i - 1].text) <= 4)  # "Gen. Smith"
        before = tokens[i - 1].text.lower().rstrip(".") if joined else ""
        titled = k > 0 or _is_title(before)
        honorific = (k > 0 and run[k - 1].text.lower().rstrip(".") in HONORIFICS) or before in HONORIFICS
        name_toks = run[k:]
        if index is not None:
            cut = next((q for q in range(1, len(name_toks) - 1) if name_toks[q].text in ("of", "from")
                        and _whole_is_place(index, name_toks[q + 1 :], text)), None)
            if cut is not None:
                name_toks = name_toks[:cut]  # "Colonel Idrissa Diallo of Senegal": Senegal stays a place
        if not name_toks:
            continue
        words = [t.text for t in name_toks]
        lows = [w.lower().rstrip(".") for w in words]
        after = tokens[j].text.lower() if j < len(tokens) else ""
        multi = len(words) >= 2 and not any(w in CONNECTORS for w in lows)
        institutional = any(
            w in ORG_HEADS or w in JURISDICTION_HEADS or w in CUE_KINDS or w in DIRECTIONS or w in _STREETS for w in lows
        ) or lows[-1] in _PARTISANS  # "a Findlay Republican" describes someone
        placey = index is not None and _whole_is_place(index, name_toks, text)
        if titled and k > 0 and index is not None and _titled_place(index, text, tokens, i, run, k):
            continue  # "docked in Prince Rupert", "the Port of Prince Rupert": a town named with a title
        is_person = False
        if titled and not institutional and (not placey or honorific):
            is_person = True
        elif multi and not placey and not institutional:
            if after in _SPEECH or re.match(r",\s*\d{1,3},", text[name_toks[-1].end : name_toks[-1].end + 6]):
                is_person = True  # "Gregory Jones said", "Bryan Harman, 28,"
            elif _given_family(index, name_toks, text):
                is_person = True
            elif _looks_korean_or_chinese(words):
                is_person = True
        if is_person and multi and not honorific and _area_after_a_word(index, name_toks):
            is_person = False  # "Official Visits Georgia", "Children's Villages Sudan reports": no one is called that
        if is_person:
            # "Foreign Affairs Sergei Lavrov said": the name starts at its given name
            if index is not None and len(name_toks) > 2 and not _first_name(index, name_toks[0].text):
                q = next((q for q in range(1, len(name_toks) - 1) if _first_name(index, name_toks[q].text)), 0)
                name_toks = name_toks[q:]
            s, e = name_toks[0].start, name_toks[-1].end
            spans.append((s, e, text[s:e]))
    particled = _particle_names(text, tokens, index)
    if particled:
        inside = _Spans((s, e) for s, e, _ in particled)
        spans = sorted([t for t in spans if not inside.touches(t[0], t[1])] + particled)
    return spans


#: Words that open place names before a particle ("San Pedro del Durazno", "Villa de Leyva").
_PLACE_OPENERS = frozenset("san santa santo são sao saint st ste sainte le la el los las the puerto porto villa ciudad isla".split())
#: Lower-case particles inside family names: "Pieter van Aalst", "Angie de Silva", "Ursula von der Leyen".
_PARTICLES = frozenset("van von de der den du da di dos das del della bin ibn ter ten".split())


def _particle_names(text: str, tokens: list[Token], index: NameIndex | None) -> list[tuple[int, int, str]]:
    """People whose family name has a lower-case particle, and the same family name written on its
    own with the particle capitalised ("Van Aalst said"): a given name, the particle(s), then a
    capitalised name that is neither a place as a whole ("Rio de Janeiro") nor a named facility.

    >>> _particle_names("Pieter van Aalst toured it. Van Aalst said so.", tokenize("Pieter van Aalst toured it. Van Aalst said so."), None)
    [(0, 16, 'Pieter van Aalst'), (28, 37, 'Van Aalst')]
    """
    out: list[tuple[int, int, str]] = []
    families: set[str] = set()
    n = len(tokens)
    i = 1
    while i < n - 1:
        if tokens[i].text not in _PARTICLES or text[tokens[i - 1].end : tokens[i].start] != " ":
            i += 1
            continue
        k = i
        while k < n - 1 and tokens[k].text in _PARTICLES and text[tokens[k].end : tokens[k + 1].start] == " ":
            k += 1
        if k == i or k >= n or not _is_cap(tokens[k]) or tokens[k].text in _PARTICLES \
                or tokens[k].text.lower() in _PLACE_OPENERS:
            i += 1
            continue
        given = i - 1
        if not _is_cap(tokens[given]) or not (_first_name(index, tokens[given].text) or index is None):
            i = k
            continue
        while given > 0 and _is_cap(tokens[given - 1]) and text[tokens[given - 1].end : tokens[given].start] == " " \
                and _first_name(index, tokens[given - 1].text):
            given -= 1  # "Bernard Xavier Philippe de Marigny"
        before = text[tokens[given].start : tokens[i - 1].end]
        if (given > 0 and _is_cap(tokens[given - 1]) and text[tokens[given - 1].end : tokens[given].start] == " "
                and not _is_title(tokens[given - 1].text)) or tokens[given].text.lower() in _PLACE_OPENERS or (
                    index is not None and given < i - 1 and index.has_key(normalize_name(before))):
            i = k  # "San Miguel de Mayumo", "Santa Ana de Sapa", "Puerto de la Cruz": a place's name goes on
            continue
        end = k
        while end + 1 < n and _is_cap(tokens[end + 1]) and text[tokens[end].end : tokens[end + 1].start] == " " and end - k < 2:
            end += 1
        lows = [t.text.lower() for t in tokens[k : end + 1]]
        whole = text[tokens[given].start : tokens[end].end]
        if any(w in ORG_HEADS or w in FEATURE_HEADS or w in CUE_KINDS for w in lows) or (
            index is not None and index.has_key(normalize_name(whole))
        ):
            i = end + 1
            continue
        out.append((tokens[given].start, tokens[end].end, whole))
        families.add(" ".join(t.text for t in tokens[i : end + 1]).lower())
        i = end + 1
    for fam in families:  # the family name on its own, its particle capitalised: "Van Aalst said"
        words = fam.split()
        for a in range(n - len(words) + 1):
            seg = tokens[a : a + len(words)]
            if seg[0].text[:1].isupper() and [t.text.lower() for t in seg] == words \
                    and all(text[x.end : y.start] == " " for x, y in zip(seg, seg[1:])) \
                    and not any(s <= seg[0].start < e for s, e, _ in out):
                out.append((seg[0].start, seg[-1].end, text[seg[0].start : seg[-1].end]))
    return sorted(out)


def _is_title(word: str) -> bool:
    """"President", "Gov.", "Vice-President", "Prime-Minister"."""
    w = word.lower().rstrip(".")
    return w in PERSON_TITLES or w.rsplit("-", 1)[-1] in PERSON_TITLES


def _titled_place(index: NameIndex, text: str, tokens: list[Token], i: int, run: list[Token], k: int) -> bool:
    """Whether the title that ends at ``run[k - 1]`` opens a place's own name ("Prince Rupert",
    "Governador Valadares") that the text puts somewhere: after a preposition of place or a cue noun
    and "of" ("the Port of Prince Rupert"). "A gift to Prince Charles" names the prince."""
    span = text[run[k - 1].start : run[-1].end]
    if not any(c.match == "name" for c in index.lookup(span, limit=5)):
        return False
    q = i + k - 1  # the title's index in ``tokens``
    if q >= 2 and tokens[q - 1].text == "of" and tokens[q - 2].text.lower() in _CUE_NOUNS:
        return True
    return k == 1 and q >= 1 and tokens[q - 1].text.lower() in _OPEN_PREPS and text[tokens[q - 1].end : run[0].start] == " "


def _whole_is_place(index: NameIndex, toks: list[Token], text: str) -> bool:
    span = text[toks[0].start : toks[-1].end]
    key = normalize_name(span)
    return index.has_key(key) or index.demonym(span) is not None


def _area(index: NameIndex, word: str) -> bool:
    """Whether ``word`` is the own name of a country or of a region of 100,000 people or more."""
    cands = index.lookup(word, limit=5) if index.has_key(normalize_name(word)) else []
    return any(
        c.match == "name" and (c.kind == "country" or (c.kind == "admin" and c.population >= 100_000)) for c in cands
    )


def _area_after_a_word(index: NameIndex | None, toks: list[Token]) -> bool:
    """A name that ends in a country or region after a word that is no given name ("Visits Georgia")."""
    return index is not None and len(toks) >= 2 and not _first_name(index, toks[0].text) and _area(index, toks[-1].text)


def _given_family(index: NameIndex | None, toks: list[Token], text: str) -> bool:
    """"Florence Pugh", "Jack London", "Matthew D. Flores": a given name, then a family name."""
    if index is None or not 2 <= len(toks) <= 4 or not _first_name(index, toks[0].text):
        return False
    last = toks[-1]
    if len(last.text) < 2 or not last.text[1:].islower():
        return False
    # "Austin Texas", "Florence Italy": a given-name-like town before its state or country
    # ("George Hamilton" stays a person: Hamilton, Bermuda, is a parish of 6,000)
    return not _area(index, last.text)


_SINO_KOREAN = frozenset("kim lee park choi jong un il sung xi jinping li wang zhang liu chen yang".split())


def _looks_korean_or_chinese(words: list[str]) -> bool:
    return len(words) >= 2 and words[0].lower() in _SINO_KOREAN and any(w.lower() in _SINO_KOREAN for w in words[1:])


def _match_at(index: NameIndex, tokens: list[Token], text: str, i: int, j: int, maxw: int) -> tuple[int, str]:
    """Longest n-gram starting at token i (inside run [i, j)) that the index knows: (n, "place"|"demonym")."""
    if not _is_cap(tokens[i]):
        return 0, ""
    for n in range(min(maxw, j - i), 0, -1):
        last = tokens[i + n - 1]
        if not _is_cap(last):
            continue
        span = text[tokens[i].start : last.end]
        key = normalize_name(span)
        if not key:
            continue
        known = index.has_key(key) or any(index.has_key(v) for v in name_variants(key))
        if n <= 3:
            country = index.demonym(span)
            # "Spanish", "North Korean": the demonym, not a village's alias; "New Zealand" stays the country
            if country is not None and not (known and any(c.kind in ("country", "admin") for c in index.lookup(span, limit=5))):
                return n, "demonym"
        if known:
            return n, "place"
    return 0, ""


def _acronym(tok: Token) -> bool:
    return 2 <= len(tok.text) <= 5 and tok.text.isalpha() and tok.text.isupper()


def _junk(tok: Token) -> bool:
    """Tokens that are never a place on their own: initials, numerals, contractions."""
    w = tok.text.rstrip(".")
    return len(w) < 2 or _ROMAN.match(w) is not None or _CONTRACTION.search(w) is not None or w.isdigit()


def find_mentions(
    text: str,
    index: NameIndex,
    *,
    people: Iterable[tuple[int, int, str]] | None = None,
    tokens: list[Token] | None = None,
) -> list[Mention]:
    """Place mentions in ``text``, in text order.

    ``people`` (spans from :func:`find_people`) are never places, nor are later
    bare family names of people named in full ("Kim" after "Kim Jong Un").
    """
    tokens = tokenize(text) if tokens is None else tokens
    if people is None:
        people = find_people(text, index, tokens=tokens)
    tokens = _split_compounds(_join_possessive_names(tokens, text, index), index)
    people = list(people)
    person_spans = _Spans((s, e) for s, e, _ in people)
    person_words: set[str] = set()
    for s_, e_, name in people:
        words = name.split()
        if len(words) == 1 and name[:1].isupper():
            person_words.add(name.lower())  # "Ms. Corby": a family name on its own
        if len(words) >= 2 and not _PARTICLES.intersection(w.lower() for w in words[:-1]):
            person_words.add(words[-1].lower())  # (not "Montgomery" of "Roger de Montgomery": towns bear such names)
            if words[0].lower() in _SINO_KOREAN:
                person_words.add(words[0].lower())
    person_words -= defined_places(text)  # "Marion is a city ... named after Francis Marion": Marion stays a place
    maxw = max(1, min(index.max_words(), 8))
    headline = _title_case_headline(text, index)
    mentions: list[Mention] = []
    for r0, r1 in _cap_runs(tokens, text):
        features = [
            f for p0, p1 in _name_parts(text, tokens, index, r0, r1)
            if (f := _feature_name(text, tokens, index, p0, p1, person_spans)) is not None
        ]
        # a sentence-initial function word is no part of a name: "In Sochi", "During Ukraine's war"
        while (
            r0 < r1 - 1
            and _sentence_initial(text, tokens[r0])
            and _weak_opener(index, tokens[r0])
            and not _starts_known_name(index, tokens, text, r0, r1, maxw)
        ):
            r0 += 1
        mentions.extend(features)
        for g0, g1 in _outside(tokens, r0, r1, features):
            i, prev_end, found = g0, g0, False
            matched: list[tuple[int, int]] = []
            while i < g1:
                n, what = _match_at(index, tokens, text, i, g1, maxw)
                if not n:
                    i += 1
                    continue
                if found and i == prev_end:
                    i += n  # "British Columbia Maritime Employers": the rest of a run after a place is not a place
                    continue
                m = _judge(text, tokens, index, i, i + n, prev_end, g1, what, person_spans, person_words, headline,
                           _last_place_end(mentions))
                if m is not None:
                    mentions.append(m)
                    matched.append((i, i + n))
                    prev_end = i + n
                    found = True
                i += n
            if features:
                continue
            # names the index lacks: the whole run, or each side of an "and" ("Tanna and Erromango")
            for p0, p1 in _split_at(tokens, g0, g1, _AND):
                if any(a < p1 and p0 < b for a, b in matched):
                    continue
                cued = _cued_name(text, tokens, index, p0, p1, person_spans, person_words)
                if cued is not None:
                    mentions.append(cued)
    mentions.sort(key=lambda m: m.start)
    return _link_parents(text, _number_lists(text, mentions))


def _split_at(tokens: list[Token], r0: int, r1: int, words: frozenset[str]) -> list[tuple[int, int]]:
    """The ranges of tokens[r0:r1] on either side of each of ``words`` (which belong to neither)."""
    out, start = [], r0
    for q in range(r0, r1):
        if tokens[q].text in words:
            out.append((start, q))
            start = q + 1
    out.append((start, r1))
    return [(a, b) for a, b in out if a < b]


_AND = frozenset(("and", "or"))
_NAME_CUTS = frozenset(("and", "or", "on", "&"))


def _name_parts(text: str, tokens: list[Token], index: NameIndex, r0: int, r1: int) -> list[tuple[int, int]]:
    """A run the index does not know as a whole, cut at "and", "or", "on" and "&": "North Nokomis
    Street and Darling Avenue" names two streets ("Bosnia and Herzegovina" one country)."""
    parts = _split_at(tokens, r0, r1, _NAME_CUTS)
    if len(parts) > 1 and index.has_key(normalize_name(text[tokens[r0].start : tokens[r1 - 1].end])):
        return [(r0, r1)]
    return parts


def _outside(tokens: list[Token], r0: int, r1: int, taken: list[Mention]) -> list[tuple[int, int]]:
    """The token ranges of [r0, r1) that no mention in ``taken`` covers."""
    if not taken:
        return [(r0, r1)]
    out, a = [], r0
    for q in range(r0, r1):
        if any(m.start <= tokens[q].start < m.end for m in taken):
            if a < q:
                out.append((a, q))
            a = q + 1
    if a < r1:
        out.append((a, r1))
    return out


def _starts_known_name(index: NameIndex, tokens: list[Token], text: str, i: int, j: int, maxw: int) -> bool:
    """Whether tokens[i:] begin a well-known multiword place ("South Korea's ...", not "On March 5")."""
    n, what = _match_at(index, tokens, text, i, j, maxw)
    if n < 2:
        return False
    first = tokens[i].text.lower()
    if what == "demonym" or first in DIRECTIONS or (first not in NOT_PLACES and first not in _COMMON_SENTENCE_STARTERS):
        return True  # "East Lansing", "Union City"
    return _strong_place(index.lookup(text[tokens[i].start : tokens[i + n - 1].end], limit=10))


def _weak_opener(index: NameIndex, tok: Token) -> bool:
    low = tok.text.lower()
    if low in NOT_PLACES or low in _COMMON_SENTENCE_STARTERS:
        return True
    if index.demonym(tok.text) is not None:
        return False  # "Russian President Vladimir Putin ..."
    if _ADJECTIVE_END.search(low) and not index.has_key(normalize_name(tok.text)) and not _first_name(index, tok.text):
        return True  # "Neighbouring Uganda", "Landlocked Ethiopia", "Mountainous Nepal" (not "Reading")
    return _freq(index, low) >= 4.5 and not _strong_place(index.lookup(tok.text, limit=10))


#: Endings of the adjectives and participles that open a sentence before a place.
_ADJECTIVE_END = re.compile(r"[a-z](?:ing|ed|ous)$")


class _Spans:
    """Character spans, asked in O(log n) whether one holds a start or an end offset (a long
    article has thousands of people; scanning them all for each candidate place was quadratic)."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self.starts = [ps for ps, _ in spans]
        self.max_end: list[int] = []  # the largest end among spans[: i + 1]
        top = -1
        for _, pe in spans:
            top = max(top, pe)
            self.max_end.append(top)

    def touches(self, s: int, e: int) -> bool:
        """Whether some span has ``ps <= s < pe`` or ``ps < e <= pe``."""
        i = bisect.bisect_right(self.starts, s)  # spans with ps <= s
        if i and self.max_end[i - 1] > s:
            return True
        j = bisect.bisect_left(self.starts, e)  # spans with ps < e
        return bool(j) and self.max_end[j - 1] >= e


def _judge(
    text: str,
    tokens: list[Token],
    index: NameIndex,
    i: int,
    k: int,
    run_start: int,
    run_end: int,
    what: str,
    person_spans: _Spans,
    person_words: set[str],
    headline: int = 0,
    last_place: int = -1,
) -> Mention | None:
    """Decide whether tokens[i:k] (a gazetteer match inside a capitalised run) is a place mention.

    ``headline``: where a title-case headline at the top of the text ends (0 for none);
    ``last_place``: where the last place found before it ends (-1 for none)."""
    toks = tokens[i:k]
    s, e = toks[0].start, toks[-1].end
    name = text[s:e]
    low = name.lower()
    single = len(toks) == 1
    if person_spans.touches(s, e):
        return None
    if single and (_junk(toks[0]) or low in NOT_PLACES):
        return None
    if text[e : e + 1] == "$":
        return None  # a currency: "US$460"
    if single and (low in _ORGANISATIONS or (low in _DOTTED_ONLY and text[e : e + 1] != ".")):
        return None
    if single and low in ("am", "pm") and re.search(r"\d[\d:.]*\s*$", text[max(0, s - 8) : s]):
        return None  # "1:45 AM"
    nxt_word = tokens[run_end].text.lower() if run_end < len(tokens) and k == run_end else ""
    if nxt_word in _EPONYM_NEXT and not any(c.kind == "country" and c.match == "name" for c in index.lookup(name, limit=20)):
        return None  # "Marburg virus", "Lassa fever" name diseases; "the United States flu season" is in a country
    prefix = [t.text.lower() for t in tokens[run_start:i]]
    if any(w in CONNECTORS for w in prefix):  # "University of Texas", "sanctions on North Korea"
        prefix = prefix[max(n for n, w in enumerate(prefix) if w in CONNECTORS) + 1 :]
    suffix = [t.text.lower().rstrip(".") for t in tokens[k:run_end]]
    if "and" in suffix:
        suffix = suffix[: suffix.index("and")]  # "Morocco and the United States": a second name
    partisan = bool(suffix) and all(w in _PARTISANS for w in suffix)
    if s < headline:  # "Official Visits Georgia": capitals that say nothing (after a place they may
        # still name something with it: "Rust Belt")
        if single and _is_title(name):
            return None
        while prefix and _plain_word(index, prefix[-1], title=True):
            prefix.pop()
    if what == "demonym":
        # "Russian President ...", "North Korean leader": a modifier at the front of a name
        # ("A South Korean court", "Veteran Nigerian actress": no name in front)
        front = [t.text for t in tokens[i - len(prefix) : i]]
        plain = all(w.lower() in ("a", "the") or (not w.isupper() and _plain_word(index, w.lower())) for w in front)
        return Mention(name, s, e, hint="demonym") if plain else None
    # part of a longer capitalised name: keep "Mansfield Police Department", "central Texas";
    # drop "St. James Youth Detention Center", "Gulf War", "Houston Chronicle"
    if prefix and not all(w in DIRECTIONS or w in ("the", "a") for w in prefix):
        return None  # ("A Danbury stonework mason" is about Danbury)
    if suffix and suffix[0] not in JURISDICTION_HEADS and any(w in NAMED_AFTER and w not in _HELD_AT for w in suffix):
        return None  # named after the place, not in it: "Houston Chronicle", "Paris Saint-Germain"
    # (an event named after its place is held there: "the Tokyo Marathon", "the Munich Security Conference")
    if partisan:
        suffix = []  # "a Kettering Republican": someone from the place
    lead_in_name = bool(suffix) and not _institution_of_place(suffix) and suffix[0] not in CONNECTORS
    before = tokens[run_start - 1] if run_start > 0 else None
    after = tokens[run_end] if run_end < len(tokens) else None
    listed = _in_listed_places(text, s)
    possessive = re.match(r"['’](?:s\b|\s)", text[e : e + 2]) is not None  # "in Clinton's speech", "in Flores' honor"
    in_place_context = (
        _HOME_TAG.search(text, max(0, s - 6), s) is not None  # "Sen. Carrie Webster, D-Kanawha"
        or (before is not None and before.text.lower() in _PLACE_PREPS and not (possessive and k == run_end))
        or (after is not None and text[e : after.start].strip() == "," and after.text[:1].isupper())
        or (i >= 2 and tokens[i - 1].text == "of" and tokens[i - 2].text.lower() in _CUE_NOUNS)
        or (k == run_end and _DEFINITION.match(text, e, min(len(text), e + 200)) is not None)
        or (k == run_end and _HEAD_AFTER.match(text, e) is not None)  # "the Chernobyl nuclear power plant"
        or (k == run_end and _PART_OF_PLACE.match(text, e) is not None)  # "Java's southern coast"
        or listed != ""
    )
    if single and low in person_words and not in_place_context:
        return None
    # an item of a list of places: "to Lobos, Carlos Casares and Pehuajó", "Lombok and Sumbawa"
    # (a given name alone is still a person: "in Boston, Mark and Anne met")
    gap = text[last_place:s] if last_place >= 0 else None
    # (or the container right after a place: "Washington, D.C.")
    container_after = gap in (", ", ",") and k == run_end and not _CAP_NEXT.match(text, e)
    abbreviated_container = container_after and "." in name  # "Washington, D.C.", "Albany, N.Y."
    in_a_list = not (single and _first_name(index, name)) and (
        gap in (" and ", ", and ", " or ", ", or ") or (gap in (", ", ",") and _LIST_GOES_ON.match(text, e) is not None)
        or container_after
    )
    cands = index.lookup(name, limit=20)  # lookups include the name's variants ("-on-", "-na-")
    if not in_place_context and i >= 1 and (tokens[i - 1].text == "the" or tokens[i - 1].text in DIRECTIONS):
        in_place_context = any(c.kind == "water" for c in cands)  # "the Atlantic", "the eastern Pacific"
    strong = _strong_place([c for c in cands if c.match == "name"])  # GeoNames alternate names are noisy
    if single and _acronym(toks[0]) and not abbreviated_container \
            and not any(c.kind in ("country", "admin", "region") or c.population >= 1_000_000 for c in cands):
        return None  # "IRA", "ETA": acronyms of organisations, not the towns Ira and Etah
    if lead_in_name and not strong:
        return None  # "Metro Nashville", "Titan Operating": only a well-known place leads another name
    # "Chelsea said": a lone small town before a speech verb is a person; "Moscow said" stays a place
    if single and not suffix and after is not None and after.text.lower() in _SPEECH and not strong and not in_place_context and not partisan:
        return None
    if (
        not any(c.match == "name" for c in cands)
        and not (_strong_place(cands) or any(c.kind in ("region", "water") for c in cands))
        and not (in_place_context or in_a_list)
    ):
        return None  # only an alternate name of a small place matched, and nothing says it is a place
    # a common English word ("Center", "May", "Bell") needs a big place or a place context
    if single and not strong and _freq(index, low) >= _COMMON_ZIPF and (not (in_place_context or abbreviated_container)
                                                                       or s < headline):
        return None  # (a headline's capitals and commas say nothing: "Move Over, Michigan")
    if single and _sentence_initial(text, toks[0]) and low in _COMMON_SENTENCE_STARTERS:
        return None
    if single and toks[0].dotted and low in _DOTTED_ONLY:
        e += 1  # the abbreviation's dot belongs to the name: "Ind.", "Ky."
        name = text[s:e]
    hint = None
    query = None
    last_word = toks[-1].text.lower()
    first_word = toks[0].text.lower()
    water_word = not single and (FEATURE_HEADS.get(last_word) == "water" or first_word in ("lake", "gulf", "bay"))
    if water_word and (
        any(c.kind == "water" for c in cands) or not any(c.match == "name" and c.kind in ("city", "admin") for c in cands)
    ):
        hint = "water"  # but "Goose Creek" and "Lake Charles" are towns the index knows as such
    nxt = tokens[k] if k < len(tokens) else None
    if hint is not None:
        pass
    elif listed:  # "Oconee, Barrow and Jackson counties": each a county
        hint, query = _listed_cue(name, listed)
    elif nxt is not None and nxt.text.lower() in _REGION_OFFICES and text[e : nxt.start] == " " \
            and any(c.kind == "admin" for c in cands):
        hint = "admin"  # "New York Gov. Andrew Cuomo": a governor heads a region, not a city
    elif i >= 1 and tokens[i - 1].text.lower() in ("upstate", "downstate") and text[tokens[i - 1].end : s] == " " \
            and any(c.kind == "admin" for c in cands):
        hint = "admin"  # "upstate New York" is the part of a state away from its city
    elif nxt is not None and nxt.text.lower() in CUE_KINDS and text[e : nxt.start].strip() == "":
        hint = CUE_KINDS[nxt.text.lower()]
        query = f"{name} {nxt.text}"
    elif i >= 2 and tokens[i - 1].text == "of" and tokens[i - 2].text.lower() in CUE_KINDS \
            and tokens[i - 2].text.lower() != "territory" and text[tokens[i - 2].end : s] == " of " \
            and not (i >= 3 and _is_cap(tokens[i - 3]) and text[tokens[i - 3].end : tokens[i - 2].start] == " "):
        # (but in "the Karrada district of Baghdad" the district is Karrada, and Baghdad holds it)
        # ("the territory of Georgia" is the land of Georgia, whatever Georgia is)
        hint = CUE_KINDS[tokens[i - 2].text.lower()]  # "the port of Odesa", "province of Quebec", "island of Java"
    elif (d := _DEFINITION.match(text, e, min(len(text), e + 200))) is not None and d.group(1) in _REGION_NOUNS \
            and any(c.kind == "admin" for c in cands):
        hint = "admin"  # "New York is a state in the Northeastern United States"
    return Mention(name, s, e, hint=hint, query=query)


_COMMON_SENTENCE_STARTERS = frozenset(
    """during however meanwhile instead later earlier today yesterday tomorrow after before while
    despite although since because following according among between under over into""".split()
)


#: "Tripoli, in northern Lebanon", "Gao in the north of Mali", "Homs, in central Syria".
_IN_REGION_OF = re.compile(
    r"^,?\s*(?:in|near|outside)\s+(?:the\s+)?(?:(?:far\s+)?" + _COMPASS_RX + r"\s+"
    r"(?:of\s+(?:the\s+)?)?|(?:north|south|east|west|centre|center|heart)\s+of\s+(?:the\s+)?)?$",
    re.I,
)
#: "the US state of Georgia", "Mexico's state of Oaxaca": the first place contains the second.
_STATE_OF = re.compile(r"^(?:['’]s)?\s+(?:state|province|region|county|city|town|island|republic|territory)\s+of\s+(?:the\s+)?$", re.I)

_IS_A_IN = re.compile(
    r"^(?:\s*\([^)]{0,60}\))?,?\s+(?:(?:is|was|lies|sits)\s+)?(?:a|an|the)\s+[\w\s,'-]{0,80}?\b(?:in|of|near)\s+(?:the\s+)?"
    r"(?:(?:far\s+)?" + _COMPASS_RX + r"\s+)?(?:[\w.]+\s+of\s+)?$"
)


#: What may stand between a facility and the place it is in: "Ibar bridge in Mitrovica",
#: "Cowley Beach, south of Innisfail", "Zamzam camp for displaced people south of El Fasher".
_FACILITY_IN = re.compile(
    r"^(?:\s+[a-z][\w'-]*){0,5}?,?\s+(?:in|near|outside|at|off|below|(?:just\s+)?(?:north|south|east|west|"
    r"north-?east|north-?west|south-?east|south-?west)\s+of)\s+(?:the\s+)?(?:(?:northern|southern|eastern|western|"
    r"central)\s+)?(?:city\s+of\s+|town\s+of\s+)?$"
)


def _link_parents(text: str, mentions: list[Mention]) -> list[Mention]:
    """Record containers: in "X, Y", "X in Y" and "X is a town in Y", Y becomes X's parent.

    A facility the gazetteer lacks ("Ibar bridge in Mitrovica") takes the place the sentence
    puts it in, or else the city of the report's dateline."""
    out = _link_named_parents(text, mentions)
    head = dateline_head(text)
    dateline = next(
        (m.name for m in out if head and head[0] <= m.start < head[1] and not m.open and m.hint != "demonym"), None
    )
    for a, x in enumerate(out):
        if not x.open or x.hint != "landmark":
            continue
        y = out[a + 1] if a + 1 < len(out) else None
        # the place the sentence puts it in outranks a place in its name ("Cowley Beach, south of Innisfail")
        if y is not None and y.hint != "demonym" and y.start - x.end < 60 and _FACILITY_IN.match(text[x.end : y.start]):
            out[a] = replace(x, parent=y.name)
        elif x.parent is None and dateline is not None and x.name != dateline:
            out[a] = replace(x, parent=dateline)
    return out


#: What follows a name that a list goes on after: ", Jimaní", " and Jimaní", ", and the Jimaní".
_LIST_GOES_ON = re.compile(r"(?:,\s*|,?\s+(?:and|or)\s+)(?:the\s+)?[A-Z]")


#: A capitalised word next, after a space or a comma.
_CAP_NEXT = re.compile(r",?\s+[A-Z]")


def _last_place_end(mentions: list[Mention]) -> int:
    """Where the last place (not a demonym) of ``mentions`` ends, or -1."""
    return next((m.end for m in reversed(mentions) if m.hint != "demonym"), -1)


#: What stands between two items of a list, and what ends one ("New Jersey and New York").
_LIST_GAPS = frozenset({", ", ",", " and ", ", and ", " or ", ", or ", " & "})
_LIST_ENDS = frozenset({" and ", ", and ", " or ", ", or ", " & "})


def _number_lists(text: str, mentions: list[Mention]) -> list[Mention]:
    """Give the names of one list the same :attr:`Mention.listed` number: "Missouri, New York,
    North Carolina and Virginia", "Washington, New York and Boston". A list ends with a conjunction
    ("Buffalo, New York" is a place in a place), and a demonym is no item.

    >>> from geomap.model import Mention
    >>> t = "Snow fell on Ohio, Iowa and Utah; Buffalo, New York was spared."
    >>> ms = [Mention(w, t.index(w), t.index(w) + len(w)) for w in ("Ohio", "Iowa", "Utah", "Buffalo", "New York")]
    >>> [m.listed for m in _number_lists(t, ms)]
    [0, 0, 0, None, None]
    """
    runs: list[list[int]] = []
    for a, m in enumerate(mentions):
        x = mentions[a - 1] if a else None
        if x is not None and runs and runs[-1][-1] == a - 1 and m.hint != "demonym" and x.hint != "demonym" \
                and text[x.end : m.start] in _LIST_GAPS:
            runs[-1].append(a)
        else:
            runs.append([a])
    out = list(mentions)
    n = 0
    for run in runs:
        ends = [j for j in range(1, len(run)) if text[out[run[j - 1]].end : out[run[j]].start] in _LIST_ENDS]
        if not ends:
            continue
        for a in run[: ends[-1] + 1]:
            out[a] = replace(out[a], listed=n)
        n += 1
    return out


def _link_named_parents(text: str, mentions: list[Mention]) -> list[Mention]:
    out = list(mentions)
    for a in range(len(out) - 1):
        x, y = out[a], out[a + 1]
        between = text[x.end : y.start]
        # "the villages of Qarvani, Talbiseh and Zorbat": a list, not a place in a place
        listed = between in (", ", ",") and bool(_in_listed_places(text, x.start))
        if not listed and (between in (", ", ",") or _IN_REGION_OF.match(between)):
            out[a] = replace(x, parent=y.name)
        elif _STATE_OF.match(between) and out[a + 1].parent is None:
            out[a + 1] = replace(y, parent=x.name)
        elif len(between) < 120 and "." not in between and _IS_A_IN.match(between):
            out[a] = replace(x, parent=y.name)  # "Warren is a city in Trumbull County"
        elif _HEAD_THEN_HOLDER.match(between) and y.hint != "demonym":
            out[a] = replace(x, parent=y.name)  # "the Karrada district of Baghdad"
    for a in range(len(out) - 2, -1, -1):  # "Foua and Kfraya in Idlib": both are in Idlib
        x, y = out[a], out[a + 1]
        if x.open and x.parent is None and y.parent is not None and text[x.end : y.start] in (" and ", ", ", " or "):
            out[a] = replace(x, parent=y.parent)
    return out


# --- names the gazetteer lacks ---------------------------------------------------------------
# A capitalised name the index does not hold is a place when the text says so: a head word
# ("Kravtsovka Airbase", "Kutupalong camp", "Gulf of Guinea"), a cue noun ("the village of X"),
# an apposition ("X, a town in Y") or a preposition of place or motion before a rare name.

#: Lower-case words between a name and its head: "Zaatari refugee camp", "Changi naval base".
_HEAD_MODIFIERS = frozenset(
    """refugee displacement displaced migrant transit detention air naval military army navy nuclear power
    training border industrial oil chemical steel coal cement container ferry fishing""".split()
)
#: Words that end (or, before "of", begin) the name of a place, and the kind they make it.
FEATURE_HEADS: dict[str, str] = {
    **dict.fromkeys(
        """airbase airfield airstrip airport aerodrome spaceport cosmodrome base barracks camp camps
        shipyard dockyard port harbour harbor terminal plant refinery mine mines factory works
        university campus hotel stadium arena prison jail palace castle fortress station bridge
        dam embassy consulate square plaza street avenue road boulevard highway motorway market bazaar
        mosque cathedral monastery checkpoint crossing compound reactor park beach pier wharf quay cemetery
        temple shrine""".split(),
        "landmark",
    ),
    **dict.fromkeys("river lake sea bay strait straits gulf canal creek reservoir lagoon sound".split(), "water"),
    **dict.fromkeys("mount valley mountains mountain hills heights island islands peninsula desert plateau forest coast".split(), "region"),
    **dict.fromkeys("district province county governorate oblast prefecture municipality township region".split(), "admin"),
    **dict.fromkeys("village town".split(), "city"),
}
#: A lower-case head word after a name, behind at most three modifiers: "Zaatari refugee camp",
#: "Chernobyl nuclear power plant".
_HEAD_AFTER = re.compile(
    r" (?:(?:" + "|".join(sorted(_HEAD_MODIFIERS)) + r") ){0,3}(?:" + "|".join(sorted(FEATURE_HEADS)) + r")\b"
)
#: A name, its head word, and the place that holds it: "the Karrada district of Baghdad",
#: "the Wedza district, Mashonaland East province", "Kakuma refugee camp in Turkana".
_HEAD_THEN_HOLDER = re.compile(
    r"^ (?:(?:" + "|".join(sorted(_HEAD_MODIFIERS)) + r") ){0,2}(?:district|province|region|county|camp|village|"
    r"town|township|municipality|commune|suburb|neighbou?rhood|valley|island|area)(?: of (?:the )?|, | in (?:the )?)$"
)
#: Heads in other languages that open the name of a facility, which is often a person's name:
#: "Stade Félix Houphouët-Boigny", "Estadio Azteca", "Aeropuerto Jorge Chávez", "Palais Garnier".
_FOREIGN_HEADS = frozenset(
    """stade estadio estádio stadio stadion aeropuerto aéroport aeroporto flughafen gare palacio palais palazzo
    museo musée museu castillo château universidad université università universidade""".split()
)
FEATURE_HEADS.update(dict.fromkeys(_FOREIGN_HEADS, "landmark"))
_FOREIGN_OF = frozenset("de del della di du des do da".split())
#: Heads that open a name directly: "Lake Kivu", "Mount Sinjar".
_BARE_HEADS = frozenset({"lake", "mount", *_FOREIGN_HEADS})
_STREET_HEADS = frozenset("street avenue road boulevard highway motorway lane drive square plaza bridge".split())
#: Heads that open a name before "of": "Gulf of Guinea", "Port of Newcastle", "Isle of Skye".
_OF_HEADS = frozenset("gulf bay port isle island islands strait straits sea lake cape valley canal".split())
#: Nouns before "of X" that make X a place: "the village of Annaya", "the district of Kunar".
_CUE_NOUNS = frozenset(
    """village villages town towns city cities hamlet settlement suburb neighbourhood neighborhood district province
    region county commune municipality island port camp oasis enclave""".split()
)
#: What the text calls a name when it defines it: "Annaya, a village in Lebanon", "Marlow is a
#: small town on the Thames", "Tula (Russian: Тула) is the capital of ...". The noun must end the
#: phrase, so "a town councillor" or "a city official" define no place.
_PLACE_NOUNS = (
    r"village|town|city|hamlet|settlement|suburb|district|neighbou?rhood|region|province|island|port|camp|base|"
    r"municipality|commune|oasis|enclave|community|locality|county|parish|township|borough|capital|seat|"
    r"county seat|census-designated place|state"
)
#: Offices of a region, after its name.
_REGION_OFFICES = frozenset("gov governor governors legislature".split())
#: What a definition calls a region: "New York is a state in ...", "Kerry is a county in ...".
_REGION_NOUNS = frozenset("state province county parish district".split())
_DEFINES = (
    r"(?:\s*\([^()]{0,80}\))?(?:,\s+|\s+(?:is|was)\s+(?:also\s+|now\s+|still\s+)?)(?:a|an|the)\s+"
    r"(?:[\w-]+\s+){0,4}?(" + _PLACE_NOUNS + r")\b(?=\s*(?:[,.;:(]|$|(?:in|of|on|near|at|along|located|"
    r"situated|and|with|about|north|south|east|west|some|just|close|between|within|which|that)\b))"
)
_APPOSITION = re.compile(r",\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(" + _PLACE_NOUNS + r")\b")
_DEFINITION = re.compile(_DEFINES)
#: A single capitalised name the text defines as a place, anywhere in it.
_DEFINED_NAME = re.compile(r"\b([A-Z][\w'’-]+)(?=" + _DEFINES + r")")


def defined_places(text: str) -> set[str]:
    """Single-word names the text defines as places ("Marion is a small city in ..."), lower-cased.

    >>> sorted(defined_places("Marion is a small city in Ohio. Smith, a town councillor, agreed."))
    ['marion']
    """
    return {m.group(1).lower() for m in _DEFINED_NAME.finditer(text)}


#: Prepositions of place and motion that make a rare capitalised name a place ("fled to Kutupalong").
_OPEN_PREPS = frozenset("in near outside into at via along across".split())
_MOTION_TO = frozenset(
    """fled flee flees fleeing moved move moving travelled traveled travel travelling traveling flew fly flying went go
    going returned return returning headed heading arrived arrive arriving deployed deploy sent send evacuated
    relocated transferred taken brought driven came come coming marched walked sailed drove trekked""".split()
)
_OPEN_COMMON_ZIPF = 3.9
#: Lower-case compass adjectives before a rare name: "eastern Ghouta", "northern Rakhine".
_COMPASS = frozenset("northern southern eastern western central north-eastern north-western south-eastern south-western northeastern northwestern southeastern southwestern".split())


def _function_word(tok: Token) -> bool:
    low = tok.text.lower()
    return (low in NOT_PLACES and low not in DIRECTIONS) or low in CONNECTORS


def _plain_name_words(toks: list[Token]) -> bool:
    return all(_is_cap(t) or t.text.lower() in CONNECTORS for t in toks)


def _feature_name(
    text: str, tokens: list[Token], index: NameIndex, r0: int, r1: int, person_spans: _Spans
) -> Mention | None:
    """A whole run that names a feature by its head word and that the index lacks as a whole:
    "Kravtsovka Airbase", "Bekaa Valley", "Halifax Shipyard", "Gulf of Guinea", "North Island".

    A known place inside the run ("Halifax", "Guinea") is its container, not a mention of its own.
    Runs like "Paris Airport" whose head is an institution of a known place stay with the
    gazetteer path (the place, with the head as its cue)."""
    while r1 - r0 > 2 and _function_word(tokens[r0]):
        r0 += 1  # "the", "A Henderson County"
    if r1 - r0 < 2:
        return None
    toks = tokens[r0:r1]
    lows = [t.text.lower() for t in toks]
    foreign_of = lows[0] in _FOREIGN_HEADS and lows[1] in _FOREIGN_OF and len(toks) >= 3  # "Aeropuerto de Madrid"
    head_first = (lows[0] in _OF_HEADS and lows[1] == "of" and len(toks) >= 3) or foreign_of or (
        lows[0] in _BARE_HEADS and _is_cap(toks[1])
    )
    head = lows[0] if head_first else lows[-1]
    kind = FEATURE_HEADS.get(head)
    if kind is None:
        return None
    s, e = toks[0].start, toks[-1].end
    named_after_someone = person_spans.touches(s, e)
    if named_after_someone and not (head_first and head in _FOREIGN_HEADS):
        return None
    name = text[s:e]
    key = normalize_name(name)
    if index.has_key(key) or any(index.has_key(v) for v in name_variants(key)):
        return None
    rest = (toks[2:] if lows[1] == "of" or foreign_of else toks[1:]) if head_first else toks[:-1]
    rest_lows = [t.text.lower() for t in rest]
    if all((w in NOT_PLACES and w not in DIRECTIONS) or w in CONNECTORS for w in rest_lows):
        return None  # "The University", "National Park" name no place of their own ("North Island" does)
    if any(w in ORG_HEADS or w in JURISDICTION_HEADS for w in rest_lows) or _is_title(rest[0].text):
        return None  # "Rapides Parish Fire District", "Mansfield Police Station": an institution of a place
    # "Stade Félix Eboué", "Aeropuerto Jorge Chávez": a stadium or an airport named after someone
    named_after_someone = named_after_someone or (head in _FOREIGN_HEADS and len(rest) >= 2 and _first_name(index, rest[0].text))
    inner = text[rest[0].start : rest[-1].end]
    if not index.has_key(normalize_name(inner)) or inner.lower() in NOT_PLACES or inner.lower() in DIRECTIONS:
        inner = _known_part(text, rest, index)
    if not head_first and inner is not None and head in JURISDICTION_HEADS:
        return None  # "Halifax Airport", "Texas Southern University": the place, with the head as its cue
    # a street is named after another place ("Dublin Road" in Alexandria), a lake after its town
    # (and a facility named after someone is not in the town of that name: "Stade Félix Eboué")
    parent = inner if inner and kind not in ("water",) and head not in _STREET_HEADS and not named_after_someone else None
    return Mention(name, s, e, hint=kind, parent=parent, query=name, open=True)


def _known_part(text: str, toks: list[Token], index: NameIndex) -> str | None:
    """The longest run of words in ``toks`` the index knows as a place, leftmost first
    ("Nadi" in "Nadi International", "Changi" in "Changi Naval")."""
    for n in range(len(toks) - 1, 0, -1):
        for a in range(0, len(toks) - n + 1):
            part = toks[a : a + n]
            if not all(_is_cap(t) for t in (part[0], part[-1])):
                continue
            span = text[part[0].start : part[-1].end]
            if span.lower() in NOT_PLACES or span.lower() in DIRECTIONS or (n == 1 and _freq(index, span) >= _COMMON_ZIPF):
                continue
            if index.has_key(normalize_name(span)):
                return span
    return None


def _cued_name(
    text: str,
    tokens: list[Token],
    index: NameIndex,
    r0: int,
    r1: int,
    person_spans: _Spans,
    person_words: set[str],
) -> Mention | None:
    """A run with no gazetteer name in it that the text calls a place: "Kutupalong camp",
    "the village of Annaya", "Annaya, a village in Lebanon", "fled to Kutupalong"."""
    while r1 - r0 > 1 and _function_word(tokens[r0]):
        r0 += 1
    toks = tokens[r0:r1]
    if not toks or len(toks) > 5 or not _plain_name_words(toks) or not _is_cap(toks[-1]):
        return None
    s, e = toks[0].start, toks[-1].end
    cue = _place_cue(text, tokens, index, r0, r1, s, e)
    if cue is None:
        return None
    kind, query, by_preposition = cue
    if toks[0].text.lower() in CONNECTORS or toks[0].text.lower() in NOT_PLACES:
        return None
    if _sentence_initial(text, toks[0]) and _freq(index, toks[0].text) >= _OPEN_COMMON_ZIPF:
        return None  # "Another road", "Officials said"
    if person_spans.touches(s, e):
        return None
    lows = [t.text.lower().rstrip(".") for t in toks]
    if any(w in NOT_PLACES or w in ORG_HEADS or w in JURISDICTION_HEADS for w in lows if w not in CONNECTORS):
        return None
    if len(toks) == 1 and (_junk(toks[0]) or lows[0] in person_words):
        return None
    if any(_is_title(w) for w in lows) or any(t.text.isupper() and len(t.text) > 1 for t in toks):
        return None  # titles make people; acronyms name organisations more often than places
    if len(toks) == 1 and _freq(index, toks[0].text) >= _OPEN_COMMON_ZIPF:
        return None  # "the Royal palace": a common word describes, it does not name
    if len(toks) == 1 and not by_preposition and re.search(r"[a-z](?:ist|ish|ese|ic)$", toks[0].text):
        return None  # "a Buddhist monastery", "a Kurdish town": an adjective before the head word
    if by_preposition and any(
        _freq(index, w) >= _OPEN_COMMON_ZIPF or _first_name(index, w) for w in lows if w not in CONNECTORS
    ):
        return None
    if index.demonym(text[s:e]) is not None:
        return None
    return Mention(text[s:e], s, e, hint=kind, query=query, open=True)


_ITEM = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_PLURAL_CUES = r"(villages|towns|cities|islands|districts|provinces|regions|counties|camps|states|ports)"
_LIST_UNDER_CUE = re.compile(
    r"\bthe\s+(?:[\w-]+\s+){0,3}?" + _PLURAL_CUES + r"\s+of\s+(" + _ITEM + r"(?:\s*,\s*" + _ITEM + r")*"
    r"(?:\s*,?\s+(?:and|or)\s+" + _ITEM + r")?)"
)
_LIST_UNDER_HEAD = re.compile(
    r"(" + _ITEM + r"(?:\s*,\s*" + _ITEM + r")*\s*,?\s+(?:and|or)\s+" + _ITEM + r")\s+" + _PLURAL_CUES + r"\b$"
)
_ITEM_RE = re.compile(_ITEM)
_PLURAL_AFTER_A_NAME = re.compile(r"(?<=[A-Za-z])\s+" + _PLURAL_CUES + r"\b")


@functools.lru_cache(maxsize=8)
def _listed_items(text: str) -> dict[int, str]:
    """Where each name of a list under a plural cue noun or head word starts, and the singular cue:
    "the islands of Tanna and Erromango", "Bajhang, Doti and Achham districts"."""
    out: dict[int, str] = {}
    found = list(_LIST_UNDER_CUE.finditer(text))
    for head in _PLURAL_AFTER_A_NAME.finditer(text):  # a list ends right before each such head word
        m = _LIST_UNDER_HEAD.search(text, max(0, head.start() - 200), head.end())
        if m is not None:
            found.append(m)
    for m in found:
        items, cue = (2, 1) if m.re is _LIST_UNDER_CUE else (1, 2)
        plural = m.group(cue).lower()
        singular = plural[:-3] + "y" if plural.endswith("ies") else plural[:-1]
        for it in _ITEM_RE.finditer(text, m.start(items), m.end(items)):
            out.setdefault(it.start(), singular)
    return out


def _in_listed_places(text: str, s: int) -> str:
    """The singular cue noun of a list of places that the name at ``s`` is one of ("district" for
    "Doti" in "Bajhang, Doti and Achham districts"), or ""."""
    return _listed_items(text).get(s, "")


def _cue_kind(cue: str) -> str:
    """The kind of place a cue noun or head word makes: "village" -> "city", "county" -> "admin"."""
    return FEATURE_HEADS.get(cue, CUE_KINDS.get(cue, "city"))


def _listed_cue(name: str, listed: str) -> tuple[str, str | None]:
    """The hint and query of a name listed under ``listed``: "Oconee" under "county" is looked up
    as "Oconee county"."""
    kind = _cue_kind(listed)
    return kind, f"{name} {listed}" if kind == "admin" else None


def _place_cue(
    text: str, tokens: list[Token], index: NameIndex, r0: int, r1: int, s: int, e: int
) -> tuple[str | None, str | None, bool] | None:
    """What in the text says tokens[r0:r1] name a place: (kind, query, whether only a preposition)."""
    name = text[s:e]
    # a head word after the name: "Kutupalong camp", "Zaatari refugee camp"
    j = r1
    if j < len(tokens) and tokens[j].text.lower() in _HEAD_MODIFIERS and text[tokens[j - 1].end : tokens[j].start] == " ":
        j += 1
    if j < len(tokens) and text[tokens[j - 1].end : tokens[j].start] == " ":
        head = tokens[j].text.lower()
        if head in FEATURE_HEADS and not _is_cap(tokens[j]):
            return FEATURE_HEADS[head], f"{name} {head}", False
    # a cue noun before it: "the village of Annaya"
    if r0 >= 2 and tokens[r0 - 1].text.lower() == "of" and tokens[r0 - 2].text.lower() in _CUE_NOUNS:
        if text[tokens[r0 - 2].end : s] == " of ":
            cue = tokens[r0 - 2].text.lower().rstrip("s")
            return _cue_kind(cue), None, False
    # an apposition or a definition after it: "Annaya, a village in Lebanon", "Annaya is a village"
    m = _APPOSITION.match(text, e, min(len(text), e + 80)) if text[e : e + 1] == "," else None
    m = m or _DEFINITION.match(text, e, min(len(text), e + 200))
    if m is not None:
        cue = m.group(1)
        return _cue_kind(cue), None, False
    # one of a list that a plural cue noun or head word covers: "the islands of Tanna and Erromango",
    # "Bajhang, Doti and Achham districts"
    listed = _in_listed_places(text, s)
    if listed:
        return (*_listed_cue(name, listed), False)
    # a preposition of place, or "to" after a verb of motion, before a rare name ("along the X" too)
    if r0 == 0 or text[tokens[r0 - 1].end : s] != " ":
        return None
    k = r0 - 1
    if tokens[k].text == "the" and k >= 1 and text[tokens[k - 1].end : tokens[k].start] == " ":
        k -= 1
    prep = tokens[k].text
    moving = prep in ("to", "from", "toward", "towards") and k >= 1 and tokens[k - 1].text.lower() in _MOTION_TO
    if prep not in _OPEN_PREPS and prep not in _COMPASS and not moving:
        return None
    after = tokens[r1] if r1 < len(tokens) else None
    if after is not None and text[e : after.start] == " " and after.text.lower() in ORG_HEADS:
        return None
    if text[e : e + 2] in ("'s", "’s"):
        return None  # "in Smith's office"
    return None, None, True

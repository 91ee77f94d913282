"""Text -> place mentions (pure). Also finds the people a document names, so they are not places.

The recogniser scans runs of capitalised words, takes the longest run of words
that the gazetteer knows as a name (or a demonym such as "North Korean"), and
then filters what a careful reader would not call a place: people ("Kim",
"Florence Pugh"), organisations ("the Houston Chronicle", "Pacific Fleet"),
sentence-initial common words, and weak alternate-name matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from .model import Candidate, Mention
from .text import name_variants, normalize_name

__all__ = ["NameIndex", "Token", "tokenize", "find_people", "find_mentions", "PERSON_TITLES"]


class NameIndex(Protocol):
    """What the recogniser needs from a gazetteer (``geomap.gazetteer.Gazetteer`` has it)."""

    def has_key(self, key: str) -> bool: ...
    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]: ...
    def max_words(self) -> int: ...
    def demonym(self, word: str) -> Candidate | None: ...


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


_TOKEN = re.compile(r"\w+(?:[-‐'’.]\w+)*")
_POSSESSIVE = re.compile(r"['’]s?$")

#: Words that may stand inside a capitalised name: "Isle of Man", "Rostov on Don", "Bosnia and Herzegovina".
CONNECTORS = frozenset(
    "of the and de del da do dos das di la le les el al upon on am an na sur du van von y e et".split()
)

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
    pastor reverend rev father bishop archbishop cardinal rabbi imam saint
    mrs. mr. dr. ms. st. sheriff detective officer trooper deputy superintendent principal
    husband wife son daughter brother sister mother father uncle aunt cousin widow
    """.split()
)

#: Words after a name that make the whole run an organisation, team, title or event, not a place.
ORG_HEADS = frozenset(
    """chronicle times post herald tribune journal gazette globe telegraph guardian observer independent
    examiner inquirer courier sentinel register review express mirror sun star daily weekly news record
    bulletin monitor press reporter magazine radio tv television network broadcasting
    university college institute academy school hospital clinic
    fc cf afc sc united rovers wanderers athletic athletics rangers city's
    club team squad lakers giants bulls yankees mets celtics knicks saint-germain
    bank airlines airways air corporation corp inc ltd llc plc company co group holdings partners
    party council committee commission assembly parliament senate congress court
    fleet army navy forces force guard police department ministry agency bureau office service
    olympics games marathon festival open cup championship championships league series prix
    treaty accord agreement protocol declaration convention summit conference talks
    church cathedral mosque temple synagogue foundation fund trust association society union
    orchestra ballet opera theatre theater museum zoo
    """.split()
)

#: Capitalised words that are not places on their own, whatever a gazetteer's alternate names say.
NOT_PLACES = frozenset(
    """the a an he she it we they i you his her its our their this that these those there here
    in on at by for with from to of and or but not no yes if when while after before since until
    as so then during however although though because also yet still even only just
    what who which where why how all some many most more much one two three four five six seven
    eight nine ten first second third last next new old
    monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december
    president minister government police army state city town county province region country
    north south east west northern southern eastern western central national international
    university church street road avenue congress senate parliament republican republicans democrat
    democrats god christmas easter internet earth moon sun world global
    mr mrs ms dr sir un eu nato us uk
    people man woman men women child children family news report reports
    said says told added according
    """.split()
)

_SPEECH = frozenset("said says say told tells added adds wrote writes noted notes argued argues asked asks".split())
_CAPITAL_CODES = frozenset({"PPLC"})

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
    """Word tokens with offsets; hyphenated names stay whole and possessive 's is cut off.

    >>> [t.text for t in tokenize("Russia’s Far East and Komsomolsk-on-Amur.")]
    ['Russia', 'Far', 'East', 'and', 'Komsomolsk-on-Amur']
    """
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        s, e = m.start(), m.end()
        word = m.group(0)
        cut = _POSSESSIVE.search(word)
        if cut and cut.start() > 0 and (len(word) - cut.start()) <= 2:
            e -= len(word) - cut.start()
            word = word[: cut.start()]
        word = word.rstrip(".")
        e = s + len(word)
        if word:
            out.append(Token(word, s, e))
    return out


def _is_cap(tok: Token) -> bool:
    return tok.text[:1].isupper()


def _sentence_initial(text: str, tok: Token) -> bool:
    before = text[: tok.start].rstrip(" \t\"“‘'(")
    return not before or before[-1] in ".!?:\n;"


def _cap_runs(tokens: list[Token], text: str) -> list[tuple[int, int]]:
    """Index ranges [i, j) of maximal capitalised runs (connectors allowed inside)."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(tokens)
    while i < n:
        if not _is_cap(tokens[i]):
            i += 1
            continue
        j = i + 1
        while j < n:
            gap = text[tokens[j - 1].end : tokens[j].start]
            if gap.strip(" ") not in ("", "-"):
                break  # punctuation between words ends a name
            if _is_cap(tokens[j]):
                j += 1
                continue
            # a connector run followed by a capitalised word continues the name
            k = j
            while k < n and tokens[k].text.lower() in CONNECTORS and text[tokens[k - 1].end : tokens[k].start].strip() == "":
                k += 1
            if k > j and k < n and _is_cap(tokens[k]) and text[tokens[k - 1].end : tokens[k].start].strip() == "":
                j = k + 1
                continue
            break
        runs.append((i, j))
        i = j
    return runs


@dataclass
class _People:
    names: set[str] = field(default_factory=set)  # full names as written
    tokens: set[str] = field(default_factory=set)  # every word of every name


def find_people(text: str, index: NameIndex | None = None) -> list[tuple[int, int, str]]:
    """People the text names, as (start, end, name) spans: titled names and "First Last said".

    >>> find_people("Russian President Vladimir Putin met Kim Jong Un. Valery Karbalevich noted it.")
    [(18, 32, 'Vladimir Putin'), (37, 48, 'Kim Jong Un'), (50, 68, 'Valery Karbalevich')]
    """
    tokens = tokenize(text)
    spans: list[tuple[int, int, str]] = []
    for i, j in _cap_runs(tokens, text):
        run = tokens[i:j]
        # drop everything up to the last title inside the run ("Russian President Vladimir Putin")
        k = 0
        for p, t in enumerate(run[:-1]):
            if t.text.lower().rstrip(".") in PERSON_TITLES:
                k = p + 1
        titled = k > 0 or (i > 0 and tokens[i - 1].text.lower() in PERSON_TITLES)
        name_toks = run[k:]
        if not name_toks:
            continue
        words = [t.text for t in name_toks]
        after = tokens[j].text.lower() if j < len(tokens) else ""
        multi = len(words) >= 2 and not any(w.lower() in CONNECTORS for w in words)
        is_person = False
        if titled and not (index and _all_place(index, name_toks, text)):
            is_person = True
        elif multi and after in _SPEECH and not (index and _all_place(index, name_toks, text)):
            is_person = True
        elif multi and index is not None and _first_name_pattern(index, name_toks, text):
            is_person = True
        elif multi and _looks_korean_or_chinese(words):
            is_person = True
        if is_person:
            s, e = name_toks[0].start, name_toks[-1].end
            spans.append((s, e, text[s:e]))
    return spans


def _all_place(index: NameIndex, toks: list[Token], text: str) -> bool:
    key = normalize_name(text[toks[0].start : toks[-1].end])
    return index.has_key(key) or index.demonym(text[toks[0].start : toks[-1].end]) is not None


def _first_name_pattern(index: NameIndex, toks: list[Token], text: str) -> bool:
    """"Florence Pugh": a known place word followed by capitalised words that are no place at all."""
    if len(toks) > 3 or _all_place(index, toks, text):
        return False
    rest = toks[1:]
    if any(t.text.lower() in ORG_HEADS or t.text.lower() in CUE_KINDS or t.text.lower() in NOT_PLACES for t in rest):
        return False
    if any(index.has_key(normalize_name(t.text)) for t in rest):
        return False
    return all(t.text[:1].isupper() and t.text[1:].islower() for t in toks)


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
        if index.has_key(key) or any(index.has_key(v) for v in name_variants(key)):
            return n, "place"
        if n <= 3 and index.demonym(span) is not None:
            return n, "demonym"
    return 0, ""


def find_mentions(text: str, index: NameIndex, *, people: Iterable[tuple[int, int, str]] | None = None) -> list[Mention]:
    """Place mentions in ``text``, in text order.

    ``people`` (spans from :func:`find_people`) are never places, nor are other
    occurrences of their names' words ("Kim" after "Kim Jong Un").
    """
    tokens = tokenize(text)
    if people is None:
        people = find_people(text, index)
    person_spans = [(s, e) for s, e, _ in people]
    person_words = {w.lower() for _, _, name in people for w in name.split()}
    maxw = max(1, min(index.max_words(), 8))
    mentions: list[Mention] = []
    for i0, j in _cap_runs(tokens, text):
        i = i0
        while i < j:
            n, what = _match_at(index, tokens, text, i, j, maxw)
            if not n:
                i += 1
                continue
            toks = tokens[i : i + n]
            s, e = toks[0].start, toks[-1].end
            name = text[s:e]
            m = _judge(text, tokens, index, i, i + n, i0, j, what, person_spans, person_words)
            if m is not None:
                mentions.append(m)
            i += n
    return _link_parents(text, mentions)


def _judge(
    text: str,
    tokens: list[Token],
    index: NameIndex,
    i: int,
    k: int,
    run_start: int,
    run_end: int,
    what: str,
    person_spans: list[tuple[int, int]],
    person_words: set[str],
) -> Mention | None:
    """Decide whether tokens[i:k] (a gazetteer match) is a place mention; None when it is not."""
    toks = tokens[i:k]
    s, e = toks[0].start, toks[-1].end
    name = text[s:e]
    low = name.lower()
    if any(ps <= s < pe or ps < e <= pe for ps, pe in person_spans):
        return None
    if len(toks) == 1 and low in person_words:
        return None
    if len(toks) == 1 and low in NOT_PLACES:
        return None
    # organisation or title run: "Houston Chronicle", "Russian Pacific Fleet", "Paris Saint-Germain"
    tail = tokens[k:run_end]
    if any(t.text.lower() in ORG_HEADS for t in tail):
        return None
    if i > run_start and tokens[i - 1].text.lower() not in CONNECTORS:
        head_words = {t.text.lower() for t in tokens[run_start:i]}
        if head_words & ORG_HEADS:
            return None
    if what == "demonym":
        return Mention(name, s, e, hint="demonym")
    # a title right before a place word that is also a person's word ("Mayor Sydney ...") is handled by people
    after = tokens[k] if k < len(tokens) else None
    before = tokens[i - 1] if i > 0 else None
    cands = index.lookup(name, limit=20)
    if not cands:
        for v in name_variants(normalize_name(name)):
            cands = index.lookup(v, limit=20)
            if cands:
                break
    # "Chelsea said": a lone small city followed by a speech verb is a person, "Moscow said" stays a place
    if after is not None and after.text.lower() in _SPEECH and len(toks) == 1 and k == run_end:
        if not any(c.kind in ("country", "admin") or c.feature_code in _CAPITAL_CODES or c.population >= 1_000_000 for c in cands):
            return None
    strong = [c for c in cands if c.match == "name"]
    if not strong:
        # only an alternate name matched: accept it for big or high-level places
        if not any(c.population >= 100_000 or c.kind in ("country", "admin", "region", "water") for c in cands):
            return None
    if len(toks) == 1 and _sentence_initial(text, toks[0]) and low in _COMMON_SENTENCE_STARTERS:
        return None
    hint = None
    query = None
    if after is not None and after.text.lower() in CUE_KINDS and text[e : after.start].strip() == "":
        hint = CUE_KINDS[after.text.lower()]
        query = f"{name} {after.text}"
    elif before is not None and before.text.lower() in CUE_KINDS and text[before.end : s].strip() in ("of", ""):
        # "the port of Odesa", "province of Quebec"
        between = text[before.end : s].strip()
        if between == "of":
            hint = CUE_KINDS[before.text.lower()]
    return Mention(name, s, e, hint=hint, query=query)


_COMMON_SENTENCE_STARTERS = frozenset(
    """during however meanwhile instead later earlier today yesterday tomorrow after before while
    despite although since because following according among between under over into""".split()
)


def _link_parents(text: str, mentions: list[Mention]) -> list[Mention]:
    """Record "X, Y" and "X in Y" containers: Y becomes X's parent."""
    out = list(mentions)
    for a in range(len(out) - 1):
        x, y = out[a], out[a + 1]
        between = text[x.end : y.start]
        if between in (", ", ",") or between.strip() in ("in", "in the", "near", "outside", ", in"):
            out[a] = replace(x, parent=y.name)
    return out

"""Text utilities shared by indexing and querying: one name normaliser, sentences, offsets.

Everything here is pure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from unidecode import unidecode

__all__ = ["normalize_name", "name_variants", "Sentence", "split_sentences", "dateline_head"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'", "ʻ": "'"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212_/-]+")
_NON_WORD = re.compile(r"[^\w\s']+")
_SPACES = re.compile(r"\s+")
_SAINT = re.compile(r"\b(saint|sainte|st|ste)\b\.?")
_LINKERS = re.compile(r" (na|on|upon|am|an|sur|de|del|la|le) ")


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """The one key under which names are indexed and looked up.

    Case, diacritics, hyphens versus spaces, punctuation and script are folded
    (Cyrillic and other scripts are transliterated to ASCII), so that
    ``"Komsomolsk-on-Amur"``, ``"komsomolsk on amur"`` and ``"Комсомольск-на-Амуре"``
    come close, and ``"Kraków"`` equals ``"Krakow"``.

    >>> normalize_name("  Komsomol'sk-na-Amure ")
    'komsomolsk na amure'
    >>> normalize_name("Kraków")
    'krakow'
    """
    s = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)
    s = unidecode(s).lower().replace(".", "")  # "U.S." = "US", "W.Va." = "WVa"
    s = _DASHES.sub(" ", s)
    s = _NON_WORD.sub(" ", s)
    s = s.replace("'", "")
    s = _SAINT.sub("saint", s)
    return _SPACES.sub(" ", s).strip()


def name_variants(key: str) -> set[str]:
    """Extra lookup keys for a normalised name: linkers ("-on-", "-na-") and endings dropped.

    Used on both sides, so ``Komsomolsk-on-Amur`` and ``Komsomolsk-na-Amure`` share
    the variant ``komsomolsk amur``.

    >>> sorted(name_variants("komsomolsk na amure"))
    ['komsomolsk amur', 'komsomolsk amure']
    """
    out: set[str] = set()
    if " of the " in key:  # "Democratic Republic of Congo" = "Democratic Republic of the Congo"
        out.add(key.replace(" of the ", " of "))
    dropped = _LINKERS.sub(" ", f" {key} ").strip()
    if dropped != key:
        out.add(dropped)
        # Russian case endings on the river or second word: Amure -> Amur, Donu -> Don
        words = dropped.split(" ")
        if len(words) >= 2 and len(words[-1]) > 3 and words[-1][-1] in "eyu":
            out.add(" ".join(words[:-1] + [words[-1][:-1]]))
    return out


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


_SENT_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]*[A-Z0-9])|\n+")
_ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Sen|Rep|Gov|Pres|St|Mt|Ft|Jr|Sr|Prof|Capt|Sgt|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|U\.N|[A-Z])\.$")


_DATELINE = re.compile(r"(?P<head>\s*[A-Z][A-Z .'\-]{1,40}(?:,[^:\n]{0,40}?)?(?:\s*\([^)\n]{1,30}\))?\s*[:\u2013\u2014-])\s+")


def dateline_head(text: str) -> tuple[int, int] | None:
    """The span of a dateline's head ("NUUK, Greenland, March 5 (Wire) —"), or ``None``.

    >>> dateline_head("MOSCOW: Putin met Kim.")
    (0, 7)
    """
    m = _DATELINE.match(text)
    return (m.start("head"), m.end("head")) if m else None


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with their character offsets.

    >>> [s.text for s in split_sentences("Putin met Kim. He left.\\nNext line")]
    ['Putin met Kim.', 'He left.', 'Next line']
    >>> [s.text for s in split_sentences("MOSCOW: Putin met Kim.")]
    ['MOSCOW:', 'Putin met Kim.']
    """
    out: list[Sentence] = []
    start = 0
    dateline = _DATELINE.match(text)
    if dateline:  # "MOSCOW:" or "WASHINGTON, Sept. 15 (Reuters) -" stands apart from the first sentence
        _append(out, text, 0, dateline.end("head"))
        start = dateline.end()
    for m in _SENT_END.finditer(text):
        if m.start() < start:
            continue
        chunk = text[start : m.start()]
        if "\n" not in m.group(0) and _ABBREV.search(chunk):
            continue
        _append(out, text, start, m.start())
        start = m.end()
    _append(out, text, start, len(text))
    return out


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end]))

"""A population baseline over geomap's own gazetteer, for the geoparsing benchmark.

Recognition: scan runs of capitalised words (words separated by single spaces
or hyphens); at each word take the longest n-gram whose normalised form is a
gazetteer key, then go on after it. Resolution: the candidate with the largest
population. There is no filtering of people, organisations or sentence-initial
words, and no document context; whatever geomap adds over this is the value of
its recogniser and resolver.

>>> import geomap                                                      # doctest: +SKIP
>>> baseline_toponyms("Flooding hit Paris.", geomap.open_gazetteer())   # doctest: +SKIP
[{'start': 13, 'end': 18, 'name': 'Paris', 'lat': 48.85341, 'lon': 2.3488, 'geonameid': 2988507}]
"""

from __future__ import annotations

import re
from typing import Any

from geomap.text import normalize_name

__all__ = ["baseline_toponyms"]

_WORD = re.compile(r"\w+(?:['’.-]\w+)*")
_POSSESSIVE = re.compile(r"['’]s?$")


def _words(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _WORD.finditer(text):
        s, e = m.start(), m.end()
        cut = _POSSESSIVE.search(m.group(0))
        if cut and cut.start() > 0:
            e = s + cut.start()
        while e > s and text[e - 1] == ".":
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _runs(text: str, words: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    runs: list[list[tuple[int, int]]] = []
    cur: list[tuple[int, int]] = []
    for s, e in words:
        cap = text[s].isupper()
        if cap and cur and text[cur[-1][1] : s] in (" ", "-"):
            cur.append((s, e))
            continue
        if cur:
            runs.append(cur)
        cur = [(s, e)] if cap else []
    if cur:
        runs.append(cur)
    return runs


def baseline_toponyms(text: str, gazetteer: Any, *, max_words: int | None = None) -> list[dict[str, Any]]:
    """Toponyms of ``text`` in the evaluation schema: longest gazetteer n-gram, most populous candidate."""
    maxw = max(1, min(max_words or gazetteer.max_words(), 8))
    out: list[dict[str, Any]] = []
    for run in _runs(text, _words(text)):
        i = 0
        while i < len(run):
            for n in range(min(maxw, len(run) - i), 0, -1):
                s, e = run[i][0], run[i + n - 1][1]
                key = normalize_name(text[s:e])
                if key and gazetteer.has_key(key):
                    cands = gazetteer.lookup(text[s:e], limit=50)
                    if cands:
                        best = max(cands, key=lambda c: c.population)
                        gid = best.geonameid if best.geonameid and best.geonameid > 0 else None
                        out.append({"start": s, "end": e, "name": text[s:e], "lat": best.lat, "lon": best.lon,
                                    "geonameid": gid})
                        i += n
                        break
            else:
                i += 1
    return out

"""The edge that answers the resolver's open questions: a chain of sources, asked in order.

:func:`geomap.places.resolve.resolve` hands back the mentions no gazetteer candidate answered
as :class:`~geomap.places.resolve.Question` values. :func:`ask` puts each distinct question to
the sources in turn (the local gazetteer once more, for close spellings of longer names; then
the fallback, which is its cache and then the throttled online geocoder) and returns the first
answer for each; :func:`geomap.places.resolve.merge` folds them in. Only this module and the
fallback behind it touch the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..places.resolve import Question
from .fallback import FallbackAnswer

__all__ = ["ask", "GazetteerSpelling"]

#: Names shorter than this are not tried for close spellings (too many near neighbours).
_MIN_FUZZY_CHARS = 7


class GazetteerSpelling:
    """The local gazetteer asked for a close spelling of a name it lacks ("Zaporozhe"):
    rapidfuzz over keys sharing the first letters, only for single names of seven letters
    or more, and only when exactly one place answers."""

    service = "gazetteer"

    def __init__(self, gazetteer: Any, *, score_cutoff: float = 92.0) -> None:
        self.gazetteer = gazetteer
        self.score_cutoff = score_cutoff

    def resolve(self, name: str, **_: Any) -> FallbackAnswer:
        fuzzy = getattr(self.gazetteer, "fuzzy_lookup", None)
        if fuzzy is None or len(name) < _MIN_FUZZY_CHARS or " " in name.strip():
            return FallbackAnswer(None, None, self.service, "not in gazetteer")
        hits = fuzzy(name, limit=3, score_cutoff=self.score_cutoff)
        names = {h.name for h in hits}
        if len(names) != 1:
            return FallbackAnswer(None, None, self.service, "not in gazetteer")
        return FallbackAnswer(replace(hits[0], source="gazetteer"), "gazetteer", self.service, None)

    def close(self) -> None:
        pass


def ask(questions: Sequence[Question], sources: Sequence[Any]) -> dict[int, Any]:
    """The first answer of ``sources`` (objects with ``resolve(name, context=, country_codes=,
    viewbox=)`` returning a ``FallbackAnswer``) for each question, keyed by its index.

    A question nobody resolved keeps the last source's answer, so its reason ("not found",
    "offline", "service error: ...") reaches the place. Identical questions are asked once.
    """
    answers: dict[int, Any] = {}
    seen: dict[tuple, Any] = {}
    for q in questions:
        key = (q.name, q.context, q.country_codes, q.viewbox)
        if key not in seen:
            last = None
            extra = {"viewbox": q.viewbox} if q.viewbox is not None else {}
            for src in sources:
                last = src.resolve(q.name, context=q.context, country_codes=list(q.country_codes) or None, **extra)
                if last.candidate is not None:
                    break
            seen[key] = last
        if seen[key] is not None:
            answers[q.index] = seen[key]
    return answers

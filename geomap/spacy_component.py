"""A spaCy pipeline component: geomap's resolved places on ``doc.ents`` and ``doc.spans``.

For pipelines that already use spaCy. Install the extra (``pip install geomap[spacy]``); geomap
registers the factory with spaCy, so no import is needed:

>>> import spacy                                                   # doctest: +SKIP
>>> nlp = spacy.blank("en")                                        # doctest: +SKIP
>>> nlp.add_pipe("geomap", config={"offline": True})               # doctest: +SKIP
>>> doc = nlp("The talks moved from Minsk to Sochi.")              # doctest: +SKIP
>>> [(e.text, e.label_, round(e._.lat, 1)) for e in doc.ents]      # doctest: +SKIP
[('Minsk', 'GPE', 53.9), ('Sochi', 'GPE', 43.6)]

Every mention geomap finds goes to ``doc.spans[spans_key]`` (default ``"geomap"``), resolved or
not; resolved ones also go to ``doc.ents`` where they do not overlap the entities an earlier
component set (``overwrite_ents=True`` lets geomap's win). Labels follow spaCy's English scheme:
``GPE`` (countries, first-level regions, towns), ``LOC`` (regions, water), ``FAC`` (landmarks),
``NORP`` (demonyms). Span extension attributes: ``lat``, ``lon``, ``geonameid``, ``country_code``,
``place_kind``, ``resolved_name``, ``geo_confidence`` and ``geo_source`` (``None`` when unresolved,
and on spans geomap did not find); ``doc._.places`` holds the :class:`geomap.model.Place` values.
The extension values live on the character offsets, so an NER entity with the same offsets
carries them too.
"""

from __future__ import annotations

from typing import Any

try:
    from spacy.language import Language
    from spacy.tokens import Doc, Span
    from spacy.util import filter_spans
except ImportError as exc:  # pragma: no cover - the extra is optional
    raise ImportError(f"geomap's spaCy component needs spaCy: pip install 'geomap[spacy]' ({exc})") from exc

__all__ = ["GeomapComponent", "make_geomap", "LABELS", "SPAN_ATTRIBUTES"]

LABELS = {"country": "GPE", "admin": "GPE", "city": "GPE", "region": "LOC", "water": "LOC", "landmark": "FAC",
          "demonym": "NORP"}
#: Span extension -> the :class:`~geomap.model.Place` field it shows.
SPAN_ATTRIBUTES = {"lat": "lat", "lon": "lon", "geonameid": "geonameid", "country_code": "country_code",
                   "place_kind": "kind", "resolved_name": "resolved_name", "geo_confidence": "confidence",
                   "geo_source": "source"}


def _register_extensions() -> None:
    for name in SPAN_ATTRIBUTES:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    if not Doc.has_extension("places"):
        Doc.set_extension("places", default=None)


class GeomapComponent:
    """Find and resolve place names in a ``Doc`` with geomap's gazetteer (and its fallback when online)."""

    def __init__(self, nlp: Language, name: str = "geomap", *, offline: bool = True, spans_key: str = "geomap",
                 overwrite_ents: bool = False, extra_places: str | None = None, gazetteer: str | None = None) -> None:
        from .settings import from_env

        _register_extensions()
        self.name = name
        self.spans_key = spans_key
        self.overwrite_ents = overwrite_ents
        settings = from_env().replace(offline=offline or None)
        if gazetteer:
            from pathlib import Path

            settings = settings.replace(gazetteer_path=Path(gazetteer))
        self.settings = settings
        self.extra_places = extra_places
        self._index: Any | None = None

    def _gazetteer(self) -> Any:
        if self._index is None:
            from .api import open_gazetteer

            index = open_gazetteer(self.settings)
            if self.extra_places:
                from .user_places import with_user_places

                index = with_user_places(index, self.extra_places)
            self._index = index
        return self._index

    def __call__(self, doc: Doc) -> Doc:
        from .api import clean_text, make_fallback, people_and_places

        fallback = make_fallback(self.settings)
        try:
            _, places = people_and_places(clean_text(doc.text), self._gazetteer(), fallback=fallback)
        finally:
            if fallback is not None:
                fallback.close()
        spans: list[Span] = []
        resolved: list[Span] = []
        for p in places:
            span = doc.char_span(p.start, p.end, label=LABELS.get(p.kind, "LOC"), alignment_mode="expand")
            if span is None:
                continue
            for attr, field in SPAN_ATTRIBUTES.items():
                span._.set(attr, getattr(p, field))
            spans.append(span)
            if p.resolved:
                resolved.append(span)
        doc.spans[self.spans_key] = spans
        doc._.places = places
        existing = list(doc.ents)
        if self.overwrite_ents:
            taken = {i for s in resolved for i in range(s.start, s.end)}
            keep = [e for e in existing if not any(i in taken for i in range(e.start, e.end))]
            doc.ents = filter_spans(keep + resolved)
        else:
            taken = {i for e in existing for i in range(e.start, e.end)}
            new = [s for s in filter_spans(resolved) if not any(i in taken for i in range(s.start, s.end))]
            doc.ents = sorted(existing + new, key=lambda s: s.start)
        return doc


@Language.factory(
    "geomap",
    default_config={"offline": True, "spans_key": "geomap", "overwrite_ents": False, "extra_places": None,
                    "gazetteer": None},
)
def make_geomap(nlp: Language, name: str, offline: bool, spans_key: str, overwrite_ents: bool,
                extra_places: str | None, gazetteer: str | None) -> GeomapComponent:
    """The ``"geomap"`` factory: ``nlp.add_pipe("geomap", config={...})``."""
    return GeomapComponent(nlp, name, offline=offline, spans_key=spans_key, overwrite_ents=overwrite_ents,
                           extra_places=extra_places, gazetteer=gazetteer)

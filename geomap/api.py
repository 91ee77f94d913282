"""The public verbs: text -> places, events, itineraries, frames and maps.

Importing this module is cheap: the pipeline and geopandas load on the first call, so
``import geomap`` stays fast and the verbs can be bound on the package eagerly.

>>> import geomap
>>> a = geomap.analyse("Putin met Lukashenko in Sochi.")      # doctest: +SKIP
>>> a.places_frame()[["name", "kind", "country_code"]]        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from .errors import ConfigError, InputError
from .settings import Settings, from_env

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas
    import pandas

    from .model import Event, Itinerary, Place

__all__ = [
    "Analysis",
    "Documents",
    "DateLike",
    "analyse",
    "analyse_many",
    "iter_documents",
    "places",
    "events",
    "itinerary",
    "build_map",
    "inline_map",
    "open_gazetteer",
    "make_fallback",
    "people_and_places",
    "make_bias",
]

#: A publication date: a ``date``, a ``datetime`` or ``pandas.Timestamp`` (its day is used),
#: an ISO 8601 string (``"2023-09-15"``, ``"2023-09-15T08:00:00Z"``), or nothing.
DateLike = Union[dt.date, dt.datetime, str, None, Any]
#: Several articles: ``(id, text, date)`` tuples, texts, a pandas ``Series`` of texts, or a
#: ``DataFrame`` with a ``text`` column and optional ``id`` (or ``doc_id``) and ``date`` columns.
Documents = Any


@lru_cache(maxsize=4)
def _open_gazetteer_cached(path: str, sources: str, progress: bool) -> Any:
    from .gazetteer import Gazetteer

    if progress and not Path(path).exists():
        print(f"geomap: building the gazetteer index {path} (once; about half a minute)", file=sys.stderr, flush=True)
    return Gazetteer.open(path=Path(path), sources=Path(sources), progress=progress)


def _progress(s: Settings) -> bool:
    if s.progress is not None:
        return s.progress
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def open_gazetteer(settings: Settings | None = None) -> Any:
    """The local gazetteer for ``settings`` (built on first use, then reused in this process).

    The build reports its steps on standard error when that is a terminal (``Settings.progress``).
    """
    s = settings or from_env()
    return _open_gazetteer_cached(str(s.gazetteer_file), str(s.gazetteer_sources), _progress(s))


def make_fallback(settings: Settings) -> Any | None:
    """The fallback for ``settings`` (its cache, then the online service), or ``None`` when offline.

    Without a user agent the online service is not used (geomap never sends geopy's
    default agent); those names stay unresolved with a reason that says so.
    """
    if settings.offline:
        return None
    from .geocoders.fallback import FallbackResolver

    if not settings.user_agent:
        return _NoUserAgent(settings.geocoder)
    return FallbackResolver(settings)


@dataclass
class _NoUserAgent:
    service: str

    def resolve(self, name: str, **_: Any) -> Any:
        from .geocoders.fallback import FallbackAnswer

        return FallbackAnswer(None, None, self.service, "online fallback off: no user agent (set --user-agent or GEOMAP_USER_AGENT)")

    def close(self) -> None:
        pass


@dataclass
class Analysis:
    """Everything geomap reads from one or more articles, as plain values and as GeoDataFrames."""

    places: list[Place] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    itineraries: list[Itinerary] = field(default_factory=list)

    def places_frame(self) -> geopandas.GeoDataFrame:
        from . import frames

        return frames.places_frame(self.places)

    def events_frame(self) -> geopandas.GeoDataFrame:
        from . import frames

        return frames.events_frame(self.events)

    def stops_frame(self) -> geopandas.GeoDataFrame:
        from . import frames

        return frames.stops_frame(self.itineraries)

    def legs_frame(self) -> geopandas.GeoDataFrame:
        from . import frames

        return frames.legs_frame(self.itineraries)

    def unresolved_summary(self) -> dict[str, list[str]]:
        """Unresolved names grouped by reason."""
        out: dict[str, list[str]] = {}
        for p in self.places:
            if not p.resolved:
                names = out.setdefault(p.unresolved_reason or "unknown", [])
                if p.name not in names:
                    names.append(p.name)
        return out


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (from JSON such as ``"\\ud800"``) replaced by U+FFFD.

    Offsets are kept: each surrogate becomes one replacement character, so every output is valid UTF-8.

    >>> clean_text("Sochi\\ud800") == "Sochi\\ufffd"
    True
    """
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _analyse_one(
    text: str, *, date: dt.date | None, doc_id: str | None, gazetteer: Any, fallback: Any | None,
    known_people: set[str] | None = None, bias: Any | None = None, explain: bool = False,
) -> tuple[list[Place], list[Event]]:
    from .events import extract_events
    from .text import split_sentences

    with _collector_paused():
        people, places = people_and_places(text, gazetteer, fallback=fallback, doc_id=doc_id,
                                           known_people=known_people, bias=bias, explain=explain)
        events = extract_events(text, split_sentences(text), places, people, pub_date=date, doc_id=doc_id)
    return places, events


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while one article is read.

    Reading an article makes many short-lived objects and few reference cycles (about
    20,000 objects per MB of text); each automatic collection on the way rescans every
    object still alive, so the pauses grow with the article. The cycles are collected as
    usual once the collector is on again. Left as it is when the caller has paused it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def people_and_places(
    text: str, gazetteer: Any, *, fallback: Any | None = None, doc_id: str | None = None,
    known_people: set[str] | None = None, bias: Any | None = None, explain: bool = False,
) -> tuple[list[tuple[int, int, str]], list[Place]]:
    """The people (spans) and the resolved places of one text: recognition and resolution, without events.

    Mentions the gazetteer cannot answer are asked of the chain (close spellings in the
    gazetteer, then ``fallback`` when given) and merged back in."""
    from .events.actors import described_people
    from .geocoders.chain import GazetteerSpelling, ask
    from .text import normalize_name
    from .places.recognise import find_mentions, find_people, tokenize
    from .places.resolve import merge, resolve

    tokens = tokenize(text)
    people = find_people(text, gazetteer, tokens=tokens)
    people += described_people(text, people, is_place=lambda name: gazetteer.has_key(normalize_name(name)))
    if known_people:
        people += _known_people(text, people, known_people)
    mentions = find_mentions(text, gazetteer, people=people, tokens=tokens)
    resolution = resolve(mentions, gazetteer, bias=bias, explain=explain, doc_id=doc_id)
    if not resolution.questions:
        return people, list(resolution.places)
    sources = [GazetteerSpelling(gazetteer)] + ([fallback] if fallback is not None else [])
    return people, merge(resolution, ask(resolution.questions, sources))


def _known_people(text: str, found: list[tuple[int, int, str]], known: set[str]) -> list[tuple[int, int, str]]:
    """People named in full in earlier articles, mentioned here by family name only ("Biden")."""
    taken = [(s, e) for s, e, _ in found]
    here = {name for _, _, name in found}
    out = []
    for name in sorted(known - here):
        family = name.split()[-1]
        for m in re.finditer(rf"\b{re.escape(family)}\b", text):
            if not any(s <= m.start() < e for s, e in taken):
                out.append((m.start(), m.end(), name))
    return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:  # pandas.NaT, pandas.NA, numpy.datetime64("NaT")
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict)) else False
    except (ImportError, TypeError, ValueError):
        return False


def coerce_date(date: DateLike) -> dt.date | None:
    """A publication date as a ``datetime.date`` (see :data:`DateLike`), or ``None``.

    >>> coerce_date("2023-09-15T08:30:00Z")
    datetime.date(2023, 9, 15)
    >>> coerce_date(dt.datetime(2023, 9, 15, 23, 0))
    datetime.date(2023, 9, 15)
    """
    if _missing(date):
        return None
    if isinstance(date, dt.datetime):  # also pandas.Timestamp, a datetime subclass
        return date.date()
    if isinstance(date, dt.date):
        return date
    if hasattr(date, "astype") and "datetime64" in str(getattr(date, "dtype", "")):  # numpy.datetime64
        return dt.date.fromisoformat(str(date)[:10])
    if isinstance(date, str):
        value = date.strip()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(value).date()
        except ValueError:
            raise ConfigError(f"date {date!r}: expected an ISO date such as 2023-09-15") from None
    raise ConfigError(f"date {date!r}: expected a date, a datetime or an ISO date string, not {type(date).__name__}")


# keep the old private name working for callers inside the package
_coerce_date = coerce_date


def _doc_id(value: Any) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def iter_documents(docs: Documents, *, date: DateLike = None) -> Iterator[tuple[str | None, Any, dt.date | None]]:
    """``(doc_id, text, date)`` for each article of ``docs`` (see :data:`Documents`).

    ``date`` is the publication date of articles that have none of their own.

    >>> list(iter_documents([("a", "Talks in Minsk.", "2023-09-15")]))
    [('a', 'Talks in Minsk.', datetime.date(2023, 9, 15))]
    """
    default = coerce_date(date)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(docs, pd.DataFrame):
        cols = {str(c).lower(): c for c in docs.columns}
        if "text" not in cols:
            raise InputError(f"the DataFrame needs a 'text' column (it has {', '.join(map(str, docs.columns)) or 'none'})")
        texts = docs[cols["text"]]
        ids = docs[cols["id"]] if "id" in cols else docs[cols["doc_id"]] if "doc_id" in cols else None
        dates = docs[cols["date"]] if "date" in cols else None
        for i in range(len(docs)):
            d = coerce_date(dates.iloc[i]) if dates is not None else None
            doc_id = _doc_id(ids.iloc[i]) if ids is not None else _doc_id(docs.index[i])
            yield doc_id, texts.iloc[i], d or default
        return
    if pd is not None and isinstance(docs, pd.Series):
        for label, text in docs.items():
            yield _doc_id(label), text, default
        return
    if isinstance(docs, str):
        raise InputError("analyse_many takes several articles; use analyse(text) for one")
    for item in docs:
        if isinstance(item, str):
            yield None, item, default
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            doc_id, text, *rest = item
            yield _doc_id(doc_id), text, coerce_date(rest[0] if rest else None) or default
        else:
            raise InputError(f"each article must be text or an (id, text, date) tuple, not {type(item).__name__}")


def _check_text(text: Any, doc_id: str | None) -> str:
    where = f"article {doc_id!r}: " if doc_id is not None else ""
    if not isinstance(text, str):
        raise InputError(f"{where}the article must be text (str), not {type(text).__name__}")
    if not text.strip():
        raise InputError(f"{where}the article is empty")
    return clean_text(text)


def analyse(
    text: str,
    *,
    date: DateLike = None,
    doc_id: str | None = None,
    settings: Settings | None = None,
    gazetteer: Any | None = None,
    fallback: Any | None = None,
    offline: bool | None = None,
    extra_places: Any | None = None,
    country_codes: Sequence[str] | str | None = None,
    bbox: Sequence[float] | str | None = None,
    explain: bool = False,
) -> Analysis:
    """Read one article: places, events and itineraries.

    Parameters
    ----------
    text
        The article.
    date
        Publication date for relative dates ("this week") when the text has no dateline:
        a ``date``, ``datetime``, ``pandas.Timestamp`` or ISO string.
    offline
        ``True`` guarantees no network use.
    extra_places
        Your own places, consulted before the built-in gazetteer: a CSV or GeoJSON file or a
        (Geo)DataFrame with ``name``, ``lat``, ``lon`` and optional ``kind``, ``country``,
        ``aliases``, ``prior`` (see :mod:`geomap.user_places`).
    country_codes, bbox
        Bias resolution towards these ISO 3166 countries and this box ``(min_lon, min_lat,
        max_lon, max_lat)``; the online fallback is told too.
    explain
        Give each place its ``explanation``: the candidates considered, best first, with their
        scores and the reasons (kind, population, focus, container, cue, bias, ...).

    Examples
    --------
    >>> a = analyse("Putin met Lukashenko in Sochi.", offline=True)        # doctest: +SKIP
    >>> [p.name for p in a.places]                                          # doctest: +SKIP
    ['Sochi']
    """
    return analyse_many([(doc_id, text, date)], settings=settings, gazetteer=gazetteer, fallback=fallback,
                        offline=offline, extra_places=extra_places, country_codes=country_codes, bbox=bbox,
                        explain=explain)


def analyse_many(
    docs: Documents,
    *,
    date: DateLike = None,
    settings: Settings | None = None,
    gazetteer: Any | None = None,
    fallback: Any | None = None,
    offline: bool | None = None,
    extra_places: Any | None = None,
    country_codes: Sequence[str] | str | None = None,
    bbox: Sequence[float] | str | None = None,
    explain: bool = False,
) -> Analysis:
    """Several articles at once; itineraries span articles, ordered by date.

    ``docs`` is any of :data:`Documents`: ``(id, text, date)`` tuples (dates as ``date``,
    ``datetime``, ``pandas.Timestamp`` or ISO strings), texts, a pandas ``Series`` of texts
    (its index gives the ids) or a ``DataFrame`` with ``text`` and optional ``id`` and ``date``.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 2], "text": ["Talks in Minsk.", "Then Sochi."],
    ...                    "date": pd.to_datetime(["2023-09-14", "2023-09-15"])})
    >>> a = analyse_many(df, offline=True)                                 # doctest: +SKIP
    """
    from .places.recognise import find_people
    from .io import parse_dateline
    from .itinerary import build_itineraries

    s = (settings or from_env()).replace(offline=offline)
    bias = make_bias(country_codes, bbox)
    gaz = gazetteer or open_gazetteer(s)
    if extra_places is not None:
        from .user_places import UserPlaces, with_user_places

        gaz = with_user_places(gaz, extra_places if isinstance(extra_places, UserPlaces) else UserPlaces.load(extra_places))
    rows = [(doc_id, _check_text(text, doc_id), d) for doc_id, text, d in iter_documents(docs, date=date)]
    own_fallback = fallback is None
    fb = make_fallback(s) if own_fallback else fallback
    result = Analysis()
    # people named in full in any article: the others may use their family name alone ("Biden")
    known: set[str] = set()
    if len(rows) > 1:
        for _, text, _ in rows:
            known.update(name for _, _, name in find_people(text, gaz) if " " in name)
    try:
        for doc_id, text, d in rows:
            places_, events_ = _analyse_one(text, date=d or parse_dateline(text), doc_id=doc_id, gazetteer=gaz,
                                            fallback=fb, known_people=known, bias=bias, explain=explain)
            result.places.extend(places_)
            result.events.extend(events_)
    finally:
        if own_fallback and fb is not None:
            fb.close()
    result.itineraries = build_itineraries(result.events)
    return result


def make_bias(country_codes: Sequence[str] | str | None = None, bbox: Sequence[float] | str | None = None) -> Any | None:
    """A resolution bias from ISO country codes (``["LB", "SY"]`` or ``"LB,SY"``) and a box
    ``(min_lon, min_lat, max_lon, max_lat)`` (or ``"W,S,E,N"``); ``None`` when neither is given.
    Bad values raise :class:`ConfigError`."""
    from .places.resolve import Bias

    if not country_codes and bbox is None:
        return None
    if isinstance(country_codes, str):
        country_codes = [c for c in country_codes.split(",") if c.strip()]
    codes = tuple(c.strip().upper() for c in country_codes or ())
    bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
    if bad:
        raise ConfigError(f"country codes are two letters (ISO 3166-1 alpha-2), not {', '.join(map(repr, bad))}")
    box = None
    if bbox is not None:
        parts = bbox.split(",") if isinstance(bbox, str) else list(bbox)
        try:
            box = tuple(float(v) for v in parts)
        except (TypeError, ValueError):
            raise ConfigError(f"bbox must be four numbers min_lon,min_lat,max_lon,max_lat, not {bbox!r}") from None
        if len(box) != 4 or not all(math.isfinite(v) for v in box):
            raise ConfigError(f"bbox must be four numbers min_lon,min_lat,max_lon,max_lat, not {bbox!r}")
        w, s_, e, n = box
        if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s_ < n <= 90):
            raise ConfigError(f"bbox {bbox!r} is not a box on the globe (min_lat < max_lat, longitudes within ±180)")
    return Bias(codes, box)


def _analysis(source: str | Documents | Analysis, kwargs: dict[str, Any]) -> Analysis:
    if isinstance(source, Analysis):
        return source
    if isinstance(source, str):
        return analyse(source, **kwargs)
    kwargs = dict(kwargs)
    if kwargs.pop("doc_id", None) is not None:
        raise ConfigError("doc_id= is for one article; several articles carry their own ids")
    return analyse_many(source, **kwargs)


def places(text: str | Documents, **kwargs: Any) -> geopandas.GeoDataFrame:
    """Every place mention as a GeoDataFrame (columns: :data:`geomap.frames.PLACE_COLUMNS`).

    ``text`` is one article or several (:data:`Documents`); keywords as for :func:`analyse`.
    """
    return _analysis(text, kwargs).places_frame()


def events(text: str | Documents, **kwargs: Any) -> geopandas.GeoDataFrame:
    """Events as a GeoDataFrame (columns: :data:`geomap.frames.EVENT_COLUMNS`).

    ``text`` is one article or several (:data:`Documents`); keywords as for :func:`analyse`.
    """
    return _analysis(text, kwargs).events_frame()


def itinerary(text: str | Documents, **kwargs: Any) -> geopandas.GeoDataFrame:
    """Each moving actor's stops in time order as a GeoDataFrame (``.attrs["legs"]`` holds the legs frame).

    ``text`` is one article or several (:data:`Documents`); keywords as for :func:`analyse`.
    """
    a = _analysis(text, kwargs)
    stops = a.stops_frame()
    stops.attrs["legs"] = a.legs_frame()
    return stops


def build_map(
    source: str | Documents | Analysis,
    *,
    m: folium.Map | None = None,
    offline: bool = False,
    title: str | None = None,
    tiles: Any | None = None,
    attr: str | None = None,
    **kwargs: Any,
) -> folium.Map:
    """A ``folium.Map`` of an article (text), several articles or an :class:`Analysis`.

    ``m=`` adds to an existing map; ``tiles=`` and ``attr=`` go to the basemap (online maps). With ``offline=True`` the map also shows offline when a
    notebook displays it (Leaflet inlined, no tiles; see :func:`inline_map`).
    """
    from .frames import plain
    from .render import build_map as _build_map

    if not isinstance(source, Analysis):
        kwargs.setdefault("offline", offline or None)
    a = _analysis(source, kwargs)
    out = _build_map(
        places=plain(a.places_frame()), events=plain(a.events_frame()), stops=plain(a.stops_frame()),
        legs=plain(a.legs_frame()), m=m, offline=offline, title=title,
        **{k: v for k, v in (("tiles", tiles), ("attr", attr)) if v is not None},
    )
    if offline:
        # notebooks display a map through _repr_html_; folium's loads Leaflet from a CDN
        out._repr_html_ = lambda **_: inline_map(out)._repr_html_()  # noqa: SLF001
    return out


class InlineMap:
    """A self-contained, offline rendering of a map for notebooks (``_repr_html_``) and strings."""

    def __init__(self, html: str, height: int = 500) -> None:
        self.html = html
        self.height = height

    def _repr_html_(self) -> str:
        import html as _html

        return (
            f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" style="width:100%;height:{self.height}px;'
            'border:none" sandbox="allow-scripts allow-same-origin"></iframe>'
        )

    def __str__(self) -> str:
        return self.html


def inline_map(m: folium.Map, *, height: int = 500) -> InlineMap:
    """``m`` as one offline HTML page (Leaflet inlined, country outlines instead of tiles) to show inline.

    >>> import folium
    >>> "cdn.jsdelivr" in str(inline_map(folium.Map(tiles=None)))          # doctest: +SKIP
    False
    """
    import tempfile

    from .render import save_map

    with tempfile.TemporaryDirectory(prefix="geomap-inline-") as tmp:
        path = save_map(m, Path(tmp) / "map.html", offline=True)
        return InlineMap(path.read_text(encoding="utf-8"), height=height)

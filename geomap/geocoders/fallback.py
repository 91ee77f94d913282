"""The online fallback: local gazetteer -> persistent cache -> one geopy geocoder.

Names the local gazetteer lacks are looked up, in this order, in the cache
(:mod:`geomap.geocoders.cache`) and then in an online service through geopy
(Nominatim by default; any ``geopy.geocoders`` service by name). Only the
network leg is throttled. Answers are checked against what the document says
(country, area) before they are accepted, and the outcome of every lookup is
one of: a place, "not found" (cached), "rejected: ..." (cached), a service
failure (never cached), or "offline".

Examples
--------
Offline, nothing is sent and no geopy geocoder is built; the cache still answers:

>>> import tempfile, pathlib
>>> cache = pathlib.Path(tempfile.mkdtemp()) / "geocode-cache.sqlite"
>>> fb = FallbackResolver(offline=True, cache_path=cache)
>>> fb.resolve("Khasan", context="railway station", country_codes=["ru"]).reason
'offline'
>>> fb.stats["requests"]
0
>>> fb.close()
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

from ..errors import ConfigError, GeocoderServiceError
from ..model import KINDS, Candidate
from ..settings import Settings, from_env
from ..text import normalize_name
from . import _net
from .cache import GeocodeCache, cache_clear, cache_export, cache_info, options_key

__all__ = [
    "FallbackAnswer",
    "FallbackResolver",
    "ChainGeocoder",
    "Query",
    "cache_info",
    "cache_clear",
    "cache_export",
    "guess_kind",
    "result_country",
]

log = logging.getLogger(__name__)

#: Host of the public OpenStreetMap Nominatim, whose usage policy caps requests at 1 per second.
PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"
#: Results asked for per query; the first one that fits the document's context is taken.
RESULT_LIMIT = 5
#: After this many names in a row fail with a service error, the service is not asked again in this run.
MAX_CONSECUTIVE_FAILURES = 5
#: No new try of a lookup starts later than this many ``timeout``s after its first (each try is
#: itself bounded by ``timeout``, for the whole answer).
LOOKUP_DEADLINE_TIMEOUTS = 2.0

_HOW_TO_SET_UA = "set --user-agent or GEOMAP_USER_AGENT to something that identifies you, e.g. 'myproject/1.0 (me@example.org)'"
# Constructor options that change how a request travels, not what it asks: left out of cache keys.
_TRANSPORT_OPTIONS = {"timeout", "proxies", "user_agent", "ssl_context", "adapter_factory"}
_SECRET = re.compile(r"key|token|secret|password|username|client_id|auth", re.I)


@dataclass(frozen=True)
class FallbackAnswer:
    """The outcome of one fallback lookup.

    ``candidate`` is set when resolved (with ``source`` ``"fallback"`` the first
    time, ``"cache"`` later); otherwise ``reason`` says why not: ``"not found"``,
    ``"offline"``, ``"rejected: ..."`` or ``"service error: ..."``.
    """

    candidate: Candidate | None
    source: str | None
    service: str
    reason: str | None

    @property
    def resolved(self) -> bool:
        return self.candidate is not None

    @property
    def failed(self) -> bool:
        """True when the service failed (as opposed to answering "not found")."""
        return (self.reason or "").startswith("service error")


@dataclass(frozen=True)
class Query:
    """One item for :meth:`FallbackResolver.resolve_many`."""

    name: str
    context: str | None = None
    country_codes: tuple[str, ...] | None = None
    viewbox: tuple[tuple[float, float], tuple[float, float]] | None = None


QueryLike = Union[str, Query, Mapping[str, Any], Sequence[Any]]


# -- pure functions ---------------------------------------------------------------------------------
def parse_option(value: Any, default: Any = None) -> Any:
    """Turn a command-line option string into the value a geopy constructor expects.

    The parameter's default decides when it is known; otherwise "true"/"false",
    "none" and numbers are converted and anything else is kept as text.

    >>> parse_option("true"), parse_option("3"), parse_option("0.5"), parse_option("example.org")
    (True, 3, 0.5, 'example.org')
    >>> parse_option("10", default="")
    '10'
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    low = text.lower()
    if isinstance(default, bool) or default is None or default is DEFAULT_SENTINEL or default is inspect.Parameter.empty:
        if low in ("true", "yes", "on"):
            return True
        if low in ("false", "no", "off"):
            return False
        if low in ("none", "null"):
            return None
    if isinstance(default, str):
        return value
    if isinstance(default, bool):
        return value
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return value


def _query_text(name: str, context: str | None) -> str:
    """The text sent to the service: the mention plus what the document says it is."""
    name = " ".join(name.split())
    if not context or context in KINDS:
        return name
    ctx = " ".join(context.split())
    if normalize_name(ctx) and normalize_name(ctx) in normalize_name(name):
        return name
    return f"{name} {ctx}"


_PLACE_KINDS = {
    "country": "country",
    "state": "admin", "province": "admin", "county": "admin", "district": "admin", "municipality": "admin",
    "region": "region", "island": "region", "islet": "region", "archipelago": "region", "peninsula": "region",
    "continent": "region",
    "sea": "water", "ocean": "water", "bay": "water", "strait": "water",
    "city": "city", "town": "city", "village": "city", "hamlet": "city", "suburb": "city", "quarter": "city",
    "neighbourhood": "city", "borough": "city", "locality": "city", "isolated_dwelling": "city",
}
_WATER = {"water", "bay", "strait", "sea", "ocean", "lake", "reservoir", "river", "riverbank", "lagoon", "fjord"}


def guess_kind(raw: Mapping[str, Any]) -> str:
    """A geomap kind from a service's raw result (Nominatim ``class``/``type``, Photon ``osm_key``/``osm_value``).

    >>> guess_kind({"class": "place", "type": "town"})
    'city'
    >>> guess_kind({"class": "railway", "type": "station"})
    'landmark'
    >>> guess_kind({"category": "boundary", "type": "administrative", "addresstype": "country"})
    'country'
    >>> guess_kind({"properties": {"osm_key": "natural", "osm_value": "water"}})
    'water'
    """
    props = raw.get("properties") if isinstance(raw.get("properties"), Mapping) else {}
    cls = str(raw.get("class") or raw.get("category") or props.get("osm_key") or "").lower()
    typ = str(raw.get("type") or props.get("osm_value") or "").lower()
    addresstype = str(raw.get("addresstype") or props.get("type") or "").lower()
    if addresstype == "country" or typ == "country":
        return "country"
    if cls == "place" and typ in _PLACE_KINDS:
        return _PLACE_KINDS[typ]
    if cls == "boundary" and typ == "administrative":
        return _PLACE_KINDS.get(addresstype, "admin") if addresstype not in ("city", "town", "village") else "city"
    if cls in ("waterway", "water") or (cls == "natural" and typ in _WATER):
        return "water"
    if cls == "natural" and typ in ("peninsula", "island", "archipelago", "cape", "valley", "desert", "mountain_range"):
        return "region"
    if addresstype in _PLACE_KINDS and cls in ("place", "boundary"):
        return _PLACE_KINDS[addresstype]
    return "landmark"


def result_country(raw: Mapping[str, Any]) -> str | None:
    """The ISO country code (upper case) in a service's raw result, when it carries one.

    >>> result_country({"address": {"country_code": "ru"}})
    'RU'
    >>> result_country({"properties": {"countrycode": "CN"}})
    'CN'
    """
    places: list[Mapping[str, Any]] = [raw]
    for key in ("address", "properties", "components"):
        sub = raw.get(key)
        if isinstance(sub, Mapping):
            places.append(sub)
    for place in places:
        for key in ("country_code", "countrycode", "countryCode", "ISO_3166-1_alpha-2"):
            value = place.get(key)
            if isinstance(value, str) and len(value.strip()) == 2:
                return value.strip().upper()
    return None


def _result_name(loc: Location) -> str:
    raw = loc.raw if isinstance(loc.raw, Mapping) else {}
    props = raw.get("properties") if isinstance(raw.get("properties"), Mapping) else {}
    name = raw.get("name") or props.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return (loc.address or "").split(",")[0].strip() or (loc.address or "")


def _in_area(lat: float, lon: float, viewbox: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    """Whether a point lies in the viewbox widened on each side by its size (at least 10°)."""
    (lat1, lon1), (lat2, lon2) = viewbox
    south, north = sorted((lat1, lat2))
    west, east = sorted((lon1, lon2))
    pad_lat = max(10.0, north - south)
    pad_lon = max(10.0, east - west)
    if not (south - pad_lat <= lat <= north + pad_lat):
        return False
    if east - west + 2 * pad_lon >= 360:
        return True
    lo, hi = west - pad_lon, east + pad_lon
    return any(lo <= lon + shift <= hi for shift in (-360.0, 0.0, 360.0))


def check_result(
    lat: float, lon: float, country: str | None, *, country_codes: Sequence[str] | None, viewbox: Any
) -> str | None:
    """``None`` when a result fits the document's context, else the reason it is rejected.

    >>> check_result(39.9, 116.4, "CN", country_codes=["ru"], viewbox=None)
    'rejected: result in CN, expected RU'
    >>> check_result(-33.9, 151.2, None, country_codes=None, viewbox=((40, 120), (60, 140)))
    'rejected: result at -33.90,151.20, outside the expected area'
    """
    if country_codes and country is not None and country.lower() not in {c.lower() for c in country_codes}:
        return f"rejected: result in {country}, expected {'/'.join(c.upper() for c in country_codes)}"
    if viewbox is not None and not _in_area(lat, lon, viewbox):
        return f"rejected: result at {lat:.2f},{lon:.2f}, outside the expected area"
    return None


def _normalize_codes(codes: Sequence[str] | str | None) -> tuple[str, ...]:
    if not codes:
        return ()
    if isinstance(codes, str):
        codes = codes.split(",")
    return tuple(sorted({c.strip().lower() for c in codes if c and c.strip()}))


def _normalize_viewbox(viewbox: Any) -> tuple[tuple[float, float], tuple[float, float]] | None:
    if viewbox is None:
        return None
    try:
        (a, b), (c, d) = viewbox
        box = ((round(float(a), 4), round(float(b), 4)), (round(float(c), 4), round(float(d), 4)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"viewbox must be ((lat, lon), (lat, lon)), not {viewbox!r}") from exc
    if not all(math.isfinite(v) for p in box for v in p):
        raise ConfigError(f"viewbox must be finite, not {viewbox!r}")
    return box


def _key_value(value: Any) -> str:
    text = str(value)
    return text.lower() if text.lower() in ("true", "false", "none") else text


def _raw_coordinates(raw: Any) -> tuple[float, float] | None:
    """The (lat, lon) a service sent, before geopy wraps them into range (Nominatim's ``lat``/``lon``,
    GeoJSON's ``geometry.coordinates``); ``None`` when the raw answer has neither."""
    if not isinstance(raw, Mapping):
        return None
    try:
        if "lat" in raw and "lon" in raw:
            return float(raw["lat"]), float(raw["lon"])
        geometry = raw.get("geometry")
        if isinstance(geometry, Mapping) and isinstance(geometry.get("coordinates"), (list, tuple)):
            lon, lat = geometry["coordinates"][:2]
            return float(lat), float(lon)
    except (TypeError, ValueError):
        return (math.nan, math.nan)
    return None


def _checked(value: Any) -> list[Location]:
    """The service's results as a list, raising ``ValueError`` when one has no usable coordinates.

    geopy turns a result without ``lat``/``lon`` into (0, 0), and wraps a longitude
    of 488 into 128; such an answer is a malformed response (retried, never cached),
    not a place on Null Island or on the other side of the world.
    """
    locations = [value] if isinstance(value, Location) else list(value or [])
    for loc in locations:
        lat, lon = loc.latitude, loc.longitude
        if not (math.isfinite(lat) and math.isfinite(lon)) or (lat == 0.0 and lon == 0.0):
            raise ValueError(f"result without coordinates: {loc.address!r}")
        sent = _raw_coordinates(loc.raw)
        if sent is not None and not (-90.0 <= sent[0] <= 90.0 and -180.0 <= sent[1] <= 180.0):
            raise ValueError(f"result with coordinates out of range: {sent[0]:g}, {sent[1]:g}")
    return locations


def _env_name(service: str, what: str) -> str:
    return f"GEOMAP_{re.sub(r'[^A-Z0-9]+', '_', service.upper())}_{what}"


def _as_query(item: QueryLike) -> Query:
    if isinstance(item, Query):
        return item
    if isinstance(item, str):
        return Query(item)
    if isinstance(item, Mapping):
        return Query(item["name"], item.get("context"), _normalize_codes(item.get("country_codes")) or None,
                     item.get("viewbox"))
    name, *rest = item
    rest += [None] * (3 - len(rest))
    return Query(name, rest[0], _normalize_codes(rest[1]) or None, rest[2])


# -- the resolver -----------------------------------------------------------------------------------
class FallbackResolver:
    """Resolve names the gazetteer lacks: cache first, then one online geopy service, politely.

    Parameters
    ----------
    settings
        Defaults (``geomap.settings.from_env()`` when omitted); the keyword arguments win.
    service
        geopy service name (``"nominatim"``, ``"photon"``, ``"opencage"``, ...).
    options
        Options for the service: constructor options (``domain``, ``scheme``,
        ``api_key``, ...) and ``geocode()`` options (``language``, ...). Strings
        such as ``"true"`` or ``"8"`` are converted. A missing API key is read
        from ``GEOMAP_<SERVICE>_API_KEY`` (and a user name from ``GEOMAP_<SERVICE>_USERNAME``).
    user_agent
        Required to go online; geopy's own default is refused (:class:`~geomap.errors.ConfigError`).
    cache_path
        The SQLite cache (default ``settings.geocode_cache_file``).
    offline
        Never touch the network (the geopy geocoder is not even built); cached answers still count.
    rate
        Requests per second to the service, shared by threads and processes using the same cache.
        Capped at 1 for the public Nominatim, per its usage policy.
    timeout
        Seconds to wait for one response.
    retries
        Tries per name (including the first) before it is left unresolved as a service error.
    hit_ttl, miss_ttl
        Lifetimes of cached hits and misses, in seconds (90 and 7 days).
    backoff
        First back-off pause in seconds after a failed try (doubled each time).
    max_wait
        Longest pause accepted from ``Retry-After``/back-off; a longer ``Retry-After`` ends the tries.

    Examples
    --------
    >>> fb = FallbackResolver(offline=True, cache_path=":memory:")
    >>> fb.resolve("Nowhere-on-Sea")
    FallbackAnswer(candidate=None, source=None, service='nominatim', reason='offline')
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        service: str | None = None,
        options: Mapping[str, Any] | None = None,
        user_agent: str | None = None,
        cache_path: Path | str | None = None,
        offline: bool | None = None,
        rate: float | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        hit_ttl: float | None = None,
        miss_ttl: float | None = None,
        backoff: float = 1.0,
        max_wait: float = 60.0,
    ) -> None:
        s = settings if settings is not None else from_env()
        self.settings = s
        self.service = (service or s.geocoder or "nominatim").strip().lower()
        self.offline = s.offline if offline is None else bool(offline)
        self.user_agent = user_agent if user_agent is not None else s.user_agent
        self.rate = float(rate if rate is not None else s.rate)
        self.timeout = float(timeout if timeout is not None else s.timeout)
        self.retries = int(retries if retries is not None else s.retries)
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        if not (self.rate > 0) or math.isnan(self.rate):
            raise ConfigError(f"rate must be a positive number of requests per second, not {self.rate}")
        if not (self.timeout > 0):
            raise ConfigError(f"timeout must be positive, not {self.timeout}")
        if self.retries < 1:
            raise ConfigError(f"retries must be at least 1 (the first try), not {self.retries}")
        raw_options: dict[str, Any] = dict(s.geocoder_options)
        raw_options.update(options or {})
        self.stats: dict[str, Any] = {
            "lookups": 0, "requests": 0, "cache_hits": 0, "resolved": 0, "not_found": 0, "rejected": 0,
            "offline": 0, "failures": {},
        }
        self._lock = threading.Lock()
        self._geocoder: Geocoder | None = None
        self._failures_in_a_row = 0
        self._stopped: str | None = None
        self._ctor_kwargs: dict[str, Any] = {}
        self._call_kwargs: dict[str, Any] = {}
        self._cls: type | None = None
        self._call_params: Mapping[str, inspect.Parameter] = {}
        # What makes answers differ (a self-hosted domain, a language), the same online and offline.
        self._key_options = {k: _key_value(v) for k, v in sorted(raw_options.items())
                             if k not in _TRANSPORT_OPTIONS and not _SECRET.search(k)}
        if not self.offline:
            self._prepare_online(raw_options)
        self.cache = GeocodeCache(
            cache_path if cache_path is not None else s.geocode_cache_file,
            **{k: v for k, v in (("hit_ttl", hit_ttl), ("miss_ttl", miss_ttl)) if v is not None},
        )
        self.throttle = None if self.offline else _net.Throttle(
            self.cache, self._throttle_key(), self.rate, lease=max(60.0, 3 * self.timeout))

    # -- configuration --------------------------------------------------------------------------
    def _prepare_online(self, raw_options: dict[str, Any]) -> None:
        from geopy.geocoders import get_geocoder_for_service, options as geopy_options
        from geopy.exc import GeocoderNotFound

        ua = (self.user_agent or "").strip()
        default_ua = str(geopy_options.default_user_agent)
        if not ua or ua == default_ua or ua.lower().startswith("geopy/"):
            raise ConfigError(f"online geocoding needs a real user agent, not {ua or 'none'!r}: {_HOW_TO_SET_UA}")
        self.user_agent = ua
        try:
            cls = get_geocoder_for_service(self.service)
        except GeocoderNotFound as exc:
            raise ConfigError(f"unknown geocoding service {self.service!r} (see geopy.geocoders.SERVICE_TO_GEOCODER)") from exc
        ctor = inspect.signature(cls.__init__).parameters
        call = inspect.signature(cls.geocode).parameters
        ctor_any = any(p.kind is p.VAR_KEYWORD for p in ctor.values())
        ctor_kwargs: dict[str, Any] = {}
        call_kwargs: dict[str, Any] = {}
        for key, value in raw_options.items():
            if key in ("user_agent", "timeout", "adapter_factory"):
                raise ConfigError(f"geocoder option {key!r} has its own setting")
            if key in ctor or (ctor_any and key not in call):
                ctor_kwargs[key] = parse_option(value, ctor[key].default if key in ctor else None)
            elif key in call and key not in ("query", "exactly_one", "timeout", "self"):
                call_kwargs[key] = parse_option(value, call[key].default)
            else:
                internal = {"self", "query", "exactly_one", "timeout", "user_agent", "adapter_factory"}
                known = sorted(k for k in {*ctor, *call} if k not in internal)
                raise ConfigError(f"{self.service} has no option {key!r}; known: {', '.join(known)}")
        for param, what in (("api_key", "API_KEY"), ("apikey", "API_KEY"), ("key", "API_KEY"), ("username", "USERNAME")):
            if param in ctor and param not in ctor_kwargs and os.environ.get(_env_name(self.service, what)):
                ctor_kwargs[param] = os.environ[_env_name(self.service, what)]
        missing = [n for n, p in ctor.items() if n != "self" and p.default is p.empty
                   and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n not in ctor_kwargs]
        if missing:
            hint = {"api_key": "API_KEY", "apikey": "API_KEY", "key": "API_KEY", "username": "USERNAME"}
            how = " or ".join(f"{_env_name(self.service, hint[m])}" for m in missing if m in hint)
            raise ConfigError(f"{self.service} needs {', '.join(missing)}: pass --geocoder-option {missing[0]}=..."
                              + (f" or set {how}" if how else ""))
        if "language" in call and "language" not in call_kwargs:
            call_kwargs["language"] = "en"
        domain = str(ctor_kwargs.get("domain") or "")
        if self.service == "nominatim" and (not domain or PUBLIC_NOMINATIM in domain) and self.rate > 1.0:
            log.warning("the public Nominatim allows at most 1 request per second; using 1 instead of %g", self.rate)
            self.rate = 1.0
        self._cls = cls
        self._ctor_kwargs = ctor_kwargs
        self._call_kwargs = call_kwargs
        self._call_params = call

    def _options_key(self, codes: tuple[str, ...], box: Any, hint: str | None) -> str:
        return options_key({"service": self._key_options or None, "country_codes": list(codes), "viewbox": box,
                            "kind": hint})

    def _throttle_key(self) -> str:
        host = self._ctor_kwargs.get("domain") or self._ctor_kwargs.get("api") or ""
        return f"{self.service}@{host}" if host else self.service

    def _geocoder_instance(self) -> Geocoder:
        with self._lock:
            if self._geocoder is None:
                assert self._cls is not None and not self.offline
                self._geocoder = self._cls(
                    user_agent=self.user_agent, timeout=self.timeout, adapter_factory=_net.adapter_factory(),
                    **self._ctor_kwargs,
                )
            return self._geocoder

    # -- lookups ----------------------------------------------------------------------------------
    def _count(self, key: str, reason: str | None = None) -> None:
        with self._lock:
            if key == "failures":
                self.stats["failures"][reason] = self.stats["failures"].get(reason, 0) + 1
            else:
                self.stats[key] += 1

    def _answer(self, candidate: Candidate | None, source: str | None, reason: str | None) -> FallbackAnswer:
        return FallbackAnswer(candidate, source, self.service, reason)

    def resolve(
        self,
        name: str,
        *,
        context: str | None = None,
        country_codes: Sequence[str] | None = None,
        viewbox: tuple[tuple[float, float], tuple[float, float]] | None = None,
    ) -> FallbackAnswer:
        """Resolve one name.

        Parameters
        ----------
        name
            The mention as written.
        context
            What the document says the place is ("railway station", "spaceport");
            sent along with the name. A bare kind (``"city"``, ``"water"``, ...) is
            not sent but prefers results of that kind.
        country_codes
            ISO codes of the countries the document is about: sent as a bias where
            the service supports one, and results elsewhere are rejected.
        viewbox
            ``((lat, lon), (lat, lon))`` of the document's focus: sent as a bias,
            and results far outside it are rejected.
        """
        self._count("lookups")
        text = _query_text(name or "", context)
        if not text:
            return self._answer(None, None, "empty query")
        codes = _normalize_codes(country_codes)
        box = _normalize_viewbox(viewbox)
        hint = context if context in KINDS else None
        key = normalize_name(text) or text.lower()
        opts = self._options_key(codes, box, hint)
        entry = self.cache.get(self.service, key, opts)
        if entry is not None:
            self._count("cache_hits")
            if entry.hit and entry.candidate:
                cand = Candidate(**{**entry.candidate, "source": "cache", "service": self.service})
                return self._answer(cand, "cache", None)
            return self._answer(None, None, entry.reason or "not found")
        if self.offline:
            self._count("offline")
            return self._answer(None, None, "offline")
        if self._stopped:
            self._count("failures", self._stopped)
            return self._answer(None, None, self._stopped)
        kwargs = self._request_kwargs(codes, box)
        geocoder = self._geocoder_instance()
        assert self.throttle is not None
        outcome = _net.call_with_retries(
            lambda: _checked(geocoder.geocode(text, **kwargs)),
            throttle=self.throttle, tries=self.retries, backoff=self.backoff, max_wait=self.max_wait,
            on_request=lambda: self._count("requests"),
            deadline=time.monotonic() + LOOKUP_DEADLINE_TIMEOUTS * self.timeout,
        )
        if outcome.failure is not None:
            reason = outcome.reason or "service error"
            self._count("failures", reason)
            with self._lock:
                self._failures_in_a_row += 1
                if outcome.failure.fatal or self._failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
                    self._stopped = f"{reason} (service not asked again in this run)"
                    log.warning("%s: %s; not asking it again in this run", self.service, reason)
            return self._answer(None, None, reason)
        with self._lock:
            self._failures_in_a_row = 0
        return self._accept(outcome.value, key=key, opts=opts, text=text, codes=codes, box=box, hint=hint)

    def _request_kwargs(self, codes: tuple[str, ...], box: Any) -> dict[str, Any]:
        params = self._call_params
        kw: dict[str, Any] = {"exactly_one": False, "timeout": self.timeout}
        if "limit" in params:
            kw["limit"] = RESULT_LIMIT
        if "addressdetails" in params:
            kw["addressdetails"] = True
        if codes and "country_codes" in params:
            kw["country_codes"] = list(codes)
        if box is not None:
            if "viewbox" in params:
                kw["viewbox"] = box
            elif "bbox" in params:
                kw["bbox"] = box
        kw.update(self._call_kwargs)
        return kw

    def _accept(self, value: Any, *, key: str, opts: str, text: str, codes: tuple[str, ...], box: Any,
                hint: str | None) -> FallbackAnswer:
        locations: list[Location] = value
        first_reason: str | None = None
        accepted: list[tuple[Location, Candidate]] = []
        for loc in locations:
            raw = loc.raw if isinstance(loc.raw, Mapping) else {}
            country = result_country(raw)
            reason = check_result(loc.latitude, loc.longitude, country, country_codes=codes, viewbox=box)
            if reason:
                first_reason = first_reason or reason
                continue
            cls = raw.get("class") or raw.get("category")
            cand = Candidate(
                geonameid=None, name=_result_name(loc), lat=float(loc.latitude), lon=float(loc.longitude),
                country_code=country, kind=guess_kind(raw),
                feature_code=f"{cls}={raw.get('type')}" if cls and raw.get("type") else None,
                source="fallback", service=self.service,
            )
            accepted.append((loc, cand))
        if not accepted:
            reason = first_reason or "not found"
            self._count("rejected" if first_reason else "not_found")
            self.cache.put(self.service, key, opts, hit=False, reason=reason, query_text=text)
            return self._answer(None, None, reason)
        loc, cand = next(((l, c) for l, c in accepted if hint and c.kind == hint), accepted[0])
        raw = loc.raw if isinstance(loc.raw, Mapping) else None
        self.cache.put(self.service, key, opts, hit=True, candidate=cand.to_dict(), address=loc.address,
                       raw=raw, query_text=text)
        self._count("resolved")
        return self._answer(cand, "fallback", None)

    def resolve_many(
        self,
        queries: Iterable[QueryLike],
        *,
        progress: Callable[[int, int, FallbackAnswer], None] | None = None,
    ) -> list[FallbackAnswer]:
        """Resolve many names, each distinct query once, returning one answer per input in order.

        Items are names, :class:`Query` objects, mappings with ``name`` (and
        ``context``, ``country_codes``, ``viewbox``) or tuples in that order.
        ``progress(done, total, answer)`` is called after each distinct query,
        ``total`` being the number of distinct queries.

        >>> fb = FallbackResolver(offline=True, cache_path=":memory:")
        >>> [a.reason for a in fb.resolve_many(["Khasan", ("Khasan",), "Razdolnoye"])]
        ['offline', 'offline', 'offline']
        >>> fb.stats["lookups"]
        2
        """
        items = [_as_query(q) for q in queries]
        keys = [(q.name, q.context, tuple(q.country_codes or ()), _normalize_viewbox(q.viewbox)) for q in items]
        unique = list(dict.fromkeys(keys))
        answers: dict[tuple[Any, ...], FallbackAnswer] = {}
        for i, k in enumerate(unique, 1):
            name, context, codes, box = k
            answers[k] = self.resolve(name, context=context, country_codes=codes or None, viewbox=box)
            if progress is not None:
                progress(i, len(unique), answers[k])
        return [answers[k] for k in keys]

    def address_of(self, name: str, **kwargs: Any) -> tuple[str | None, Any]:
        """The full address and raw result stored for a resolved query (for :class:`ChainGeocoder`)."""
        text = _query_text(name, kwargs.get("context"))
        codes = _normalize_codes(kwargs.get("country_codes"))
        box = _normalize_viewbox(kwargs.get("viewbox"))
        hint = kwargs.get("context") if kwargs.get("context") in KINDS else None
        opts = self._options_key(codes, box, hint)
        entry = self.cache.get(self.service, normalize_name(text) or text.lower(), opts, include_expired=True)
        return (entry.address, entry.raw) if entry is not None else (None, None)

    def close(self) -> None:
        """Close the cache and the service's connections."""
        with self._lock:
            geocoder, self._geocoder = self._geocoder, None
        adapter = getattr(geocoder, "adapter", None)
        if adapter is not None and hasattr(adapter, "__exit__"):
            try:
                adapter.__exit__(None, None, None)
            except Exception:  # pragma: no cover - best effort
                pass
        self.cache.close()

    def __enter__(self) -> "FallbackResolver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "offline" if self.offline else f"{self.rate:g}/s"
        return f"FallbackResolver(service={self.service!r}, {mode}, cache={self.cache.path})"


# -- the chain as a geopy geocoder ------------------------------------------------------------------
class ChainGeocoder(Geocoder):
    """A geopy geocoder: the local gazetteer first, then the fallback's cache and online service.

    ``geocode`` returns ``None`` when no leg knows the name (or the network is
    off), one :class:`geopy.location.Location` (or a list with ``exactly_one=False``),
    and raises :class:`geomap.errors.GeocoderServiceError` when the online
    service failed, so that "not found" and "failed" stay distinct. A fallback
    answer's ``raw`` holds ``source``, ``service`` and the ``candidate``.

    Examples
    --------
    >>> class Local:
    ...     def geocode(self, query, exactly_one=True):
    ...         return Location("Sochi, Russia", (43.6, 39.73), {}) if query == "Sochi" else None
    >>> chain = ChainGeocoder(Local(), FallbackResolver(offline=True, cache_path=":memory:"))
    >>> chain.geocode("Sochi").latitude
    43.6
    >>> chain.geocode("Khasan") is None
    True
    """

    def __init__(self, local: Any, fallback: FallbackResolver) -> None:
        # No adapter: this geocoder never talks to the network itself.
        self.local = local
        self.fallback = fallback
        self.scheme = "https"
        self.timeout = fallback.timeout
        self.proxies = None
        self.headers = {"User-Agent": fallback.user_agent or ""}
        try:
            self._local_takes_codes = "country_codes" in inspect.signature(local.geocode).parameters
        except (AttributeError, TypeError, ValueError):
            self._local_takes_codes = False

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        timeout: Any = DEFAULT_SENTINEL,
        context: str | None = None,
        country_codes: Sequence[str] | None = None,
        viewbox: tuple[tuple[float, float], tuple[float, float]] | None = None,
    ) -> Location | list[Location] | None:
        if self.local is not None:
            extra = {"country_codes": country_codes} if country_codes and self._local_takes_codes else {}
            found = self.local.geocode(query, exactly_one=exactly_one, **extra)
            if found:
                return found
        ans = self.fallback.resolve(query, context=context, country_codes=country_codes, viewbox=viewbox)
        if ans.failed:
            raise GeocoderServiceError(f"{ans.service}: {ans.reason}")
        c = ans.candidate
        if c is None:
            return None
        address, raw = self.fallback.address_of(query, context=context, country_codes=country_codes, viewbox=viewbox)
        loc = Location(address or c.name, (c.lat, c.lon),
                       {"source": ans.source, "service": ans.service, "candidate": c.to_dict(), "raw": raw})
        return loc if exactly_one else [loc]

    def close(self) -> None:
        self.fallback.close()

    def __enter__(self) -> "ChainGeocoder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

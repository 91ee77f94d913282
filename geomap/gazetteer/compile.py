"""Compile upstream rows and curated rows into gazetteer entries, their names and demonyms (pure).

Nothing here reads a file or the network: :func:`compile_index` takes what
:mod:`geomap.gazetteer.sources` read and returns plain values for
:mod:`geomap.gazetteer.index` to write. Every name is keyed under
:func:`geomap.text.normalize_name` and its :func:`geomap.text.name_variants`; queries go
through the same two functions.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import GazetteerError
from ..text import name_variants, normalize_name
from .sources import KIND_ORDER, Curated, Upstream

__all__ = ["Compiled", "Entry", "compile_index", "synthetic_id"]

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


def synthetic_id(name: str, lat: float, lon: float) -> int:
    """A stable negative id for a curated entry without a GeoNames id.

    GeoNames ids are positive, so the two never collide.

    >>> synthetic_id("Vostochny Cosmodrome", 51.884, 128.334) < 0
    True
    """
    digest = hashlib.blake2b(f"{normalize_name(name)}|{lat:.4f}|{lon:.4f}".encode(), digest_size=8).digest()
    return -(int.from_bytes(digest, "big") % (2**52) + 1)


@dataclass
class Entry:
    """One place of the index, while it is being compiled."""

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


@dataclass(frozen=True)
class Compiled:
    """What an index holds: its entries, its name keys and its demonyms."""

    entries: list[Entry]
    #: (key, id) -> 0 for a main name or curated alias, 1 for a GeoNames alternate name only
    names: dict[tuple[str, int], int]
    #: normalised demonym -> country code, or ``"#<geonameid>"`` for a region
    demonyms: dict[str, str]


def _alias_ok(alt: str) -> bool:
    """Whether a GeoNames alternate name is worth indexing (Latin, Greek or Cyrillic; no codes)."""
    if len(alt) > _MAX_ALIAS_CHARS or _CODE_LIKE.match(alt) or _FOREIGN_SCRIPT.search(alt):
        return False
    return not any(ch.isdigit() for ch in alt) and "http" not in alt


def _city_entries(up: Upstream) -> list[Entry]:
    out = []
    for c in up.cities:
        alts = [(a, True) for a in c.get("alternatenames") or () if a and _alias_ok(a)]
        out.append(
            Entry(
                id=int(c["geonameid"]), name=c["name"], lat=float(c["latitude"]), lon=float(c["longitude"]),
                cc=c.get("countrycode") or None, kind="city", population=int(c.get("population") or 0),
                fcode="PPL", admin1=c.get("admin1code") or None, names=alts,
            )
        )
    return out


def _mark_capitals(cities: list[Entry], up: Upstream) -> None:
    by_cc: dict[str, list[Entry]] = defaultdict(list)
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


def _country_entries(up: Upstream, capitals: Mapping[str, Entry]) -> list[Entry]:
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
            Entry(
                id=int(c["geonameid"]), name=c["name"], lat=lat, lon=lon, cc=code, kind="country",
                population=int(c.get("population") or 0), fcode="PCLI", names=names,
            )
        )
    return out


def _apply_country_points(curated: Curated, countries: Sequence[Entry]) -> None:
    """``countries.tsv``: GeoNames' own points for countries where other sources put them elsewhere."""
    by_cc = {c.cc: c for c in countries}
    for r in curated.country_points:
        c = by_cc.get(r.get("country"))
        if c is None:
            raise GazetteerError(f"{r.where}: unknown country code {r.cells.get('country')!r}")
        try:
            c.lat, c.lon = float(r.cells["lat"]), float(r.cells["lon"])
        except (KeyError, ValueError) as e:
            raise GazetteerError(f"{r.where}: bad coordinates ({e})") from e


def _continent_entries(up: Upstream) -> list[Entry]:
    return [
        Entry(id=int(c["geonameId"]), name=c["toponymName"], lat=float(c["lat"]), lon=float(c["lng"]), cc=None,
              kind="region", population=int(c.get("population") or 0), fcode="CONT")
        for c in up.continents
    ]


def _county_entries(up: Upstream) -> list[Entry]:
    out = []
    for c in up.counties:
        name = c["name"]
        names: list[tuple[str, bool]] = []
        head, _, last = name.rpartition(" ")
        if last in ("County", "Parish") and head:
            names.append((f"{head} {'Co' if last == 'County' else 'Par'}", False))
            if last == "Parish":
                names.append((head, True))  # "Pointe Coupee" is how parishes are named in the news
        out.append(Entry(id=synthetic_id(f"{name}, {c['state']}", c["lat"], c["lon"]), name=name, lat=c["lat"], lon=c["lon"],
                         cc="US", kind="admin", population=0, fcode="ADM2", admin1=c["state"], names=names))
    return out


def _centre(towns: Sequence[Entry]) -> tuple[float, float]:
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


def _area_centres(cities: Sequence[Entry], outlines: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[tuple[str, str], tuple[float, float]]:
    """Area-weighted centres of first-level regions, approximated from their towns.

    Each country's outline (``(iso_a2, GeoJSON geometry)``) is covered with a grid; every
    cell goes to the region of its nearest town, and a region's centre is the mean of its
    cells. Regions with sparse towns in a large area (Ontario, Queensland) land near their
    geographic middle, not among their southern towns.
    """
    import numpy as np
    import shapely

    by_cc: dict[str, list[Entry]] = defaultdict(list)
    for c in cities:
        if c.cc and c.admin1:
            by_cc[c.cc].append(c)
    # sums of weight, weight * lat and weight * lon per region, over every outline of its country
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for cc, geometry in outlines:
        towns = by_cc.get(cc or "")
        if not towns:
            continue
        geom = shapely.geometry.shape(geometry)
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


def _admin_entries(up: Upstream, cities: Sequence[Entry], outlines: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Entry]:
    centres = _area_centres(cities, outlines)
    towns: dict[tuple[str, str], list[Entry]] = defaultdict(list)
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
        entry = Entry(
            id=int(a["geonameid"]), name=_display_name(a["name"], aliases), lat=lat, lon=lon, cc=cc, kind="admin",
            population=sum(c.population for c in pool), fcode="ADM1", admin1=code, names=names,
            blocked=taken,
        )
        out.append(entry)
    return out


def _curated_entries(curated: Curated, cities: Sequence[Entry]) -> list[Entry]:
    by_key: dict[tuple[str | None, str], Entry] = {}
    for c in sorted(cities, key=lambda c: c.population):
        by_key[(c.cc, normalize_name(c.name))] = c
    out = []
    for r in curated.entries:
        parent_id = None
        if r.parent:
            if r.parent.lstrip("-").isdigit():
                parent_id = int(r.parent)
            elif (r.country, normalize_name(r.parent)) in by_key:
                parent_id = by_key[(r.country, normalize_name(r.parent))].id
            else:
                raise GazetteerError(f"{r.row.where}: parent city {r.parent!r} not found in country {r.country}")
        gid = r.geonameid if r.geonameid is not None else synthetic_id(r.name, r.lat, r.lon)
        out.append(Entry(gid, r.name, r.lat, r.lon, r.country, r.kind, r.population, r.feature_code, None, parent_id,
                         [(a, False) for a in r.aliases]))
    return out


def _apply_aliases(curated: Curated, entries: Sequence[Entry]) -> None:
    """Attach ``aliases.tsv`` names (old spellings, short forms) to their targets as main names."""
    if not curated.aliases:
        return
    by_id = {e.id: e for e in entries}
    by_name: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_name[normalize_name(e.name)].append(e)
    missing = []
    for r in curated.aliases:
        target, cc, kind = r.get("target"), r.get("country") or None, r.get("kind") or None
        if target.lstrip("-").isdigit():
            hits = [by_id[int(target)]] if int(target) in by_id else []
        else:
            hits = [e for e in by_name.get(normalize_name(target), []) if (cc is None or e.cc == cc) and (kind is None or e.kind == kind)]
        if hits:
            best = min(hits, key=lambda e: (KIND_ORDER[e.kind], -e.population))
            best.names.append((r.cells["alias"], False))
        else:
            missing.append(f"line {r.lineno}: {target!r} ({cc or 'any country'}, {kind or 'any kind'})")
    if missing:
        raise GazetteerError(f"{curated.aliases[0].path}: alias targets not found: " + "; ".join(missing))


#: Regions of at least this many people get adjectives derived from their names ("Iowan").
_ADJECTIVE_MIN_POPULATION = 500_000
#: Last words of names that take no adjective of that shape ("Silicon Valley", "Perm Krai").
_GENERIC_LAST_WORDS = frozenset(
    """shi krai kray oblast oblysy respublika city province district region area state states island islands
    river rivers valley sea coast peninsula mountains gulf bay desert basin delta plateau lake lakes""".split()
)


def region_adjectives(name: str) -> list[str]:
    """The regular English adjectives of a region's name: "Iowa" -> "Iowan", "Texas" -> "Texan" (of the
    "-s" endings only "-as"), "Ontario" -> "Ontarian", "Hawaii" -> "Hawaiian", "Kentucky" -> "Kentuckian",
    "Central America" -> "Central American". Irregular ones ("Floridian") need a curated row.

    >>> region_adjectives("Central America"), region_adjectives("Texas")
    (['Central American'], ['Texan'])
    """
    if not name.replace(" ", "").isalpha() or name.endswith("ss") or len(name) < 4:
        return []
    if name.endswith("a"):
        return [name + "n"]
    if name.endswith("i"):
        return [name + "an"]
    if name.endswith("as"):
        return [name[:-1] + "n"]
    if name.endswith("o"):
        return [name[:-1] + "an"]
    if name.endswith("y"):
        return [name[:-1] + "ian"]
    return []


def _region_adjectives(entries: Sequence[Entry], taken: Mapping[str, Any], up: Upstream) -> dict[str, str]:
    """Adjectives of first-level regions and of world regions, as demonyms of them ("Manitobans",
    "North American"); none that is a place's name, a given name or a common word."""
    out: dict[str, str] = {}
    for e in entries:
        big_admin = e.kind == "admin" and e.fcode == "ADM1" and e.population >= _ADJECTIVE_MIN_POPULATION
        words = e.name.split()
        if not (big_admin or (e.kind == "region" and e.fcode in ("CONT", "RGN"))) or len(words) > 2:
            continue
        if words[-1].lower() in _GENERIC_LAST_WORDS:
            continue
        for adjective in region_adjectives(e.name):
            key = normalize_name(adjective)
            if key in taken or key in up.first_names or up.common_words.get(key, 0.0) >= 4.0:
                continue
            out[key] = "" if key in out else f"#{e.id}"  # two regions of one adjective: neither
    return {k: v for k, v in out.items() if v}


def _demonyms(curated: Curated, up: Upstream, countries: Sequence[Entry], entries: Sequence[Entry],
              taken: Mapping[str, Any]) -> dict[str, str]:
    pop = {c.cc: c.population for c in countries}
    out: dict[str, str] = _region_adjectives(entries, taken, up)
    for code, info in up.country_info.items():
        key = normalize_name(info.get("demonym") or "")
        prev = out.get(key)  # a country's demonym outranks a region's adjective
        if key and code in pop and (prev not in pop or pop[code] > pop[prev]):
            out[key] = code
    for r in curated.demonyms:
        key, code = normalize_name(r.get("demonym")), r.get("country")
        if not key:
            continue
        if code in ("", "-"):
            out.pop(key, None)
        elif code in pop or (code.startswith("#") and code[1:].lstrip("-").isdigit()):
            out[key] = code  # a country code, or "#geonameid" for a region ("European" -> Europe)
        else:
            raise GazetteerError(f"{r.where}: unknown country code {code!r}")
    return out


def _name_rows(entries: Iterable[Entry]) -> dict[tuple[str, int], int]:
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


# --------------------------------------------------------------------------- second-level regions

#: English forms of second-level regions ("Olsztyn County" for "Powiat olsztyński").
_ENGLISH_ADMIN2 = re.compile(r"^[A-Z][A-Za-z .-]+ (County|District|Raion|Province|Department|Region|Municipality)$")


def _admin2_entries(up: Upstream, by_id: Mapping[int, Entry]) -> list[Entry]:
    """Second-level regions (``ADM2``) outside the US (whose counties come from ``zipcodes``),
    placed in the middle of their towns' extent."""
    out = []
    for a in up.admin2:
        cc, _, rest = a["code"].partition(".")
        if cc == "US":
            continue
        pool = [by_id[t] for t in a["towns"] if t in by_id and by_id[t].kind == "city"]
        if not pool:
            continue
        lat, lon = _centre(pool)
        aliases = [n for n in a.get("aliases") or () if _alias_ok(n)]
        names = [(n, not _ADMIN_TYPE_WORDS.intersection(normalize_name(n).split())) for n in aliases]
        english = next((n for n in aliases if _ENGLISH_ADMIN2.match(n)), None)
        name = english if english and not (a["name"].isascii() and "'" not in a["name"]) else a["name"]
        names.append((a["name"], False))
        out.append(Entry(
            id=int(a["geonameid"]), name=name, lat=lat, lon=lon, cc=cc, kind="admin",
            population=sum(c.population for c in pool), fcode="ADM2", admin1=rest.partition(".")[0] or None, names=names,
        ))
    return out


#: A second-level region this populous keeps a name of common words that holds a place's name.
_BIG_REGION = 1_000_000


def _admin2_rows(regions: Sequence[Entry], taken: Mapping[str, Sequence[int]], by_id: Mapping[int, Entry],
                 common_words: Mapping[str, float]) -> tuple[list[Entry], dict[tuple[str, int], int]]:
    """The second-level regions to keep and their keys: only keys no other entry holds but smaller
    towns abroad (the town Milano keeps "Milano", the province is "Province of Milan"; "Hampshire"
    is the English county as well as a town in Illinois, which the resolver weighs), and none made
    of common English words only ("Village", "On March") unless the region holds a million people and
    one of its words is a place's name ("Kent", "Essex", "Province of Barcelona": a name that many
    people live under is a frequent word because of them)."""
    keys_of: dict[int, dict[tuple[str, int], int]] = defaultdict(dict)
    for (k, i), flag in _name_rows(regions).items():
        keys_of[i][(k, i)] = flag

    def free(k: str, e: Entry) -> bool:
        held = [by_id[i] for i in taken.get(k, ())]
        return all(h.kind == "city" and h.cc != e.cc and h.population < e.population for h in held)

    def common(k: str, e: Entry) -> bool:
        words = k.split()
        if not all(w in common_words for w in words):
            return False
        return e.population < _BIG_REGION or not any(w in taken for w in words)

    kept, rows = [], {}
    for e in regions:
        own = {(k, i): v for (k, i), v in keys_of[e.id].items() if free(k, e) and not common(k, e)}
        if own:
            kept.append(e)
            rows.update(own)
    return kept, rows


# --------------------------------------------------------------------------- airports and air bases

#: Words that make a name an airport's or an air base's own: "Pulkovo Airport", "Saki Air Base".
#: A name without one ("Kabwum", "Lowell Field") is not indexed: it is a town's name or a sports ground's.
_AIRPORT_WORDS = re.compile(
    r"\b(airport|airfield|air field|aerodrome|airstrip|airpark|air base|airbase|afb|air force base|"
    r"air force station|air station|heliport)\b|^(raf|cfb|rnas) ",
    re.I,
)
#: Military air bases ("Air Base", "AFB", "RAF Lakenheath", "Hunter Army Air Field"), feature code AIRB.
_AIR_BASE_WORDS = re.compile(
    r"\b(air base|airbase|afb|air force base|air force station|naval air|army air|air station|joint base|"
    r"nas|naf|mcas|air national guard)\b|^(raf|cfb|rnas) ",
    re.I,
)
#: Name endings an airport is also known by: "X International Airport" is also "X Airport".
#: ("International Airport" only for airports with scheduled flights, those with an IATA code.)
_AIRPORT_SUFFIXES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^(.+?) (?:International )?Airport$", re.I), ("Airport", "International Airport")),
    (re.compile(r"^(.+?) (?:Air Base|Airbase)$", re.I), ("Air Base", "Airbase")),
    (re.compile(r"^(.+?) (?:Air Force Base|AFB)$", re.I), ("Air Force Base", "AFB", "Air Base")),
)
#: Words that do not name an airport by themselves ("Municipal Airport", "International Airport").
_AIRPORT_GENERIC = frozenset(
    """international intl regional municipal county city national executive memorial metropolitan
    intercontinental airport airports airfield field air base airbase afb force station aerodrome airstrip
    airpark heliport strip park naval army military private ranch new old the of de del la le el al""".split()
)
_AIRPORT_MAX_WORDS = 6
#: A town named in an airport's row counts as its parent only this close (km).
_AIRPORT_TOWN_KM = 75.0
#: A curated landmark sharing a name with an airport this close is the same place (km).
_SAME_AIRPORT_KM = 50.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))


def _airport_names(name: str, city: str, scheduled: bool = True) -> list[str]:
    """The names an airport is indexed by: its own, without a bracketed part, with the usual
    endings swapped, and without the leading name of its town ("Chicago O'Hare International
    Airport" is also "O'Hare Airport"). Every one keeps an airport word; none is a bare town name."""
    base = " ".join(re.sub(r"\([^)]*\)", " ", name).split())
    out = [name, base]
    stems = []
    for pattern, endings in _AIRPORT_SUFFIXES:
        m = pattern.match(base)
        if m:
            stems.append((m.group(1), endings))
            break
    if city:
        for stem, endings in list(stems):
            if stem.lower().startswith(city.lower() + " "):
                stems.append((stem[len(city) + 1:], endings))
    for stem, endings in stems:
        out += [f"{stem} {e}" for e in endings if scheduled or e != "International Airport"]
    seen, names = set(), []
    for n in out:
        words = normalize_name(n).split()
        if ("/" in n or not words or len(words) > _AIRPORT_MAX_WORDS or not _AIRPORT_WORDS.search(n)
                or all(w in _AIRPORT_GENERIC for w in words) or " ".join(words) in seen):
            continue
        seen.add(" ".join(words))
        names.append(n)
    return names


def _airport_entries(up: Upstream, entries: Mapping[int, Entry], name_rows: Mapping[tuple[str, int], int],
                     ids_by_key: Mapping[str, Sequence[int]]) -> list[Entry]:
    """Airports and air bases as landmarks (``AIRP``, ``AIRB``), under the town their row names:
    the nearby town of that name (its main name before its alternate names: "New York" is New
    York City), the most populous when several are."""
    out = []
    for a in up.airports:
        name, city, cc = a["name"], a.get("city") or "", a.get("country") or None
        names = _airport_names(name, city, scheduled=bool(a.get("iata")))
        if not names:
            continue
        lat, lon = float(a["lat"]), float(a["lon"])
        key = normalize_name(city)
        near = [t for t in (entries[i] for i in ids_by_key.get(key, ()))
                if t.kind == "city" and t.cc == cc and _km(lat, lon, t.lat, t.lon) <= _AIRPORT_TOWN_KM]
        parent = min(near, key=lambda t: (name_rows[(key, t.id)], -t.population)) if near else None
        # "Saki Air Base" is military; "Tara Airbase Airport" is a private strip of that name
        military = bool(_AIR_BASE_WORDS.search(name)) and not re.search(r"\bair ?base\b.*\bairport$", name, re.I)
        out.append(Entry(
            id=synthetic_id(f"{name}|{a.get('icao', '')}", lat, lon), name=names[0], lat=lat, lon=lon, cc=cc,
            kind="landmark", population=0, fcode="AIRB" if military else "AIRP",
            admin1=parent.admin1 if parent else None, parent_id=parent.id if parent else None,
            names=[(n, False) for n in names[1:]],
        ))
    return out


def _airport_rows(airports: Sequence[Entry], by_id: Mapping[int, Entry],
                  taken: Mapping[str, Sequence[int]]) -> tuple[list[Entry], dict[tuple[str, int], int]]:
    """The airports to keep and their name keys: only keys no other entry holds (the town keeps
    "Moscow"; "Sheremetyevo International Airport" stays the curated landmark's), and no airport
    that a curated landmark close by already names."""
    keys_of: dict[int, dict[tuple[str, int], int]] = defaultdict(dict)
    for (k, i), flag in _name_rows(airports).items():
        keys_of[i][(k, i)] = flag
    kept, rows = [], {}
    for e in airports:
        keys = keys_of[e.id]
        held = [by_id[i] for k, _ in keys for i in taken.get(k, ())]
        if any(h.kind == "landmark" and _km(e.lat, e.lon, h.lat, h.lon) <= _SAME_AIRPORT_KM for h in held):
            continue
        own = {k: v for k, v in keys.items() if k[0] not in taken}
        if own:
            kept.append(e)
            rows.update(own)
    return kept, rows


def compile_index(up: Upstream, curated: Curated = Curated(),
                  outlines: Iterable[tuple[str, Mapping[str, Any]]] = ()) -> Compiled:
    """Entries, name keys and demonyms from the upstream rows ``up`` and the ``curated`` rows.

    ``outlines`` are ``(iso_a2, GeoJSON geometry)`` pairs (see
    :func:`geomap.gazetteer.sources.read_country_outlines`) that place first-level regions by
    their area; without them a region goes to the middle of its towns' extent.

    Airports and air bases (``up.airports``) are indexed only by their own names ("Pulkovo
    Airport", "Saki Air Base") that no other entry holds: never by a bare town name or a code.

    Raises
    ------
    GazetteerError
        When a curated row names a parent town or alias target that is not there, or two
        entries share an id.
    """
    cities = _city_entries(up)
    _mark_capitals(cities, up)
    capitals = {c.cc: c for c in cities if c.fcode == "PPLC" and c.cc}
    countries = _country_entries(up, capitals)
    _apply_country_points(curated, countries)
    entries = [*countries, *_admin_entries(up, cities, outlines), *_county_entries(up), *_continent_entries(up), *cities,
               *_curated_entries(curated, cities)]
    _check_ids(entries)
    _apply_aliases(curated, entries)
    names = _name_rows(entries)
    taken: dict[str, list[int]] = defaultdict(list)
    for k, i in names:
        taken[k].append(i)
    by_id = {e.id: e for e in entries}
    regions, region_names = _admin2_rows([r for r in _admin2_entries(up, by_id) if r.id not in by_id], taken, by_id,
                                         up.common_words)
    airports, airport_names = _airport_rows(_airport_entries(up, by_id, names, taken), by_id, taken)
    _check_ids([*entries, *regions, *airports])
    return Compiled([*entries, *regions, *airports], {**names, **region_names, **airport_names},
                    _demonyms(curated, up, countries, entries, taken))


def _check_ids(entries: Iterable[Entry]) -> None:
    ids: set[int] = set()
    for e in entries:
        if e.id in ids:
            raise GazetteerError(f"duplicate gazetteer id {e.id} ({e.name}, {e.kind})")
        ids.add(e.id)

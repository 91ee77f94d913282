"""Benchmark of the online fallback: requests made and wall time, first run versus a cached second run.

100 unique names go through ``ChainGeocoder`` (local gazetteer -> cache -> online).
80 are known to the local gazetteer; 20 are not and go to the "service": a
Nominatim look-alike on 127.0.0.1 (``tests/nominatim_stub.py``), at the default
polite rate of 1 request per second. 17 of the 20 are found there, 3 are not
(and are cached as misses). The second run uses the same cache and should make
no request at all.

Reproduce::

    /work/venv/bin/python benchmarks/fallback_bench.py            # print the table
    /work/venv/bin/python benchmarks/fallback_bench.py --write    # also update benchmarks/RESULTS.md

``--rate 5`` runs faster (the network leg scales as 1/rate); ``--local stub`` uses a
stand-in local leg when the gazetteer index cannot be built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from geopy.location import Location  # noqa: E402

from geomap.geocoders.fallback import ChainGeocoder, FallbackResolver  # noqa: E402
from nominatim_stub import NominatimStub  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Online fallback"

KNOWN = [
    "Moscow", "Saint Petersburg", "Vladivostok", "Khabarovsk", "Novosibirsk", "Yekaterinburg", "Kazan", "Sochi",
    "Minsk", "Kyiv", "Warsaw", "Berlin", "Paris", "London", "Madrid", "Lisbon", "Rome", "Vienna", "Prague",
    "Budapest", "Bucharest", "Sofia", "Athens", "Ankara", "Istanbul", "Tbilisi", "Yerevan", "Baku", "Tehran",
    "Baghdad", "Damascus", "Beirut", "Amman", "Riyadh", "Doha", "Dubai", "Cairo", "Tripoli", "Tunis", "Algiers",
    "Rabat", "Lagos", "Nairobi", "Addis Ababa", "Johannesburg", "Kinshasa", "Khartoum", "Dakar", "Accra",
    "Beijing", "Shanghai", "Pyongyang", "Seoul", "Tokyo", "Osaka", "Hanoi", "Bangkok", "Manila", "Jakarta",
    "Singapore", "Kuala Lumpur", "New Delhi", "Mumbai", "Karachi", "Kabul", "Tashkent", "Almaty", "Ulaanbaatar",
    "Sydney", "Canberra", "Auckland", "Washington", "New York", "Houston", "Ottawa", "Mexico City", "Havana",
    "Caracas", "Brasilia", "Buenos Aires",
]

# Names a world gazetteer of towns lacks: stations, bases, crossings, small features.
MISSING = [
    ("Khasan railway station", 42.4286, 130.6436, "ru", "railway", "station"),
    ("Tumangang station", 42.3675, 130.6497, "kp", "railway", "station"),
    ("Knevichi air base", 43.3989, 132.1480, "ru", "military", "airfield"),
    ("Tsentralnaya Uglovaya airfield", 43.4090, 131.9860, "ru", "aeroway", "aerodrome"),
    ("Pogranichny crossing", 44.4020, 131.3820, "ru", "barrier", "border_control"),
    ("Kraskino checkpoint", 42.6710, 130.7930, "ru", "barrier", "border_control"),
    ("Russky Island bridge", 43.0840, 131.9050, "ru", "man_made", "bridge"),
    ("Zolotoy Rog bay", 43.1100, 131.9000, "ru", "natural", "bay"),
    ("Rason port", 42.2460, 130.2950, "kp", "landuse", "harbour"),
    ("Sinuiju bridge", 40.1150, 124.3950, "kp", "man_made", "bridge"),
    ("Friendship Bridge Tumen", 42.4200, 130.6400, "kp", "man_made", "bridge"),
    ("Vostochny port terminal", 42.7460, 133.0800, "ru", "landuse", "harbour"),
    ("Primorsky stadium annex", 43.1230, 131.8990, "ru", "leisure", "stadium"),
    ("Sopka Orlinoe Gnezdo", 43.1210, 131.8950, "ru", "natural", "peak"),
    ("Tokarevsky lighthouse", 43.0730, 131.8450, "ru", "man_made", "lighthouse"),
    ("Uglovoye railway junction", 43.3350, 132.0700, "ru", "railway", "junction"),
    ("Baranovsky station", 43.6050, 131.6130, "ru", "railway", "station"),
    ("Nowhere Junction 7", None, None, None, None, None),
    ("Imaginary Ridge", None, None, None, None, None),
    ("Lost Lagoon 12", None, None, None, None, None),
]


class StubLocal:
    """A stand-in for the gazetteer's geocoder: knows exactly the KNOWN names."""

    def __init__(self) -> None:
        self.known = {n: (10.0 + i * 0.5, 20.0 + i * 0.5) for i, n in enumerate(KNOWN)}

    def geocode(self, query: str, exactly_one: bool = True) -> Any:
        if query not in self.known:
            return None if exactly_one else []
        loc = Location(query, self.known[query], {"source": "gazetteer"})
        return loc if exactly_one else [loc]


def local_leg(kind: str) -> tuple[Any, str]:
    if kind in ("auto", "gazetteer"):
        try:
            from geomap.gazetteer import Gazetteer
            from geomap.geocoders.gazetteer import GazetteerGeocoder

            geocoder = GazetteerGeocoder(Gazetteer.open())
            geocoder.geocode("Moscow")  # open (and build if needed) outside the timed runs
            return geocoder, "geomap.gazetteer (real index)"
        except Exception as exc:  # noqa: BLE001 - fall back to the stand-in and say so
            if kind == "gazetteer":
                raise
            print(f"gazetteer unavailable ({exc}); using a stand-in local leg", file=sys.stderr)
    return StubLocal(), "stand-in local leg"


def run_once(local: Any, stub: NominatimStub, cache: Path, rate: float) -> dict[str, Any]:
    fallback = FallbackResolver(
        service="nominatim", options={"domain": stub.domain, "scheme": "http", "proxies": {}},
        user_agent="geomap-benchmark/0.1 (benchmarks@example.org)", cache_path=cache, offline=False, rate=rate,
        timeout=10.0, retries=3,
    )
    chain = ChainGeocoder(local, fallback)
    names = KNOWN + [m[0] for m in MISSING]
    before = stub.count()
    sources: dict[str, int] = {}
    t0 = time.perf_counter()
    for name in names:
        loc = chain.geocode(name)
        src = "unresolved" if loc is None else (loc.raw.get("source") if isinstance(loc.raw, dict) else None) or "gazetteer"
        sources[src] = sources.get(src, 0) + 1
    wall = time.perf_counter() - t0
    stats = dict(fallback.stats)
    chain.close()
    return {"names": len(names), "requests": stub.count() - before, "wall": wall, "sources": sources, "stats": stats}


def table(first: dict[str, Any], second: dict[str, Any]) -> str:
    def row(label: str, r: dict[str, Any]) -> str:
        s = r["sources"]
        return (f"| {label} | {r['names']} | {s.get('gazetteer', 0)} | {s.get('fallback', 0)} | {s.get('cache', 0)} "
                f"| {s.get('unresolved', 0)} | {r['requests']} | {r['wall']:.2f} s |")

    return "\n".join([
        "| run | names | gazetteer | fallback (online) | cache | unresolved | requests | wall time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("first (empty cache)", first),
        row("second (same cache)", second),
    ])


def write_results(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    block = f"{SECTION}\n\n{text.strip()}\n\n"
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + block
    tmp = RESULTS.with_suffix(".md.tmp")
    tmp.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
    tmp.replace(RESULTS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=1.0, help="requests per second (default 1, Nominatim's limit)")
    p.add_argument("--local", choices=["auto", "gazetteer", "stub"], default="auto")
    p.add_argument("--write", action="store_true", help=f"update '{SECTION}' in {RESULTS.relative_to(ROOT)}")
    args = p.parse_args(argv)

    local, local_name = local_leg(args.local)
    stub = NominatimStub()
    for name, lat, lon, cc, cls, typ in MISSING:
        if lat is not None:
            stub.add_place(name, lat, lon, country_code=cc, cls=cls, type=typ)
    with stub, tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "geocode-cache.sqlite"
        first = run_once(local, stub, cache, args.rate)
        second = run_once(local, stub, cache, args.rate)

    out = table(first, second)
    online = first["sources"].get("fallback", 0) + first["sources"].get("unresolved", 0)
    notes = (
        f"Measured {dt.date.today().isoformat()} on {platform.machine()} / Python {platform.python_version()}, "
        f"local leg: {local_name}; service: the Nominatim stub on 127.0.0.1 at {args.rate:g} request/s "
        f"(a request starts 1/rate after the previous response ended).\n\n"
        f"{online} names reached the online leg on the first run ({first['requests']} requests, "
        f"{first['stats']['not_found']} cached as not found); the second run answered them from the cache "
        f"with {second['requests']} requests.\n\n"
        f"Reproduce: `/work/venv/bin/python benchmarks/fallback_bench.py{' --rate %g' % args.rate if args.rate != 1 else ''} --write`"
    )
    print(out)
    print()
    print(notes)
    if args.write:
        write_results(out + "\n\n" + notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

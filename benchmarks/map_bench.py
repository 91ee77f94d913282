"""Map build+save time and HTML size for 1k, 10k and 100k events, next to ``GeoDataFrame.explore()``.

Both sides get the same events frame (the columns of :mod:`geomap.frames`) and write an HTML
file; times are medians of ``--runs`` runs of build + save, sizes are of the written file.

    python benchmarks/map_bench.py                      # 1k, 10k, 100k; 3 runs each
    python benchmarks/map_bench.py --sizes 1000 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from geomap.frames import events_frame
from geomap.model import Event
from geomap.render import build_map, save_map

ACTIONS = ("meet", "visit", "sign", "attack", "travel")
STATUSES = ("occurred", "planned", "cancelled")


def make_events(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rnd = random.Random(seed)
    evs = []
    for i in range(n):
        lat, lon = rnd.uniform(-55, 70), rnd.uniform(-179, 179)
        place = f"Place {i}"
        sentence = f"Officials said the delegation would {ACTIONS[i % 5]} leaders in {place} next week."
        start = sentence.index(place)
        evs.append(Event(
            f"e{i}", (f"Actor {i % 97}", f"Actor {(i * 7) % 97}"), ACTIONS[i % 5], place, lat, lon,
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", STATUSES[i % 3], sentence,
            place_start=start, place_end=start + len(place), sentence_start=0,
        ))
    return events_frame(evs)


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix="geomap-bench-"))
    rows = []
    for n in args.sizes:
        frame = make_events(n)
        p_geo, p_off, p_exp = out / f"geomap-{n}.html", out / f"geomap-offline-{n}.html", out / f"explore-{n}.html"
        t_geo = timed(lambda: save_map(build_map(events=frame), p_geo), args.runs)
        t_off = timed(lambda: save_map(build_map(events=frame, offline=True), p_off, offline=True), args.runs)
        t_exp = timed(lambda: frame.explore().save(str(p_exp)), args.runs)
        rows.append((n, t_geo, p_geo.stat().st_size, t_off, p_off.stat().st_size, t_exp, p_exp.stat().st_size))
        print(f"{n}: geomap {t_geo:.2f}s, offline {t_off:.2f}s, explore {t_exp:.2f}s", file=sys.stderr, flush=True)
    print(f"Date: {dt.date.today().isoformat()}; Python {platform.python_version()}; "
          f"command: `{' '.join(['python benchmarks/map_bench.py', *(argv if argv is not None else sys.argv[1:])])}`"
          f" (median of {args.runs} runs)\n")
    print("| events | geomap build+save (s) | HTML (MB) | geomap offline (s) | offline HTML (MB) "
          "| explore() build+save (s) | explore HTML (MB) | time vs explore | size vs explore |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, tg, sg, to, so, te, se in rows:
        print(f"| {n:,} | {tg:.2f} | {sg / 1e6:.1f} | {to:.2f} | {so / 1e6:.1f} | {te:.2f} | {se / 1e6:.1f} "
              f"| {tg / te:.2f}x | {sg / se:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Map build+save time and HTML size for 1k, 10k and 100k events, next to ``GeoDataFrame.explore()``.

Both sides get the same events frame (the columns of :mod:`geomap.frames`) and write an HTML
file; times are medians of ``--runs`` runs of build + save, sizes are of the written file. With
``--open`` each file is also opened in headless Chromium (Debian's ``/usr/bin/chromium`` through
playwright, every network request refused): the time from navigation until the page has loaded
and, for geomap, its events are drawn.

    python benchmarks/map_bench.py --open               # 1k, 10k, 100k; 3 runs each
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


#: true once geomap's canvas layers have drawn events (explore() pages are done at "load")
_DRAWN = """() => { for (const k in window) { if (k.startsWith('map_') && window[k] && window[k]._geomapEvents) {
    return window[k]._geomapEvents.some(l => l._nvis > 0); } } return true; }"""


def open_time(browser, path: Path) -> tuple[float, int]:
    """Seconds until ``path`` has loaded (and drawn its events) in Chromium, and its console errors."""
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=120_000)
    page.wait_for_function(_DRAWN, timeout=120_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    took = time.perf_counter() - t0
    page.close()
    return took, len(errors)


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
    ap.add_argument("--open", action="store_true", help="also time opening each file in headless Chromium")
    args = ap.parse_args(argv)
    pw = browser = None
    if args.open:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        browser.new_page().close()  # start the browser before timing the first page
    out = Path(tempfile.mkdtemp(prefix="geomap-bench-"))
    rows = []
    for n in args.sizes:
        frame = make_events(n)
        p_geo, p_off, p_exp = out / f"geomap-{n}.html", out / f"geomap-offline-{n}.html", out / f"explore-{n}.html"
        t_geo = timed(lambda: save_map(build_map(events=frame), p_geo), args.runs)
        t_off = timed(lambda: save_map(build_map(events=frame, offline=True), p_off, offline=True), args.runs)
        t_exp = timed(lambda: frame.explore().save(str(p_exp)), args.runs)
        o_off = o_exp = None
        if browser is not None:
            o_off, e_off = open_time(browser, p_off)
            o_exp, e_exp = open_time(browser, p_exp)
            if e_off:
                print(f"{n}: {e_off} console errors in geomap's page", file=sys.stderr)
        rows.append((n, t_geo, p_geo.stat().st_size, t_off, p_off.stat().st_size, t_exp, p_exp.stat().st_size,
                     o_off, o_exp))
        print(f"{n}: geomap {t_geo:.2f}s, offline {t_off:.2f}s, explore {t_exp:.2f}s; open {o_off} / {o_exp}",
              file=sys.stderr, flush=True)
    if pw is not None:
        browser.close()
        pw.stop()
    print(f"Date: {dt.date.today().isoformat()}; Python {platform.python_version()}; "
          f"command: `{' '.join(['python benchmarks/map_bench.py', *(argv if argv is not None else sys.argv[1:])])}`"
          f" (median of {args.runs} runs)\n")
    print("| events | geomap build+save (s) | HTML (MB) | geomap offline (s) | offline HTML (MB) "
          "| explore() build+save (s) | explore HTML (MB) | time vs explore | size vs explore "
          "| open offline in Chromium (s) | open explore (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, tg, sg, to, so, te, se, oo, oe in rows:
        opened = f"{oo:.2f} | {oe:.2f}" if oo is not None else "– | –"
        print(f"| {n:,} | {tg:.2f} | {sg / 1e6:.1f} | {to:.2f} | {so / 1e6:.2f} | {te:.2f} | {se / 1e6:.1f} "
              f"| {tg / te:.2f}x | {sg / se:.2f}x | {opened} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

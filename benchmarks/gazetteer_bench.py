"""Gazetteer benchmark: build time, index size, cold start, lookups per second.

Run from the repository root::

    python benchmarks/gazetteer_bench.py            # prints the table, updates benchmarks/RESULTS.md
    python benchmarks/gazetteer_bench.py --no-write

The build goes to a temporary folder, so the user's own index is left alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geomap.gazetteer import Gazetteer, build
from geomap.settings import REPO_GAZETTEER_DIR

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
COMMAND = "python benchmarks/gazetteer_bench.py"
SECTION = "## Gazetteer"

_COLD = """
import sys, time
t = time.perf_counter()
from pathlib import Path
from geomap.gazetteer import Gazetteer
u = time.perf_counter()
g = Gazetteer.open(path=Path(sys.argv[1]), sources=Path(sys.argv[2]))
assert g.lookup("Sochi")
print(time.perf_counter() - t, time.perf_counter() - u)
"""


def sample_names(path: Path, n: int, seed: int = 0) -> list[str]:
    """``n`` entry names: the most populous half, a random half (so both hot and cold keys)."""
    con = sqlite3.connect(path)
    big = [r[0] for r in con.execute("SELECT name FROM entries ORDER BY population DESC LIMIT ?", (n // 2,))]
    ids = [r[0] for r in con.execute("SELECT id FROM entries")]
    rnd = random.Random(seed).sample(ids, n - len(big))
    rest = [con.execute("SELECT name FROM entries WHERE id = ?", (i,)).fetchone()[0] for i in rnd]
    con.close()
    return big + rest


def cold_start(path: Path, sources: Path, runs: int) -> tuple[float, float, float]:
    """Median seconds in a new process: import + open + first lookup, open + first lookup, whole process."""
    inner, own, outer = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _COLD, str(path), str(sources)], check=True,
                             capture_output=True, text=True).stdout
        outer.append(time.perf_counter() - t)
        total, opened = out.split()
        inner.append(float(total))
        own.append(float(opened))
    return statistics.median(inner), statistics.median(own), statistics.median(outer)


def rate(path: Path, names: list[str], rounds: int, what: str) -> float:
    """Median calls per second over ``rounds`` passes (a fresh connection each, so no memo carries over)."""
    from geomap.text import normalize_name

    keys = [normalize_name(n) for n in names]
    out = []
    for _ in range(rounds):
        g = Gazetteer(path)
        t = time.perf_counter()
        if what == "lookup":
            for n in names:
                g.lookup(n)
        else:
            for k in keys:
                g.has_key(k)
        out.append(len(names) / (time.perf_counter() - t))
        g.close()
    return statistics.median(out)


def table(r: dict) -> str:
    rows = [
        ("build (full index)", f"{r['build_s']:.1f} s"),
        ("index size on disk", f"{r['size_mb']:.1f} MB"),
        ("entries / keys", f"{r['entries']:,} / {r['keys']:,}"),
        ("cold start: import + open + first lookup (median of 5, in process)", f"{r['cold_in_s'] * 1000:.0f} ms"),
        ("of which open (fingerprint check) + first lookup", f"{r['cold_open_s'] * 1000:.1f} ms"),
        ("cold start: whole new process (median of 5)", f"{r['cold_out_s'] * 1000:.0f} ms"),
        (f"lookup() per second ({r['names']:,} names, median of {r['rounds']})", f"{r['lookup_rate']:,.0f}"),
        (f"has_key() per second, unmemoised ({r['names']:,} keys)", f"{r['haskey_rate']:,.0f}"),
    ]
    lines = ["| measure | value |", "| --- | --- |", *(f"| {a} | {b} |" for a, b in rows)]
    return "\n".join(lines)


def write_section(path: Path, body: str) -> None:
    """Replace (or append) the ``## Gazetteer`` section of ``path``, leaving other sections alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = f"{SECTION}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", type=Path, default=REPO_GAZETTEER_DIR)
    p.add_argument("--names", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gazetteer.sqlite"
        stats = build(path, args.sources)
        names = sample_names(path, args.names)
        cold_in, cold_open, cold_out = cold_start(path, args.sources, 5)
        r = {
            "build_s": stats["build_seconds"], "size_mb": stats["size_bytes"] / 1e6, "entries": stats["entries"],
            "keys": stats["keys"], "cold_in_s": cold_in, "cold_open_s": cold_open, "cold_out_s": cold_out, "names": len(names),
            "rounds": args.rounds, "lookup_rate": rate(path, names, args.rounds, "lookup"),
            "haskey_rate": rate(path, names, args.rounds, "has_key"),
        }
    body = (
        f"Measured {dt.date.today().isoformat()} on {platform.machine()} / Python {platform.python_version()} "
        f"({stats['upstream']}); reproduce with `{COMMAND}`.\n\n{table(r)}\n"
    )
    print(body)
    if not args.no_write:
        write_section(RESULTS, body)
        print(f"updated {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

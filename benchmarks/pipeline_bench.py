"""Whole-pipeline throughput: places, events and itineraries per article, on one core.

Reads news articles from the evaluation corpora (``../shared/eval/{lgl,gwn,trnews,geovirus}.jsonl``),
runs :func:`geomap.analyse` on each (offline, gazetteer already open) and reports the median of
``--rounds`` rounds in articles per second. With ``--baseline REV`` the same measurement runs, in
the same invocation, on a checkout of git revision ``REV`` (made with ``git worktree`` in a
temporary folder), so the two figures share the machine's state. ``--write`` appends the table to
``benchmarks/RESULTS.md``.

    python benchmarks/pipeline_bench.py --docs 1000 --baseline 033670b --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
CORPORA = ("lgl", "gwn", "trnews", "geovirus")


def load(n: int) -> list[str]:
    texts: list[str] = []
    per = max(1, n // len(CORPORA))
    for c in CORPORA:
        path = EVAL / f"{c}.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            for k, line in enumerate(f):
                if k >= per:
                    break
                texts.append(json.loads(line)["text"])
    return texts


def measure(n: int, rounds: int) -> dict:
    import geomap
    from geomap.api import analyse

    texts = load(n)
    rates = []
    for _ in range(rounds):
        # each round starts with the index's memory of earlier answers empty: what it remembers comes
        # from the articles of the same round, as in a run over a corpus, not from the round before
        gaz = geomap.open_gazetteer()
        getattr(gaz, "_memo", {}).clear()
        analyse(texts[0], gazetteer=gaz, offline=True)  # warm-up: lexicons, the index's word tables
        t0 = time.process_time()
        events = 0
        for t in texts:
            events += len(analyse(t, gazetteer=gaz, offline=True).events)
        rates.append(len(texts) / (time.process_time() - t0))
    return {"docs": len(texts), "median_docs_per_cpu_s": statistics.median(rates), "rounds": rates, "events": events}


def run_baseline(rev: str, n: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        wt = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(wt), rev], check=True,
                       capture_output=True)
        try:
            env = dict(os.environ, PYTHONPATH=str(wt), GEOMAP_GAZETTEER_SRC=str(wt / "gazetteer"))
            out = subprocess.run([sys.executable, __file__, "--docs", str(n), "--rounds", str(rounds), "--json"],
                                 env=env, cwd=str(wt), check=True, capture_output=True, text=True)
            return json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(wt)], capture_output=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", metavar="REV", help="also measure git revision REV in the same run")
    ap.add_argument("--json", action="store_true", help="print one JSON line (used for the baseline run)")
    ap.add_argument("--write", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    if not EVAL.exists():
        print(f"no corpora at {EVAL}", file=sys.stderr)
        return 2
    now = measure(args.docs, args.rounds)
    if args.json:
        print(json.dumps(now))
        return 0
    rows = [("this tree", now)]
    if args.baseline:
        rows.insert(0, (f"baseline {args.baseline}", run_baseline(args.baseline, args.docs, args.rounds)))
    lines = [
        f"### Whole-pipeline throughput ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`python benchmarks/pipeline_bench.py --docs {args.docs} --rounds {args.rounds}"
        + (f" --baseline {args.baseline}`" if args.baseline else "`")
        + f": {now['docs']} news articles (LGL, GWN, TR-News, GeoVirus), places + events + itineraries, "
        "one process, CPU time; median of the rounds.",
        "",
        "| code | articles/s per core (median) | rounds | events found |",
        "|---|---:|---|---:|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['median_docs_per_cpu_s']:.0f} | {', '.join(f'{x:.0f}' for x in r['rounds'])} | {r['events']} |")
    if args.baseline:
        ratio = now["median_docs_per_cpu_s"] / rows[0][1]["median_docs_per_cpu_s"]
        lines.append("")
        lines.append(f"Ratio this tree / baseline: {ratio:.2f}x.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

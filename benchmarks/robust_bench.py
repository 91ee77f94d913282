"""Scale and fault benchmark: a batch over many synthetic articles, and single articles of growing size.

Part 1 runs ``geomap batch`` (offline, local processes) over N synthetic articles
and samples the memory of the whole process tree (driver, forkserver, workers,
resource tracker) every 0.2 s. It reports the peak of their summed RSS and the
time of the analysis and of the finishing step (itineraries, summary map,
report), as ``report.json`` gives them.

Part 2 times ``geomap.analyse`` on single articles of 10 KB to 2 MB, each made
of the same kind of sentences, and the recognise-and-resolve step alone
(``geomap.api.people_and_places``), so that growth that is not linear shows.

    nice -n 10 .venv/bin/python benchmarks/robust_bench.py              # 100,000 articles
    nice -n 10 .venv/bin/python benchmarks/robust_bench.py --docs 20000
    nice -n 10 .venv/bin/python benchmarks/robust_bench.py --large      # 1,000,000 articles
    nice -n 10 .venv/bin/python benchmarks/robust_bench.py --only single

Medians of ``--repeat`` runs (default 3 for single articles, 1 for the batch).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIRST = ["Anna", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Keiko",
         "Luis", "Marta", "Nikolai", "Olga", "Pavel", "Rosa", "Stefan", "Tomas", "Ulrike", "Viktor", "Wanda"]
LAST = ["Albers", "Brandt", "Castillo", "Dvorak", "Eriksen", "Ferreira", "Gruber", "Horvat", "Ivanova",
        "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quint", "Rossi",
        "Schmidt", "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zeller"]
TITLES = ["President", "Prime Minister", "Foreign Minister", "Defence Minister", "Governor", "Senator"]
PLACES = ["Paris", "Berlin", "Warsaw", "Madrid", "Rome", "Vienna", "Prague", "Budapest", "Lisbon", "Athens",
          "Oslo", "Stockholm", "Helsinki", "Copenhagen", "Dublin", "Brussels", "Amsterdam", "Geneva", "Zurich",
          "Munich", "Hamburg", "Milan", "Naples", "Krakow", "Bucharest", "Sofia", "Belgrade", "Zagreb", "Riga",
          "Vilnius", "Tallinn", "Kyiv", "Minsk", "Ankara", "Istanbul", "Cairo", "Nairobi", "Lagos", "Tokyo",
          "Seoul", "Beijing", "Shanghai", "Hanoi", "Bangkok", "Jakarta", "Manila", "Sydney", "Toronto",
          "Chicago", "Houston", "Denver", "Boston", "Seattle", "Mexico City", "Lima", "Santiago", "Bogota"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
SENTENCES = [
    "{title} {person} flew from {a} to {b} on {day}.",
    "{person} met officials in {a} and later visited {b}.",
    "On {day}, {title} {person} arrived in {a} for talks.",
    "{person} is due to travel to {b} next week.",
    "Markets in {a} rose slightly while traders in {b} waited.",
    "The meeting in {a} was called off, {person} said.",
    "Thousands gathered in the centre of {a} on {day}.",
]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def sentence(rng: random.Random, person: str | None = None) -> str:
    a, b = rng.sample(PLACES, 2)
    return rng.choice(SENTENCES).format(
        title=rng.choice(TITLES), person=person or _person(rng), a=a, b=b, day=rng.choice(DAYS))


def article(rng: random.Random, n_sentences: int) -> str:
    cast = [_person(rng) for _ in range(3)]
    return " ".join(sentence(rng, rng.choice(cast)) for _ in range(n_sentences))


def long_article(size: int, seed: int = 7) -> str:
    """About ``size`` characters of news-like text, in paragraphs of five sentences."""
    rng = random.Random(seed)
    cast = [_person(rng) for _ in range(12)]
    parts: list[str] = []
    n = 0
    while n < size:
        para = " ".join(sentence(rng, rng.choice(cast)) for _ in range(5))
        parts.append(para)
        n += len(para) + 2
    return "\n\n".join(parts)[:size]


def write_corpus(path: Path, n_docs: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n_docs):
            doc = {"id": f"a{i:07d}", "text": article(rng, rng.randint(2, 5)), "date": f"2024-0{1 + i % 9}-1{i % 10}"}
            fh.write(json.dumps(doc) + "\n")


class TreeMemory:
    """Peak of the summed RSS of a process and all its descendants, sampled in a thread.

    ``samples`` keeps (seconds since start, summed RSS, the root's own RSS) for every
    sample, so that the peak of each phase of a run can be told apart afterwards.
    """

    def __init__(self, pid: int, every: float = 0.2) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self.peak_processes = 0
        self.samples: list[tuple[float, int, int]] = []
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = root = 0
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                root = rss if p is self.root else root
            self.samples.append((time.perf_counter() - self._t0, total, root))
            if total > self.peak:
                self.peak, self.peak_processes = total, len(procs)
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, end: float = math.inf) -> tuple[int, int]:
        """(peak summed RSS, the root's peak RSS) of the samples taken between ``start`` and ``end`` seconds."""
        inside = [(total, root) for t, total, root in self.samples if start <= t <= end]
        return (max(x[0] for x in inside), max(x[1] for x in inside)) if inside else (0, 0)


def bench_batch(n_docs: int, workers: int, keep: Path | None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="geomap-robust-"))
    try:
        corpus = tmp / "corpus.jsonl"
        t = time.perf_counter()
        write_corpus(corpus, n_docs)
        print(f"corpus: {n_docs} articles, {corpus.stat().st_size / 2**20:.1f} MiB ({time.perf_counter() - t:.1f} s)",
              file=sys.stderr)
        out = tmp / "out"
        cmd = [sys.executable, "-m", "geomap", "batch", str(corpus), "-o", str(out), "--offline",
               "--no-progress", "--workers", str(workers)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT)
        mem = TreeMemory(proc.pid)
        rc = proc.wait()
        wall = time.perf_counter() - t0
        mem.stop()
        if rc != 0:
            raise SystemExit(f"batch failed with exit code {rc}")
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        timings = report.get("timings") or {}
        analysis = timings.get("analysis_seconds", report["seconds"])
        finish = timings.get("finish_seconds", wall - report["seconds"])
        row = {
            "documents": n_docs, "workers": workers, "wall_s": round(wall, 1),
            "analysis_s": round(analysis, 1), "finish_s": round(finish, 1),
            "finish_share": round(finish / analysis, 3) if analysis else None,
            "peak_rss_gib": round(mem.peak / 2**30, 2), "processes_at_peak": mem.peak_processes,
            # the finishing step is the last finish_s seconds of the run (the driver and its finishing processes)
            "peak_analysis_gib": round(mem.peak_between(0, wall - finish)[0] / 2**30, 2),
            "peak_finish_gib": round(mem.peak_between(wall - finish)[0] / 2**30, 2),
            "events": report["counts"]["events"], "itineraries": report["counts"]["itineraries"],
            "map": report.get("map_note") or "full",
        }
        if keep:
            shutil.copytree(out, keep, dirs_exist_ok=True)
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_single(sizes: list[int], repeat: int, shout: bool = False) -> list[dict]:
    import geomap
    from geomap.api import people_and_places

    gaz = geomap.open_gazetteer()
    geomap.analyse(long_article(2_000), offline=True)  # warm up: imports, caches
    rows = []
    for size in sizes:
        text = long_article(size)
        if shout:  # one run of capitalised words without a stop: the worst case for the recogniser
            text = " ".join(re.sub(r"[^\w\s]", "", text).title().split())
        full, recog = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            people_and_places(text, gaz)
            recog.append(time.perf_counter() - t)
            t = time.perf_counter()
            a = geomap.analyse(text, offline=True, date="2024-03-01")
            full.append(time.perf_counter() - t)
        rows.append({"size_kb": size // 1000, "analyse_s": round(statistics.median(full), 3),
                     "places_s": round(statistics.median(recog), 3), "places": len(a.places), "events": len(a.events)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000, help="articles in the batch (default 100,000)")
    ap.add_argument("--large", action="store_true", help="1,000,000 articles")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", choices=["batch", "single"], help="run one part")
    ap.add_argument("--sizes", default="10000,50000,100000,200000,500000,1000000,2000000",
                    help="single-article sizes in characters")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shout", action="store_true", help="single articles as one run of capitalised words, without punctuation")
    ap.add_argument("--keep", type=Path, help="copy the batch output here")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    results: dict = {}
    if args.only in (None, "single"):
        results["single"] = bench_single([int(s) for s in args.sizes.split(",")], args.repeat, args.shout)
    if args.only in (None, "batch"):
        n = 1_000_000 if args.large else args.docs
        results["batch"] = bench_batch(n, args.workers, args.keep)
        print(json.dumps(results["batch"]), file=sys.stderr)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

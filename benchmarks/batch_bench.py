"""Throughput and memory of ``geomap batch`` on the lgl + gwn + trnews + wiktor articles.

Reads the evaluation corpora from ``../shared/eval/*.jsonl`` (next to the repository)
and writes the combined ``id``/``text`` lines to a temporary folder outside the
repository, which is removed afterwards. Runs are offline, with the real gazetteer.

    python benchmarks/batch_bench.py                 # every configuration, all articles
    python benchmarks/batch_bench.py --limit 500     # a quick look
    python benchmarks/batch_bench.py --json out.json

Reported per configuration: documents per second (the whole run, from start to
the report written), per worker, peak memory (the driver plus its worker
processes, sampled every 50 ms), CPU seconds of all those processes (sampled, so
slightly low), and the memory at 1,000 vs all documents.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
CORPORA = ("lgl", "gwn", "trnews", "wiktor")


def combined_corpus(folder: Path, limit: int | None) -> tuple[Path, int]:
    out = folder / "corpus.jsonl"
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for name in CORPORA:
            with (EVAL / f"{name}.jsonl").open(encoding="utf-8") as src:
                for line in src:
                    if limit is not None and n >= limit:
                        return out, n
                    rec = json.loads(line)
                    fh.write(json.dumps({"id": f"{name}:{rec['id']}", "text": rec["text"]}, ensure_ascii=False) + "\n")
                    n += 1
    return out, n


class PeakMemory:
    """Peak resident memory of this process and all its descendants (Dask workers, pool workers)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self.peak_driver = 0
        #: last CPU time seen per descendant process (pool workers are the forkserver's children)
        self.child_cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        total = driver = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
                t = child.cpu_times()
                self.child_cpu[child.pid] = t.user + t.system
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        self.peak_driver = max(self.peak_driver, driver)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def one_run(corpus: Path, n_docs: int, engine: str, workers: int, work: Path) -> dict:
    from geomap.corpus import run_batch

    out = work / f"out-{engine}-{workers}-{n_docs}"
    shutil.rmtree(out, ignore_errors=True)
    me = psutil.Process().cpu_times()
    cpu0 = me.user + me.system
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        res = run_batch(corpus, out, engine=engine, workers=workers, offline=True, progress=sys.stderr.isatty())
        seconds = time.perf_counter() - t0
    me = psutil.Process().cpu_times()
    cpu = me.user + me.system - cpu0 + sum(mem.child_cpu.values())
    shutil.rmtree(out, ignore_errors=True)
    return {
        "engine": engine,
        "workers": workers,
        "documents": n_docs,
        "seconds": round(seconds, 2),
        "docs_per_s": round(n_docs / seconds, 1),
        "docs_per_s_per_worker": round(n_docs / seconds / workers, 1),
        "analysis_seconds": round(res.seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "docs_per_cpu_s": round(n_docs / cpu, 1),
        "load_average": round(os.getloadavg()[0], 2),
        "peak_mib": round(mem.peak / 2**20),
        "peak_driver_mib": round(mem.peak_driver / 2**20),
        "events": res.counts["events"],
        "failed": res.counts["failed"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="use only the first N articles")
    parser.add_argument("--configs", default="local:1,local:2,dask:1,dask:2", help="engine:workers, comma separated")
    parser.add_argument("--no-memory-scaling", action="store_true", help="skip the 1,000-document comparison run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    import geomap

    os.environ["GEOMAP_OFFLINE"] = "1"
    geomap.open_gazetteer()  # build the index (once) outside the timings
    work = Path(tempfile.mkdtemp(prefix="geomap-batch-bench-"))
    try:
        corpus, n = combined_corpus(work, args.limit)
        results = []
        for spec in args.configs.split(","):
            engine, workers = spec.split(":")
            r = one_run(corpus, n, engine, int(workers), work)
            results.append(r)
            print(json.dumps(r), file=sys.stderr)
        scaling = None
        if not args.no_memory_scaling and n > 1000:
            (work / "small").mkdir()
            small, _ = combined_corpus(work / "small", 1000)
            r1 = one_run(small, 1000, "local", 2, work)
            r_all = next((r for r in results if r["engine"] == "local" and r["workers"] == 2), None) or one_run(corpus, n, "local", 2, work)
            scaling = {"local:2 at 1000": r1["peak_mib"], f"local:2 at {n}": r_all["peak_mib"],
                       "driver at 1000": r1["peak_driver_mib"], f"driver at {n}": r_all["peak_driver_mib"]}
            print(json.dumps(scaling), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = {r["engine"]: r["docs_per_s"] for r in results if r["workers"] == 1}
    print(f"\nDate: {time.strftime('%Y-%m-%d')}; {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cores; {n} articles ({' + '.join(CORPORA)}), offline, real gazetteer.\n")
    print("| engine | workers | wall s (analysis s) | docs/s | docs/s per worker | speed-up vs 1 | CPU s | docs per CPU s "
          "| peak MiB (all processes) | peak MiB (driver) | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        speed = f"{r['docs_per_s'] / base[r['engine']]:.2f}x" if r["engine"] in base else ""
        print(f"| {r['engine']} | {r['workers']} | {r['seconds']} ({r['analysis_seconds']}) | {r['docs_per_s']} | "
              f"{r['docs_per_s_per_worker']} | {speed} | {r['cpu_seconds']} | {r['docs_per_cpu_s']} | {r['peak_mib']} | "
              f"{r['peak_driver_mib']} | {r['load_average']} |")
    if scaling:
        print("\nMemory (peak MiB) vs corpus size, local engine, 2 workers: " + ", ".join(f"{k}: {v}" for k, v in scaling.items()))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "memory_scaling": scaling}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A batch under faults, through the real command line: a second run into the same folder,
the driver killed with SIGKILL or SIGTERM (no worker outlives it), and the resume after it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PLACES = ["Oslo", "Vienna", "Prague", "Lisbon", "Warsaw", "Madrid", "Athens", "Dublin", "Helsinki", "Riga"]
FIRST = ["Anna", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
         "Keiko", "Luis", "Marta", "Nikolai", "Olga", "Pavel", "Rosa", "Stefan", "Tomas", "Viktor"]
LAST = ["Albers", "Brandt", "Castillo", "Dvorak", "Eriksen", "Ferreira", "Gruber", "Horvat", "Jansen", "Kowalski",
        "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Schmidt", "Tanaka", "Varga", "Weber"]


def write_corpus(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            a, b, c = PLACES[i % 10], PLACES[(i + 3) % 10], PLACES[(i + 7) % 10]
            who = f"{FIRST[i % 20]} {LAST[(i // 20) % 20]}"  # 400 travellers, a few articles each
            text = (f"Foreign Minister {who} flew from {a} to {b} on Monday. "
                    f"She met officials in {b} and later visited {c}. Talks in {a} were called off, aides said.")
            fh.write(json.dumps({"id": f"n{i:05d}", "text": text}) + "\n")
    return path


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if _state(p) not in (None, "Z", "X")}


def start_batch(src: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "geomap", "batch", str(src), "-o", str(out), "--offline", "--no-progress",
         "--workers", "2", "--chunk-size", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )


def wait_for_workers(proc: subprocess.Popen, out: Path, timeout: float = 90.0) -> set[int]:
    """The driver's descendants once two workers run and the first chunk is stored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = alive(descendants(proc.pid))
        ledger = out / "_state" / "ledger.jsonl"
        if len(kids) >= 3 and ledger.exists() and ledger.read_text().strip():
            return kids
        time.sleep(0.2)
    raise AssertionError("the batch did not start its workers in time")


def wait_dead(pids: set[int], timeout: float = 15.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, gazetteer):
    return write_corpus(tmp_path_factory.mktemp("corpus") / "news.jsonl", 2000)


def test_a_second_run_refuses_and_no_worker_outlives_a_killed_driver(corpus, tmp_path):
    out = tmp_path / "out"
    first = start_batch(corpus, out)
    try:
        kids = wait_for_workers(first, out)
        second = subprocess.run(
            [sys.executable, "-m", "geomap", "batch", str(corpus), "-o", str(out), "--offline", "--no-progress"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 5, second.stderr
        assert "another geomap batch is writing into this folder" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        first.kill()
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert wait_dead(kids) == set()  # forkserver, workers and resource tracker: all gone

    # the same command resumes and completes; the report counts what is on disk
    done = subprocess.run(
        [sys.executable, "-m", "geomap", "batch", str(corpus), "-o", str(out), "--offline", "--no-progress",
         "--workers", "2", "--chunk-size", "20"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["documents"] == 2000 and report["counts"]["documents_resumed"] > 0
    import pyarrow.parquet as pq

    assert report["counts"]["events"] == pq.read_table(out / "events").num_rows
    assert len(set(pq.read_table(out / "places").column("doc_id").to_pylist())) == 2000
    assert report["timings"]["finish_seconds"] >= 0


def test_sigterm_ends_the_driver_and_its_workers(corpus, tmp_path):
    out = tmp_path / "out"
    proc = start_batch(corpus, out)
    try:
        kids = wait_for_workers(proc, out)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "internal error" not in err
    assert wait_dead(kids) == set()
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temp file left by a half-written chunk


def test_workers_end_when_the_driver_is_gone(tmp_path):
    """The initializer alone, without a batch: a 'driver' starts a 'worker' and exits; the worker ends."""
    pid_file = tmp_path / "worker.pid"
    code = (
        "import os, sys, time\n"
        "from geomap.corpus.work import worker_init\n"
        "if os.fork() == 0:\n"  # the driver
        "    driver = os.getpid()\n"
        "    if os.fork() == 0:\n"  # the worker
        "        worker_init(driver, every=0.1)\n"
        f"        open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "        time.sleep(60)\n"
        "        os._exit(3)\n"
        "    time.sleep(1.0)\n"
        "    os._exit(0)\n"
        "time.sleep(0.1)\n"
    )
    subprocess.run([sys.executable, "-c", code], timeout=30, check=True)
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    assert wait_dead({worker}, timeout=10) == set()

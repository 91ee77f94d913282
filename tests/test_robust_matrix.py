"""Bad input against the corpus and maintenance commands, through the real command line.

Every case must end with a one-line error or a clean result: never ``internal error``,
never a hang, and nothing half-written or left behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120


def geomap(*args: str, cwd: Path | None = None, online: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "GEOMAP_OFFLINE": "0"} if online else None
    return subprocess.run([sys.executable, "-m", "geomap", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=cwd, stdin=subprocess.DEVNULL, env=env)


def assert_clean(proc: subprocess.CompletedProcess, *, ok: bool | None = None) -> None:
    assert "internal error" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    if ok is True:
        assert proc.returncode == 0, proc.stderr
    if ok is False:
        assert proc.returncode not in (0, 70), proc.stderr
        errors = [line for line in proc.stderr.splitlines() if "error" in line]
        assert len(errors) == 1, proc.stderr


def leftovers(folder: Path) -> list[str]:
    """Temporary files that a finished command must not leave behind."""
    return sorted(p.name for p in folder.rglob(".*") if p.is_file() and p.name != ".gitignore")


GOOD = "Foreign Minister Anna Lindqvist flew from Oslo to Vienna on Monday and met officials there."

# name -> how to make the input file (None: the command must fail with one line)
CASES = {
    "empty": (lambda p: p.write_bytes(b""), False),
    "blank-lines": (lambda p: p.write_bytes(b"\n\n  \n"), False),
    "binary": (lambda p: p.write_bytes(bytes(range(256)) * 40), None),
    "latin-1": (lambda p: p.write_bytes(json.dumps({"id": "a", "text": "x"}).encode()[:-2] + b' caf\xe9"}\n'), None),
    "lone-surrogate": (lambda p: p.write_text(json.dumps({"id": "s", "text": "Oslo \ud800 Vienna"}) + "\n"
                                             + json.dumps({"id": "g", "text": GOOD}) + "\n"), None),
    "nul-bytes": (lambda p: p.write_text(json.dumps({"id": "n", "text": "Oslo\u0000 and Vienna " + GOOD}) + "\n"), True),
    "huge-line": (lambda p: p.write_bytes(b'{"id": "h", "text": "' + b"a" * (21 * 2**20) + b'"}\n'
                                          + json.dumps({"id": "g", "text": GOOD}).encode() + b"\n"), None),
}


@pytest.fixture(scope="module")
def index(gazetteer):
    """The real index, built once, shared with the subprocesses through GEOMAP_CACHE_DIR."""
    return gazetteer


@pytest.mark.parametrize("case", sorted(CASES))
def test_batch_and_places_jsonl_on_bad_files(case, tmp_path, index):
    make, batch_ok = CASES[case]
    src = tmp_path / "in.jsonl"
    make(src)
    out = tmp_path / "out"
    proc = geomap("batch", str(src), "-o", str(out), "--offline", "--no-progress", "--workers", "1")
    if batch_ok is False:
        assert_clean(proc, ok=False)
        assert not out.exists()  # nothing made for an input with no documents
    else:
        assert_clean(proc, ok=True)
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        errors = (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()
        assert report["counts"]["failed"] == len(errors)
        assert leftovers(out) == []
    pred = tmp_path / "pred.jsonl"
    proc = geomap("places", "--jsonl", str(src), "-o", str(pred), "--offline")
    assert_clean(proc, ok=True if case in ("nul-bytes",) else None)
    if proc.returncode != 0:
        assert not pred.exists()
    assert leftovers(tmp_path) == []


def test_the_poisoned_document_lands_in_errors_and_the_rest_completes(tmp_path, index):
    src = tmp_path / "corpus.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i in range(301):
            text = f"Senator Rosa Quint{i} flew from Oslo to Vienna on Monday and met officials in Prague."
            if i == 150:
                text = "Senator Rosa Quint flew from Oslo \ud800 to Vienna."
            fh.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
    out = tmp_path / "out"
    proc = geomap("batch", str(src), "-o", str(out), "--offline", "--no-progress", "--workers", "1")
    assert_clean(proc, ok=True)
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["doc_id"] for e in errors] == ["d150"] and "lone surrogate" in errors[0]["reason"]
    import pyarrow.parquet as pq

    places = pq.read_table(out / "places")
    assert len(set(places.column("doc_id").to_pylist())) == 300
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["places"] == places.num_rows
    assert report["counts"]["events"] == pq.read_table(out / "events").num_rows
    assert report["counts"]["ok"] == 300 and report["counts"]["failed"] == 1
    before = {p.name: p.read_bytes() for p in (out / "places").iterdir()}
    again = geomap("batch", str(src), "-o", str(out), "--offline", "--no-progress", "--workers", "1")
    assert_clean(again, ok=True)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["documents_this_run"] == 0 and report["counts"]["documents_resumed"] == 301
    assert {p.name: p.read_bytes() for p in (out / "places").iterdir()} == before


def _special_inputs(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    dev = tmp_path / "zero.jsonl"
    dev.symlink_to("/dev/zero")
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    return {"fifo": fifo, "device": dev, "folder": folder, "missing": tmp_path / "missing.jsonl"}


def test_fifos_devices_folders_and_missing_inputs_are_refused_at_once(tmp_path, index):
    for name, src in _special_inputs(tmp_path).items():
        out = tmp_path / f"out-{name}"
        proc = geomap("batch", str(src), "-o", str(out), "--offline", "--no-progress", "--workers", "1")
        assert_clean(proc, ok=False)
        assert not out.exists(), name
        proc = geomap("places", "--jsonl", str(src), "-o", str(tmp_path / f"{name}.pred.jsonl"), "--offline")
        assert_clean(proc, ok=False)
        assert not (tmp_path / f"{name}.pred.jsonl").exists()


@pytest.mark.parametrize("target", ["/proc/geomap-batch-out", "/sys/geomap-batch-out", "/proc/self", "FILE"])
def test_batch_output_where_nothing_can_be_written(target, tmp_path, index):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "g", "text": GOOD}) + "\n", encoding="utf-8")
    if target == "FILE":
        target = str(tmp_path / "a-file")
        Path(target).write_text("keep me")
    proc = geomap("batch", str(src), "-o", target, "--offline", "--no-progress", "--workers", "1")
    assert_clean(proc, ok=False)
    if target.endswith("a-file"):
        assert Path(target).read_text() == "keep me"


def _damaged_cache(path: Path) -> None:
    from geomap.geocoders.cache import GeocodeCache

    with GeocodeCache(path) as c:
        for i in range(2000):
            c.put("nominatim", f"nowhere town {i}", "{}", hit=False, reason="not found", query_text=f"Nowhere Town {i}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // 4096):
        data[page * 4096 + 64 : page * 4096 + 4000] = b"\xa5" * 3936
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [
    ["cache", "info"], ["cache", "clear"], ["cache", "export", "-o", "{tmp}/export.csv"],
    # online, towards a closed port on this machine: the cache is read before any request
    ["geocode", "Qwertyville Junction", "--user-agent", "geomap-tests/1.0 (tests@example.org)",
     "--geocoder-option", "domain=127.0.0.1:9", "--geocoder-option", "scheme=http"],
])
def test_a_damaged_cache_is_moved_aside_and_the_command_goes_on(command, tmp_path, index):
    cache = tmp_path / "cache.sqlite"
    _damaged_cache(cache)
    args = [a.format(tmp=tmp_path) for a in command]
    proc = geomap(*args, "--cache", str(cache), online=True)
    assert_clean(proc)
    assert proc.returncode in (0, 1)  # geocode: 1 for "not found"
    damaged = [line for line in proc.stderr.splitlines() if "is damaged" in line]
    assert len(damaged) == 1 and "cache.sqlite.corrupt" in damaged[0]
    assert (tmp_path / "cache.sqlite.corrupt").exists()
    again = geomap(*args, "--cache", str(cache), online=True)  # the next run finds a healthy (new) cache
    assert_clean(again)
    assert "is damaged" not in again.stderr
    info = geomap("cache", "info", "--cache", str(cache))
    assert json.loads(info.stdout)["entries"] == 0


@pytest.mark.parametrize("what", ["folder", "fifo", "device", "text file"])
def test_a_cache_path_that_is_no_cache(what, tmp_path, index):
    path = {"folder": tmp_path, "fifo": tmp_path / "c.fifo", "device": Path("/dev/null"), "text file": tmp_path / "c.txt"}[what]
    if what == "fifo":
        os.mkfifo(path)
    if what == "text file":
        path.write_text("not a cache\n" * 1000)
    for args in (["cache", "info"], ["cache", "clear"], ["cache", "export", "-o", str(tmp_path / "x.jsonl")]):
        proc = geomap(*args, "--cache", str(path))
        assert_clean(proc)
        assert proc.returncode != 0 or what == "text file"
    if what == "text file":  # not an SQLite file at all: left alone
        assert path.read_text() == "not a cache\n" * 1000
    assert leftovers(tmp_path) == []


def test_an_unwritable_cache_folder_falls_back_to_memory(tmp_path, index):
    proc = geomap("geocode", "Qwertyville Junction", "--offline", "--cache", "/proc/geomap-test/cache.sqlite")
    assert_clean(proc)
    assert proc.returncode == 1 and "not found" in proc.stderr
    proc = geomap("cache", "clear", "--cache", "/proc/geomap-test/cache.sqlite")
    assert_clean(proc, ok=True)


@pytest.mark.parametrize("what", ["text file", "missing", "fifo", "folder"])
def test_gazetteer_info_never_writes_the_file_it_is_given(what, tmp_path, index):
    path = tmp_path / "index.sqlite"
    if what == "text file":
        path.write_text("a 14 KB note\n" * 1100)
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "folder":
        path.mkdir()
    before = path.read_bytes() if what == "text file" else None
    for args in (["gazetteer", "info"], ["geocode", "Oslo", "--offline"], ["gazetteer", "build"]):
        if what == "missing" and args[0] != "gazetteer":
            continue  # a missing index is built on first use by design
        if what == "missing" and args[1] == "build":
            continue
        proc = geomap(*args, "--gazetteer", str(path))
        assert_clean(proc, ok=False)
    if what == "text file":
        assert path.read_bytes() == before
    if what == "missing":
        assert not path.exists()
    assert leftovers(tmp_path) == []

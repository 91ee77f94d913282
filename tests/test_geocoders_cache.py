"""The SQLite geocoding cache: entries, expiry, the shared request clock, crashes and maintenance verbs."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geomap.errors import ConfigError
from geomap.geocoders.cache import GeocodeCache, cache_clear, cache_export, cache_info, options_key

ROOT = Path(__file__).resolve().parent.parent
CAND = {"geonameid": None, "name": "Khasan", "lat": 42.43, "lon": 130.64, "country_code": "RU", "kind": "city",
        "source": "fallback", "service": "nominatim"}


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "geocode-cache.sqlite"


def test_hits_and_misses_round_trip(path):
    with GeocodeCache(path) as c:
        c.put("nominatim", "khasan", "{}", hit=True, candidate=CAND, address="Khasan, Russia", raw={"lat": "42.43"})
        c.put("nominatim", "atlantis", "{}", hit=False, reason="not found")
        hit = c.get("nominatim", "khasan", "{}")
        miss = c.get("nominatim", "atlantis", "{}")
        assert hit.hit and hit.candidate == CAND and hit.address == "Khasan, Russia" and hit.raw == {"lat": "42.43"}
        assert not miss.hit and miss.reason == "not found" and miss.candidate is None
        # keyed by service and options too
        assert c.get("photon", "khasan", "{}") is None
        assert c.get("nominatim", "khasan", '{"country_codes":["ru"]}') is None


def test_expiry_of_hits_and_misses(path):
    clock = Clock()
    with GeocodeCache(path, hit_ttl=100, miss_ttl=10, clock=clock) as c:
        c.put("s", "hit", "{}", hit=True, candidate=CAND)
        c.put("s", "miss", "{}", hit=False, reason="not found")
        clock.now += 11
        assert c.get("s", "miss", "{}") is None
        assert c.get("s", "miss", "{}", include_expired=True).reason == "not found"
        assert c.get("s", "hit", "{}") is not None
        clock.now += 90
        assert c.get("s", "hit", "{}") is None
        # a fresh answer replaces the expired one
        c.put("s", "hit", "{}", hit=True, candidate={**CAND, "lat": 1.0})
        assert c.get("s", "hit", "{}").candidate["lat"] == 1.0


def test_wal_mode_and_schema(path):
    GeocodeCache(path).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()


def test_options_key_is_canonical():
    a = options_key({"viewbox": None, "country_codes": ["ru"], "service": {"domain": "x"}})
    b = options_key({"service": {"domain": "x"}, "country_codes": ["ru"]})
    assert a == b


def test_the_request_clock_is_held_released_and_deferred(path):
    with GeocodeCache(path) as c, GeocodeCache(path) as other:
        assert c.try_acquire("nominatim", lease=30) == 0.0
        # while a request is in flight, everyone else polls
        assert 0 < other.try_acquire("nominatim", lease=30) <= 0.02
        assert other.try_acquire("photon", lease=30) == 0.0  # services are independent
        t0 = time.time()
        c.release("nominatim", 0.5)
        wait = other.try_acquire("nominatim", lease=30)
        assert 0.45 < wait <= 0.5
        other.defer("nominatim", t0 + 10)
        assert c.try_acquire("nominatim", lease=30) == pytest.approx(10, abs=0.1)
        other.defer("nominatim", t0)  # never moves the clock back
        assert c.try_acquire("nominatim", lease=30) == pytest.approx(10, abs=0.1)


def test_a_lease_of_a_dead_holder_runs_out(path):
    with GeocodeCache(path) as c:
        assert c.try_acquire("nominatim", lease=0.05) == 0.0  # never released
        time.sleep(0.06)
        assert c.try_acquire("nominatim", lease=0.05) == 0.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


_WRITER = textwrap.dedent(
    """
    import sys
    from geomap.geocoders.cache import GeocodeCache
    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cache = GeocodeCache(path)
    i = 0
    while n < 0 or i < n:
        cache.put("nominatim", f"{tag} {i}", "{}", hit=True,
                  candidate={"name": f"{tag} {i}", "lat": 1.0, "lon": 2.0, "pad": "x" * 2000},
                  raw={"i": i, "pad": "y" * 2000})
        i += 1
    cache.close()
    """
)


def _count(path: Path) -> int:
    con = sqlite3.connect(path, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM answers").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def test_a_process_killed_mid_write_leaves_a_usable_cache(path):
    path.parent.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "w", "-1"], env=_env())
    try:
        deadline = time.monotonic() + 20
        while _count(path) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with GeocodeCache(path) as c:
        for i in (0, 1, 150, 299):
            assert c.get("nominatim", f"w {i}", "{}").candidate["name"] == f"w {i}"
        c.put("nominatim", "after the crash", "{}", hit=False, reason="not found")
        assert c.get("nominatim", "after the crash", "{}") is not None
    assert cache_info(path)["entries"] >= 301


def test_two_processes_write_at_once(path):
    path.parent.mkdir(parents=True)
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), tag, "200"], env=_env()) for tag in "ab"]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert _count(path) == 400


def test_a_corrupt_file_is_moved_aside(path, capsys):
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SQLite format 3\x00" + b"this is not a database" * 100)
    with GeocodeCache(path) as c:
        c.put("s", "q", "{}", hit=False, reason="not found")
        assert c.shared and c.get("s", "q", "{}") is not None
    assert path.with_name(path.name + ".corrupt").exists()
    err = capsys.readouterr().err
    assert "damaged" in err and len(err.strip().splitlines()) == 1


def test_a_file_that_is_not_sqlite_is_left_alone(path, capsys):
    path.parent.mkdir(parents=True)
    path.write_bytes(b"my notes, not a database\n" * 100)
    with GeocodeCache(path) as c:
        c.put("s", "q", "{}", hit=False, reason="not found")
        assert not c.shared and c.get("s", "q", "{}") is not None
    assert path.read_bytes() == b"my notes, not a database\n" * 100
    assert "in memory" in capsys.readouterr().err


def test_an_unusable_folder_falls_back_to_memory(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with GeocodeCache(blocker / "cache.sqlite") as c:
        assert not c.shared
        c.put("s", "q", "{}", hit=False, reason="not found")
        assert c.get("s", "q", "{}") is not None
        assert c.try_acquire("s", 1.0) == 0.0
    assert "in memory" in capsys.readouterr().err


def test_cache_info_clear_and_export(path, tmp_path):
    assert cache_info(path) == {"path": str(path), "exists": False, "entries": 0, "hits": 0, "misses": 0,
                                "expired": 0, "services": {}, "size_bytes": 0}
    assert not path.exists()
    with GeocodeCache(path) as c:
        c.put("nominatim", "khasan", "{}", hit=True, candidate=CAND, address="Khasan, Russia", query_text="Khasan")
        c.put("nominatim", "atlantis", "{}", hit=False, reason="not found")
        c.put("photon", "old", "{}", hit=False, reason="not found", ttl=-1)
    info = cache_info(path)
    assert (info["entries"], info["hits"], info["misses"], info["expired"]) == (3, 1, 2, 1)
    assert info["services"] == {"nominatim": {"hits": 1, "misses": 1}, "photon": {"hits": 0, "misses": 1}}
    assert info["journal_mode"] == "wal" and info["size_bytes"] > 0

    out = tmp_path / "out" / "cache.jsonl"
    assert cache_export(path, out) == 3
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    khasan = next(r for r in rows if r["query"] == "khasan")
    assert khasan["candidate"]["lat"] == 42.43 and khasan["status"] == "hit" and khasan["query_text"] == "Khasan"

    out_csv = tmp_path / "out" / "cache.csv"
    assert cache_export(path, out_csv) == 3
    with out_csv.open(newline="", encoding="utf-8") as fh:
        by_query = {r["query"]: r for r in csv.DictReader(fh)}
    assert by_query["khasan"]["lat"] == "42.43" and by_query["atlantis"]["reason"] == "not found"
    assert sorted(p.name for p in out.parent.iterdir()) == ["cache.csv", "cache.jsonl"]  # no temporary files left

    with pytest.raises(ConfigError, match=".jsonl or .csv"):
        cache_export(path, tmp_path / "cache.xlsx")

    assert cache_clear(path, expired_only=True) == 1
    assert cache_info(path)["entries"] == 2
    assert cache_clear(path) == 2
    assert cache_info(path)["entries"] == 0
    assert cache_clear(tmp_path / "missing.sqlite") == 0


def test_maintenance_refuses_a_foreign_database(tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    with pytest.raises(ConfigError, match="not a geomap geocoding cache"):
        cache_info(other)


def test_reexported_from_fallback():
    from geomap.geocoders import fallback

    assert fallback.cache_info is cache_info and fallback.cache_clear is cache_clear
    assert fallback.cache_export is cache_export


def test_csv_export_cells_never_start_a_formula(path, tmp_path):
    import csv as _csv

    with GeocodeCache(path) as c:
        for i, text in enumerate(["=HYPERLINK(\"http://example.org\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Sochi"]):
            c.put("nominatim", f"q{i}", "{}", hit=False, reason="not found", query_text=text)
    out = tmp_path / "export.csv"
    assert cache_export(path, out) == 7
    with out.open(encoding="utf-8", newline="") as fh:
        cells = [row["query_text"] for row in _csv.DictReader(fh)]
    assert cells == ["'=HYPERLINK(\"http://example.org\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "Sochi"]
    assert all(not v.startswith(("=", "+", "-", "@")) for row in cells for v in [row])

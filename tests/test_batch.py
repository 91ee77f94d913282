"""geomap.corpus: corpus runs, bad documents, resumption after kill -9, the two-pass fallback, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geomap.cli import batch as batch_cli
from geomap.corpus import TABLES, BatchResult, itineraries, read_batch, run_batch, work
from geomap.errors import ConfigError, InputError
from geomap.model import Candidate

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

CITIES = ["Sochi", "Minsk", "Moscow", "Kyiv", "Ankara", "Doha", "Paris", "London", "Tokyo", "Beijing", "Seoul", "Lisbon"]
TEMPLATES = [
    "MOSCOW, Sept. {day}, 2023 - Russian President Vladimir Putin met Belarusian President Alexander Lukashenko in {a}. Putin later flew to {b}.",
    "North Korean leader Kim Jong Un arrived in {a} on Tuesday. He is scheduled to visit {b} next week.",
    "Turkish President Recep Tayyip Erdogan visited {a}, then travelled to {b}.",
    "Prime Minister Fumio Kishida held talks in {a}. Kishida will travel to {b} tomorrow.",
    "Markets were calm in {a} and {b} as traders waited for news.",
]


def article(i: int) -> str:
    a, b = CITIES[i % len(CITIES)], CITIES[(i * 5 + 3) % len(CITIES)]
    return TEMPLATES[i % len(TEMPLATES)].format(day=1 + i % 28, a=a, b=b)


def write_jsonl(path: Path, n: int, *, extra: list[str] = ()) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = {"id": f"doc{i:04d}", "text": article(i)}
            if i % 3 == 0:
                rec["date"] = f"2023-09-{1 + i % 28:02d}"
            fh.write(json.dumps(rec) + "\n")
        for line in extra:
            fh.write(line + "\n")
    return path


def rows(out: Path, table: str) -> list[tuple]:
    """A table's rows, sorted, comparable across runs (geometry as WKT, lists as JSON)."""
    gdf = gpd.read_parquet(out / table)
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    df["geometry"] = gdf.geometry.to_wkt()
    for col in df.columns:
        df[col] = df[col].map(lambda v: json.dumps(list(v)) if hasattr(v, "__len__") and not isinstance(v, str) else v)
    return sorted(tuple(repr(v) for v in r) for r in df.itertuples(index=False))


def errors(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]


def run(src: Path, out: Path, fake_gazetteer, **kw) -> BatchResult:
    kw = {"workers": 1, "chunk_size": 4, "offline": True, "progress": False, **kw}
    return run_batch(src, out, gazetteer=fake_gazetteer, **kw)


# ------------------------------------------------------------------ inputs and outputs


def test_jsonl_outputs_are_geoparquet_datasets(tmp_path, fake_gazetteer):
    src = write_jsonl(tmp_path / "in.jsonl", 30)
    res = run(src, tmp_path / "out", fake_gazetteer)
    out = tmp_path / "out"
    assert res.counts["documents"] == 30 and res.counts["failed"] == 0
    assert res.counts["chunks"] == 8
    assert len(list((out / "places").glob("part-*.parquet"))) == 8
    places = gpd.read_parquet(out / "places")
    assert len(places) == res.counts["places"] > 0
    assert places.crs.to_epsg() == 4326
    sochi = places[places["name"] == "Sochi"].iloc[0]
    assert (sochi.geometry.x, sochi.geometry.y) == pytest.approx((39.72569, 43.59917))  # Point(lon, lat)
    events = res.to_geopandas("events")
    assert len(events) == res.counts["events"] > 0
    assert isinstance(events["actors"].iloc[0][0], str)
    stops, legs = res.to_geopandas("stops"), res.to_geopandas("legs")
    assert res.counts["itineraries"] >= 3
    assert len(stops) == res.counts["stops"] and len(legs) == res.counts["legs"] > 0
    # itineraries span documents: Putin's stops come from several articles
    putin = stops[stops["actor"] == "Vladimir Putin"]
    assert putin["doc_id"].nunique() > 1
    assert list(putin["seq"]) == list(range(1, len(putin) + 1))
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["events"] == res.counts["events"]
    assert "| events |" in (out / "report.md").read_text()
    assert errors(out) == []


def test_every_part_has_the_same_schema(tmp_path, fake_gazetteer):
    # chunk 0 has no events and no online service column values; the others do
    with (tmp_path / "in.jsonl").open("w") as fh:
        fh.write(json.dumps({"id": "quiet", "text": "Markets were calm in Paris."}) + "\n")
        fh.write(json.dumps({"id": "busy", "text": article(0)}) + "\n")
    run(tmp_path / "in.jsonl", tmp_path / "out", fake_gazetteer, chunk_size=1)
    import pyarrow.parquet as pq

    for table in ("places", "events"):
        schemas = {str(pq.read_schema(p).remove_metadata()) for p in (tmp_path / "out" / table).glob("part-*.parquet")}
        assert len(schemas) == 1, table
    assert read_batch(tmp_path / "out", "events").compute()["doc_id"].tolist() == ["busy", "busy"]


def test_malformed_jsonl_lines_are_recorded_and_the_rest_completes(tmp_path, fake_gazetteer):
    extra = [
        '{"id": "broken", "text": "Putin in Sochi',
        "[1, 2, 3]",
        json.dumps({"id": "notext"}),
        json.dumps({"id": "baddate", "text": article(1), "date": "yesterday"}),
        json.dumps({"id": "doc0001", "text": article(7)}),  # a repeated id is kept, renamed
    ]
    src = write_jsonl(tmp_path / "in.jsonl", 10, extra=extra)
    res = run(src, tmp_path / "out", fake_gazetteer)
    errs = {e["where"]: e["reason"] for e in errors(tmp_path / "out")}
    assert set(errs) == {"line 11", "line 12", "line 13", "line 14"}
    assert "malformed JSON" in errs["line 11"]
    assert "expected an object" in errs["line 12"]
    assert "no 'text' field" in errs["line 13"]
    assert "not YYYY-MM-DD" in errs["line 14"]
    assert res.counts["documents"] == 15 and res.counts["failed"] == 4 and res.counts["ok"] == 11
    places = gpd.read_parquet(tmp_path / "out" / "places")
    assert "doc0001#2" in set(places["doc_id"])


def test_binary_and_undecodable_files_in_a_folder_are_recorded(tmp_path, fake_gazetteer):
    src = tmp_path / "articles"
    (src / "sub").mkdir(parents=True)
    for i in range(5):
        (src / f"a{i}.txt").write_text(article(i), encoding="utf-8")
    (src / "sub" / "b.txt").write_text(article(5), encoding="utf-8")
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (src / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    (src / "latin1.txt").write_bytes("Réunion à Genève".encode("latin-1"))
    (src / "empty.txt").write_bytes(b"  \n")
    (src / ".hidden.txt").write_text("not an article")
    res = run(src, tmp_path / "out", fake_gazetteer)
    errs = {e["doc_id"]: e["reason"] for e in errors(tmp_path / "out")}
    assert "binary" in errs["image"]
    assert "not a .txt file" in errs["photo.jpg"]
    assert "not UTF-8" in errs["latin1"]
    assert "empty" in errs["empty"]
    assert res.counts["documents"] == 10 and res.counts["ok"] == 6
    assert set(gpd.read_parquet(tmp_path / "out" / "places")["doc_id"]) == {"a0", "a1", "a2", "a3", "a4", "sub/b"}


def test_csv_with_a_named_text_column(tmp_path, fake_gazetteer):
    df = pd.DataFrame({"id": [f"r{i}" for i in range(6)], "body": [article(i) for i in range(6)], "date": ["2023-09-01"] * 6})
    df.loc[2, "body"] = ""
    df.to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(ConfigError, match="no column 'text'.*body"):
        run(tmp_path / "in.csv", tmp_path / "out", fake_gazetteer)
    res = run(tmp_path / "in.csv", tmp_path / "out", fake_gazetteer, text_column="body")
    assert res.counts["documents"] == 6 and res.counts["failed"] == 1
    assert errors(tmp_path / "out")[0]["doc_id"] == "r2"
    events = gpd.read_parquet(tmp_path / "out" / "events")
    # the CSV's date column dates "on Tuesday" and "next week" (r1); a clause without a time phrase has none
    assert events.loc[events["doc_id"] == "r1", "date"].notna().all()


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda p: p / "missing.jsonl", InputError),
        (lambda p: (p / "x.docx").write_bytes(b"x") and p / "x.docx", InputError),
        (lambda p: (p / "empty.jsonl").write_text("\n") and p / "empty.jsonl", InputError),
    ],
)
def test_bad_input_raises(tmp_path, fake_gazetteer, make, error):
    with pytest.raises(error):
        run(make(tmp_path), tmp_path / "out", fake_gazetteer)


def test_bad_options_raise_config_errors(tmp_path, fake_gazetteer):
    src = write_jsonl(tmp_path / "in.jsonl", 3)
    with pytest.raises(ConfigError, match="engine"):
        run(src, tmp_path / "o1", fake_gazetteer, engine="spark")
    with pytest.raises(ConfigError, match="--scheduler needs --engine dask"):
        run(src, tmp_path / "o2", fake_gazetteer, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ConfigError, match="workers"):
        run(src, tmp_path / "o3", fake_gazetteer, workers=0)
    with pytest.raises(ConfigError, match="date"):
        run(src, tmp_path / "o4", fake_gazetteer, date="soon")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(article(0))
    with pytest.raises(ConfigError, match="inside the input folder"):
        run(folder, folder / "out", fake_gazetteer)
    run(src, tmp_path / "o5", fake_gazetteer, chunk_size=2)
    with pytest.raises(ConfigError, match="chunk size 2"):
        run(src, tmp_path / "o5", fake_gazetteer, chunk_size=3)


# ------------------------------------------------------------------ resumption


def test_rerun_of_a_finished_run_skips_everything_and_rewrites_identically(tmp_path, fake_gazetteer):
    src = write_jsonl(tmp_path / "in.jsonl", 20, extra=["{oops"])
    out = tmp_path / "out"
    first = run(src, out, fake_gazetteer)
    before = {t: rows(out, t) for t in TABLES}
    second = run(src, out, fake_gazetteer)
    assert second.counts["documents_resumed"] == 21 and second.counts["documents_this_run"] == 0
    assert {t: rows(out, t) for t in TABLES} == before
    assert len(errors(out)) == 1
    assert {k: v for k, v in first.counts.items() if "run" not in k and "resumed" not in k} == {
        k: v for k, v in second.counts.items() if "run" not in k and "resumed" not in k
    }


def test_changed_chunks_are_redone_and_removed_documents_dropped(tmp_path, fake_gazetteer):
    src = write_jsonl(tmp_path / "in.jsonl", 20)
    out = tmp_path / "out"
    run(src, out, fake_gazetteer)
    lines = src.read_text().splitlines()
    lines[5] = json.dumps({"id": "doc0005", "text": "Markets were calm in Lisbon."})
    src.write_text("\n".join(lines[:14]) + "\n")
    res = run(src, out, fake_gazetteer)
    assert res.counts["documents"] == 14 and res.counts["chunks"] == 4
    assert res.counts["documents_this_run"] == 4 + 2  # the edited chunk and the new short last one
    fresh = run(src, tmp_path / "fresh", fake_gazetteer)
    for t in TABLES:
        assert rows(out, t) == rows(tmp_path / "fresh", t), t
    assert fresh.counts["places"] == res.counts["places"]
    assert not (out / "places" / "part-000004.parquet").exists()


RUNNER = """
import sys, time
sys.path.insert(0, {tests!r})
from fakes import FakeGazetteer


class SlowGazetteer(FakeGazetteer):
    def lookup(self, name, *, limit=50):
        time.sleep(0.0015)
        return super().lookup(name, limit=limit)


if __name__ == "__main__":
    from geomap.corpus import run_batch

    run_batch(sys.argv[1], sys.argv[2], workers=int(sys.argv[3]), gazetteer=SlowGazetteer(),
              chunk_size=4, offline=True, progress=False)
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_midway_then_restart_equals_an_uninterrupted_run(tmp_path, fake_gazetteer, workers):
    n_docs, chunk = 120, 4
    src = write_jsonl(tmp_path / "in.jsonl", n_docs, extra=["not json"])
    runner = tmp_path / "runner.py"
    runner.write_text(textwrap.dedent(RUNNER.format(tests=str(TESTS))))
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GEOMAP_OFFLINE": "1"}
    cmd = [sys.executable, str(runner), str(src), str(out), str(workers)]
    proc = subprocess.Popen(cmd, env=env, process_group=0, stderr=subprocess.PIPE)
    ledger = out / "_state" / "ledger.jsonl"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if ledger.exists() and len(ledger.read_text().splitlines()) >= 3:
                break
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        done = len(ledger.read_text().splitlines())
        n_chunks = -(-(n_docs + 1) // chunk)
        assert 0 < done < n_chunks
        assert not (out / "report.json").exists()
        # restart: the same command
        again = subprocess.run(cmd, env=env, process_group=0, capture_output=True, timeout=60)
        assert again.returncode == 0, again.stderr.decode()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # worker processes orphaned by the kill, if any
        except ProcessLookupError:
            pass
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["documents_resumed"] >= done * chunk - chunk
    whole = run(src, tmp_path / "whole", fake_gazetteer, chunk_size=chunk)
    for t in TABLES:
        assert rows(out, t) == rows(tmp_path / "whole", t), t
    assert errors(out) == errors(tmp_path / "whole")
    assert report["counts"]["events"] == whole.counts["events"]
    assert not list((out / "places").glob(".*"))  # no temp files left behind


# ------------------------------------------------------------------ two passes for the online fallback


@dataclass(frozen=True)
class _Answer:
    candidate: Candidate | None
    source: str | None
    service: str
    reason: str | None


class CountingFallback:
    """Stands in for the online fallback; counts every question it gets."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.questions: list[tuple] = []

    def resolve(self, name, *, context=None, country_codes=None):
        self.asked.append(name)
        self.questions.append((name, context, tuple(country_codes or ())))
        if name == "Zzyzx":
            return _Answer(Candidate(None, "Zzyzx", 35.14, -116.1, "US", "city"), "fallback", "fake", None)
        return _Answer(None, None, "fake", "not found")

    def close(self) -> None:
        pass


@pytest.fixture()
def gap_gazetteer(monkeypatch, fake_gazetteer):
    """The fake gazetteer, where 'Zzyzx' and 'Qwxyz' are recognised as names but have no entry to resolve to."""
    import importlib

    resolve_mod = importlib.import_module("geomap.places.resolve")
    from geomap.text import normalize_name

    for name in ("Zzyzx", "Qwxyz"):
        fake_gazetteer.by_key[normalize_name(name)] = [Candidate(None, name, 0.0, 0.0, "US", "city", 500_000)]
    original = resolve_mod._candidates
    monkeypatch.setattr(
        resolve_mod, "_candidates", lambda index, m: [] if m.name in ("Zzyzx", "Qwxyz") else original(index, m)
    )
    return fake_gazetteer


def test_unknown_names_are_resolved_once_in_the_driver_then_documents_finish(tmp_path, gap_gazetteer):
    texts = [article(i) for i in range(12)]
    for i in (1, 4, 6, 9, 11):  # the same story five times: the same two questions for the fallback
        texts[i] = article(2) + " President Recep Tayyip Erdogan then flew to Zzyzx. Qwxyz was quiet."
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    fb = CountingFallback()
    res = run_batch(src, tmp_path / "out", workers=1, chunk_size=3, gazetteer=gap_gazetteer, fallback=fb, progress=False)
    assert sorted(fb.asked) == ["Qwxyz", "Zzyzx"]  # once each, for five documents in four chunks
    places = gpd.read_parquet(tmp_path / "out" / "places")
    z = places[places["name"] == "Zzyzx"]
    assert len(z) == 5 and (z["source"] == "fallback").all() and (z["service"] == "fake").all()
    assert z.geometry.x.iloc[0] == pytest.approx(-116.1)
    q = places[places["name"] == "Qwxyz"]
    assert len(q) == 5 and q["lat"].isna().all() and (q["unresolved_reason"] == "not found").all()
    assert work.PENDING_REASON not in set(places["unresolved_reason"].dropna())
    events = gpd.read_parquet(tmp_path / "out" / "events")
    assert (events["place"] == "Zzyzx").sum() == 5  # events exist at places only the fallback found
    assert res.counts["unresolved"] == 5
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["fallback"] == {"questions": 2, "answered": 1, "documents_redone": 5}

    # the same as one online pass over the documents
    from geomap.api import analyse_many
    from geomap.frames import events_frame, places_frame

    single = CountingFallback()
    one = analyse_many([(f"d{i}", t, None) for i, t in enumerate(texts)], gazetteer=gap_gazetteer, fallback=single)
    assert set(fb.questions) == set(single.questions)  # the same questions, with each document's focus countries
    assert fb.questions[0][2]
    expected = places_frame(one.places)
    got = places.drop(columns="geometry")
    assert got["name"].tolist() == expected["name"].tolist()
    assert got["lat"].tolist() == pytest.approx(expected["lat"].astype(float).tolist(), nan_ok=True)
    assert events["event_id"].tolist() == events_frame(one.events)["event_id"].tolist()

    # a rerun asks nothing again: the answers are kept with the run
    before = rows(tmp_path / "out", "places")
    fb2 = CountingFallback()
    run_batch(src, tmp_path / "out", workers=1, gazetteer=gap_gazetteer, fallback=fb2, progress=False)
    assert fb2.asked == []
    assert rows(tmp_path / "out", "places") == before


def test_each_distinct_question_is_asked_once(tmp_path, gap_gazetteer):
    # the same name in stories about different countries: one question per (name, kind, countries)
    texts = [article(i % 4) + " Officials then flew to Zzyzx." for i in range(10)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    fb = CountingFallback()
    res = run_batch(src, tmp_path / "out", workers=1, chunk_size=2, gazetteer=gap_gazetteer, fallback=fb, progress=False)
    assert len(fb.questions) == len(set(fb.questions)) < 10
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["fallback"]["questions"] == len(fb.questions)
    assert res.counts["unresolved"] == 0


def test_offline_runs_never_build_a_fallback(tmp_path, gap_gazetteer, monkeypatch):
    import geomap.geocoders.fallback

    monkeypatch.setattr(geomap.geocoders.fallback, "FallbackResolver", lambda *a, **k: pytest.fail("fallback built offline"))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Erdogan flew to Zzyzx."}) + "\n")
    run_batch(src, tmp_path / "out", workers=1, gazetteer=gap_gazetteer, offline=True, progress=False)
    places = gpd.read_parquet(tmp_path / "out" / "places")
    assert places.loc[places["name"] == "Zzyzx", "unresolved_reason"].tolist() == ["not in gazetteer"]


# ------------------------------------------------------------------ progress, map, command line


def test_progress_bar_on_stderr(tmp_path, fake_gazetteer, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", 8)
    run(src, tmp_path / "out", fake_gazetteer, progress=True)
    err = capsys.readouterr().err
    assert "8/8" in err and "doc/s" in err


def test_summary_map_when_the_renderer_is_installed(tmp_path, fake_gazetteer):
    pytest.importorskip("geomap.render")
    pytest.importorskip("folium")
    res = run(write_jsonl(tmp_path / "in.jsonl", 10), tmp_path / "out", fake_gazetteer)
    html = res.paths["map"].read_text(encoding="utf-8")
    assert "Sochi" in html


def _parser():
    import argparse

    parser = argparse.ArgumentParser(prog="geomap")
    batch_cli.add_batch_parser(parser.add_subparsers(dest="command"))
    return parser


def test_cli_options():
    args = _parser().parse_args(
        ["batch", "in.jsonl", "-o", "out/run", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:8786",
         "--workers", "3", "--text-column", "body", "--date", "2023-09-15", "--offline", "--geocoder", "photon",
         "--geocoder-option", "domain=127.0.0.1:2322", "--user-agent", "geomap-test", "--cache", "c.sqlite"]
    )
    assert args.engine == "dask" and args.scheduler == "tcp://127.0.0.1:8786" and args.workers == 3
    assert args.text_column == "body" and str(args.date) == "2023-09-15" and args.output == Path("out/run")
    from geomap.cli.options import _settings

    s = _settings(args)
    assert s.offline and s.geocoder == "photon" and s.geocoder_options == (("domain", "127.0.0.1:2322"),)
    assert s.user_agent == "geomap-test" and s.geocode_cache == Path("c.sqlite")


def test_cli_runs_a_folder(tmp_path, fake_gazetteer, monkeypatch, capsys):
    import geomap.api

    monkeypatch.setattr(geomap.api, "open_gazetteer", lambda settings=None: fake_gazetteer)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"{i}.txt").write_text(article(i))
    args = _parser().parse_args(["batch", str(src), "-o", str(tmp_path / "out"), "--workers", "1", "--offline", "--no-progress"])
    assert batch_cli.cmd_batch(args) == 0
    assert "3 documents (0 failed" in capsys.readouterr().err
    assert (tmp_path / "out" / "report.md").exists()
    bad = _parser().parse_args(["batch", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o2"), "--offline"])
    with pytest.raises(InputError, match="no such file"):
        batch_cli.cmd_batch(bad)


# ------------------------------------------------------------------ itineraries at corpus scale


def _routes(stops: gpd.GeoDataFrame) -> dict[str, list[tuple]]:
    return {a: [tuple(r) for r in g.sort_values("seq")[["place", "status", "doc_id"]].itertuples(index=False)]
            for a, g in stops.groupby("actor")}


def test_batch_itineraries_are_those_of_the_same_articles_read_together(tmp_path, fake_gazetteer):
    import geomap

    src = write_jsonl(tmp_path / "in.jsonl", 24)
    res = run(src, tmp_path / "out", fake_gazetteer)
    docs = [(r["id"], r["text"], r.get("date")) for r in map(json.loads, src.read_text().splitlines())]
    together = geomap.analyse_many(docs, gazetteer=fake_gazetteer, fallback=None, offline=True)
    want = {it.actor: [(s.place, s.status, s.doc_id) for s in it.stops] for it in together.itineraries}
    assert _routes(res.to_geopandas("stops")) == want
    assert res.counts["itineraries"] == len(want)


def test_itineraries_built_on_two_processes_are_those_built_on_one(tmp_path, fake_gazetteer):
    from geomap.corpus.state import State

    src = write_jsonl(tmp_path / "in.jsonl", 40)
    res = run(src, tmp_path / "out", fake_gazetteer)
    out, n_chunks = tmp_path / "out", res.counts["chunks"]
    one = {t: rows(out, t) for t in ("stops", "legs")}
    assert len(list((out / "stops").glob("part-*.parquet"))) == 1
    n_stops, n_legs, sizes = itineraries.write_itineraries(State(out), n_chunks, workers=2)
    parts = sorted(p.name for p in (out / "stops").glob("part-*.parquet"))
    assert len(parts) > 1  # a bucket per part, at least two per process
    assert {t: rows(out, t) for t in ("stops", "legs")} == one
    assert (n_stops, n_legs) == (len(one["stops"]), len(one["legs"])) and len(sizes) == res.counts["itineraries"]
    assert not (out / "_state" / "buckets").exists()
    # one process again: a single part, and no part of the run with more buckets is left over
    itineraries.write_itineraries(State(out), n_chunks, workers=1)
    assert [p.name for p in (out / "stops").glob("part-*.parquet")] == ["part-000000.parquet"]
    assert {t: rows(out, t) for t in ("stops", "legs")} == one


def test_itineraries_built_a_few_travellers_at_a_time_are_the_same(tmp_path, fake_gazetteer, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", 40)
    run(src, tmp_path / "whole", fake_gazetteer)
    monkeypatch.setattr(itineraries, "_ROWS_PER_BUCKET", 5)  # a bucket per traveller or two
    monkeypatch.setattr(itineraries, "_ROWS_PER_WRITE", 3)
    run(src, tmp_path / "parts", fake_gazetteer)
    for table in ("stops", "legs"):
        assert rows(tmp_path / "whole", table) == rows(tmp_path / "parts", table)
    assert not (tmp_path / "parts" / "_state" / "buckets").exists()
    import pyarrow.parquet as pq

    def bbox(d: str) -> list[float]:  # the union of the parts' bounding boxes
        boxes = [json.loads(pq.read_metadata(f).metadata[b"geo"])["columns"]["geometry"].get("bbox")
                 for f in sorted((tmp_path / d / "legs").glob("part-*.parquet"))]
        boxes = [b for b in boxes if b]
        return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]

    assert len(list((tmp_path / "parts" / "legs").glob("part-*.parquet"))) > 1
    assert bbox("whole") == bbox("parts")

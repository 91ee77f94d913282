"""geomap.corpus: JSON Lines documents in, predictions in the evaluation schema out."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EVAL_DIR, ROOT
from geomap.corpus import NO_DEMONYMS, document_places, places_jsonl, read_documents, to_toponyms
from geomap.errors import GeomapError, InputError

SCHEMA_KEYS = {"start", "end", "name", "lat", "lon", "geonameid"}


def write_docs(path: Path, docs: list[dict] | list[str]) -> Path:
    lines = [d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in docs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def real_or_fake_gazetteer():
    """The real gazetteer when it can be opened, else the in-memory fake."""
    import geomap

    try:
        return geomap.open_gazetteer()
    except GeomapError:
        from fakes import FakeGazetteer

        return FakeGazetteer()


def test_round_trip_writes_the_evaluation_schema(tmp_path, fake_gazetteer):
    docs = [
        {"id": "a", "text": "Putin met Lukashenko in Sochi, then flew to Minsk.", "toponyms": []},
        {"id": 7, "text": ""},
        {"id": "c", "text": "Talks in Ankara and Doha ended."},
    ]
    inp = write_docs(tmp_path / "in.jsonl", docs)
    out = tmp_path / "sub" / "out.jsonl"
    assert places_jsonl(inp, out, gazetteer=fake_gazetteer, progress=False) == 3
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a", "7", "c"]
    assert rows[1]["toponyms"] == []
    for doc, row in zip(docs, rows):
        assert set(row) == {"id", "toponyms"}
        for t in row["toponyms"]:
            assert set(t) == SCHEMA_KEYS
            assert doc["text"][t["start"] : t["end"]] == t["name"]
    assert [t["name"] for t in rows[0]["toponyms"]] == ["Sochi", "Minsk"]
    sochi = rows[0]["toponyms"][0]
    assert (sochi["lat"], sochi["lon"], sochi["geonameid"]) == (43.59917, 39.72569, 491422)
    assert [t["name"] for t in rows[2]["toponyms"]] == ["Ankara", "Doha"]
    assert not list(tmp_path.glob("sub/.out.jsonl*")), "no temporary file is left behind"


def test_predictions_match_analyse(tmp_path, fake_gazetteer):
    import geomap

    text = "Russian officials met in Vladivostok. Kim Jong Un later visited Komsomolsk-on-Amur and the Vostochny spaceport."
    inp = write_docs(tmp_path / "in.jsonl", [{"id": "1", "text": text}])
    places_jsonl(inp, tmp_path / "out.jsonl", gazetteer=fake_gazetteer, progress=False)
    got = read_jsonl(tmp_path / "out.jsonl")[0]["toponyms"]
    want = to_toponyms(geomap.analyse(text, gazetteer=fake_gazetteer, offline=True).places)
    assert got == want
    assert want, "the text has places"


def test_demonyms_are_written_unless_left_out(tmp_path, fake_gazetteer):
    text = "Russian troops left Kyiv."
    inp = write_docs(tmp_path / "in.jsonl", [{"id": "1", "text": text}])
    places_jsonl(inp, tmp_path / "all.jsonl", gazetteer=fake_gazetteer, progress=False)
    places_jsonl(inp, tmp_path / "no.jsonl", gazetteer=fake_gazetteer, kinds=NO_DEMONYMS, progress=False)
    assert [t["name"] for t in read_jsonl(tmp_path / "all.jsonl")[0]["toponyms"]] == ["Russian", "Kyiv"]
    assert [t["name"] for t in read_jsonl(tmp_path / "no.jsonl")[0]["toponyms"]] == ["Kyiv"]


def test_curated_entries_have_no_geonameid(fake_gazetteer):
    places = document_places("The launch was at the Vostochny spaceport.", fake_gazetteer)
    (t,) = to_toponyms(places)
    assert t["name"] == "Vostochny" and t["geonameid"] is None and t["lat"] == pytest.approx(51.884)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "1", "text": "Sochi."}', '{"id": "2", "text": "Minsk.'], "line 2: invalid JSON"),
        (['{"id": "1", "text": "Sochi."}', "", '["not", "an", "object"]'], "line 3: expected a JSON object"),
        (['{"text": "Sochi."}'], "line 1: document without 'id'"),
        (['{"id": "1", "txt": "Sochi."}'], "line 1: document '1' has no 'text' string"),
        (['{"id": "1", "text": "Sochi."}', '{"id": 1, "text": "Minsk."}'], "line 2: repeated document id '1'"),
    ],
)
def test_malformed_line_is_an_input_error_naming_the_line(tmp_path, fake_gazetteer, lines, message):
    inp = write_docs(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputError) as exc:
        places_jsonl(inp, out, gazetteer=fake_gazetteer, progress=False)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)
    assert not out.exists(), "nothing is written when the input is malformed"


def test_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_documents(tmp_path / "nope.jsonl"))


def test_cli_places_jsonl(tmp_path):
    inp = write_docs(tmp_path / "in.jsonl", [{"id": "x", "text": "Flooding hit Lisbon and Paris on Monday."}])
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "geomap", "places", "--jsonl", str(inp), "-o", str(out), "--offline"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (row,) = read_jsonl(out)
    assert row["id"] == "x" and [t["name"] for t in row["toponyms"]] == ["Lisbon", "Paris"]


NOT_PLACES_TEXTS = [
    "Paris Hilton arrived late to the party.",
    "Chelsea Clinton spoke at the dinner on Monday.",
    "She wrote for the Houston Chronicle for years.",
    "Florence Nightingale was a nurse.",
    "Many readers admired Jack London and his novels.",
]


@pytest.mark.parametrize("text", NOT_PLACES_TEXTS)
def test_people_and_organisations_named_after_places_are_not_places(tmp_path, real_or_fake_gazetteer, text):
    inp = write_docs(tmp_path / "in.jsonl", [{"id": "1", "text": text}])
    places_jsonl(inp, tmp_path / "out.jsonl", gazetteer=real_or_fake_gazetteer, progress=False)
    assert read_jsonl(tmp_path / "out.jsonl")[0]["toponyms"] == []


def _eval_dir() -> Path | None:
    for cand in (os.environ.get("GEOMAP_EVAL_DIR"), EVAL_DIR, Path("/work/shared/eval")):
        if cand and (Path(cand) / "score.py").is_file() and (Path(cand) / "lgl.jsonl").is_file():
            return Path(cand)
    return None


@pytest.mark.skipif(_eval_dir() is None, reason="the evaluation corpora (../shared/eval) are not available")
def test_lgl_predictions_are_scored_by_score_py(tmp_path, gazetteer):
    eval_dir = _eval_dir()
    with (eval_dir / "lgl.jsonl").open(encoding="utf-8") as fh:
        docs = [next(fh) for _ in range(20)]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(docs), encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    assert places_jsonl(gold, pred, gazetteer=gazetteer, progress=False) == 20
    proc = subprocess.run(
        [sys.executable, str(eval_dir / "score.py"), str(gold), str(pred), "--ignore-gold-without-coords",
         "--json", str(tmp_path / "score.json")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("SUMMARY")
    assert "warning" not in proc.stderr
    m = json.loads((tmp_path / "score.json").read_text())
    assert m["documents"] == 20 and m["documents_without_prediction"] == 0
    assert m["predicted_toponyms"] > 0 and m["recognition_exact"]["tp"] > 0


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("geoparse_eval", ROOT / "benchmarks" / "geoparse_eval.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_results_section_keeps_other_sections_and_older_runs(tmp_path):
    bench = _load_benchmark()
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Speed\n\nfast\n\n## Other\n\nkept\n", encoding="utf-8")
    bench.update_results(results, "### run one\n\n| a |\n")
    bench.update_results(results, "### run two\n\n| b |\n")
    text = results.read_text(encoding="utf-8")
    assert text.count("## Geoparsing accuracy") == 1
    assert text.index("## Speed") < text.index("## Other") < text.index("## Geoparsing accuracy")
    assert text.index("### run one") < text.index("### run two")
    assert "fast" in text and "kept" in text
    # a section in the middle of the file grows in place
    results.write_text("# R\n\n## Geoparsing accuracy\n\nintro\n\n### old\n\n## Later\n\nz\n", encoding="utf-8")
    bench.update_results(results, "### new\n")
    text = results.read_text(encoding="utf-8")
    assert text.index("### old") < text.index("### new") < text.index("## Later")


def test_baseline_takes_the_longest_name_and_the_biggest_place(fake_gazetteer):
    bench_dir = str(ROOT / "benchmarks")
    sys.path.insert(0, bench_dir)
    try:
        from baseline import baseline_toponyms
    finally:
        sys.path.remove(bench_dir)
    text = "Flooding hit New York City and Paris, while Kim stayed home."
    got = baseline_toponyms(text, fake_gazetteer)
    assert [(t["name"], text[t["start"] : t["end"]]) for t in got] == [("New York City", "New York City"), ("Paris", "Paris")]
    assert got[1]["geonameid"] == 2988507  # Paris, France: the most populous Paris

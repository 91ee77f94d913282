#!/usr/bin/env python3
"""Geoparsing accuracy of geomap on public corpora, beside a baseline and published systems.

Runs geomap (offline, its own gazetteer) and the population baseline of
``benchmarks/baseline.py`` on the converted evaluation corpora, scores both with
the corpora's ``score.py`` (run as a subprocess), scores the published systems'
predictions in ``peers/`` on the same documents with the same options, and
appends a dated table to the "Geoparsing accuracy" section of
``benchmarks/RESULTS.md``.

Usage::

    python benchmarks/geoparse_eval.py                         # all six corpora, full run
    python benchmarks/geoparse_eval.py --corpora lgl gwn --limit 50
    python benchmarks/geoparse_eval.py --errors lgl --limit 200   # categorised errors

The corpora are looked for in ``--eval-dir``, ``$GEOMAP_EVAL_DIR`` or
``../shared/eval`` beside the repository. Prediction files go to ``--out``
(default: a temporary folder that is removed afterwards).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from baseline import baseline_toponyms  # noqa: E402

from geomap.corpus import NO_DEMONYMS, document_places, to_toponyms  # noqa: E402
from geomap.places.recognise import NOT_PLACES, ORG_HEADS, PERSON_TITLES, find_people  # noqa: E402
from geomap.model import Place  # noqa: E402
from geomap.text import name_variants, normalize_name  # noqa: E402

RESULTS = HERE / "RESULTS.md"
SECTION = "## Geoparsing accuracy"


@dataclass(frozen=True)
class CorpusSpec:
    name: str
    #: score only gold toponyms with coordinates (``score.py --ignore-gold-without-coords``)
    coded_only: bool
    #: only the target place is annotated: precision (and so F1) is meaningless
    partial: bool = False
    why: str = ""


CORPORA: dict[str, CorpusSpec] = {
    c.name: c
    for c in (
        CorpusSpec("lgl", True, why="the corpus README's advice (626 toponyms have no gaztag; as Gritta et al. 2018)"),
        CorpusSpec("gwn", False, why="GeoWebNews counts every toponym of its taxonomy, demonyms included (119 have no coordinates)"),
        CorpusSpec("trnews", True, why="same format and protocol as LGL (44 toponyms have no gaztag)"),
        CorpusSpec("geovirus", False, why="every toponym has coordinates"),
        CorpusSpec("wiktor", False, partial=True, why="every toponym has coordinates; only the target place is annotated, so P and F1 are meaningless (R is Gritta's 'accuracy')"),
        CorpusSpec("tud_loc2013", True, why="366 toponyms (streets, house numbers, ZIP codes) have no coordinates"),
    )
}

#: Peers that are this project's own simple baselines, not published systems.
PEER_BASELINES = frozenset({"gazetteer-scan-population", "geotext-population"})


# --------------------------------------------------------------------------- data


def find_eval_dir(explicit: str | None) -> Path:
    for cand in (explicit, os.environ.get("GEOMAP_EVAL_DIR"), ROOT.parent / "shared" / "eval"):
        if cand and (Path(cand) / "score.py").is_file():
            return Path(cand)
    sys.exit("geoparse_eval: no evaluation corpora found; pass --eval-dir or set GEOMAP_EVAL_DIR")


def load_corpus(eval_dir: Path, name: str, limit: int | None) -> list[dict[str, Any]]:
    docs = []
    with (eval_dir / f"{name}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                docs.append(json.loads(line))
                if limit and len(docs) >= limit:
                    break
    return docs


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def load_scorer(eval_dir: Path) -> ModuleType:
    """score.py as a module, for its matching and distance functions in the error analysis."""
    spec = importlib.util.spec_from_file_location("geoparse_score", eval_dir / "score.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def run_score(eval_dir: Path, gold: Path, pred: Path, coded_only: bool, out_json: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(eval_dir / "score.py"), str(gold), str(pred), "--json", str(out_json)]
    if coded_only:
        cmd.append("--ignore-gold-without-coords")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"score.py failed on {pred.name}: {proc.stderr.strip() or proc.stdout.strip()}")
    return json.loads(out_json.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- systems


@dataclass
class SystemRun:
    system: str
    predictions: list[dict[str, Any]]
    seconds: float
    places: dict[str, list[Place]] = field(default_factory=dict)


def run_geomap(docs: Sequence[dict[str, Any]], gazetteer: Any) -> tuple[dict[str, list[Place]], float]:
    places: dict[str, list[Place]] = {}
    t0 = time.perf_counter()
    for d in docs:
        did = str(d["id"])
        places[did] = document_places(d["text"], gazetteer, doc_id=did)
    return places, time.perf_counter() - t0


def run_baseline(docs: Sequence[dict[str, Any]], gazetteer: Any) -> SystemRun:
    preds = []
    t0 = time.perf_counter()
    for d in docs:
        preds.append({"id": str(d["id"]), "toponyms": baseline_toponyms(d["text"], gazetteer)})
    return SystemRun("baseline (capitalised scan, top population)", preds, time.perf_counter() - t0)


def geomap_runs(docs: Sequence[dict[str, Any]], gazetteer: Any) -> list[SystemRun]:
    places, secs = run_geomap(docs, gazetteer)
    out = []
    for label, kinds in (("geomap", None), ("geomap without demonyms", NO_DEMONYMS)):
        preds = [{"id": did, "toponyms": to_toponyms(ps, kinds=kinds)} for did, ps in places.items()]
        out.append(SystemRun(label, preds, secs, places))
    return out


def peer_files(eval_dir: Path, corpus: str) -> list[tuple[str, Path]]:
    """End-to-end published systems' predictions for ``corpus`` (not gold-span or recognition-only ones)."""
    peers = eval_dir / "peers"
    try:
        stats = json.loads((peers / "conversion_stats.json").read_text(encoding="utf-8"))
    except OSError:
        stats = {}
    out = []
    for path in sorted(peers.glob(f"{corpus}.*.jsonl")):
        system = path.name[len(corpus) + 1 : -len(".jsonl")]
        if system in PEER_BASELINES:
            continue
        kind = (stats.get(f"{corpus}.{system}") or {}).get("kind")
        if kind == "end-to-end":
            out.append((system, path))
    return out


# --------------------------------------------------------------------------- the table


def _f(x: float | None, nd: int = 3) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def _km(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def table_row(corpus: CorpusSpec, system: str, m: dict[str, Any], docs_per_s: float | None) -> str:
    ex, ov, res = m["recognition_exact"], m["recognition_overlap"], m["resolution_exact"]
    p = "–" if corpus.partial else _f(ex["precision"])
    f1 = "–" if corpus.partial else _f(ex["f1"])
    po = "–" if corpus.partial else _f(ov["precision"])
    fo = "–" if corpus.partial else _f(ov["f1"])
    speed = "–" if docs_per_s is None else f"{docs_per_s:.0f}"
    return (
        f"| {corpus.name} | {system} | {p} | {_f(ex['recall'])} | {f1} | {po} | {_f(ov['recall'])} | {fo} "
        f"| {_f(res['acc_at_161km'])} | {_km(res['median_error_km'])} | {_f(res['auc'])} "
        f"| {_f(m['end_to_end_acc_at_161km'])} | {speed} |"
    )


TABLE_HEAD = (
    "| corpus | system | P | R | F1 | P (overlap) | R (overlap) | F1 (overlap) | acc@161 | median km | AUC | e2e acc@161 | docs/s |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def best_peers(corpus: CorpusSpec, scored: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The best peer by recognition (F1, or recall on partial corpora) and by end-to-end acc@161."""
    if not scored:
        return []
    rec_key = "recall" if corpus.partial else "f1"
    by_rec = max(scored, key=lambda s: scored[s]["recognition_exact"][rec_key] or 0.0)
    by_e2e = max(scored, key=lambda s: scored[s]["end_to_end_acc_at_161km"] or 0.0)
    label = "R" if corpus.partial else "F1"
    if by_rec == by_e2e:
        return [(f"peer {by_rec} (best {label} and e2e)", scored[by_rec])]
    return [(f"peer {by_rec} (best {label})", scored[by_rec]), (f"peer {by_e2e} (best e2e)", scored[by_e2e])]


def _git_describe() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown commit"
    rev = head.stdout.strip() or "no commit"
    return f"{rev}{' + uncommitted changes' if dirty.stdout.strip() else ''}"


SECTION_INTRO = """\
geomap (offline, its own GeoNames gazetteer, no NER model) against the public corpora in
`shared/eval/` (see its README), scored with its `score.py`. Each run below is a dated block; older
blocks stay so progress is visible. Rows:

* **geomap**: `geomap.corpus.places_jsonl` defaults (every kind of place, demonyms such as "Iraqi" included).
* **geomap without demonyms**: the same predictions without demonyms (`kinds=geomap.corpus.NO_DEMONYMS`).
* **baseline**: `benchmarks/baseline.py`, capitalised word runs, longest n-gram that is a key of the
  same gazetteer, most populous candidate, no filtering and no context.
* **peer …**: the best *end-to-end* published system in `shared/eval/peers/` on the same documents and
  with the same scoring options, by recognition F1 (recall on WikToR) and by end-to-end acc@161.
  Gold-span resolvers (hu2022) and recognition-only outputs are left out; peers have no speed.

Categorised errors (false positives by cause, missed toponyms by whether the gazetteer has them,
resolution errors with the picked and the right candidate), for tuning:
`python benchmarks/geoparse_eval.py --errors lgl --limit 200` (any corpus; `--examples K`, `--no-demonyms`).

Columns: recognition precision, recall and F1 for exact spans and for overlapping spans;
acc@161, median error and AUC (lower is better) over exactly matched toponyms with gold
coordinates; end-to-end acc@161 = exact span and within 161 km over all gold toponyms with
coordinates; documents per second for recognition and resolution in one process (gazetteer open and
file writing excluded). Scoring per corpus ("geocoded only" = `--ignore-gold-without-coords`):

"""


def scoring_lines() -> str:
    return "\n".join(
        f"* {c.name}: {'geocoded only' if c.coded_only else 'all gold toponyms'}, {c.why}." for c in CORPORA.values()
    ) + "\n"


def update_results(path: Path, block: str) -> None:
    """Append ``block`` at the end of the Geoparsing accuracy section, creating file and section if needed.

    Other sections of the file are left as they are.
    """
    from geomap.io import write_text

    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    lines = text.splitlines(keepends=True)
    idx = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if idx is None:
        text = (text if text.endswith("\n") else text + "\n") + f"\n{SECTION}\n\n{SECTION_INTRO}{scoring_lines()}"
        lines = text.splitlines(keepends=True)
        idx = next(i for i, line in enumerate(lines) if line.rstrip() == SECTION)
    end = next((i for i in range(idx + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = "".join(lines[idx:end]).rstrip("\n") + "\n\n" + block.rstrip("\n") + "\n"
    rest = "".join(lines[end:])
    write_text(path, "".join(lines[:idx]) + section + ("\n" + rest if rest else ""))


# --------------------------------------------------------------------------- benchmark


def benchmark(args: argparse.Namespace) -> int:
    import geomap

    eval_dir = find_eval_dir(args.eval_dir)
    corpora = [CORPORA[c] for c in args.corpora]
    t0 = time.perf_counter()
    gaz = geomap.open_gazetteer(geomap.from_env().replace(offline=True))
    open_s = time.perf_counter() - t0
    tmp = None
    if args.out:
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="geoparse-eval-")
        out_dir = Path(tmp.name)
    rows: list[str] = []
    summary: list[str] = []
    try:
        for corpus in corpora:
            docs = load_corpus(eval_dir, corpus.name, args.limit)
            gold = eval_dir / f"{corpus.name}.jsonl"
            if args.limit:
                gold = out_dir / f"{corpus.name}.gold.jsonl"
                write_jsonl(gold, docs)
            print(f"{corpus.name}: {len(docs)} documents", file=sys.stderr)
            runs = [*geomap_runs(docs, gaz), run_baseline(docs, gaz)]
            ours: list[tuple[str, dict[str, Any], float]] = []
            for run in runs:
                slug = re.sub(r"[^a-z0-9]+", "-", run.system.split(" (")[0]).strip("-")
                pred = out_dir / f"{corpus.name}.{slug}.jsonl"
                write_jsonl(pred, run.predictions)
                m = run_score(eval_dir, gold, pred, corpus.coded_only, out_dir / f"{corpus.name}.{slug}.score.json")
                ours.append((run.system, m, len(docs) / run.seconds if run.seconds > 0 else float("nan")))
            peers = peer_files(eval_dir, corpus.name) if not args.no_peers else []

            def score_peer(item: tuple[str, Path]) -> tuple[str, dict[str, Any]]:
                system, path = item
                return system, run_score(eval_dir, gold, path, corpus.coded_only, out_dir / f"{corpus.name}.peer.{system}.score.json")

            with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
                scored = dict(pool.map(score_peer, peers))
            for system, m, speed in ours:
                rows.append(table_row(corpus, system, m, speed))
            for label, m in best_peers(corpus, scored):
                rows.append(table_row(corpus, label, m, None))
            g = ours[0][1]
            summary.append(
                f"{corpus.name}: geomap F1 {_f(g['recognition_exact']['f1'])} R {_f(g['recognition_exact']['recall'])} "
                f"acc@161 {_f(g['resolution_exact']['acc_at_161km'])} e2e {_f(g['end_to_end_acc_at_161km'])}"
            )
    finally:
        if tmp is not None:
            tmp.cleanup()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    scope = f"first {args.limit} documents per corpus" if args.limit else "full corpora"
    cmd = "python benchmarks/geoparse_eval.py" + "".join(
        f" {a}" for a in (
            f"--corpora {' '.join(args.corpora)}" if args.corpora != list(CORPORA) else "",
            f"--limit {args.limit}" if args.limit else "",
        ) if a
    )
    block = (
        f"### {now}, {scope}, commit {_git_describe()}\n\n"
        f"Reproduce: `{cmd}` (gazetteer opened in {open_s:.1f} s).\n\n"
        f"{TABLE_HEAD}\n" + "\n".join(rows) + "\n"
    )
    print(block)
    print("\n".join(summary), file=sys.stderr)
    write = args.write if args.write is not None else not args.limit
    if write:
        update_results(Path(args.results), block)
        print(f"geoparse_eval: appended to {args.results}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- error analysis


_TOKEN = re.compile(r"\w+(?:['’.-]\w+)*")
_SPEECH = frozenset("said says say told tells added adds wrote writes noted notes argued asked explained".split())
_STREET = frozenset(
    """st street rd road ave avenue dr drive ln lane blvd boulevard way ct court pl place hwy highway pkwy parkway
    cir circle trl trail ter terrace sq square""".split()
)


def _cap_run(text: str, s: int, e: int) -> tuple[int, int]:
    """The span of the capitalised word run around [s, e) (words joined by a space or hyphen)."""
    rs, re_ = s, e
    while True:
        m = re.search(r"(?<![\w'’-])([A-Z][\w'’-]*)[ -]$", text[max(0, rs - 40) : rs])
        if not m:
            break
        rs -= len(m.group(0))
    while True:
        m = re.match(r"[ -]([A-Z][\w'’-]*)", text[re_ : re_ + 40])
        if not m:
            break
        re_ += len(m.group(0))
    return rs, re_


def _words_before(text: str, s: int, n: int = 1) -> list[str]:
    return [w.lower().rstrip(".") for w in _TOKEN.findall(text[max(0, s - 60) : s])[-n:]]


def _word_after(text: str, e: int) -> str:
    m = _TOKEN.search(text[e : e + 40])
    return m.group(0).lower() if m else ""


def _sentence_initial(text: str, s: int) -> bool:
    before = text[:s].rstrip(" \t\"“‘'(")
    return not before or before[-1] in ".!?:\n;"


def _context(text: str, s: int, e: int, width: int = 45) -> str:
    left = text[max(0, s - width) : s].replace("\n", " ")
    right = text[e : e + width].replace("\n", " ")
    return f"…{left}[{text[s:e]}]{right}…"


def _in_gazetteer(gaz: Any, name: str) -> bool:
    key = normalize_name(name)
    return bool(key) and (gaz.has_key(key) or any(gaz.has_key(v) for v in name_variants(key)))


@dataclass
class Bucket:
    #: (key counted in the "names" line, detail line)
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, key: str, detail: str) -> None:
        self.items.append((key, detail))


class Report:
    """Errors grouped by section and category, printed with counts, frequent names and examples."""

    def __init__(self) -> None:
        self.sections: dict[str, dict[str, Bucket]] = defaultdict(lambda: defaultdict(Bucket))

    def add(self, section: str, category: str, key: str, detail: str) -> None:
        self.sections[section][category].add(key, detail)

    def print(self, examples: int, out: Any = sys.stdout) -> None:
        for section, cats in self.sections.items():
            total = sum(len(b.items) for b in cats.values())
            print(f"\n== {section}: {total}", file=out)
            for cat, b in sorted(cats.items(), key=lambda kv: -len(kv[1].items)):
                n = len(b.items)
                names = Counter(key for key, _ in b.items).most_common(10)
                print(f"\n  {n:5d} ({100 * n / total:4.1f}%)  {cat}", file=out)
                print("         names: " + ", ".join(f"{nm} ×{c}" if c > 1 else nm for nm, c in names), file=out)
                seen: set[str] = set()
                for key, detail in b.items:
                    if key in seen:
                        continue
                    seen.add(key)
                    print(f"         - {detail}", file=out)
                    if len(seen) >= examples:
                        break


@dataclass
class DocContext:
    """What the categories need to know about one document besides the error itself."""

    text: str
    people: list[tuple[int, int, str]]
    person_words: set[str]
    #: (country, admin1) of the document's resolved places, most common first
    admin1: Counter[tuple[str | None, str | None]]


def _is_surname(ctx: DocContext, name: str, gaz: Any) -> bool:
    """``name`` ends a longer capitalised name elsewhere in the document that is no place ("Chiquita Henry" ... "Henry")."""
    for m in re.finditer(rf"(?<![\w'’-])((?:[A-Z][\w'’-]*\.? ){{1,3}}){re.escape(name)}\b", ctx.text):
        full = m.group(0)
        if not _in_gazetteer(gaz, full) and not any(w.lower().rstrip(".") in _STREET | ORG_HEADS for w in full.split()[:-1]):
            return True
    return False


def _fp_category(ctx: DocContext, p: Place, lower_vocab: Counter[str], gaz: Any) -> tuple[str, str]:
    """(category, key) of a prediction that overlaps no gold toponym."""
    text, name = ctx.text, p.name
    if p.kind == "demonym":
        return "demonym the gold does not annotate here", name
    if len(name.replace(".", "")) <= 2:
        return "one- or two-letter token (initial, 'St', 'D')", name
    rs, re_ = _cap_run(text, p.start, p.end)
    run = text[rs:re_]
    words = [w.lower() for w in _TOKEN.findall(run)]
    after = _word_after(text, p.end)
    if (rs, re_) != (p.start, p.end):
        if set(words) & _STREET or after.rstrip(".") in _STREET:
            return "part of a street or address ('Orchard St.', 'Dublin Road')", run
        if set(words) & ORG_HEADS:
            return "part of an organisation/title name whose head word is in ORG_HEADS", run
        if p.start > rs and re_ == p.end:
            return "last word of a longer capitalised name: head word missing from ORG_HEADS ('Medical Center') or a surname", name
        return "first/middle word of a longer capitalised name (person's first name, organisation)", run
    before = _words_before(text, p.start)
    if before and before[0] in PERSON_TITLES:
        return "person (title before it)", name
    if after in _SPEECH:
        return "person or organisation (speech verb after it)", name
    if name.lower() in ctx.person_words or _is_surname(ctx, name, gaz):
        return "surname of a person the document names in full", name
    if name.isupper() and len(name) > 3:
        return "all-caps word (headline or acronym)", name
    if lower_vocab.get(name.lower(), 0) >= 2:
        return "common word (also written in lower case in the corpus)", name
    if _sentence_initial(text, p.start):
        return "sentence-initial word", name
    if p.kind in ("country", "admin", "region", "water") or p.population >= 1_000_000:
        return "country/region/big city the gold does not annotate here (annotation gap or non-toponym use)", name
    if not p.resolved:
        return "unresolved name the gold does not annotate", name
    return "other small place the gold does not annotate (often a surname or organisation)", name


def _miss_category(ctx: DocContext, g: dict[str, Any], gaz: Any, filtered: list[Place]) -> str:
    text = ctx.text
    s, e = g["start"], g["end"]
    name = g["name"] or text[s:e]
    for p in filtered:
        if p.start < e and s < p.end:
            return f"found but not written (kind {p.kind})"
    if not name[:1].isupper():
        return "not capitalised in the text"
    if gaz.demonym(name) is not None:
        return "demonym or adjective, not recognised"
    if not _in_gazetteer(gaz, name):
        if "." in name or (name.isupper() and len(name) <= 5):
            return "not in gazetteer: abbreviation ('W.Va.', 'Ky.', 'S.C.')"
        if name.split()[-1].lower() in ("county", "parish", "borough", "township"):
            return "not in gazetteer: county or parish ('Henry County')"
        if len(name.split()) > 1:
            return "not in gazetteer: other multi-word name (rivers, buildings, long forms)"
        return "not in gazetteer: single word"
    if any(ps < e and s < pe for ps, pe, _ in ctx.people):
        return "in gazetteer; inside a span find_people took as a person"
    rs, re_ = _cap_run(text, s, e)
    if (rs, re_) != (s, e):
        run_words = {w.lower() for w in _TOKEN.findall(text[rs:re_])}
        if run_words & ORG_HEADS:
            return "in gazetteer; inside an organisation name, dropped by the ORG_HEADS rule ('Mansfield Police Department')"
        if text[rs:s].endswith("-") or text[e:re_].startswith("-"):
            return "in gazetteer; hyphenated with another capitalised word ('DFL-Cook', 'Egyptian-Israeli')"
        return "in gazetteer; inside a longer capitalised name"
    if name.lower() in ctx.person_words:
        return "in gazetteer; the word is part of a person's name elsewhere in the document (person_words rule)"
    if name.lower() in NOT_PLACES:
        return "in gazetteer; on the NOT_PLACES stop list"
    cands = gaz.lookup(name, limit=20)
    if cands and all(c.match != "name" for c in cands):
        return "in gazetteer; alias-only match of a small place (dropped as weak)"
    if _sentence_initial(text, s):
        return "in gazetteer; sentence-initial, dropped"
    if _word_after(text, e) in _SPEECH:
        return "in gazetteer; speech verb after it ('Chelsea said' rule)"
    return "in gazetteer; dropped by the recogniser (other filter)"


def _res_category(scorer: ModuleType, gaz: Any, ctx: DocContext, g: dict[str, Any], p: Place, d_km: float) -> tuple[str, str]:
    cands = gaz.lookup(p.name, limit=50) or gaz.lookup(g["name"] or p.name, limit=50)
    scored = [(scorer.haversine_km(g["lat"], g["lon"], c.lat, c.lon), i, c) for i, c in enumerate(cands)]
    picked = f"{p.resolved_name}, {p.country_code} ({p.kind}, pop {p.population:,})"
    gold_gid = g.get("geonameid")
    if gold_gid and p.geonameid == gold_gid:
        return (f"right entity, but its point is > 161 km from the gold point ({p.kind} representative point)",
                f"{p.name}: {picked}, {d_km:.0f} km off")
    right = next((t for t in scored if gold_gid and t[2].geonameid == gold_gid), None)
    if right is None:
        near = min(scored, key=lambda t: t[0]) if scored else None
        if (near is None or near[0] > 161) and p.kind in ("country", "admin", "region", "water", "demonym") and d_km < 1500:
            return (f"large area ({p.kind}) whose point is > 161 km from the gold point: probably the right entity",
                    f"{p.name}: picked {picked}, {d_km:.0f} km off")
        if near is None or near[0] > 161:
            best = f"nearest candidate {near[2].name}, {near[2].country_code} at {near[0]:.0f} km" if near else "no candidates"
            return ("gold referent not among the gazetteer's candidates for the name",
                    f"{p.name}: picked {picked}, {d_km:.0f} km off; {best}")
        right = near
    dist, rank, c = right
    same_cc = "same country" if c.country_code == p.country_code else "other country"
    top = ctx.admin1.most_common(1)
    local = " - right one is in the document's main admin1" if top and top[0][0] == (c.country_code, c.admin1) and c.admin1 else ""
    far = " [its point is also > 161 km off]" if dist > 161 else ""
    return (f"wrong pick: {p.kind} chosen over the right {c.kind} ({same_cc}){local}",
            f"{p.name}: picked {picked}; right {c.name}, {c.country_code}-{c.admin1} ({c.kind}, pop {c.population:,}, "
            f"lookup rank {rank + 1}){far}; {d_km:.0f} km off")


def errors(args: argparse.Namespace) -> int:
    import geomap

    eval_dir = find_eval_dir(args.eval_dir)
    corpus = CORPORA.get(args.errors)
    if corpus is None:
        sys.exit(f"geoparse_eval: unknown corpus {args.errors!r}; choose from {', '.join(CORPORA)}")
    scorer = load_scorer(eval_dir)
    gaz = geomap.open_gazetteer(geomap.from_env().replace(offline=True))
    docs = load_corpus(eval_dir, corpus.name, args.limit)
    kinds = NO_DEMONYMS if args.no_demonyms else None
    places, secs = run_geomap(docs, gaz)
    lower_vocab: Counter[str] = Counter()
    for d in docs:
        lower_vocab.update(w for w in _TOKEN.findall(d["text"]) if w.islower())
    rep = Report()
    totals: Counter[str] = Counter()
    fp_sec = "False positives (prediction overlaps no gold toponym)"
    miss_sec = "Missed gold toponyms (no overlapping prediction)"
    res_sec = "Resolution errors (matched, > 161 km or unresolved)"
    span_sec = "Span boundary errors (overlap, not exact)"
    for d in docs:
        text, did = d["text"], str(d["id"])
        all_places = places[did]
        kept = [p for p in all_places if kinds is None or p.kind in kinds]
        filtered = [p for p in all_places if kinds is not None and p.kind not in kinds]
        gold = [dict(t) for t in d.get("toponyms", [])]
        pred = [{"start": p.start, "end": p.end, "lat": p.lat, "lon": p.lon} for p in kept]
        if corpus.coded_only:  # as score.py --ignore-gold-without-coords
            gold, pred_k, _ = scorer.drop_uncoded(gold, pred)
            keep = {(t["start"], t["end"]) for t in pred_k}
            kept = [p for p in kept if (p.start, p.end) in keep]
            pred = [{"start": p.start, "end": p.end, "lat": p.lat, "lon": p.lon} for p in kept]
        exact, overlap = scorer.match(gold, pred)
        totals["gold"] += len(gold)
        totals["predicted"] += len(pred)
        totals["exact"] += len(exact)
        people = find_people(text, gaz) if text.strip() else []
        ctx = DocContext(
            text, people, {w.lower() for _, _, nm in people for w in nm.split()},
            Counter((p.country_code, gaz_admin1) for p in all_places if p.resolved and p.kind == "city"
                    for gaz_admin1 in [_admin1_of(gaz, p)]),
        )
        matched_p = {j for _, j in overlap}
        matched_g = {i for i, _ in overlap}
        exact_set = set(exact)
        for j, p in enumerate(kept):
            if j not in matched_p and not corpus.partial:
                cat, key = _fp_category(ctx, p, lower_vocab, gaz)
                rep.add(fp_sec, cat, key, f"{p.name!r} ({p.kind}: {p.resolved_name or 'unresolved'}) {_context(text, p.start, p.end)}")
        for i, g in enumerate(gold):
            if i not in matched_g:
                name = g["name"] or text[g["start"] : g["end"]]
                rep.add(miss_sec, _miss_category(ctx, g, gaz, filtered), name, f"{name!r} {_context(text, g['start'], g['end'])}")
        for i, j in overlap:
            g, p = gold[i], kept[j]
            if (i, j) not in exact_set:
                gname = g["name"] or text[g["start"] : g["end"]]
                if p.start <= g["start"] and p.end >= g["end"]:
                    kind = "prediction longer than gold"
                elif p.start >= g["start"] and p.end <= g["end"]:
                    kind = "prediction shorter than gold"
                else:
                    kind = "spans cross"
                rep.add(span_sec, kind, f"{p.name} / {gname}",
                        f"predicted {p.name!r}, gold {gname!r}: {_context(text, min(p.start, g['start']), max(p.end, g['end']))}")
            if g.get("lat") is None:
                continue
            if not p.resolved:
                rep.add(res_sec, "unresolved (no coordinates)", p.name, f"{p.name!r} {_context(text, p.start, p.end)}")
                continue
            d_km = scorer.haversine_km(g["lat"], g["lon"], p.lat, p.lon)
            totals["resolved"] += 1
            if d_km > 161:
                cat, detail = _res_category(scorer, gaz, ctx, g, p, d_km)
                rep.add(res_sec, cat, p.name, detail)
    print(f"{corpus.name}: {len(docs)} documents, {totals['gold']} gold toponyms"
          f"{' (geocoded only)' if corpus.coded_only else ''}, {totals['predicted']} predicted "
          f"({'demonyms not written' if args.no_demonyms else 'demonyms written'}), {totals['exact']} exact matches, "
          f"{totals['resolved']} matched and resolved; {len(docs) / secs:.0f} docs/s")
    if corpus.partial:
        print("(partially annotated corpus: false positives are not listed)")
    rep.print(args.examples)
    return 0


def _admin1_of(gaz: Any, p: Place) -> str | None:
    if p.geonameid is None:
        return None
    c = gaz.get(p.geonameid)
    return c.admin1 if c is not None else None


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", nargs="+", choices=list(CORPORA), default=list(CORPORA), metavar="CORPUS",
                    help=f"corpora to run (default: all of {', '.join(CORPORA)})")
    ap.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N documents of each corpus")
    ap.add_argument("--out", metavar="DIR", help="keep prediction and score files here (default: a temporary folder)")
    ap.add_argument("--eval-dir", metavar="DIR", help="folder with the corpora and score.py (default: $GEOMAP_EVAL_DIR or ../shared/eval)")
    ap.add_argument("--results", default=str(RESULTS), metavar="FILE", help="results file to append the run to (default: benchmarks/RESULTS.md)")
    ap.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                    help="append the run to the results file (default: yes for full runs, no with --limit)")
    ap.add_argument("--no-peers", action="store_true", help="do not score the published systems")
    ap.add_argument("--errors", metavar="CORPUS", help="print categorised errors of geomap on CORPUS instead of the benchmark")
    ap.add_argument("--examples", type=int, default=5, metavar="K", help="examples per error category (default 5)")
    ap.add_argument("--no-demonyms", action="store_true", help="with --errors: do not write demonyms as toponyms")
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")
    if args.errors:
        if hasattr(signal, "SIGPIPE"):  # `| head` ends the report quietly
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return errors(args)
    return benchmark(args)


if __name__ == "__main__":
    sys.exit(main())

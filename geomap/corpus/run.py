"""``run_batch``: a corpus through the engines in two passes, into one locked output folder.

Pass one analyses every chunk not yet done, offline; pass two asks the online fallback
once per distinct name the gazetteer lacks (from this process, rate-limited) and redoes
only the documents that asked. Then :func:`geomap.corpus.report.finish` writes what
spans chunks.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, GeomapError, InputError, OutputError
from ..settings import Settings, from_env
from .engines import check_engine, drive, make_engine
from .input import Doc, count_documents, input_kind, iter_documents
from .report import BatchResult, finish
from .state import STATE_DIR, State, fingerprint
from .work import ChunkResult, ChunkTask, split_key

__all__ = ["run_batch"]


def _chunks(docs: Iterable[Doc], size: int) -> Iterator[tuple[int, list[Doc]]]:
    batch: list[Doc] = []
    index = 0
    for d in docs:
        batch.append(d)
        if len(batch) == size:
            yield index, batch
            index, batch = index + 1, []
    if batch:
        yield index, batch


# ---------------------------------------------------------------- the run


def _progress(total: int | None, initial: int, enabled: bool, unit: str = "doc", desc: str = "geomap batch"):
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, unit=unit, desc=desc, file=sys.stderr, disable=not enabled,
        dynamic_ncols=True, smoothing=0.1, mininterval=0.5,
    )


def _skip(bar: Any, n: int) -> None:
    """Count documents done by an earlier run without counting them in the rate (and so the ETA)."""
    if bar.disable:
        return
    bar.n += n
    bar.initial += n
    bar.last_print_n = bar.n
    bar.refresh()


def run_batch(
    input: str | Path,
    output_dir: str | Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    settings: Settings | None = None,
    date: dt.date | str | None = None,
    text_column: str = "text",
    progress: bool = True,
    chunk_size: int | None = None,
    gazetteer: Any | None = None,
    fallback: Any | None = None,
    offline: bool | None = None,
    dask_processes: bool = True,
) -> BatchResult:
    """Analyse a corpus into GeoParquet datasets; resumes where a previous run into ``output_dir`` stopped.

    Parameters
    ----------
    input
        A folder of .txt files (read recursively, sorted; hidden files ignored), a
        JSONL file (one object per line: ``id``, ``text``, optional ``date``) or a CSV
        file (``text_column``, optional ``id`` and ``date`` columns).
    output_dir
        Folder for the outputs (see :mod:`geomap.corpus`). Running again into the same
        folder resumes; a finished run is rewritten identically.
    engine
        ``"local"`` (worker processes on this machine) or ``"dask"``.
    workers
        Processes (local) or workers of the ``LocalCluster`` (dask); default: CPU count.
        ``workers=1`` with the local engine runs in this process.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``), for ``engine="dask"``.
        Its workers need geomap installed and the gazetteer index at ``settings``' path.
    settings
        Defaults (:func:`geomap.settings.from_env` when ``None``). Online unless
        ``settings.offline`` or ``offline=True``.
    date
        Publication date of documents that carry none (a JSONL/CSV ``date`` wins).
    text_column
        The field holding the article text in JSONL and CSV input.
    progress
        Show a progress bar (documents per second and ETA) on standard error.
    chunk_size
        Documents per chunk, the unit of resumption (default 100; fixed by the first run).
    gazetteer, fallback
        Objects to use instead of the local index and the online fallback (mainly for
        tests; a gazetteer object must pickle for worker processes).

    Returns
    -------
    BatchResult
        Output paths and counts; ``to_dask(table)`` reads a table lazily.

    Raises
    ------
    InputError, ConfigError
        When the input cannot be read or an option is wrong (documents that fail do
        not raise: they are listed in ``errors.jsonl``).
    """
    t0 = time.perf_counter()
    src = Path(input)
    kind = input_kind(src)
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if kind == "folder" and out.resolve().is_relative_to(src.resolve()):
        raise ConfigError(f"{out}: the output folder must not be inside the input folder")
    s = (settings or from_env()).replace(offline=offline)
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise ConfigError(f"--date {date!r}: expected YYYY-MM-DD") from None
    date_s = date.isoformat() if date else None
    online = not s.offline or fallback is not None
    mode = "defer" if online else "offline"
    if kind == "csv":
        next(iter_documents(src, text_column=text_column), None)  # a missing text column fails here, not mid-run
    total = count_documents(src, text_column=text_column)
    if total == 0:
        raise InputError(f"{src}: no documents")
    check_engine(engine, workers, scheduler)

    created = not out.exists()
    lock = _lock_folder(out)
    try:
        return _run_locked(
            src, out, kind, s, date_s, mode, total, engine=engine, workers=workers, scheduler=scheduler,
            text_column=text_column, progress=progress, chunk_size=chunk_size, gazetteer=gazetteer,
            fallback=fallback, dask_processes=dask_processes, t0=t0,
        )
    except BaseException:
        if created and not (out / STATE_DIR / "ledger.jsonl").exists():
            lock.release()
            shutil.rmtree(out, ignore_errors=True)  # this run made the folder and stored nothing in it
        raise
    finally:
        lock.release()


def _lock_folder(out: Path) -> Any:
    """Hold the output folder for this run: a second run into it refuses at once (``filelock``)."""
    from filelock import FileLock, Timeout

    try:
        (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(out / STATE_DIR / "lock"), timeout=0)
        lock.acquire()
    except Timeout:
        raise OutputError(
            f"{out}: another geomap batch is writing into this folder; wait for it to end or use another folder"
        ) from None
    except OSError as exc:
        raise OutputError(f"{out}: cannot write here ({exc.strerror or exc})") from None
    return lock


def _run_locked(
    src: Path, out: Path, kind: str, s: Settings, date_s: str | None, mode: str, total: int, *, engine: str,
    workers: int | None, scheduler: str | None, text_column: str, progress: bool, chunk_size: int | None,
    gazetteer: Any | None, fallback: Any | None, dask_processes: bool, t0: float,
) -> BatchResult:
    state = State(out)
    size = state.open_run(chunk_size)
    ledger = state.read_ledger()
    if gazetteer is None and not scheduler:
        from ..api import open_gazetteer

        open_gazetteer(s)  # build the index once here, before workers open it read-only
    eng = make_engine(engine, workers, scheduler, gazetteer, dask_processes)
    stats = {"processed": 0, "skipped": 0, "seconds_in_workers": 0.0}
    n_chunks = 0
    fallback_counts: dict[str, int] = {}
    bar = _progress(total, 0, progress)
    try:
        # pass 1: every chunk not yet done, analysed without network
        def tasks() -> Iterator[tuple[ChunkTask, Any]]:
            nonlocal n_chunks
            for index, docs in _chunks(iter_documents(src, text_column=text_column), size):
                n_chunks = index + 1
                fp = fingerprint(docs, mode, date_s)
                rec = ledger.get(index)
                if rec is not None and rec.get("fp") == fp:
                    stats["skipped"] += len(docs)
                    _skip(bar, len(docs))
                    continue
                task = ChunkTask(index=index, docs=docs, settings=s, mode=mode, date=date_s, gazetteer=gazetteer)
                yield task, (fp, len(docs))

        def stored(result: ChunkResult, extra: Any) -> None:
            fp, n = extra
            stage = "local" if mode == "defer" else "final"
            state.store(result, fingerprint=fp, stage=stage, pending=result.pending if mode == "defer" else None)
            ledger[result.index] = {"chunk": result.index, "fp": fp, "stage": stage, "counts": result.counts}
            stats["processed"] += n
            stats["seconds_in_workers"] += result.seconds
            bar.update(n)

        drive(eng, tasks(), stored)
        bar.close()
        if stats["skipped"] and progress:
            print(f"geomap: resumed: {stats['skipped']} documents were already done", file=sys.stderr)
        if n_chunks == 0:
            raise InputError(f"{src}: no documents")
        state.prune(n_chunks)
        ledger = {k: v for k, v in ledger.items() if k < n_chunks}

        # pass 2: the online fallback, once per distinct question, then redo the documents that asked
        if mode == "defer":
            fallback_counts = _fallback_pass(
                eng, state, ledger, src, text_column, size, s, date_s, gazetteer, fallback, progress
            )
    finally:
        bar.close()
        eng.close()
    seconds = time.perf_counter() - t0
    stats["analysis_seconds"] = seconds
    return finish(
        out, src, state, ledger, n_chunks, s, seconds=seconds, stats=stats, engine=engine,
        workers=eng.workers, fallback_counts=fallback_counts, progress=progress, t0=t0,
    )


def _fallback_pass(
    eng: Any, state: State, ledger: dict[int, dict[str, Any]], src: Path, text_column: str, size: int,
    settings: Settings, date_s: str | None, gazetteer: Any | None, fallback: Any | None, progress: bool,
) -> dict[str, int]:
    todo = sorted(i for i, rec in ledger.items() if rec.get("stage") == "local")
    pending = {i: state.read_pending(i) for i in todo}
    keys = sorted({k for p in pending.values() for ks in p.values() for k in ks})
    answers = state.read_answers()
    ask = [k for k in keys if k not in answers]
    if ask:
        from ..api import make_fallback

        fb = fallback if fallback is not None else make_fallback(settings.replace(offline=False))
        bar = _progress(len(ask), 0, progress, unit="name", desc="online fallback")
        try:
            for key in ask:
                name, context, codes = split_key(key)
                try:
                    ans = fb.resolve(name, context=context, country_codes=codes)
                except GeomapError as exc:  # the service failed: not persisted, so a later run asks again
                    answers[key] = {"key": key, "candidate": None, "source": None, "service": None, "reason": str(exc)}
                else:
                    cand = ans.candidate
                    rec = {
                        "key": key, "candidate": cand.to_dict() if cand is not None else None,
                        "source": ans.source, "service": ans.service, "reason": ans.reason,
                    }
                    answers[key] = rec
                    if not getattr(ans, "failed", False):  # a service error is asked again by a later run
                        state.add_answer(rec)
                bar.update(1)
        finally:
            bar.close()
            if fallback is None and fb is not None:
                fb.close()
    found = sum(1 for k in keys if answers.get(k, {}).get("candidate"))

    # chunks without questions are final as they are
    for i in todo:
        if not pending[i]:
            rec = {**ledger[i], "stage": "final"}
            state.record(rec)
            ledger[i] = rec
    redo = {i for i in todo if pending[i]}
    if redo:
        n_docs = sum(len(pending[i]) for i in redo)
        bar = _progress(n_docs, 0, progress, desc="with fallback answers")

        def tasks() -> Iterator[tuple[ChunkTask, Any]]:
            for index, docs in _chunks(iter_documents(src, text_column=text_column), size):
                if index not in redo:
                    continue
                asked = pending[index]
                book = {k: answers[k] for ks in asked.values() for k in ks if k in answers}
                existing = {t: state.part(t, index).read_bytes() for t in ("places", "events", "itin")}
                task = ChunkTask(
                    index=index, docs=[docs[p] for p in sorted(asked) if p < len(docs)], settings=settings,
                    mode="book", date=date_s, gazetteer=gazetteer, book=book, existing=existing,
                    order=[d.doc_id for d in docs],
                )
                yield task, index

        def stored(result: ChunkResult, index: int) -> None:
            rec = ledger[index]
            old_errors = state.part("errors", index, ".jsonl").read_text(encoding="utf-8")
            result.errors = [json.loads(x) for x in old_errors.splitlines() if x.strip()] + result.errors
            counts = {**rec["counts"], **{k: result.counts[k] for k in ("places", "resolved", "events")}}
            counts["failed"] = len(result.errors)
            counts["ok"] = counts["documents"] - counts["failed"]
            result.counts = counts
            state.store(result, fingerprint=rec["fp"], stage="final", pending=None)
            ledger[index] = {**rec, "stage": "final", "counts": counts}
            bar.update(len(pending[index]))

        try:
            drive(eng, tasks(), stored)
        finally:
            bar.close()
    return {"questions": len(keys), "answered": found, "documents_redone": sum(len(pending[i]) for i in redo)}

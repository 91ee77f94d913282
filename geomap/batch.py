"""Corpus-scale runs: many articles in, GeoParquet datasets, a map and a report out.

``run_batch`` reads a folder of .txt files, a JSONL file (``id``, ``text``,
optional ``date``) or a CSV file, analyses the documents in chunks on local
processes or a Dask cluster, and writes one GeoParquet dataset (a folder of part
files) per table::

    OUT/places/part-000000.parquet ...    one part per chunk
    OUT/events/part-000000.parquet ...
    OUT/stops/part-000000.parquet         itineraries span documents: built at the end
    OUT/legs/part-000000.parquet
    OUT/errors.jsonl                      documents that could not be read or analysed
    OUT/report.json, OUT/report.md        counts
    OUT/map.html                          all events, stops and legs (when geomap.render is there)
    OUT/_state/                           what makes the run resumable

A run is resumable: each finished chunk is written with temp files and renames,
then recorded in ``_state/ledger.jsonl``. A run that is killed and started again
with the same command skips the chunks already done, so no row is written twice.
One run at a time writes into a folder (``_state/lock``, via ``filelock``): a second
refuses at once. Local workers end with the run that started them, however it ends.

A document that cannot be read or analysed (malformed JSON, a lone surrogate, a
line over 20 MiB, a binary file) is listed in ``errors.jsonl`` and the others go
on; inputs that are not regular files (FIFOs, devices) are refused before they are
opened. The report counts what the part files hold. The finishing step keeps memory
bounded: itineraries are built one traveller at a time, and above
:data:`MAP_EVENT_LIMIT` events the map shows one marker per place with its count.

Names the gazetteer lacks go to the online fallback in a second pass: every
document is analysed offline first, the distinct names are resolved once in
this (driver) process through the cached, rate-limited fallback, and only the
documents that asked are analysed again with those answers. Workers never use
the network, so the service's rate limit holds however many workers run.

>>> from geomap.batch import run_batch                               # doctest: +SKIP
>>> result = run_batch("articles.jsonl", "output/run1", workers=2)   # doctest: +SKIP
>>> result.counts["events"]                                          # doctest: +SKIP
>>> result.to_dask("events").groupby("country_code").size().compute()  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _batch_work
from ._batch_input import Doc, count_documents, input_kind, iter_documents
from ._batch_work import TABLES, ChunkResult, ChunkTask, split_key
from .errors import ConfigError, GeomapError, InputError, OutputError
from .io import atomic_path, write_text
from .settings import Settings, from_env

__all__ = ["BatchResult", "run_batch", "read_batch", "add_batch_parser", "cmd_batch", "ENGINES", "DEFAULT_CHUNK_SIZE",
           "MAP_EVENT_LIMIT", "MAP_ITINERARY_LIMIT"]

ENGINES = ("local", "dask")
DEFAULT_CHUNK_SIZE = 100
#: Above this many events the summary map shows one marker per place, with its count of events.
MAP_EVENT_LIMIT = 2_000
#: The summary map draws at most this many itineraries (those with the most stops) ...
MAP_ITINERARY_LIMIT = 20
#: ... with at most this many stops in all (the first itinerary is always drawn).
MAP_STOP_LIMIT = 400
_STATE = "_state"
_STATE_VERSION = 1
_PART = "part-{:06d}"


def _read_records(path: Path, key_of: Any) -> dict[Any, dict[str, Any]]:
    """The records of a JSON Lines file by ``key_of(record)``, later lines winning; torn or odd lines skipped."""
    out: dict[Any, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        try:
            rec = json.loads(line)
            out[key_of(rec)] = rec
        except (ValueError, KeyError, TypeError):
            continue
    return out


def _append_record(path: Path, rec: dict[str, Any], *, sync: bool) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        fh.flush()
        if sync:
            os.fsync(fh.fileno())


# ---------------------------------------------------------------- results


@dataclass
class BatchResult:
    """Where a batch wrote its outputs, and how many of each it found."""

    output_dir: Path
    paths: dict[str, Path]
    counts: dict[str, Any]
    seconds: float = 0.0

    def to_dask(self, table: str = "events"):
        """The ``table`` dataset as a lazy ``dask_geopandas.GeoDataFrame`` (one partition per part file)."""
        return read_batch(self.output_dir, table)

    def to_geopandas(self, table: str = "events"):
        """The ``table`` dataset read into memory as a ``geopandas.GeoDataFrame``."""
        import geopandas as gpd

        return gpd.read_parquet(_table_dir(self.output_dir, table))


def _table_dir(output_dir: str | Path, table: str) -> Path:
    if table not in TABLES:
        raise ConfigError(f"unknown table {table!r}; use one of {', '.join(TABLES)}")
    path = Path(output_dir) / table
    if not path.is_dir() or not any(path.glob("part-*.parquet")):
        raise InputError(f"{path}: no batch output here (run 'geomap batch' first)")
    return path


def read_batch(output_dir: str | Path, table: str = "events"):
    """A batch output table as a ``dask_geopandas.GeoDataFrame``.

    ``table`` is one of ``places``, ``events``, ``stops``, ``legs`` (columns as in
    :mod:`geomap.frames`). Nothing is read until ``.compute()``.

    >>> events = read_batch("output/run1", "events")                       # doctest: +SKIP
    >>> events[events.status == "planned"].compute()                       # doctest: +SKIP
    """
    path = _table_dir(output_dir, table)
    try:
        import dask_geopandas
    except ImportError:
        raise ConfigError("reading batch output lazily needs dask-geopandas: pip install dask-geopandas") from None
    return dask_geopandas.read_parquet(str(path))


# ---------------------------------------------------------------- run state on disk


def _write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


class _State:
    """The ``_state`` folder: run settings, the done-ledger, per-chunk sidecars and fallback answers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / _STATE
        self.ledger_path = self.dir / "ledger.jsonl"
        self.answers_path = self.dir / "answers.jsonl"

    def part(self, kind: str, index: int, suffix: str = ".parquet") -> Path:
        base = self.root / kind if kind in TABLES else self.dir / kind
        return base / (_PART.format(index) + suffix)

    def open_run(self, chunk_size: int | None) -> int:
        """The chunk size of this output folder (fixed by its first run)."""
        meta_path = self.dir / "run.json"
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            stored = meta.get("chunk_size")
            if isinstance(stored, int) and meta.get("version") == _STATE_VERSION:
                if chunk_size is not None and chunk_size != stored:
                    raise ConfigError(
                        f"{self.root}: this output folder was started with chunk size {stored}; "
                        "use the same chunk size or a new output folder"
                    )
                return stored
        size = chunk_size or DEFAULT_CHUNK_SIZE
        if size < 1:
            raise ConfigError(f"chunk size must be at least 1, got {size}")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.dir}: cannot create ({exc.strerror})") from None
        write_text(meta_path, json.dumps({"version": _STATE_VERSION, "chunk_size": size}) + "\n")
        return size

    def read_ledger(self) -> dict[int, dict[str, Any]]:
        """Chunk index -> its latest record; a line torn by a crash is ignored."""
        return _read_records(self.ledger_path, lambda rec: int(rec["chunk"]))

    def record(self, rec: dict[str, Any]) -> None:
        """Append one ledger line, after the chunk's files are in place."""
        _append_record(self.ledger_path, rec, sync=True)

    def read_answers(self) -> dict[str, dict[str, Any]]:
        return _read_records(self.answers_path, lambda rec: rec["key"])

    def add_answer(self, rec: dict[str, Any]) -> None:
        _append_record(self.answers_path, rec, sync=False)

    def store(self, result: ChunkResult, *, fingerprint: str, stage: str, pending: dict[int, list[str]] | None) -> None:
        """Write a finished chunk's files (each by temp file + rename), then record it as done."""
        for table in ("places", "events"):
            _write_bytes(self.part(table, result.index), result.parts[table])
        _write_bytes(self.part("itin", result.index), result.parts["itin"])
        errors = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in result.errors)
        _write_bytes(self.part("errors", result.index, ".jsonl"), errors.encode("utf-8"))
        if pending is not None:
            doc = {str(k): v for k, v in sorted(pending.items())}
            _write_bytes(self.part("pending", result.index, ".json"), json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        self.record({"chunk": result.index, "fp": fingerprint, "stage": stage, "counts": result.counts})

    def read_pending(self, index: int) -> dict[int, list[str]]:
        try:
            raw = json.loads(self.part("pending", index, ".json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {int(k): v for k, v in raw.items()}

    def prune(self, n_chunks: int) -> None:
        """Remove part files of chunks beyond the input's end (the input shrank) and temp files of killed runs."""
        folders = [self.root / t for t in TABLES] + [self.dir / k for k in ("itin", "errors", "pending")]
        for folder in folders:
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if p.name.startswith(".") and ".part-" in p.name:
                    p.unlink(missing_ok=True)
                elif p.name.startswith("part-") and folder.name not in ("stops", "legs"):
                    try:
                        index = int(p.name[5:11])
                    except ValueError:
                        continue
                    if index >= n_chunks:
                        p.unlink(missing_ok=True)


def _fingerprint(docs: list[Doc], mode: str, date: str | None) -> str:
    """What a chunk's output depends on (not where the input lies: a moved input is not redone)."""
    h = hashlib.sha1(f"{_STATE_VERSION}|{mode}|{date or ''}".encode())
    for d in docs:
        for part in (d.doc_id, d.date or "", "error" if d.error else "", d.text or ""):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
    return h.hexdigest()


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


# ---------------------------------------------------------------- engines


class _Serial:
    """In this process, one chunk at a time (``workers=1``)."""

    slots = 1
    workers = 1

    def submit(self, task: ChunkTask) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(_batch_work.run_chunk(task))
        except BaseException as exc:  # handed to the caller through the future, like the pools do
            fut.set_exception(exc)
        return fut

    def wait(self, futures: set) -> tuple[set, set]:
        done, rest = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self) -> None:
        pass


class _Processes(_Serial):
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``; nothing to start beforehand)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        # forkserver: workers start from a clean process, so no SQLite connection is inherited by fork
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["geomap._batch_work", "geomap.api"])
        self.workers = workers
        self.slots = workers * 2
        # workers (and the forkserver) end when this process ends, however it ends
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_batch_work.worker_init, initargs=(os.getpid(),),
        )

    def submit(self, task: ChunkTask) -> cf.Future:
        return self.pool.submit(_batch_work.run_chunk, task)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask cluster: the one at ``scheduler``, or a ``LocalCluster`` on 127.0.0.1."""

    def __init__(self, workers: int | None, scheduler: str | None, gazetteer: Any | None, processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--engine dask needs dask.distributed: pip install 'dask[distributed]' dask-geopandas") from None
        import logging

        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=processes,
                    host="127.0.0.1", protocol="tcp", dashboard_address=None, silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            if self.cluster is not None:
                self.cluster.close()
            raise ConfigError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({exc})") from None
        self.workers = sum(self.client.nthreads().values()) or 1
        self.slots = self.workers * 2
        self.gazetteer = self.client.scatter(gazetteer, broadcast=True) if gazetteer is not None else None

    def submit(self, task: ChunkTask):
        if self.gazetteer is not None:
            task.gazetteer = None
            return self.client.submit(_batch_work.run_chunk_with, task, self.gazetteer, pure=False)
        return self.client.submit(_batch_work.run_chunk, task, pure=False)

    def wait(self, futures: set) -> tuple[set, set]:
        from distributed import wait

        done, rest = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _engine_check(engine: str, workers: int | None, scheduler: str | None) -> None:
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if scheduler and engine != "dask":
        raise ConfigError("--scheduler needs --engine dask")


def _engine(engine: str, workers: int | None, scheduler: str | None, gazetteer: Any | None, dask_processes: bool):
    _engine_check(engine, workers, scheduler)
    if engine == "dask":
        return _Dask(workers, scheduler, gazetteer, processes=dask_processes)
    n = workers or os.cpu_count() or 1
    return _Serial() if n == 1 else _Processes(n)


def _drive(engine: Any, tasks: Iterable[tuple[ChunkTask, Any]], on_done) -> None:
    """Run tasks with a bounded number in flight (memory stays flat however long the corpus)."""
    from concurrent.futures.process import BrokenProcessPool

    inflight: dict[Any, Any] = {}
    it = iter(tasks)
    exhausted = False
    try:
        while True:
            while not exhausted and len(inflight) < engine.slots:
                try:
                    task, extra = next(it)
                except StopIteration:
                    exhausted = True
                    break
                inflight[engine.submit(task)] = extra
            if not inflight:
                return
            done, _ = engine.wait(set(inflight))
            for fut in done:
                extra = inflight.pop(fut)
                on_done(fut.result(), extra)
    except BrokenProcessPool:
        raise GeomapError("a worker process died (out of memory?); run the same command again to resume") from None


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
        Folder for the outputs (see :mod:`geomap.batch`). Running again into the same
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
    _engine_check(engine, workers, scheduler)

    created = not out.exists()
    lock = _lock_folder(out)
    try:
        return _run_locked(
            src, out, kind, s, date_s, mode, total, engine=engine, workers=workers, scheduler=scheduler,
            text_column=text_column, progress=progress, chunk_size=chunk_size, gazetteer=gazetteer,
            fallback=fallback, dask_processes=dask_processes, t0=t0,
        )
    except BaseException:
        if created and not (out / _STATE / "ledger.jsonl").exists():
            lock.release()
            shutil.rmtree(out, ignore_errors=True)  # this run made the folder and stored nothing in it
        raise
    finally:
        lock.release()


def _lock_folder(out: Path) -> Any:
    """Hold the output folder for this run: a second run into it refuses at once (``filelock``)."""
    from filelock import FileLock, Timeout

    try:
        (out / _STATE).mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(out / _STATE / "lock"), timeout=0)
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
    state = _State(out)
    size = state.open_run(chunk_size)
    ledger = state.read_ledger()
    if gazetteer is None and not scheduler:
        from .api import open_gazetteer

        open_gazetteer(s)  # build the index once here, before workers open it read-only
    eng = _engine(engine, workers, scheduler, gazetteer, dask_processes)
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
                fp = _fingerprint(docs, mode, date_s)
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

        _drive(eng, tasks(), stored)
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
    return _finish(
        out, src, state, ledger, n_chunks, s, seconds=seconds, stats=stats, engine=engine,
        workers=eng.workers, fallback_counts=fallback_counts, progress=progress, t0=t0,
    )


def _fallback_pass(
    eng: Any, state: _State, ledger: dict[int, dict[str, Any]], src: Path, text_column: str, size: int,
    settings: Settings, date_s: str | None, gazetteer: Any | None, fallback: Any | None, progress: bool,
) -> dict[str, int]:
    todo = sorted(i for i, rec in ledger.items() if rec.get("stage") == "local")
    pending = {i: state.read_pending(i) for i in todo}
    keys = sorted({k for p in pending.values() for ks in p.values() for k in ks})
    answers = state.read_answers()
    ask = [k for k in keys if k not in answers]
    if ask:
        from .api import make_fallback

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
            _drive(eng, tasks(), stored)
        finally:
            bar.close()
    return {"questions": len(keys), "answered": found, "documents_redone": sum(len(pending[i]) for i in redo)}


# ---------------------------------------------------------------- final outputs


def _finish(
    out: Path, src: Path, state: _State, ledger: dict[int, dict[str, Any]], n_chunks: int, settings: Settings,
    *, seconds: float, stats: dict[str, Any], engine: str, workers: int, fallback_counts: dict[str, int],
    progress: bool, t0: float,
) -> BatchResult:
    """Everything that spans chunks, written idempotently: errors, stops, legs, map and report.

    Memory stays bounded by the largest traveller, not by the corpus: errors are
    copied chunk by chunk, itineraries are built one traveller at a time from the
    columns they need, counts come from the part files' metadata, and above
    :data:`MAP_EVENT_LIMIT` events the map shows places with their counts.
    """
    import pyarrow.parquet as pq

    from . import frames

    t_finish = time.perf_counter()
    paths: dict[str, Path] = {t: out / t for t in TABLES}
    # errors.jsonl: every chunk's errors, in input order, copied chunk by chunk
    failed = 0
    with atomic_path(out / "errors.jsonl") as tmp, tmp.open("wb") as fh:
        for i in range(n_chunks):
            p = state.part("errors", i, ".jsonl")
            if p.exists():
                data = p.read_bytes()
                failed += data.count(b"\n")
                fh.write(data)
    paths["errors"] = out / "errors.jsonl"

    n_itineraries, n_stops, n_legs, top = _write_itineraries(state, n_chunks)
    for table in ("places", "events"):
        if not any((out / table).glob("part-*.parquet")):
            empty = getattr(frames, f"{table}_frame")([])
            _write_bytes(state.part(table, 0), _batch_work.frame_to_parquet(empty, table))

    # counts from what is on disk, not from what the workers said
    def rows(table: str) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted((out / table).glob("part-*.parquet")))

    n_places, n_events = rows("places"), rows("events")
    unresolved = _unresolved_summary(out / "places")
    n_unresolved = sum(unresolved["by_reason"].values())
    documents = sum(int(rec.get("counts", {}).get("documents", 0)) for rec in ledger.values())
    totals = {"documents": documents, "ok": documents - failed, "failed": failed, "places": n_places,
              "resolved": n_places - n_unresolved, "events": n_events}

    # the summary map, when the renderer is installed
    map_path: Path | None = None
    map_note = None
    try:
        from .render import build_map, save_map
    except ImportError as exc:
        map_note = f"no map: geomap.render is not available ({exc})"
    else:
        events, note = _map_events(out / "events", n_events)
        stops, legs = _map_itineraries(out, top)
        cut = sum(n for _, n in top) < n_stops
        if note or cut:
            shown = (f"{len(top)} of {n_itineraries:,} itineraries (those with the most stops), "
                     f"{sum(n for _, n in top):,} of {n_stops:,} stops") if cut else ""
            map_note = "summary map: " + "; ".join(x for x in (note, shown) if x)
        m = build_map(events=events, stops=stops, legs=legs, offline=settings.offline, title=f"geomap batch: {src.name}")
        map_path = out / "map.html"
        save_map(m, map_path, offline=settings.offline)
        paths["map"] = map_path
        del m, events, stops, legs

    done = stats["processed"]
    counts: dict[str, Any] = {
        **totals,
        "unresolved": n_unresolved,
        "itineraries": n_itineraries,
        "stops": n_stops,
        "legs": n_legs,
        "chunks": n_chunks,
        "documents_this_run": done,
        "documents_resumed": stats["skipped"],
    }
    finish = time.perf_counter() - t_finish
    analysis = stats.get("analysis_seconds", seconds)
    report = {
        "input": str(src),
        "output": str(out),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "engine": engine,
        "workers": workers,
        "offline": settings.offline,
        "seconds": round(time.perf_counter() - t0, 2),
        "timings": {"analysis_seconds": round(analysis, 2), "finish_seconds": round(finish, 2)},
        "documents_per_second": round(done / analysis, 1) if analysis > 0 and done else None,
        "counts": counts,
        "fallback": fallback_counts or None,
        "unresolved_by_reason": unresolved["by_reason"],
        "top_unresolved_names": unresolved["top"],
        "map": str(map_path) if map_path else None,
        "map_note": map_note,
    }
    paths["report"] = write_text(out / "report.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    paths["report_md"] = write_text(out / "report.md", _report_md(report))
    if map_note and progress:
        print(f"geomap: {map_note}", file=sys.stderr)
    return BatchResult(output_dir=out, paths=paths, counts=counts, seconds=report["seconds"])


def _actor_rows(files: list[Path]) -> dict[str, int]:
    """How many itinerary rows name each actor, from the ``actors`` column alone (a row naming two counts for both)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = [pc.list_flatten(pq.read_table(f, columns=["actors"]).column("actors")) for f in files]
    names = [n for n in names if len(n)]
    if not names:
        return {}
    counted = pc.value_counts(pa.chunked_array(names, pa.string()))
    return {k: v for k, v in zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()) if k}


def _buckets(counts: dict[str, int], limit: int) -> list[list[str]]:
    """Actors in name order, cut into runs naming at most ``limit`` rows (an actor with more is a run alone)."""
    out: list[list[str]] = [[]]
    size = 0
    for name in sorted(counts):
        if out[-1] and size + counts[name] > limit:
            out.append([])
            size = 0
        out[-1].append(name)
        size += counts[name]
    return [b for b in out if b]


def _bucket_tables(files: list[Path], buckets: list[list[str]], spill: Path) -> Iterator[tuple[list[str], Any]]:
    """(actors, the itinerary rows naming any of them as one table) per bucket.

    With one bucket the rows are read as they are; with more, one pass over the part files
    copies each bucket's rows into its own file under ``spill``, so that each part is read once
    and only one bucket's rows are in memory at a time.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = _batch_work.ITIN_SCHEMA
    if len(buckets) <= 1:
        tables = [_batch_work.read_itin(f) for f in files]
        if buckets:
            yield buckets[0], pa.concat_tables(tables).combine_chunks() if tables else schema.empty_table()
        return
    names = pa.array([n for b in buckets for n in b], pa.string())
    bucket_of = np.repeat(np.arange(len(buckets)), [len(b) for b in buckets])
    spill.mkdir(parents=True, exist_ok=True)
    writers = [pq.ParquetWriter(str(spill / f"bucket-{i:04d}.parquet"), schema) for i in range(len(buckets))]
    pending: list[list[Any]] = [[] for _ in buckets]
    try:
        for f in files:
            t = _batch_work.read_itin(f)
            actors = t.column("actors").combine_chunks()
            at = pc.fill_null(pc.index_in(pc.list_flatten(actors), value_set=names), -1).to_numpy()
            parents = pc.list_parent_indices(actors).to_numpy()
            known = at >= 0
            which = bucket_of[at[known]]
            rows_of = parents[known]
            for i in np.unique(which):
                pending[i].append(t.take(pa.array(np.unique(rows_of[which == i]))))
                if sum(x.num_rows for x in pending[i]) >= _ROWS_PER_WRITE:
                    writers[i].write_table(pa.concat_tables(pending[i]))
                    pending[i].clear()
        for i, w in enumerate(writers):
            if pending[i]:
                w.write_table(pa.concat_tables(pending[i]))
            pending[i].clear()
            w.close()
        for i, bucket in enumerate(buckets):
            path = spill / f"bucket-{i:04d}.parquet"
            t = pq.read_table(path).combine_chunks()
            path.unlink()
            yield bucket, t
            del t
    finally:
        for w in writers:
            w.close()
        shutil.rmtree(spill, ignore_errors=True)


def _by_actor(itin: Any, only: list[str]) -> Iterator[tuple[str, Any]]:
    """(actor, row indices of the events naming that actor) for the actors in ``only``, in sorted order.

    A description ("officials") makes one itinerary per article, so its rows come in runs of
    whole articles of at most about :data:`_ROWS_PER_WRITE` rows (each run built on its own).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .events.vocabulary import is_description

    actors = itin.column("actors").combine_chunks() if itin.num_rows else pa.array([], pa.list_(pa.string()))
    names = pc.list_flatten(actors)
    if len(names) == 0:
        return
    keep = pc.is_in(names, value_set=pa.array(only, pa.string())).to_numpy(zero_copy_only=False)
    rows = pc.list_parent_indices(actors).to_numpy()[keep]
    names = names.filter(pa.array(keep))
    order = pc.sort_indices(names).to_numpy()
    sorted_names = names.take(pa.array(order)).to_pylist()
    sorted_rows = rows[order]
    docs = itin.column("doc_id")
    start = 0
    for i in range(1, len(sorted_names) + 1):
        if i == len(sorted_names) or sorted_names[i] != sorted_names[start]:
            actor, these = sorted_names[start], np.unique(sorted_rows[start:i])
            start = i
            if not is_description(actor) or len(these) <= _ROWS_PER_WRITE:
                yield actor, these
                continue
            by_doc = these[pc.sort_indices(docs.take(pa.array(these))).to_numpy()]
            doc_of = docs.take(pa.array(by_doc)).to_pylist()
            cut = 0
            for j in range(1, len(by_doc) + 1):
                if j == len(by_doc) or (j - cut >= _ROWS_PER_WRITE and doc_of[j] != doc_of[j - 1]):
                    yield actor, by_doc[cut:j]
                    cut = j


def _write_itineraries(state: _State, n_chunks: int) -> tuple[int, int, int, list[tuple[str, int]]]:
    """Build the itineraries one traveller at a time and write ``stops/`` and ``legs/`` as they are built.

    A traveller's itinerary depends only on the events that name them, so each is built
    from those rows alone. Travellers come in name order, a bucket of them at a time
    (:func:`_bucket_tables`), so memory is bounded by a bucket (or the largest traveller),
    not by the corpus. Stops and legs are written in that order, each traveller's in
    ``seq`` order; legs get their lines as they are written.
    Returns the counts and the travellers the map draws: those with the most stops.
    """
    import pyarrow as pa

    from .itinerary import build_itineraries

    files = [p for i in range(n_chunks) if (p := state.part("itin", i)).exists()]
    sizes: dict[str, int] = {}
    batch: list[Any] = []
    with _GeoWriter(state.part("stops", 0), "stops") as stops, _GeoWriter(state.part("legs", 0), "legs") as legs:

        def flush() -> None:
            stops.write(_stops_table(batch))
            legs.write(_legs_table(batch))
            batch.clear()

        spill = state.dir / "buckets"
        shutil.rmtree(spill, ignore_errors=True)  # left by a killed run
        for only, itin in _bucket_tables(files, _buckets(_actor_rows(files), _ROWS_PER_BUCKET), spill):
            for actor, rows in _by_actor(itin, only):
                events = _batch_work.events_from_itin(itin.take(pa.array(rows)))
                for it in build_itineraries(events, actors={actor}):
                    batch.append(it)
                    sizes[it.actor] = len(it.stops)
                if sum(len(it.stops) for it in batch) >= _ROWS_PER_WRITE:
                    flush()
        flush()
    ranking = sorted(sizes, key=lambda a: (-sizes[a], a))
    shown: list[tuple[str, int]] = []  # (traveller, stops drawn)
    budget = MAP_STOP_LIMIT
    for actor in ranking:
        if len(shown) >= MAP_ITINERARY_LIMIT or budget <= 0:
            break
        if sizes[actor] <= budget or not shown:
            shown.append((actor, min(sizes[actor], budget)))
            budget -= sizes[actor]
    return len(ranking), stops.rows, legs.rows, shown


_ENDS = ("from_lat", "from_lon", "to_lat", "to_lon")


def _stops_table(itineraries: list[Any]) -> Any:
    """The stops' columns as :func:`geomap.frames.stops_frame` types them, without their points (made when written)."""
    import pandas as pd
    import pyarrow as pa

    from . import frames

    types = _batch_work.SCHEMAS["stops"]
    fields = [c for c in frames.STOP_COLUMNS if c not in ("actor", "seq")]
    cols: dict[str, list[Any]] = {
        "actor": [it.actor for it in itineraries for _ in it.stops],
        "seq": [seq for it in itineraries for seq in range(1, len(it.stops) + 1)],
    }
    stops = [s for it in itineraries for s in it.stops]
    for c in fields:
        cols[c] = [getattr(s, c) for s in stops]
    # a date is a day at pandas' resolution in the frame, then text in every batch table (as its parts write it)
    dates = pd.to_datetime(pd.Series([v or None for v in cols.pop("date")], dtype=object), errors="coerce",
                           format="ISO8601").astype("datetime64[ns]")
    arrays = {c: pa.array(v, types[c]) for c, v in cols.items()}
    arrays["date"] = pa.array(dates).cast(types["date"])
    return pa.table({c: arrays[c] for c in frames.STOP_COLUMNS})


def _legs_table(itineraries: list[Any]) -> Any:
    """The legs' columns with the ends of each leg instead of its line (drawn when written)."""
    import pyarrow as pa

    from . import frames

    types = _batch_work.SCHEMAS["legs"]
    cols: dict[str, list[Any]] = {c: [] for c in (*frames.LEG_COLUMNS, *_ENDS)}
    for it in itineraries:
        for seq, leg in enumerate(it.legs, 1):
            row = {"actor": it.actor, "seq": seq, **leg.to_dict()}
            for c in frames.LEG_COLUMNS:
                cols[c].append(row[c])
            for c, v in zip(_ENDS, (leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon)):
                cols[c].append(v)
    return pa.table({c: pa.array(v, types.get(c, pa.float64())) for c, v in cols.items()})


def _geometry(table: str, piece: Any) -> tuple[Any, Any, set[int]]:
    """WKB of a slice's points (stops) or great circles (legs), each distinct one made once; bounds; type ids."""
    import numpy as np
    import pyarrow as pa
    import shapely

    from . import frames

    cols = ("lat", "lon") if table == "stops" else _ENDS
    keys = list(zip(*(piece.column(c).to_pylist() for c in cols)))
    distinct = list(dict.fromkeys(keys))
    if table == "stops":
        geoms = np.array(frames.points([k[0] for k in distinct], [k[1] for k in distinct]), dtype=object)
    else:
        geoms = np.array(frames.great_circles(distinct), dtype=object)
    at = {k: i for i, k in enumerate(distinct)}
    index = np.array([at[k] for k in keys], dtype=np.int64)
    wkb = pa.array(shapely.to_wkb(geoms, flavor="iso"), pa.binary()).take(pa.array(index))
    known = geoms[shapely.get_type_id(geoms) >= 0] if len(geoms) else geoms
    return wkb, shapely.bounds(known), {int(x) for x in np.unique(shapely.get_type_id(known))}


#: Rows per write of the stops and legs (a slice's points and lines are made together).
_ROWS_PER_WRITE = 20_000
#: The finishing step holds the itinerary rows of at most about this many events at a time.
_ROWS_PER_BUCKET = 400_000
#: GeoParquet's names of shapely's geometry type ids (as geopandas writes them).
_GEOMETRY_TYPES = ("Point", "LineString", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
                   "GeometryCollection")


class _GeoWriter:
    """A GeoParquet file of stops or legs written a slice at a time, in place only once complete.

    Each slice gets its geometry (points, or great-circle lines for legs) when written; the
    GeoParquet metadata (geometry types, bounding box) covers every row.
    """

    def __init__(self, path: Path, table: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from . import frames

        self.path, self.table, self.rows = path, table, 0
        empty = getattr(frames, f"{table}_frame")([])
        self.schema = pq.read_table(pa.BufferReader(_batch_work.frame_to_parquet(empty, table))).schema
        self.geo = json.loads(self.schema.metadata[b"geo"])
        self.types: set[int] = set()
        self.bounds = [math.inf, math.inf, -math.inf, -math.inf]
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> _GeoWriter:
        import pyarrow.parquet as pq

        tmp = self._stack.enter_context(atomic_path(self.path))
        # the geo metadata is known only after the last slice: written into the file's key-value metadata
        # at the end, with no stored Arrow schema, so that readers take the schema metadata from there
        # (these column types read back the same without it)
        self.writer = self._stack.enter_context(pq.ParquetWriter(str(tmp), self.schema.remove_metadata(), store_schema=False))
        return self

    def write(self, t: Any) -> None:
        for i in range(0, t.num_rows, _ROWS_PER_WRITE):
            piece = t.slice(i, _ROWS_PER_WRITE)
            wkb, box, kinds = _geometry(self.table, piece)
            self.types |= kinds
            if len(box):
                self.bounds = [min(self.bounds[0], box[:, 0].min()), min(self.bounds[1], box[:, 1].min()),
                               max(self.bounds[2], box[:, 2].max()), max(self.bounds[3], box[:, 3].max())]
            piece = piece.append_column("geometry", wkb)
            self.writer.write_table(piece.select(self.schema.names).cast(self.schema.remove_metadata()))
            self.rows += piece.num_rows

    def __exit__(self, *exc: Any) -> bool | None:
        if exc[0] is None:
            column = self.geo["columns"][self.geo["primary_column"]]
            column["geometry_types"] = sorted({_GEOMETRY_TYPES[x] for x in self.types})
            if all(math.isfinite(b) for b in self.bounds):
                column["bbox"] = [float(b) for b in self.bounds]
            self.writer.add_key_value_metadata({"geo": json.dumps(self.geo)})
        return self._stack.__exit__(*exc)


def _map_events(events_dir: Path, n_events: int) -> tuple[Any, str | None]:
    """The events frame the summary map draws: every event, or above :data:`MAP_EVENT_LIMIT`
    one marker per place (at most that many, the busiest) saying how many events it has."""
    import geopandas as gpd
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    from . import frames
    from .model import Event

    if n_events <= MAP_EVENT_LIMIT:
        return gpd.read_parquet(events_dir), None
    data = ds.dataset(str(events_dir), format="parquet")
    t = data.to_table(columns=["place", "lat", "lon", "date"], filter=pc.field("lat").is_valid())
    grouped = t.group_by(["place", "lat", "lon"]).aggregate([("date", "min"), ("date", "max"), ("place", "count")])
    grouped = grouped.sort_by([("place_count", "descending"), ("place", "ascending")]).slice(0, MAP_EVENT_LIMIT)
    rows = grouped.to_pylist()
    markers = [
        Event(
            event_id=f"place-{i}", actors=(), action="events", place=r["place"], lat=r["lat"], lon=r["lon"],
            date=r["date_min"], status="occurred",
            sentence=f"{r['place_count']:,} events at {r['place']}"
            + (f", {r['date_min']} to {r['date_max']}" if r["date_min"] and r["date_max"] != r["date_min"] else ""),
        )
        for i, r in enumerate(rows, 1)
    ]
    places = grouped.num_rows
    note = (f"{n_events:,} events shown as {places:,} places with their counts"
            + (f" (the {MAP_EVENT_LIMIT:,} busiest)" if len(rows) == MAP_EVENT_LIMIT else ""))
    return frames.events_frame(markers), note


def _map_itineraries(out: Path, shown: list[tuple[str, int]]) -> tuple[Any, Any]:
    """The stops and legs the map draws: for each (traveller, n), the first n stops and the legs between them."""
    import geopandas as gpd

    if not shown:
        return gpd.read_parquet(out / "stops"), gpd.read_parquet(out / "legs")
    stops = [[("actor", "==", a), ("seq", "<=", n)] for a, n in shown]
    legs = [[("actor", "==", a), ("seq", "<", n)] for a, n in shown]
    return gpd.read_parquet(out / "stops", filters=stops), gpd.read_parquet(out / "legs", filters=legs)


def _unresolved_summary(places_dir: Path, top: int = 20) -> dict[str, Any]:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    data = ds.dataset(str(places_dir), format="parquet")
    t = data.to_table(columns=["name", "unresolved_reason"], filter=pc.field("lat").is_null())
    by_reason: dict[str, int] = {}
    names: dict[str, int] = {}
    if t.num_rows:
        for row in t.group_by("unresolved_reason").aggregate([("name", "count")]).to_pylist():
            by_reason[row["unresolved_reason"] or "unknown"] = row["name_count"]
        counted = t.group_by("name").aggregate([("name", "count")]).sort_by([("name_count", "descending"), ("name", "ascending")])
        names = {r["name"]: r["name_count"] for r in counted.slice(0, top).to_pylist()}
    return {"by_reason": by_reason, "top": names}


def _report_md(r: dict[str, Any]) -> str:
    c = r["counts"]
    lines = [
        f"# geomap batch: {Path(r['input']).name}",
        "",
        f"Finished {r['finished']} in {r['seconds']} s on the {r['engine']} engine ({r['workers']} workers)"
        + (f", {r['documents_per_second']} documents/s." if r["documents_per_second"] else "."),
        "",
        "| | count |",
        "|---|---:|",
    ]
    for key in ("documents", "ok", "failed", "places", "resolved", "unresolved", "events", "itineraries", "stops", "legs"):
        lines.append(f"| {key} | {c[key]} |")
    if c["documents_resumed"]:
        lines += ["", f"{c['documents_resumed']} documents were done by an earlier run and kept."]
    if r["fallback"]:
        f = r["fallback"]
        lines += ["", f"Online fallback: {f['questions']} distinct questions (name, kind, countries), "
                  f"{f['answered']} answered; {f['documents_redone']} documents finished with the answers."]
    if r["unresolved_by_reason"]:
        lines += ["", "## Unresolved names", "", "| reason | mentions |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(r["unresolved_by_reason"].items(), key=lambda kv: -kv[1])]
        top = ", ".join(f"{n} ({k})" for n, k in r["top_unresolved_names"].items())
        lines += ["", f"Most frequent: {top}"]
    if c["failed"]:
        lines += ["", f"{c['failed']} documents failed: see errors.jsonl."]
    if r["map_note"]:
        lines += ["", r["map_note"]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- command line


def add_batch_parser(subparsers: Any) -> None:
    """Add ``geomap batch`` to the CLI's subparsers."""
    from .cli import _date, _resolver_options

    p = subparsers.add_parser(
        "batch",
        help="a corpus (folder, JSONL or CSV) to GeoParquet datasets, a map and a report; resumable",
        description="Analyse many articles. Run the same command again to resume an interrupted run.",
    )
    p.add_argument("input", help="a folder of .txt files, a JSONL file (id, text, date) or a CSV file")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="output folder (e.g. output/run1/)")
    p.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="publication date of documents that carry none")
    p.add_argument("--text-column", default="text", metavar="NAME", help="field with the article text in JSONL/CSV (default: text)")
    g = p.add_argument_group("execution")
    g.add_argument("--engine", choices=ENGINES, default="local", help="local processes (default) or a Dask cluster")
    g.add_argument("--scheduler", metavar="ADDRESS", help="join an existing Dask cluster (tcp://host:8786); implies --engine dask")
    g.add_argument("--workers", type=int, metavar="N", help="worker processes (default: CPU count; 1 runs in this process)")
    g.add_argument("--chunk-size", type=int, metavar="N", help=f"documents per resumable chunk (default {DEFAULT_CHUNK_SIZE})")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    _resolver_options(p)


def cmd_batch(args: argparse.Namespace) -> int:
    """``geomap batch``: run, then one summary line on stderr."""
    from .cli import _settings

    engine = "dask" if args.scheduler else args.engine
    result = run_batch(
        args.input, args.output, engine=engine, workers=args.workers, scheduler=args.scheduler,
        settings=_settings(args), date=args.date, text_column=args.text_column,
        progress=not args.no_progress, chunk_size=args.chunk_size,
    )
    c = result.counts
    print(
        f"geomap: {c['documents']} documents ({c['failed']} failed, see errors.jsonl), {c['places']} places, "
        f"{c['events']} events, {c['itineraries']} itineraries in {result.seconds:.1f} s -> {result.output_dir}",
        file=sys.stderr,
    )
    return 0


def _main(argv: list[str] | None = None) -> int:
    """``python -m geomap.batch`` (the same as ``geomap batch``)."""
    parser = argparse.ArgumentParser(prog="python -m geomap.batch")
    add_batch_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["batch", *(sys.argv[1:] if argv is None else argv)])
    try:
        return cmd_batch(args)
    except GeomapError as exc:
        print(f"geomap: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(_main())

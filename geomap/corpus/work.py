"""The worker side of :mod:`geomap.corpus`: one chunk of documents in, GeoParquet bytes out.

This module runs in worker processes (local processes or Dask workers). It never
uses the network: names the gazetteer lacks are either left unresolved
(offline runs) or recorded as *pending* and answered later from a book of
answers that the driver process fetched once through the rate-limited fallback.
Each process opens the gazetteer index once and reuses it.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
import time
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .input import Doc, bad_unicode, printable
from ..events.vocabulary import STOP_TYPES
from ..model import Candidate, Event
from ..settings import Settings

__all__ = [
    "TABLES",
    "SCHEMAS",
    "ITIN_SCHEMA",
    "PENDING_REASON",
    "ChunkTask",
    "ChunkResult",
    "run_chunk",
    "frame_to_parquet",
    "events_from_itin",
    "read_itin",
    "worker_init",
]

#: The GeoParquet datasets of a batch output, one folder each.
TABLES = ("places", "events", "stops", "legs")

#: Reason given to names waiting for the online fallback (never left in final output).
PENDING_REASON = "pending online fallback"

_S, _I, _F = pa.string(), pa.int64(), pa.float64()

#: Fixed Arrow types per column, so that every part file of a dataset has the same schema
#: (a chunk where a column is all empty would otherwise get a ``null`` type).
SCHEMAS: dict[str, dict[str, pa.DataType]] = {
    "places": {
        "name": _S, "start": _I, "end": _I, "lat": _F, "lon": _F, "country_code": _S, "kind": _S,
        "geonameid": _I, "resolved_name": _S, "source": _S, "service": _S, "confidence": _F,
        "unresolved_reason": _S, "doc_id": _S,
    },
    "events": {
        "event_id": _S, "doc_id": _S, "actors": pa.list_(_S), "action": _S, "cameo": _S, "place": _S,
        "lat": _F, "lon": _F, "country_code": _S, "geonameid": _I, "date": _S, "date_precision": _S,
        "status": _S, "geo_precision": _I, "origin": _S, "host": _S, "sentence": _S,
        "place_start": _I, "place_end": _I, "sentence_start": _I, "event_type": _S, "targets": pa.list_(_S),
        "plover": _S, "role": _S, "fatalities": _I, "injured": _I,
    },
    "stops": {
        "actor": _S, "seq": _I, "place": _S, "lat": _F, "lon": _F, "date": _S, "status": _S,
        "action": _S, "evidence": _S, "event_id": _S, "geonameid": _I, "parent_id": _I, "doc_id": _S,
        "date_precision": _S, "role": _S,
    },
    "legs": {"actor": _S, "seq": _I, "from": _S, "to": _S, "km": _F, "status": _S},
}

#: The fields of the events that make itinerary stops, kept per chunk for the finishing step.
ITIN_SCHEMA = pa.schema([
    ("event_id", _S), ("actors", pa.list_(_S)), ("action", _S), ("place", _S), ("lat", _F), ("lon", _F),
    ("date", _S), ("status", _S), ("sentence", _S), ("sentence_start", _I), ("place_start", _I),
    ("geonameid", _I), ("parent_id", _I), ("order", _F), ("doc_id", _S), ("sort_date", _S),
    ("date_precision", _S), ("role", _S), ("event_type", _S), ("geo_precision", _I), ("country_code", _S),
])


# ---------------------------------------------------------------- Arrow / GeoParquet


def _conform(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    cols, fields = [], []
    for f, col in zip(table.schema, table.columns):
        typ = types.get(f.name, f.type)
        if f.name not in types and pa.types.is_null(typ):
            typ = _S  # a column this module does not know yet, empty in this chunk: text
        elif f.name not in types and pa.types.is_list(typ) and pa.types.is_null(typ.value_type):
            typ = pa.list_(_S)
        if col.type != typ:
            col = pa.nulls(len(col), typ) if col.null_count == len(col) else col.cast(typ)
        cols.append(col)
        fields.append(pa.field(f.name, typ))
    # pandas' own metadata describes the frame before the casts (an all-empty column as "empty"):
    # left out, so that every part of a dataset reads back the same way
    meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != b"pandas"}
    return pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=meta))


def frame_to_parquet(gdf: Any, table: str) -> bytes:
    """A frame as GeoParquet bytes with the fixed column types of ``table``."""
    raw = io.BytesIO()
    gdf.to_parquet(raw, index=False)
    conformed = _conform(pq.read_table(io.BytesIO(raw.getvalue())), SCHEMAS[table])
    out = io.BytesIO()
    pq.write_table(conformed, out)
    return out.getvalue()


def _itin_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The itinerary fields of the events that can make a stop (placed, with an actor, of a stop type)."""
    return [
        {name: list(e.actors) if name == "actors" else getattr(e, name) for name in ITIN_SCHEMA.names}
        for e in events
        if e.lat is not None and e.lon is not None and e.actors and (e.event_type or "travel") in STOP_TYPES
    ]


def read_itin(path: Path) -> pa.Table:
    """A chunk's itinerary rows (:data:`ITIN_SCHEMA`)."""
    return pq.read_table(path).select(ITIN_SCHEMA.names).cast(ITIN_SCHEMA)


#: An event as the itinerary builder reads it: the :class:`~geomap.model.Event` fields of
#: :data:`ITIN_SCHEMA` under the same names (built far faster than the frozen dataclass).
ItinEvent = namedtuple("ItinEvent", ITIN_SCHEMA.names)


def events_from_itin(table: pa.Table) -> list[ItinEvent]:
    """The events that itineraries are made of, from their stored itinerary fields (a :func:`read_itin` table)."""
    cols = table.to_pydict()
    cols["actors"] = [tuple(a or ()) for a in cols["actors"]]
    return list(map(ItinEvent._make, zip(*(cols[n] for n in ITIN_SCHEMA.names))))


# ---------------------------------------------------------------- fallbacks without network


@dataclass(frozen=True)
class _Answer:
    """Duck-typed like ``geomap.geocoders.fallback.FallbackAnswer``."""

    candidate: Candidate | None
    source: str | None
    service: str | None
    reason: str | None


def fallback_key(name: str, context: str | None, country_codes: Sequence[str] | None) -> str:
    """One string per distinct fallback question (the same name with other context is another question)."""
    return "\x1f".join((name, context or "", ",".join(country_codes or ())))


def split_key(key: str) -> tuple[str, str | None, list[str] | None]:
    name, context, codes = key.split("\x1f")
    return name, context or None, codes.split(",") if codes else None


class _Recorder:
    """Records what would be asked of the online fallback and answers "pending" for now."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def resolve(self, name: str, *, context: str | None = None, country_codes: Sequence[str] | None = None, **_: Any) -> _Answer:
        key = fallback_key(name, context, country_codes)
        if key not in self.keys:
            self.keys.append(key)
        return _Answer(None, None, None, PENDING_REASON)

    def close(self) -> None:
        pass


class _Book:
    """Answers the online fallback's questions from answers fetched beforehand by the driver."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers = answers

    def resolve(self, name: str, *, context: str | None = None, country_codes: Sequence[str] | None = None, **_: Any) -> _Answer:
        a = self.answers.get(fallback_key(name, context, country_codes))
        if a is None:
            return _Answer(None, None, None, "online fallback gave no answer")
        cand = Candidate(**a["candidate"]) if a.get("candidate") else None
        return _Answer(cand, a.get("source"), a.get("service"), a.get("reason"))

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- per-process gazetteer

def _gazetteer(settings: Settings) -> Any:
    """The gazetteer index, opened read-only once per worker process (:func:`geomap.api.open_gazetteer` caches it)."""
    from ..api import open_gazetteer

    return open_gazetteer(settings)


# ---------------------------------------------------------------- one chunk


@dataclass
class ChunkTask:
    """Work for one chunk. ``mode`` is ``"offline"``, ``"defer"`` (record fallback questions)
    or ``"book"`` (answer them from ``book``; then ``docs`` are only the documents to redo and
    ``existing`` holds the chunk's current part files)."""

    index: int
    docs: list[Doc]
    settings: Settings
    mode: str = "offline"
    date: str | None = None
    gazetteer: Any | None = None
    book: dict[str, dict[str, Any]] = field(default_factory=dict)
    existing: dict[str, bytes] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


@dataclass
class ChunkResult:
    index: int
    parts: dict[str, bytes]
    errors: list[dict[str, Any]]
    #: position in the chunk -> fallback questions the document asked (mode "defer")
    pending: dict[int, list[str]]
    counts: dict[str, int]
    seconds: float = 0.0


def _error_record(doc: Doc, reason: str) -> dict[str, Any]:
    return {"doc_id": printable(doc.doc_id), "where": printable(doc.where), "reason": printable(reason)}


def _parts(places: list, events: list) -> dict[str, bytes]:
    """The chunk's part files as bytes (raises when a value cannot be stored)."""
    from .. import frames

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(_itin_rows(events), schema=ITIN_SCHEMA), buf)
    return {
        "places": frame_to_parquet(frames.places_frame(places), "places"),
        "events": frame_to_parquet(frames.events_frame(events), "events"),
        "itin": buf.getvalue(),
    }


def _reason(exc: BaseException) -> str:
    from ..errors import GeomapError

    return str(exc) if isinstance(exc, GeomapError) else f"{type(exc).__name__}: {exc}"


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Analyse the documents of one chunk; never raises for a bad document (it is recorded instead)."""
    from ..api import analyse_many

    t0 = time.perf_counter()
    settings = task.settings.replace(offline=True)
    gaz = task.gazetteer if task.gazetteer is not None else _gazetteer(task.settings)
    errors: list[dict[str, Any]] = []
    pending: dict[int, list[str]] = {}
    done: list[tuple[Doc, list, list]] = []
    for pos, doc in enumerate(task.docs):
        if doc.error is not None:
            errors.append(_error_record(doc, doc.error))
            continue
        why = bad_unicode(doc.text or "") or bad_unicode(doc.doc_id)
        if why:
            errors.append(_error_record(doc, f"{doc.where or doc.doc_id}: {why}"))
            continue
        fb: Any = None
        if task.mode == "defer":
            fb = _Recorder()
        elif task.mode == "book":
            fb = _Book(task.book)
        try:
            a = analyse_many([(doc.doc_id, doc.text, doc.date or task.date)], settings=settings, gazetteer=gaz, fallback=fb)
        except Exception as exc:  # noqa: BLE001 - one bad document must not stop a corpus
            errors.append(_error_record(doc, _reason(exc)))
            continue
        done.append((doc, list(a.places), list(a.events)))
        if isinstance(fb, _Recorder) and fb.keys:
            pending[pos] = fb.keys
    try:
        parts, counts = _chunk_parts(task, done)
    except Exception:  # noqa: BLE001 - drop the documents whose results cannot be stored, keep the rest
        kept = []
        for doc, ps, es in done:
            try:
                _parts(ps, es)
            except Exception as exc:  # noqa: BLE001
                errors.append(_error_record(doc, f"{doc.where or doc.doc_id}: results cannot be stored ({_reason(exc)})"))
            else:
                kept.append((doc, ps, es))
        dropped = {id(d) for d, _, _ in done} - {id(d) for d, _, _ in kept}
        pending = {k: v for k, v in pending.items() if id(task.docs[k]) not in dropped}
        done = kept
        parts, counts = _chunk_parts(task, done)
    counts = {"documents": len(task.docs), "ok": len(done), "failed": len(errors), **counts}
    return ChunkResult(task.index, parts, errors, pending, counts, time.perf_counter() - t0)


def _chunk_parts(task: ChunkTask, done: list[tuple[Doc, list, list]]) -> tuple[dict[str, bytes], dict[str, int]]:
    """The part files of a chunk (merged with its existing parts in ``book`` mode) and their row counts."""
    import geopandas as gpd
    import pandas as pd

    from .. import frames

    places = [p for _, ps, _ in done for p in ps]
    events = [e for _, _, es in done for e in es]
    places_gdf = frames.places_frame(places)
    events_gdf = frames.events_frame(events)
    itin = pa.Table.from_pylist(_itin_rows(events), schema=ITIN_SCHEMA)
    if task.mode == "book" and task.existing:
        redone = {d.doc_id for d in task.docs}
        rank = {doc_id: i for i, doc_id in enumerate(task.order)}

        def merge(old: Any, new: Any) -> Any:
            kept = old[~old["doc_id"].isin(redone)]
            both = pd.concat([kept, new], ignore_index=True)
            pos = both["doc_id"].map(rank).fillna(len(rank))
            return both.iloc[pos.argsort(kind="stable")].reset_index(drop=True)

        places_gdf = gpd.GeoDataFrame(merge(gpd.read_parquet(io.BytesIO(task.existing["places"])), places_gdf), crs=frames.CRS)
        events_gdf = gpd.GeoDataFrame(merge(gpd.read_parquet(io.BytesIO(task.existing["events"])), events_gdf), crs=frames.CRS)
        old_itin = pq.read_table(io.BytesIO(task.existing["itin"])).to_pandas()
        itin = pa.Table.from_pandas(merge(old_itin, itin.to_pandas()), schema=ITIN_SCHEMA, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(itin, buf)
    parts = {
        "places": frame_to_parquet(places_gdf, "places"),
        "events": frame_to_parquet(events_gdf, "events"),
        "itin": buf.getvalue(),
    }
    counts = {
        "places": len(places_gdf),
        "resolved": int(places_gdf["lat"].notna().sum()),
        "events": len(events_gdf),
    }
    return parts, counts


def run_chunk_with(task: ChunkTask, gazetteer: Any) -> ChunkResult:
    """:func:`run_chunk` with a gazetteer object shipped to the worker once (Dask scatters it)."""
    task.gazetteer = gazetteer
    return run_chunk(task)


# ---------------------------------------------------------------- workers die with their parent

_PR_SET_PDEATHSIG = 1


def _exit_now() -> None:
    os._exit(1)


def worker_init(driver_pid: int, every: float = 1.0) -> None:
    """Initializer of local worker processes: end this worker when the driver process ends.

    On Linux the kernel sends SIGKILL when the worker's parent (the forkserver)
    ends (``prctl(PR_SET_PDEATHSIG)``). Everywhere, a daemon thread checks every
    ``every`` seconds that the driver is still there; when it is gone, it ends the
    forkserver that started this worker (so that no idle process is left behind)
    and then this worker.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the thread below does it
            pass
    if not _alive(driver_pid) or os.getppid() != parent:
        _exit_now()

    def watch() -> None:
        while True:
            time.sleep(every)
            if not _alive(driver_pid) or os.getppid() != parent:
                if parent not in (1, driver_pid) and _alive(parent) and _is_forkserver(parent):
                    with contextlib.suppress(OSError):
                        os.kill(parent, signal.SIGTERM)  # the forkserver that started this worker
                _exit_now()

    threading.Thread(target=watch, name="geomap-parent-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the number
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True  # no /proc here: kill(0) is all we know


def _is_forkserver(pid: int) -> bool:
    """Whether ``pid`` is a multiprocessing forkserver (never end anything else)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"forkserver" in fh.read()
    except OSError:
        return False

"""The end of a batch: errors, itineraries, the summary map and the report, computed from what was written.

Counts come from the part files' metadata, not from what the workers said; above
:data:`MAP_EVENT_LIMIT` events the map shows one marker per place with its count, and at
most :data:`MAP_ITINERARY_LIMIT` itineraries (those with the most stops).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..io import atomic_path, write_text
from ..settings import Settings
from . import work
from .itineraries import write_itineraries
from .state import State, write_bytes
from .work import TABLES

__all__ = ["BatchResult", "read_batch", "finish", "MAP_EVENT_LIMIT", "MAP_ITINERARY_LIMIT", "MAP_STOP_LIMIT"]

#: Above this many events the summary map shows one marker per place, with its count of events.
MAP_EVENT_LIMIT = 2_000
#: The summary map draws at most this many itineraries (those with the most stops) ...
MAP_ITINERARY_LIMIT = 20
#: ... with at most this many stops in all (the first itinerary is always drawn).
MAP_STOP_LIMIT = 400


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


def finish(
    out: Path, src: Path, state: State, ledger: dict[int, dict[str, Any]], n_chunks: int, settings: Settings,
    *, seconds: float, stats: dict[str, Any], engine: str, workers: int, fallback_counts: dict[str, int],
    progress: bool, t0: float,
) -> BatchResult:
    """Everything that spans chunks, written idempotently: errors, stops, legs, map and report.

    Memory stays bounded by the largest traveller, not by the corpus: errors are
    copied chunk by chunk, itineraries are built a bucket of travellers at a time on
    ``workers`` local processes, counts come from the part files' metadata, and above
    :data:`MAP_EVENT_LIMIT` events the map shows places with their counts, aggregated
    a piece at a time.
    """
    import pyarrow.parquet as pq

    from .. import frames

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

    n_stops, n_legs, sizes = write_itineraries(state, n_chunks, min(workers, os.cpu_count() or 1))
    n_itineraries, top = len(sizes), _shown(sizes)
    del sizes
    for table in ("places", "events"):
        if not any((out / table).glob("part-*.parquet")):
            empty = getattr(frames, f"{table}_frame")([])
            write_bytes(state.part(table, 0), work.frame_to_parquet(empty, table))

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
        from ..render import build_map, save_map
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


def _map_events(events_dir: Path, n_events: int) -> tuple[Any, str | None]:
    """The events frame the summary map draws: every event, or above :data:`MAP_EVENT_LIMIT`
    one marker per place (at most that many, the busiest) saying how many events it has."""
    import geopandas as gpd
    import pyarrow as pa

    from .. import frames
    from ..model import Event

    if n_events <= MAP_EVENT_LIMIT:
        return gpd.read_parquet(events_dir), None
    # aggregated a piece at a time, then the pieces' aggregates together: memory is bounded by the places
    keys = ["place", "lat", "lon"]
    parts = []
    for t in _pieces(events_dir, ["place", "lat", "lon", "date"], located=True):
        parts.append(t.group_by(keys).aggregate([("date", "min"), ("date", "max"), ("place", "count")]))
    if not parts:
        return frames.events_frame([]), None
    merged = pa.concat_tables(parts).group_by(keys).aggregate(
        [("date_min", "min"), ("date_max", "max"), ("place_count", "sum")]
    )
    grouped = pa.table({**{k: merged.column(k) for k in keys}, "date_min": merged.column("date_min_min"),
                        "date_max": merged.column("date_max_max"), "place_count": merged.column("place_count_sum")})
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


def _pieces(folder: Path, columns: list[str], *, located: bool, rows: int = 500_000) -> Iterator[Any]:
    """``columns`` of the rows of a folder's part files with (``located``) or without a point, in tables of about ``rows`` rows.

    Each file is read on its own, in this thread: the dataset scanner reads ahead across
    files and holds far more (about 1 GB over 10,000 part files).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    held: list[Any] = []
    n = 0
    for path in sorted(folder.glob("part-*.parquet")):
        t = pq.ParquetFile(path).read(columns=list(dict.fromkeys([*columns, "lat"])), use_threads=False)
        t = t.filter(pc.is_valid(t.column("lat")) if located else pc.is_null(t.column("lat"))).select(columns)
        if t.num_rows:
            held.append(t)
            n += t.num_rows
        if n >= rows:
            yield pa.concat_tables(held)
            held, n = [], 0
    if held:
        yield pa.concat_tables(held)


def _unresolved_summary(places_dir: Path, top: int = 20) -> dict[str, Any]:
    """Unresolved mentions by reason, and the ``top`` most frequent names, counted a piece at a time."""
    import collections

    by_reason: collections.Counter[str] = collections.Counter()
    names: collections.Counter[str] = collections.Counter()
    for t in _pieces(places_dir, ["name", "unresolved_reason"], located=False):
        for row in t.group_by("unresolved_reason").aggregate([("name", "count")]).to_pylist():
            by_reason[row["unresolved_reason"] or "unknown"] += row["name_count"]
        counted = t.group_by("name").aggregate([("name", "count")])
        names.update(dict(zip(counted.column("name").to_pylist(), counted.column("name_count").to_pylist())))
    ranked = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {"by_reason": dict(by_reason), "top": dict(ranked)}


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


def _shown(sizes: dict[str, int]) -> list[tuple[str, int]]:
    """(traveller, stops drawn) for the summary map: the itineraries with the most stops, within the limits."""
    shown: list[tuple[str, int]] = []
    budget = MAP_STOP_LIMIT
    for actor in sorted(sizes, key=lambda a: (-sizes[a], a)):
        if len(shown) >= MAP_ITINERARY_LIMIT or budget <= 0:
            break
        if sizes[actor] <= budget or not shown:
            shown.append((actor, min(sizes[actor], budget)))
            budget -= sizes[actor]
    return shown

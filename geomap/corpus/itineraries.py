"""The itineraries of a whole batch: built from the chunks' itinerary rows, written as GeoParquet.

A traveller's itinerary depends only on the events that name them, so the finishing
step cuts the travellers into buckets (runs of names), copies each bucket's rows out of
the chunks' files, and builds the buckets on all local cores, each written as its own
part of ``stops/`` and ``legs/``: memory is bounded by a bucket per process, not the corpus.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..io import atomic_path
from . import work
from .state import State

__all__ = ["write_itineraries"]


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


def _spill(files: list[Path], buckets: list[list[str]], spill: Path, part: int) -> None:
    """Copy the rows of ``files`` naming each bucket's actors into ``spill/bucket-<bucket>-<part>.parquet``.

    Each file is read once; at most about :data:`_ROWS_PER_WRITE` rows are held in all.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = pa.array([n for b in buckets for n in b], pa.string())
    bucket_of = np.repeat(np.arange(len(buckets)), [len(b) for b in buckets])
    writers: dict[int, Any] = {}
    pending: list[list[Any]] = [[] for _ in buckets]
    held = 0  # rows in all pending tables

    def flush() -> None:
        for i, tables in enumerate(pending):
            if tables:
                if i not in writers:
                    writers[i] = pq.ParquetWriter(str(_spill_path(spill, i, part)), work.ITIN_SCHEMA)
                writers[i].write_table(pa.concat_tables(tables))
                tables.clear()

    try:
        for f in files:
            t = work.read_itin(f)
            actors = t.column("actors").combine_chunks()
            at = pc.fill_null(pc.index_in(pc.list_flatten(actors), value_set=names), -1).to_numpy()
            parents = pc.list_parent_indices(actors).to_numpy()
            known = at >= 0
            which = bucket_of[at[known]]
            rows_of = parents[known]
            for i in np.unique(which):
                pending[i].append(t.take(pa.array(np.unique(rows_of[which == i]))))
                held += pending[i][-1].num_rows
            if held >= _ROWS_PER_WRITE:
                flush()
                held = 0
        flush()
    finally:
        for w in writers.values():
            w.close()


def _spill_path(spill: Path, bucket: int, part: int) -> Path:
    return spill / f"bucket-{bucket:04d}-{part:03d}.parquet"


def _build(names: list[str], sources: list[Path], stops_path: Path, legs_path: Path) -> tuple[int, int, dict[str, int]]:
    """The itineraries of the actors ``names`` from the itinerary rows in ``sources``, written to two GeoParquet files.

    Returns the numbers of stops and legs written, and the stops of each itinerary.
    """
    import pyarrow as pa

    from ..itinerary import build_itineraries

    tables = [work.read_itin(f) for f in sources]
    itin = pa.concat_tables(tables).combine_chunks() if tables else work.ITIN_SCHEMA.empty_table()
    del tables
    sizes: dict[str, int] = {}
    batch: list[Any] = []
    batched = 0  # stops in batch
    with _GeoWriter(stops_path, "stops") as stops, _GeoWriter(legs_path, "legs") as legs:

        def flush() -> None:
            stops.write(_stops_table(batch))
            legs.write(_legs_table(batch))
            batch.clear()

        for actor, rows in _by_actor(itin, names):
            events = work.events_from_itin(itin.take(pa.array(rows)))
            for it in build_itineraries(events, actors={actor}):
                batch.append(it)
                sizes[it.actor] = len(it.stops)
                batched += len(it.stops)
            if batched >= _ROWS_PER_WRITE:
                flush()
                batched = 0
        flush()
    return stops.rows, legs.rows, sizes


@contextlib.contextmanager
def _mapper(workers: int) -> Iterator[Any]:
    """``map`` over ``workers`` local processes (each ending with this one), or in this process for one.

    Each task gets a fresh process, so that what one bucket's Arrow buffers took is not kept
    through the next (0.2 GiB more per process at the peak otherwise).
    """
    if workers <= 1:
        yield map
        return
    import concurrent.futures as cf
    import multiprocessing as mp

    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"),
                                  initializer=work.worker_init, initargs=(os.getpid(),), max_tasks_per_child=1)
    try:
        yield pool.map
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _by_actor(itin: Any, only: list[str]) -> Iterator[tuple[str, Any]]:
    """(actor, row indices of the events naming that actor) for the actors in ``only``, in sorted order.

    A description ("officials") makes one itinerary per article, so its rows come in runs of
    whole articles of at most about :data:`_ROWS_PER_WRITE` rows (each run built on its own).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..events.vocabulary import is_description

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


def write_itineraries(state: State, n_chunks: int, workers: int = 1) -> tuple[int, int, dict[str, int]]:
    """Build the itineraries a bucket of travellers at a time on ``workers`` processes; write ``stops/`` and ``legs/``.

    A traveller's itinerary depends only on the events that name them, so each is built
    from those rows alone. Travellers are cut, in name order, into buckets of about
    :data:`_ROWS_PER_BUCKET` rows (at least two per worker, so that all work). With more than
    one bucket, the workers first copy each bucket's rows out of their share of the chunks'
    files (each file read once); then each bucket is built on its own and written as
    ``part-<bucket>`` of ``stops/`` and ``legs/``: memory is bounded by a bucket (or the
    largest traveller) per worker, not by the corpus. Within a part, travellers come in name
    order, each one's stops and legs in ``seq`` order.
    Returns the numbers of stops and legs, and the stops of each itinerary.
    """
    files = [p for i in range(n_chunks) if (p := state.part("itin", i)).exists()]
    spill = state.dir / "buckets"
    shutil.rmtree(spill, ignore_errors=True)  # left by a killed run
    share = [files[h::workers] for h in range(workers) if files[h::workers]]
    n_stops = n_legs = 0
    sizes: dict[str, int] = {}
    try:
        with _mapper(len(share)) as pmap:
            counts: dict[str, int] = {}
            for part in pmap(_actor_rows, share):
                for k, v in part.items():
                    counts[k] = counts.get(k, 0) + v
            limit = _ROWS_PER_BUCKET if len(share) <= 1 else math.ceil(sum(counts.values()) / (2 * len(share)))
            buckets = _buckets(counts, max(1, min(_ROWS_PER_BUCKET, limit))) or [[]]
            del counts
            if len(buckets) == 1:
                sources = [files]
            else:
                spill.mkdir(parents=True, exist_ok=True)
                list(pmap(_spill, share, [buckets] * len(share), [spill] * len(share), range(len(share))))
                sources = [[p for h in range(len(share)) if (p := _spill_path(spill, i, h)).exists()]
                           for i in range(len(buckets))]
            outs = [(state.part("stops", i), state.part("legs", i)) for i in range(len(buckets))]
            for s, l, z in pmap(_build, buckets, sources, [o[0] for o in outs], [o[1] for o in outs]):
                n_stops, n_legs = n_stops + s, n_legs + l
                sizes.update(z)
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    for table in ("stops", "legs"):  # parts of an earlier run with more buckets
        for p in (state.root / table).glob("part-*.parquet"):
            if p.name[5:11].isdigit() and int(p.name[5:11]) >= len(buckets):
                p.unlink(missing_ok=True)
    return n_stops, n_legs, sizes


_ENDS = ("from_lat", "from_lon", "to_lat", "to_lon")


def _stops_table(itineraries: list[Any]) -> Any:
    """The stops' columns as :func:`geomap.frames.stops_frame` types them, without their points (made when written)."""
    import pandas as pd
    import pyarrow as pa

    from .. import frames

    types = work.SCHEMAS["stops"]
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

    from .. import frames

    types = work.SCHEMAS["legs"]
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

    from .. import frames

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
_ROWS_PER_BUCKET = 200_000
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

        from .. import frames

        self.path, self.table, self.rows = path, table, 0
        empty = getattr(frames, f"{table}_frame")([])
        self.schema = pq.read_table(pa.BufferReader(work.frame_to_parquet(empty, table))).schema
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

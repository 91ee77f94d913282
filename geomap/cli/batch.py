"""``geomap batch``: a corpus to GeoParquet datasets, a map and a report (see :mod:`geomap.corpus`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..corpus import DEFAULT_CHUNK_SIZE, ENGINES, run_batch
from .options import _date, _resolver_options, _settings

__all__ = ["add_batch_parser", "cmd_batch"]


def add_batch_parser(subparsers: Any) -> None:
    """Add ``geomap batch`` to the CLI's subparsers."""
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

"""``geomap geocode``, ``gazetteer`` and ``cache``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from .options import _resolver_options, add_places_option, add_verbosity, extra_places, say, settings_of

__all__ = ["add_parsers", "cmd_geocode", "cmd_gazetteer", "cmd_cache"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("geocode", help="look a name up in the gazetteer (then the fallback)",
                       description="Look a place name up: your places, the gazetteer, then the online fallback.")
    p.add_argument("query", help="the place name, e.g. Komsomolsk-na-Amure")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--all", action="store_true", help="every candidate, best first")
    _resolver_options(p)
    add_places_option(p)
    add_verbosity(p)
    p.set_defaults(func=cmd_geocode)

    p = sub.add_parser("gazetteer", help="build or inspect the local gazetteer index",
                       description="Build (or rebuild) the local gazetteer index, or show what it holds.")
    p.add_argument("action", choices=["build", "info"], help="build: build when missing or stale; info: counts and versions")
    p.add_argument("--gazetteer", metavar="PATH", type=Path, help="index file (default: in the user cache folder, named by its fingerprint)")
    p.add_argument("--force", action="store_true", help="rebuild even when up to date")
    add_verbosity(p)
    p.set_defaults(func=cmd_gazetteer)

    p = sub.add_parser("cache", help="the online geocoding cache", description="Inspect, clear or export the online geocoding cache.")
    p.add_argument("action", choices=["info", "clear", "export"], help="info: counts; clear: remove entries; export: write them out")
    p.add_argument("--cache", metavar="PATH", type=Path, help="cache file (SQLite; default in the user cache folder)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="export file (.jsonl or .csv; - for JSON Lines on standard output)")
    p.add_argument("--expired", action="store_true", help="clear only expired entries")
    add_verbosity(p)
    p.set_defaults(func=cmd_cache)


def cmd_geocode(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..api import make_fallback, open_gazetteer

    if not args.query.strip():
        raise InputError("empty query")
    s = settings_of(args)
    gaz = open_gazetteer(s)
    extra = extra_places(args)
    if extra is not None:
        from ..user_places import with_user_places

        gaz = with_user_places(gaz, extra)
    cands = gaz.lookup(args.query, limit=50) or gaz.fuzzy_lookup(args.query)
    source_rows = [asdict(c) for c in cands]
    reason = None
    if not cands:
        fb = make_fallback(s)
        if fb is not None:
            try:
                ans = fb.resolve(args.query)
            finally:
                fb.close()
            if ans.candidate is not None:
                source_rows = [{**asdict(ans.candidate), "source": ans.source, "service": ans.service}]
            else:
                reason = ans.reason
        else:
            reason = "not in gazetteer (offline)"
    rows = source_rows if args.all else source_rows[:1]
    if args.json:
        out: Any = rows if args.all else (rows[0] if rows else None)
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in rows:
            print(f"{r['name']}\t{r['lat']:.5f}\t{r['lon']:.5f}\t{r['country_code'] or ''}\t{r['kind']}\t{r.get('source') or ''}")
    if not rows:
        say(args, f"{args.query!r} not found ({reason})")
        return 1
    return 0


def cmd_gazetteer(args: argparse.Namespace) -> int:
    from ..gazetteer import Gazetteer

    s = settings_of(args)
    progress = s.progress if s.progress is not None else sys.stderr.isatty()
    gaz = Gazetteer.open(path=s.gazetteer_file, sources=s.gazetteer_sources,
                         rebuild=args.force and args.action == "build", progress=progress and args.action == "build",
                         build_missing=args.action == "build")  # 'info' only reads
    sys.stdout.write(json.dumps(gaz.stats(), indent=2, default=str) + "\n")
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    from ..geocoders import fallback

    path = settings_of(args).geocode_cache_file
    if args.action == "info":
        sys.stdout.write(json.dumps(fallback.cache_info(path), indent=2, default=str) + "\n")
    elif args.action == "clear":
        n = fallback.cache_clear(path, expired_only=args.expired)
        say(args, f"removed {n} cache entries")
    else:
        if args.output is None:
            raise ConfigError("cache export needs -o FILE.jsonl or FILE.csv (- for JSON Lines on standard output)")
        if str(args.output) == "-":
            import tempfile

            from ..io import emit_text

            with tempfile.TemporaryDirectory(prefix="geomap-cache-") as tmp:
                n = fallback.cache_export(path, Path(tmp) / "cache.jsonl")
                emit_text((Path(tmp) / "cache.jsonl").read_text(encoding="utf-8"), None)
            say(args, f"exported {n} cache entries")
            return 0
        from ..io import check_output_path

        check_output_path(args.output)  # a device or folder is refused, never replaced
        n = fallback.cache_export(path, args.output)
        say(args, f"exported {n} cache entries to {args.output}")
    return 0

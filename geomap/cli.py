"""The ``geomap`` command. Errors become one line on stderr and a non-zero exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ConfigError, GeomapError, InputError

__all__ = ["main", "build_parser"]

EXIT_INTERNAL = 70


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from None


def _geocoder_options(values: Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    out = []
    for v in values or ():
        key, sep, val = v.partition("=")
        if not sep or not key:
            raise ConfigError(f"--geocoder-option {v!r}: expected KEY=VALUE")
        out.append((key.strip(), val.strip()))
    return tuple(out)


def _resolver_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("place resolution")
    g.add_argument("--offline", action="store_true", default=None, help="never use the network (also GEOMAP_OFFLINE=1)")
    g.add_argument("--geocoder", metavar="NAME", help="geopy service for names the gazetteer lacks (default: nominatim)")
    g.add_argument("--geocoder-option", action="append", metavar="KEY=VALUE", help="option for the geopy class, repeatable (e.g. domain=127.0.0.1:8080, scheme=http)")
    g.add_argument("--user-agent", metavar="TEXT", help="user agent sent to the online service (also GEOMAP_USER_AGENT)")
    g.add_argument("--cache", metavar="PATH", type=Path, help="online geocoding cache (SQLite); default in the user cache folder")
    g.add_argument("--gazetteer", metavar="PATH", type=Path, help="gazetteer index (SQLite); default in the user cache folder")


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input", nargs="*",
        help="article text file (- for standard input); several files, a folder of .txt files or a JSONL file "
        "make one analysis in which events keep their article id and itineraries span the articles",
    )
    p.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="publication date, where the text has none")
    _resolver_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="geomap", description="News text to places, events, itineraries and maps.")
    parser.add_argument("--version", action="version", version=f"geomap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("places", help="place mentions with coordinates")
    _input_options(p)
    p.add_argument("--format", choices=["json", "geojson", "csv", "gpkg", "parquet"], default="json")
    p.add_argument("--jsonl", metavar="IN.jsonl", help="documents {id, text} in; predictions in the evaluation schema out")
    p.add_argument("-o", "--output", type=Path, help="write here instead of standard output")

    p = sub.add_parser("events", help="who did what, where, when, and whether it happened")
    _input_options(p)
    p.add_argument("--format", choices=["json", "geojson", "csv", "gpkg", "parquet"], default="geojson")
    p.add_argument("-o", "--output", type=Path)

    p = sub.add_parser("itinerary", help="each actor's stops in time order, with legs")
    _input_options(p)
    p.add_argument("--format", choices=["json", "geojson", "csv", "gpkg", "parquet"], default="json")
    p.add_argument("-o", "--output", type=Path)

    p = sub.add_parser("map", help="an HTML map (and optional static images)")
    _input_options(p)
    p.add_argument("-o", "--output", type=Path, help="HTML file (default output/<name>.html)")
    p.add_argument("--png", type=Path, help="also write a static PNG")
    p.add_argument("--svg", type=Path, help="also write a static SVG")
    p.add_argument("--title", help="map title")

    p = sub.add_parser("geocode", help="look a name up in the gazetteer (then the fallback)")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--all", action="store_true", help="every candidate, best first")
    _resolver_options(p)

    p = sub.add_parser("gazetteer", help="build or inspect the local gazetteer index")
    p.add_argument("action", choices=["build", "info"])
    p.add_argument("--gazetteer", metavar="PATH", type=Path)
    p.add_argument("--force", action="store_true", help="rebuild even when up to date")

    p = sub.add_parser("cache", help="the online geocoding cache")
    p.add_argument("action", choices=["info", "clear", "export"])
    p.add_argument("--cache", metavar="PATH", type=Path)
    p.add_argument("-o", "--output", type=Path, help="export file (.jsonl or .csv)")
    p.add_argument("--expired", action="store_true", help="clear only expired entries")

    from .batch import add_batch_parser

    add_batch_parser(sub)
    return parser


def _settings(args: argparse.Namespace):
    from .settings import from_env

    return from_env().replace(
        offline=getattr(args, "offline", None),
        geocoder=getattr(args, "geocoder", None),
        geocoder_options=_geocoder_options(getattr(args, "geocoder_option", None)) or None,
        user_agent=getattr(args, "user_agent", None),
        geocode_cache=getattr(args, "cache", None),
        gazetteer_path=getattr(args, "gazetteer", None),
    )


def _analysis(args: argparse.Namespace):
    from .api import analyse, analyse_many
    from .io import read_article

    inputs = list(args.input or [])
    if not inputs:
        raise InputError("no input file given")
    single = len(inputs) == 1 and (inputs[0] == "-" or Path(inputs[0]).suffix.lower() not in (".jsonl", ".ndjson", ".csv")) and not Path(inputs[0]).is_dir()
    if single:
        article = read_article(inputs[0], date=args.date)
        return analyse(article.text, date=article.date, doc_id=None, settings=_settings(args))
    return analyse_many(_documents(inputs, args.date), settings=_settings(args))


def _documents(inputs: Sequence[str], date: dt.date | None):
    """(doc_id, text, date) for several articles: files, folders of .txt files and JSONL/CSV files."""
    from ._batch_input import iter_documents
    from .io import read_article

    for item in inputs:
        p = Path(item)
        if p.is_dir() or p.suffix.lower() in (".jsonl", ".ndjson", ".csv"):
            for doc in iter_documents(p):
                if doc.error:
                    raise InputError(f"{doc.where}: {doc.error}")
                yield doc.doc_id, doc.text, doc.date or date
        else:
            article = read_article(item, date=date)
            yield article.doc_id, article.text, article.date


def _emit(text: str, output: Path | None) -> None:
    from .io import write_text

    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)


def _emit_frame(gdf, fmt: str, output: Path | None, layer: str) -> None:
    from .io import FRAME_FORMATS, write_frame

    if fmt == "geojson" and output is None:
        from .io import _flatten_lists

        sys.stdout.write(_flatten_lists(gdf).to_json(drop_id=True, ensure_ascii=False) + "\n")
        return
    if output is None:
        raise ConfigError(f"--format {fmt} needs -o FILE{FRAME_FORMATS[fmt]}")
    write_frame(gdf, output, fmt, layer=layer)


def _report_unresolved(a) -> None:
    summary = a.unresolved_summary()
    for reason, names in summary.items():
        print(f"geomap: unresolved ({reason}): {', '.join(names)}", file=sys.stderr)


def cmd_places(args: argparse.Namespace) -> int:
    if args.jsonl:
        from .corpus import places_jsonl

        if args.output is None:
            raise ConfigError("--jsonl needs -o OUT.jsonl")
        places_jsonl(Path(args.jsonl), args.output, settings=_settings(args))
        return 0
    a = _analysis(args)
    if args.format == "json":
        _emit(json.dumps([p.to_dict() for p in a.places], ensure_ascii=False, indent=2) + "\n", args.output)
    else:
        _emit_frame(a.places_frame(), args.format, args.output, "places")
    _report_unresolved(a)
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    a = _analysis(args)
    if args.format == "json":
        _emit(json.dumps([e.to_dict() for e in a.events], ensure_ascii=False, indent=2) + "\n", args.output)
    else:
        _emit_frame(a.events_frame(), args.format, args.output, "events")
    return 0


def cmd_itinerary(args: argparse.Namespace) -> int:
    a = _analysis(args)
    if args.format == "json":
        _emit(json.dumps([it.to_dict() for it in a.itineraries], ensure_ascii=False, indent=2) + "\n", args.output)
    elif args.format == "gpkg":
        if args.output is None:
            raise ConfigError("--format gpkg needs -o FILE.gpkg")
        from .io import write_frame

        write_frame(a.stops_frame(), args.output, "gpkg", layer="stops")
        write_frame(a.legs_frame(), args.output, "gpkg", layer="legs")
    else:
        _emit_frame(a.stops_frame(), args.format, args.output, "stops")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from .render import build_map, render_static, save_map

    a = _analysis(args)
    offline = bool(args.offline)
    first = args.input[0] if args.input else "-"
    title = args.title or (Path(first).stem.replace("-", " ").title() if first != "-" else "geomap")
    output = args.output or Path("output") / f"{Path(first).stem if first != '-' else 'stdin'}.html"
    frames = dict(places=a.places_frame(), events=a.events_frame(), stops=a.stops_frame(), legs=a.legs_frame())
    m = build_map(**frames, offline=offline, title=title)
    save_map(m, output, offline=offline)
    print(f"geomap: wrote {output}", file=sys.stderr)
    for path in (args.png, args.svg):
        if path is not None:
            render_static(path, **frames, title=title)
            print(f"geomap: wrote {path}", file=sys.stderr)
    _report_unresolved(a)
    return 0


def cmd_geocode(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .api import make_fallback, open_gazetteer

    if not args.query.strip():
        raise InputError("empty query")
    s = _settings(args)
    gaz = open_gazetteer(s)
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
        print(f"geomap: {args.query!r} not found ({reason})", file=sys.stderr)
        return 1
    return 0


def cmd_gazetteer(args: argparse.Namespace) -> int:
    from .gazetteer import Gazetteer

    s = _settings(args)
    gaz = Gazetteer.open(path=s.gazetteer_file, sources=s.gazetteer_sources, rebuild=args.force and args.action == "build")
    sys.stdout.write(json.dumps(gaz.stats(), indent=2, default=str) + "\n")
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    from .geocoders import fallback

    path = _settings(args).geocode_cache_file
    if args.action == "info":
        sys.stdout.write(json.dumps(fallback.cache_info(path), indent=2, default=str) + "\n")
    elif args.action == "clear":
        n = fallback.cache_clear(path, expired_only=args.expired)
        print(f"geomap: removed {n} cache entries", file=sys.stderr)
    else:
        if args.output is None:
            raise ConfigError("cache export needs -o FILE.jsonl or FILE.csv")
        n = fallback.cache_export(path, args.output)
        print(f"geomap: exported {n} cache entries to {args.output}", file=sys.stderr)
    return 0


COMMANDS = {
    "places": cmd_places,
    "events": cmd_events,
    "itinerary": cmd_itinerary,
    "map": cmd_map,
    "geocode": cmd_geocode,
    "gazetteer": cmd_gazetteer,
    "cache": cmd_cache,
    "batch": lambda args: __import__("geomap.batch", fromlist=["cmd_batch"]).cmd_batch(args),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except GeomapError as exc:
        print(f"geomap: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("geomap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        if os.environ.get("GEOMAP_DEBUG"):
            raise
        print(f"geomap: internal error: {type(exc).__name__}: {exc} (set GEOMAP_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL

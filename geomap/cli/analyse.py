"""``geomap places``, ``events``, ``itinerary`` and ``map``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..errors import ConfigError, InputError, OutputError
from .options import (add_bias_options, add_input_options, add_output, add_verbosity, bias_kwargs, documents,
                      extra_places, say, settings_of,
                      single_input)

__all__ = ["add_parsers", "cmd_places", "cmd_events", "cmd_itinerary", "cmd_map"]

_FORMATS = ["json", "jsonl", "geojson", "csv", "gpkg", "parquet"]
_FORMAT_HELP = ("json (one array), jsonl (one object per line), geojson, csv (WKT geometry) go to standard output "
                "or -o FILE; gpkg and parquet need -o FILE")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("places", help="place mentions with coordinates", description="Every place mention, in text order, with coordinates.")
    add_input_options(p)
    p.add_argument("--format", choices=_FORMATS, default="json", help=f"output format (default json): {_FORMAT_HELP}")
    p.add_argument("--jsonl", metavar="IN.jsonl", help="documents {id, text} in; predictions in the evaluation schema out (-o OUT.jsonl)")
    p.add_argument("--explain", action="store_true",
                   help="give each place its explanation: the candidates considered, their scores and the reasons")
    add_bias_options(p)
    add_output(p, "places")
    add_verbosity(p)
    p.set_defaults(func=cmd_places)

    p = sub.add_parser("events", help="who did what, where, when, and whether it happened",
                       description="Events: actors, action, place, date, status and the sentence that says so.")
    add_input_options(p)
    p.add_argument("--format", choices=_FORMATS, default="geojson", help=f"output format (default geojson): {_FORMAT_HELP}")
    add_bias_options(p)
    add_output(p, "events")
    add_verbosity(p)
    p.set_defaults(func=cmd_events)

    p = sub.add_parser("itinerary", help="each actor's stops in time order, with legs",
                       description="Each moving actor's stops in time order, with legs and distances.")
    add_input_options(p)
    p.add_argument("--format", choices=_FORMATS, default="json",
                   help=f"output format (default json; geojson/csv/parquet hold the stops, gpkg stops and legs): {_FORMAT_HELP}")
    add_bias_options(p)
    add_output(p, "itineraries")
    add_verbosity(p)
    p.set_defaults(func=cmd_itinerary)

    p = sub.add_parser("map", help="an HTML map (and optional static images)",
                       description="An interactive HTML map; --offline makes it self-contained.")
    add_input_options(p)
    p.add_argument("-o", "--output", metavar="FILE", help="HTML file (default output/<name>.html; - for standard output)")
    p.add_argument("--png", type=Path, metavar="FILE", help="also write a static PNG")
    p.add_argument("--svg", type=Path, metavar="FILE", help="also write a static SVG")
    p.add_argument("--title", metavar="TEXT", help="map title (default: from the file name)")
    add_bias_options(p)
    add_verbosity(p)
    p.set_defaults(func=cmd_map)


def _analysis(args: argparse.Namespace):
    from ..api import analyse, analyse_many

    inputs = list(args.input or [])
    if not inputs:
        raise InputError("no input file given (use - for standard input)")
    t0 = time.perf_counter()
    s = settings_of(args)
    extra = extra_places(args)
    kw = dict(bias_kwargs(args), explain=bool(getattr(args, "explain", False)))
    if single_input(inputs):
        from ..io import read_article

        article = read_article(inputs[0], date=args.date)
        a = analyse(article.text, date=article.date, doc_id=None, settings=s, extra_places=extra, **kw)
    else:
        a = analyse_many(list(documents(inputs, args.date)), settings=s, extra_places=extra, **kw)
    if getattr(args, "verbose", False):
        say(args, f"{len(a.places)} places, {len(a.events)} events, {len(a.itineraries)} itineraries "
                  f"in {time.perf_counter() - t0:.2f} s")
    return a


def _emit_rows(rows: list, fmt: str, output: str | None) -> None:
    from ..io import dump_jsonl, emit_text

    if fmt == "json":
        emit_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", output)
    else:
        emit_text(dump_jsonl(rows), output)


def _emit_frame(args: argparse.Namespace, gdf, layer: str) -> None:
    from ..io import write_frame

    write_frame(gdf, args.output, args.format, layer=layer)
    _wrote(args)


def _wrote(args: argparse.Namespace) -> None:
    if args.output not in (None, "-") and getattr(args, "verbose", False):
        say(args, f"wrote {args.output}")


def _report_unresolved(args: argparse.Namespace, a) -> None:
    for reason, names in a.unresolved_summary().items():
        say(args, f"unresolved ({reason}): {', '.join(names)}")


def cmd_places(args: argparse.Namespace) -> int:
    if args.jsonl:
        from ..corpus import places_jsonl

        if args.output in (None, "-"):
            raise ConfigError("--jsonl needs -o OUT.jsonl (a file)")
        places_jsonl(Path(args.jsonl), Path(args.output), settings=settings_of(args))
        return 0
    a = _analysis(args)
    if args.format in ("json", "jsonl"):
        _emit_rows([p.to_dict() for p in a.places], args.format, args.output)
    else:
        _emit_frame(args, a.places_frame(), "places")
    _report_unresolved(args, a)
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    a = _analysis(args)
    if args.format in ("json", "jsonl"):
        _emit_rows([e.to_dict() for e in a.events], args.format, args.output)
    else:
        _emit_frame(args, a.events_frame(), "events")
    return 0


def cmd_itinerary(args: argparse.Namespace) -> int:
    a = _analysis(args)
    if args.format in ("json", "jsonl"):
        _emit_rows([it.to_dict() for it in a.itineraries], args.format, args.output)
    elif args.format == "gpkg":
        from ..io import is_stdout, write_frame

        if is_stdout(args.output):
            raise OutputError("--format gpkg is binary and cannot go to standard output; use -o FILE.gpkg")
        write_frame(a.stops_frame(), args.output, "gpkg", layer="stops")
        write_frame(a.legs_frame(), args.output, "gpkg", layer="legs")
        _wrote(args)
    else:
        _emit_frame(args, a.stops_frame(), "stops")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    import tempfile

    from ..frames import plain
    from ..io import emit_text, is_stdout
    from ..render import build_map, render_static, save_map

    a = _analysis(args)
    offline = bool(args.offline)
    first = args.input[0] if args.input else "-"
    stem = Path(first).stem if first != "-" else "stdin"
    title = args.title or (Path(first).stem.replace("-", " ").title() if first != "-" else "geomap")
    frames = dict(places=plain(a.places_frame()), events=plain(a.events_frame()), stops=plain(a.stops_frame()),
                  legs=plain(a.legs_frame()))
    m = build_map(**frames, offline=offline, title=title)
    if args.output == "-":
        with tempfile.TemporaryDirectory(prefix="geomap-map-") as tmp:
            path = save_map(m, Path(tmp) / "map.html", offline=offline)
            emit_text(path.read_text(encoding="utf-8"), None)
    else:
        output = Path(args.output) if args.output else Path("output") / f"{stem}.html"
        save_map(m, output, offline=offline)
        say(args, f"wrote {output}")
    for path in (args.png, args.svg):
        if path is not None:
            if is_stdout(str(path)):
                raise ConfigError("--png and --svg need a file name")
            render_static(path, **frames, title=title)
            say(args, f"wrote {path}")
    _report_unresolved(args, a)
    return 0

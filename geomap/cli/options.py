"""Options shared by the commands, and turning them into settings, inputs and outputs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError

__all__ = ["add_verbosity", "add_input_options", "add_resolver_options", "add_places_option", "add_output",
           "settings_of", "say", "documents", "single_input"]

_CORPUS_SUFFIXES = (".jsonl", ".ndjson", ".csv")


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


def add_verbosity(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``-q/--quiet`` and ``-v/--verbose``, accepted before and after the command name."""
    default = False if top else argparse.SUPPRESS
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="print only errors on stderr (no progress, no notes on what was written)")
    g.add_argument("-v", "--verbose", action="store_true", default=default,
                   help="also report progress (gazetteer build, counts and timings) on stderr")


def _resolver_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("place resolution")
    g.add_argument("--offline", action="store_true", default=None, help="never use the network (also GEOMAP_OFFLINE=1)")
    g.add_argument("--geocoder", metavar="NAME", help="geopy service for names the gazetteer lacks (default: nominatim)")
    g.add_argument("--geocoder-option", action="append", metavar="KEY=VALUE", help="option for the geopy class, repeatable (e.g. domain=127.0.0.1:8080, scheme=http)")
    g.add_argument("--user-agent", metavar="TEXT", help="user agent sent to the online service (also GEOMAP_USER_AGENT)")
    g.add_argument("--cache", metavar="PATH", type=Path, help="online geocoding cache (SQLite); default in the user cache folder")
    g.add_argument("--gazetteer", metavar="PATH", type=Path, help="gazetteer index (SQLite); default in the user cache folder")


add_resolver_options = _resolver_options


def add_bias_options(p: argparse.ArgumentParser) -> None:
    """Options that steer resolution towards where the documents are."""
    g = p.add_argument_group("resolution bias")
    g.add_argument("--country", metavar="CC[,CC]", help="prefer places in these ISO 3166 countries (e.g. LB or LB,SY)")
    g.add_argument("--bbox", metavar="W,S,E,N",
                   help="prefer places inside this box: min_lon,min_lat,max_lon,max_lat (e.g. 35,33,37,35)")


def bias_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``country_codes=`` and ``bbox=`` for :func:`geomap.analyse` from the options (checked early)."""
    from ..api import make_bias

    country, bbox = getattr(args, "country", None), getattr(args, "bbox", None)
    make_bias(country, bbox)  # a bad value is a one-line error before any work; analyse reads the same text
    return {"country_codes": country, "bbox": bbox}


def add_places_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--places", metavar="FILE", type=Path,
                   help="your own places (CSV or GeoJSON: name, lat, lon, kind, country, aliases, prior), "
                        "looked up before the built-in gazetteer; the index is not rebuilt")


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input", nargs="*",
        help="article text file (- for standard input); several files, a folder of .txt files or a JSONL file "
        "make one analysis in which events keep their article id and itineraries span the articles",
    )
    p.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="publication date, where the text has none")
    _resolver_options(p)
    add_places_option(p)


def add_output(p: argparse.ArgumentParser, what: str = "output") -> None:
    p.add_argument("-o", "--output", metavar="FILE", help=f"write the {what} here; - or nothing: standard output")


def _settings(args: argparse.Namespace):
    from ..settings import from_env

    progress = False if getattr(args, "quiet", False) else True if getattr(args, "verbose", False) else None
    return from_env().replace(
        offline=getattr(args, "offline", None),
        geocoder=getattr(args, "geocoder", None),
        geocoder_options=_geocoder_options(getattr(args, "geocoder_option", None)) or None,
        user_agent=getattr(args, "user_agent", None),
        geocode_cache=getattr(args, "cache", None),
        gazetteer_path=getattr(args, "gazetteer", None),
        progress=progress,
    )


settings_of = _settings


def say(args: argparse.Namespace, message: str) -> None:
    """A note on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(f"geomap: {message}", file=sys.stderr)


def single_input(inputs: Sequence[str]) -> bool:
    if len(inputs) != 1:
        return False
    first = inputs[0]
    return first == "-" or (Path(first).suffix.lower() not in _CORPUS_SUFFIXES and not Path(first).is_dir())


def documents(inputs: Sequence[str], date: dt.date | None) -> Iterator[tuple[str | None, str, dt.date | None]]:
    """(doc_id, text, date) for several articles: files, folders of .txt files and JSONL/CSV files."""
    from ..corpus.input import iter_documents
    from ..io import read_article

    for item in inputs:
        p = Path(item)
        if item != "-" and (p.is_dir() or p.suffix.lower() in _CORPUS_SUFFIXES):
            if not p.exists():
                raise InputError(f"{item}: no such file")
            for doc in iter_documents(p):
                if doc.error:
                    error = str(doc.error)
                    raise InputError(error if error.startswith(str(doc.where)) else f"{doc.where}: {error}")
                yield doc.doc_id, doc.text, doc.date or date
        else:
            article = read_article(item, date=date)
            yield article.doc_id, article.text, article.date


def extra_places(args: argparse.Namespace) -> Any | None:
    if getattr(args, "places", None) is None:
        return None
    from ..user_places import UserPlaces

    return UserPlaces.load(args.places)

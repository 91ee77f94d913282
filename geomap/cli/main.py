"""Parse the command line, run one command, turn errors into one line and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import GeomapError
from . import analyse, lookup
from .options import add_verbosity

__all__ = ["main", "build_parser", "EXIT_CODES", "EXIT_INTERNAL"]

EXIT_INTERNAL = 70

#: Exit codes of ``geomap`` (also in the README).
EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "nothing found (geocode), or another geomap error",
    2: "bad usage, input or setting: unknown option, missing, empty, binary or oversized input, bad date",
    3: "the gazetteer index cannot be built or opened",
    4: "the online geocoding service failed",
    5: "an output cannot be written (including a device or folder as -o)",
    70: "internal error (a bug; GEOMAP_DEBUG=1 shows the traceback)",
    130: "interrupted (Ctrl-C)",
}


def _epilog() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:>3}  {what}" for code, what in EXIT_CODES.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geomap", description="News text to places, events, itineraries and maps, offline first.",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"geomap {__version__}", help="show the version and exit")
    add_verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    analyse.add_parsers(sub)
    lookup.add_parsers(sub)

    from .batch import add_batch_parser, cmd_batch

    add_batch_parser(sub)
    sub.choices["batch"].set_defaults(func=cmd_batch)
    add_verbosity(sub.choices["batch"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``geomap`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "batch" and getattr(args, "quiet", False):
        args.no_progress = True
    try:
        return args.func(args)
    except GeomapError as exc:
        print(f"geomap: error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("geomap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (geomap places x | head): quietly stop, as other tools do
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        if os.environ.get("GEOMAP_DEBUG"):
            raise
        print(f"geomap: internal error: {type(exc).__name__}: {_one_line(exc)} (set GEOMAP_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text.encode("utf-8", "replace").decode("utf-8")

"""The ``geomap`` command: the only place argparse lives.

``main`` parses and dispatches; ``options`` holds the options the commands share; ``analyse``
runs places, events, itinerary and map; ``lookup`` runs geocode, gazetteer and cache.
Errors become one line on stderr and an exit code (see :data:`geomap.cli.main.EXIT_CODES`).
"""

from __future__ import annotations

from .main import EXIT_CODES, EXIT_INTERNAL, build_parser, main

__all__ = ["main", "build_parser", "EXIT_CODES", "EXIT_INTERNAL"]

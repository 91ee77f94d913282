"""geomap: news text to places, events, itineraries and maps, offline first.

The verbs take article text and return GeoDataFrames (or a ``folium.Map``):

>>> import geomap
>>> gdf = geomap.places("Putin met Lukashenko in Sochi.", offline=True)   # doctest: +SKIP

The verbs ``geomap.places``, ``geomap.events`` and ``geomap.itinerary`` share their names with
modules of the package. They stay the functions however the modules are imported: the package
refuses to let a submodule replace a verb (use ``from geomap.events import ...`` or
``importlib.import_module("geomap.events")`` to reach the module itself).
"""

from __future__ import annotations

import sys
import types

__version__ = "0.1.0"

from .errors import ConfigError, GazetteerError, GeocoderServiceError, GeomapError, InputError, OutputError
from .settings import Settings, from_env

# api keeps its heavy imports (geopandas, the pipeline) inside the functions, so this stays cheap
from .api import Analysis, analyse, analyse_many, build_map, events, inline_map, itinerary, open_gazetteer, places

__all__ = [
    "__version__",
    "Analysis",
    "analyse",
    "analyse_many",
    "places",
    "events",
    "itinerary",
    "build_map",
    "inline_map",
    "render_static",
    "open_gazetteer",
    "Settings",
    "from_env",
    "GeomapError",
    "InputError",
    "ConfigError",
    "GazetteerError",
    "GeocoderServiceError",
    "OutputError",
]


def render_static(*args, **kwargs):
    """Static PNG/SVG of frames; see :func:`geomap.render.render_static`."""
    from .frames import plain
    from .render import render_static as _render_static

    kwargs = {k: plain(v) if hasattr(v, "geometry") and hasattr(v, "columns") else v for k, v in kwargs.items()}
    return _render_static(*args, **kwargs)


#: Public functions that a submodule of the same name must never replace on the package.
_VERBS = frozenset({"places", "events", "itinerary", "analyse", "analyse_many", "build_map", "render_static"})


class _Package(types.ModuleType):
    """The ``geomap`` module: importing ``geomap.events`` (a module) leaves ``geomap.events`` the verb.

    Python's import system sets each newly loaded submodule as an attribute of its package;
    for the verbs above that would replace the function with the module.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _VERBS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

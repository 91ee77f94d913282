"""geomap: news text to places, events, itineraries and maps, offline first.

The verbs take article text and return GeoDataFrames (or a ``folium.Map``):

>>> import geomap
>>> gdf = geomap.places("Putin met Lukashenko in Sochi.", offline=True)   # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ConfigError, GazetteerError, GeocoderServiceError, GeomapError, InputError, OutputError
from .settings import Settings, from_env

__all__ = [
    "__version__",
    "Analysis",
    "analyse",
    "analyse_many",
    "places",
    "events",
    "itinerary",
    "build_map",
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


_LAZY = {"Analysis", "analyse", "analyse_many", "build_map", "events", "itinerary", "open_gazetteer", "places"}


def __getattr__(name: str):
    # the verbs pull in geopandas; importing them lazily keeps `import geomap.gazetteer` fast
    if name in _LAZY:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'geomap' has no attribute {name!r}")


def render_static(*args, **kwargs):
    """Static PNG/SVG of frames; see :func:`geomap.render.render_static`."""
    from .render import render_static as _render_static

    return _render_static(*args, **kwargs)

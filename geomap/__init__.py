"""geomap: news text to places, events, itineraries and maps, offline first.

The verbs take article text and return GeoDataFrames (or a ``folium.Map``):

>>> import geomap
>>> gdf = geomap.places("Putin met Lukashenko in Sochi.", offline=True)   # doctest: +SKIP

The verbs ``geomap.events``, ``geomap.itinerary`` and ``geomap.places`` share their names with
modules of the package. They stay the verbs however the modules are imported (the package never lets a
submodule replace a verb), and reach through to the module for everything but a call:
``geomap.events.extract_events`` is the module's function, ``geomap.events(text)`` the verb.
"""

from __future__ import annotations

import functools
import importlib
import inspect
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


class _Verb:
    """A verb that shares its name with a module of the package (``geomap.events``).

    Calling it runs the verb; any other attribute is the module's, so ``geomap.events(text)``,
    ``import geomap.events.extract as x`` and ``mock.patch("geomap.events.extract_events")`` all
    work as written.
    """

    def __init__(self, func: types.FunctionType, module: str) -> None:
        object.__setattr__(self, "_func", func)
        object.__setattr__(self, "_module", module)
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __call__(self, *args, **kwargs):
        return self._func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<geomap verb {self._func.__name__}{inspect.signature(self._func)}>"

    def _target(self) -> types.ModuleType:
        return importlib.import_module(self._module)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        try:
            module = self._target()
        except ImportError:  # no such module (yet): the verb has no attribute of that name
            raise AttributeError(f"{self._func.__name__!r} has no attribute {name!r}") from None
        return getattr(module, name)

    def __setattr__(self, name: str, value: object) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._target(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._target(), name)


_OWN = frozenset({"__module__", "__name__", "__qualname__", "__doc__", "__wrapped__", "__dict__", "__annotations__",
                  "__type_params__"})

events = _Verb(events, "geomap.events")
itinerary = _Verb(itinerary, "geomap.itinerary")
places = _Verb(places, "geomap.places")

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

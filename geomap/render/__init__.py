"""Maps of places, events and itineraries: interactive (folium), offline HTML, static images.

>>> from geomap.render import build_map, save_map, render_static
"""

from __future__ import annotations

from .interactive import build_map
from .offline import save_map
from .static import render_static

__all__ = ["build_map", "save_map", "render_static"]

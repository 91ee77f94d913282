"""Saving maps: atomic HTML files, and self-contained HTML that renders with no network.

Offline pages inline every script and stylesheet from packages installed from PyPI:
Leaflet from ``XStatic-Leaflet`` (its CSS images become ``data:`` URIs) and, only when the page
uses it, jQuery from ``XStatic-jQuery``. folium's other defaults (Bootstrap, Font Awesome,
Awesome Markers) are not needed by geomap's maps and are left out; a page that does need them,
or any other remote resource, is refused with :class:`geomap.errors.OutputError` rather than
saved half-working. Tiles are replaced by the shipped country polygons.
"""

from __future__ import annotations

import base64
import re
from collections import OrderedDict
from pathlib import Path

import folium
from folium.raster_layers import TileLayer

from ..errors import OutputError
from . import _common as c

__all__ = ["save_map", "inline_resources", "remote_references"]

_SCRIPT_SRC = re.compile(r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.IGNORECASE)
_LINK_HREF = re.compile(r"<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*>", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*[\"']?(images/[^\"')]+)[\"']?\s*\)")
#: a reference that makes the browser fetch something: <script src>, <link href>, <img src>, CSS url()
REMOTE = re.compile(
    r"(?:<(?:script|img|link|source|iframe)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?|url\(\s*[\"']?|@import\s+[\"'])"
    r"\s*(?:https?:)?//",
    re.IGNORECASE,
)
#: folium defaults that geomap's maps do not use; dropped from offline pages
_UNUSED = ("bootstrap", "glyphicons", "fontawesome", "font-awesome", "awesome-markers", "awesome.rotate")


def _xstatic_dir(module: str) -> Path:
    try:
        mod = __import__(f"xstatic.pkg.{module}", fromlist=["BASE_DIR"])
    except ImportError as exc:
        raise OutputError(
            f"offline maps need the XStatic-{module} package: pip install XStatic-{module}"
        ) from exc
    return Path(mod.BASE_DIR)


def _script(text: str) -> str:
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE) + "</script>"


def _leaflet_css() -> str:
    base = _xstatic_dir("leaflet")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(m: re.Match) -> str:
        f = base / m.group(1)
        if not f.is_file():
            return "url()"
        return f"url(data:image/png;base64,{base64.b64encode(f.read_bytes()).decode('ascii')})"

    return "<style>" + _CSS_URL.sub(data_uri, css) + "</style>"


def _default_icon() -> str:
    """Leaflet's default marker icon from ``data:`` URIs (it otherwise looks for images beside its CSS)."""
    base = _xstatic_dir("leaflet") / "images"
    urls = {}
    for key, name in (("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"),
                      ("shadowUrl", "marker-shadow.png")):
        f = base / name
        if f.is_file():
            urls[key] = f"data:image/png;base64,{base64.b64encode(f.read_bytes()).decode('ascii')}"
    if not urls:
        return ""
    return _script(f"L.Icon.Default.imagePath = '';L.Icon.Default.mergeOptions({c.to_js(urls)});")


def _uses_jquery(html: str) -> bool:
    return bool(re.search(r"(?<![\w.])\$\(|jQuery", _SCRIPT_SRC.sub("", html)))


def inline_resources(html: str) -> str:
    """Replace remote ``<script src>`` and stylesheet links in ``html`` by inline copies.

    Raises :class:`OutputError` for a resource that has no local copy.
    """
    needs_jquery = _uses_jquery(html)
    if "L.AwesomeMarkers" in html:
        raise OutputError("offline maps cannot use folium.Icon markers (Awesome Markers has no local copy)")

    def script(m: re.Match) -> str:
        url = m.group(1)
        name = url.rsplit("/", 1)[-1].lower()
        if not re.match(r"(?:https?:)?//", url):
            return m.group(0) if not url.startswith("file:") else ""
        if re.fullmatch(r"leaflet(?:-src)?\.js", name):
            return _script((_xstatic_dir("leaflet") / "leaflet.js").read_text(encoding="utf-8")) + _default_icon()
        if name.startswith("jquery"):
            if not needs_jquery:
                return ""
            base = _xstatic_dir("jquery")
            f = base / "jquery.min.js" if (base / "jquery.min.js").is_file() else base / "jquery.js"
            return _script(f.read_text(encoding="utf-8"))
        if any(u in url.lower() for u in _UNUSED):
            return ""
        raise OutputError(f"cannot save offline: no local copy of script {url}")

    def link(m: re.Match) -> str:
        tag, url = m.group(0), m.group(1)
        if not re.match(r"(?:https?:)?//", url):
            return tag
        name = url.rsplit("/", 1)[-1].lower()
        if name == "leaflet.css":
            return _leaflet_css()
        if any(u in url.lower() for u in _UNUSED):
            return ""
        if "stylesheet" not in tag.lower():
            return ""
        raise OutputError(f"cannot save offline: no local copy of stylesheet {url}")

    out = _SCRIPT_SRC.sub(script, html)
    out = _LINK_HREF.sub(link, out)
    left = remote_references(out)
    if left:
        raise OutputError(f"cannot save offline: remote reference {left[0]}")
    return out


def remote_references(html: str) -> list[str]:
    """Remote scripts, stylesheets, fonts and images referenced by ``html`` (empty when offline-safe)."""
    return [html[m.start(): m.end() + 60] for m in REMOTE.finditer(html)]


def _render_offline(m: folium.Map) -> str:
    """Render ``m`` without its tile layers and with the country basemap, leaving ``m`` unchanged."""
    from .interactive import _add_basemap, _Assets

    saved = OrderedDict(m._children)  # noqa: SLF001 - branca keeps children here
    had_basemap = getattr(m, "_geomap_basemap", False)
    try:
        for key, child in list(m._children.items()):  # noqa: SLF001
            if isinstance(child, TileLayer):
                del m._children[key]  # noqa: SLF001
        if not had_basemap:
            m.add_child(_Assets())
            _add_basemap(m, shift=False)
            m._children.move_to_end(next(reversed(m._children)), last=False)  # noqa: SLF001
        return m.get_root().render()
    finally:
        m._children = saved  # noqa: SLF001
        m._geomap_basemap = had_basemap  # noqa: SLF001


def save_map(m: folium.Map, path: str | Path, *, offline: bool = False) -> Path:
    """Write ``m`` to ``path`` as HTML, atomically (a temporary file, then ``os.replace``).

    Parameters
    ----------
    m
        The map, e.g. from :func:`geomap.render.build_map`.
    path
        Output file; parent folders are created.
    offline
        Inline every script and stylesheet and draw the shipped country polygons instead of
        tiles, so the single file renders with no network at all.

    Examples
    --------
    >>> import tempfile, pathlib, folium
    >>> out = save_map(folium.Map(tiles=None), pathlib.Path(tempfile.mkdtemp()) / "m.html", offline=True)
    >>> "cdn.jsdelivr" in out.read_text()
    False
    """
    html = _render_offline(m) if offline else m.get_root().render()
    if offline:
        html = inline_resources(html)
    with c.atomic_target(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)

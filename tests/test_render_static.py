"""geomap.render.static: PNG and SVG maps, drawn offline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from geomap.errors import ConfigError
from geomap.frames import legs_frame, stops_frame
from geomap.render import render_static
from test_render_interactive import itinerary, scenario


def _variance(path) -> float:
    return float(np.asarray(Image.open(path).convert("L"), dtype=float).std())


def test_png_is_drawn_and_not_blank(tmp_path):
    out = render_static(tmp_path / "kim.png", **scenario(), title="Kim Jong Un in Russia")
    assert out == tmp_path / "kim.png"
    img = Image.open(out)
    assert img.format == "PNG" and img.width >= 1200 and img.height >= 900
    assert _variance(out) > 20
    colours = np.asarray(img.convert("RGB")).reshape(-1, 3)
    assert (np.abs(colours - [198, 40, 40]).sum(axis=1) < 30).sum() > 200  # occurred stops in red


def test_svg_contains_labels_and_title(tmp_path):
    out = render_static(tmp_path / "kim.svg", **scenario(), title="Kim Jong Un <in> Russia")
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for needle in ("Vostochny Cosmodrome", "Komsomolsk-on-Amur", "Vladivostok", "Kim Jong Un &lt;in&gt; Russia",
                   "planned", "Legend"):
        assert needle in text


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        render_static(tmp_path / "kim.jpg", **scenario())
    assert list(tmp_path.iterdir()) == []


def test_antimeridian_trip_is_drawn_around_the_pacific(tmp_path):
    it = itinerary("B", [("Vladivostok", 43.116, 131.886, None, "occurred", "left", "B left Vladivostok."),
                         ("Anchorage", 61.2, -149.9, None, "planned", "lands", "B lands in Anchorage."),
                         ("Nome", 64.5, -165.4, None, "cancelled", "skipped", "B skipped Nome.")])
    out = render_static(tmp_path / "pacific.png", stops=stops_frame([it]), legs=legs_frame([it]))
    assert _variance(out) > 10


def test_empty_frames_draw_a_world_map(tmp_path):
    out = render_static(tmp_path / "world.png")
    assert _variance(out) > 5


def test_no_basemap_polygon_spans_more_than_180_degrees_after_projection():
    """Polygons drawn around the back of the globe are what paints stripes across the Pacific."""
    from pyproj import Transformer

    from geomap.render.static import projected_basemap

    for west, proj in ((-30.0, "+proj=eqearth +lon_0=150 +datum=WGS84 +units=m +no_defs"),
                       (-180.0, "+proj=eqearth +lon_0=0 +datum=WGS84 +units=m +no_defs")):
        drawn = projected_basemap(west, proj)
        back = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
        lon0 = west + 180
        for geom in drawn.geometry:
            for poly in getattr(geom, "geoms", [geom]):
                xs, ys = np.asarray(poly.exterior.coords).T
                lons, lats = (np.asarray(v) for v in back.transform(xs, ys))
                lons = lons[np.abs(lats) < 89.9]  # a pole has every longitude
                rel = (lons - lon0 + 180) % 360  # longitude in the view's frame [0, 360)
                seam = (rel < 1e-6) | (rel > 360 - 1e-6)  # the seam itself is both 0 and 360
                span = min(np.ptp(np.where(seam, 0.0, rel)), np.ptp(np.where(seam, 360.0, rel)))
                assert span <= 180 + 1e-3, drawn.loc[drawn.geometry == geom, "iso_a2"].tolist()
                assert np.ptp(xs) <= 0.5 * 34_000_000  # no ring runs across the whole map


def test_math_and_markup_in_text_are_drawn_literally(tmp_path):
    it = itinerary("$\\frac{1}{0}$ <b>", [("Sochi $x$", 43.6, 39.73, None, "occurred", "met", "In Sochi.")])
    png = render_static(tmp_path / "m.png", stops=stops_frame([it]), title="Costs $5 and $\\alpha$")
    assert _variance(png) > 10  # mathtext would have raised on "$\frac{1}{0}$" or eaten the dollars
    svg = render_static(tmp_path / "m.svg", stops=stops_frame([it]), title="Costs $5 and $\\alpha$").read_text()
    assert "Costs $5 and $\\alpha$" in svg and "Sochi $x$" in svg and "&lt;b&gt;" in svg and "<b>" not in svg


def test_labels_of_close_stops_do_not_overlap(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    figs = []
    real_savefig = Figure.savefig

    def keep(self, *a, **k):
        figs.append(self)
        return real_savefig(self, *a, **k)

    monkeypatch.setattr(Figure, "savefig", keep)
    rows = [(f"Stop number {i}", 50.0 + 0.05 * (i % 3), 30.0 + 0.08 * i, None, "occurred", "v", "x") for i in range(8)]
    it = itinerary("A", rows)
    render_static(tmp_path / "close.png", stops=stops_frame([it]), legs=legs_frame([it]))
    fig = figs[0]
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().startswith("Stop number")]
    assert boxes
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    legend = ax.get_legend().get_window_extent(renderer)
    assert not any(legend.overlaps(b) for b in boxes)

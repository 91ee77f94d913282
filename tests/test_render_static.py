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

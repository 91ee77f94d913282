"""Compiling entries and names (geomap.gazetteer.compile), seen through a real tiny index."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import Gazetteer, build, synthetic_id
from tiny_gazetteer import LANDMARKS, sources, tiny, tiny_upstream  # noqa: F401 - fixtures


def test_admin_regions_are_placed_inside_their_country(tiny: Gazetteer) -> None:
    import json

    import shapely
    from shapely.geometry import shape

    from geomap.gazetteer import COUNTRY_OUTLINES

    amur = tiny.lookup("Amur Oblast")[0]
    assert (amur.kind, amur.feature_code, amur.admin1, amur.name) == ("admin", "ADM1", "05", "Amur Oblast")
    russia = next(shape(f["geometry"]) for f in json.loads(COUNTRY_OUTLINES.read_text())["features"]
                  if f["properties"]["iso_a2"] == "RU")
    assert shapely.contains_xy(russia, amur.lon, amur.lat)
    assert tiny.lookup("Texas")[0].kind == "admin"
    # a city-region leaves its name to the city
    assert [c.kind for c in tiny.lookup("Moscow")] == ["city"]


def test_unknown_parents_and_alias_targets_raise_gazetteer_error(tmp_path: Path, sources: Path) -> None:
    (sources / "landmarks.tsv").write_text(LANDMARKS.replace("Tsiolkovskiy", "Atlantis"), encoding="utf-8")
    with pytest.raises(GazetteerError, match="Atlantis"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    (sources / "landmarks.tsv").write_text(LANDMARKS, encoding="utf-8")
    (sources / "aliases.tsv").write_text("alias\ttarget\tcountry\tkind\nNarnia\tCair Paravel\t\t\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="Cair Paravel"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    assert not (tmp_path / "a.sqlite").exists()


def test_synthetic_ids_are_negative_and_stable() -> None:
    a = synthetic_id("Kremlin", 55.752, 37.617)
    assert a < 0 and a == synthetic_id("kremlin", 55.752, 37.617) != synthetic_id("Kremlin", 55.8, 37.617)

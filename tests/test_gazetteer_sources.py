"""Reading the curated files (geomap.gazetteer.sources): format errors name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import build
from tiny_gazetteer import sources, tiny_upstream  # noqa: F401 - fixtures


def test_bad_curated_rows_raise_gazetteer_error(tmp_path: Path, sources: Path) -> None:
    (sources / "landmarks.tsv").write_text("name\tlat\tlon\tkind\nSomewhere\tnorth\t10\tlandmark\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="landmarks.tsv:2"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    (sources / "landmarks.tsv").write_text("name\tlat\tlon\tkind\nSomewhere\t1\t10\tvolcano\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="kind"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    assert not (tmp_path / "a.sqlite").exists()

"""A damaged gazetteer index recovers by itself: real SQLite files built from a tiny source set,
damaged on disk, then asked again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import APPLICATION_ID, Gazetteer, build
from tiny_gazetteer import tiny_upstream


@pytest.fixture()
def index(tmp_path: Path) -> tuple[Path, Path]:
    sources = tmp_path / "src"
    sources.mkdir()
    path = tmp_path / "gaz.sqlite"
    build(path, sources, upstream=tiny_upstream())
    return path, sources


def damage(path: Path, first_page: int = 2) -> None:
    """Overwrite the inside of every page from ``first_page`` on, keeping SQLite's file header."""
    data = bytearray(path.read_bytes())
    for page in range(first_page, len(data) // 4096):
        start = 100 if page == 0 else 16  # SQLite's 100-byte file header stays
        data[page * 4096 + start : page * 4096 + 4080] = os.urandom(4080 - start)
    path.write_bytes(bytes(data))


def open_tiny(path: Path, sources: Path, **kw) -> Gazetteer:
    return Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream(), **kw)


def test_builds_mark_the_file_as_a_geomap_index(index):
    path, _ = index
    assert int.from_bytes(path.read_bytes()[68:72], "big") == APPLICATION_ID


def test_garbage_inside_the_index_is_found_by_the_failing_query_and_rebuilt(index, capsys):
    path, sources = index
    damage(path)
    gaz = open_tiny(path, sources)
    got = gaz.lookup("Komsomolsk-na-Amure")
    assert [c.name for c in got] == ["Komsomolsk-on-Amur"]
    assert gaz.lookup("Minsk")[0].country_code == "BY"
    gaz.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is damaged" in err[0] and "rebuilding" in err[0]
    again = open_tiny(path, sources)  # the next run finds a healthy index and says nothing
    assert again.lookup("Sochi")[0].geonameid == 491422
    again.close()
    assert capsys.readouterr().err == ""


def test_an_index_whose_own_tables_are_unreadable_is_rebuilt_on_open(index, capsys):
    path, sources = index
    damage(path, first_page=0)  # the schema and the meta table too; the header stays
    with open_tiny(path, sources) as gaz:
        assert gaz.lookup("Kharkov")[0].name == "Kharkiv"
    assert "is damaged" in capsys.readouterr().err


def test_read_only_use_reports_damage_instead_of_rebuilding(index):
    path, sources = index
    damage(path)
    before = path.read_bytes()
    gaz = open_tiny(path, sources, build_missing=False)
    with pytest.raises(GazetteerError, match="damaged.*gazetteer build"):
        for name in ("Sochi", "Minsk", "Paris", "Houston", "Kyiv"):
            gaz.lookup(name)
        gaz.stats()
    gaz.close()
    assert path.read_bytes() == before


def test_what_a_killed_build_left_behind_is_removed(index):
    path, sources = index
    leftover = path.with_name(f".{path.name}.k1ll3d.tmp")
    leftover.write_bytes(b"\0" * 100_000)
    open_tiny(path, sources).close()
    assert not leftover.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["gaz.sqlite", "gaz.sqlite.lock", "src"]

"""The index on disk (geomap.gazetteer.index): reuse, rebuilds, atomic and concurrent builds."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import Gazetteer, build, fingerprint
from tiny_gazetteer import ALIASES, sources, tiny_upstream  # noqa: F401 - fixtures


def test_reused_when_fresh_rebuilt_when_a_source_changes(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "gaz.sqlite"
    up = tiny_upstream()
    first = Gazetteer.open(path=path, sources=sources, upstream=up)
    built_at = first.stats()["fingerprint"], path.stat().st_mtime_ns
    first.close()
    again = Gazetteer.open(path=path, sources=sources, upstream=up)
    assert (again.stats()["fingerprint"], path.stat().st_mtime_ns) == built_at
    again.close()

    with (sources / "landmarks.tsv").open("a", encoding="utf-8") as f:
        f.write("Kremlin\t55.752\t37.617\tlandmark\tRU\tPAL\tMoscow\tMoscow Kremlin\n")
    changed = Gazetteer.open(path=path, sources=sources, upstream=up)
    assert changed.stats()["fingerprint"] != built_at[0]
    assert changed.lookup("Moscow Kremlin")[0].parent_id == 524901
    changed.close()

    newer = Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream("tiny-2"))
    assert newer.stats()["upstream"] == "tiny-2"
    newer.close()


def test_stale_or_broken_index_is_rebuilt(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "gaz.sqlite"
    build(path, sources, upstream=tiny_upstream())
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET v = 'stale' WHERE k = 'fingerprint'")
        con.execute("DELETE FROM entries")
    con.close()
    gaz = Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream())
    assert gaz.stats()["fingerprint"] == fingerprint(sources, "tiny-1")
    assert gaz.lookup("Sochi")
    gaz.close()

    # a file that is not a geomap index is never built over, not even on request
    path.write_bytes(b"not a database")
    for rebuild in (False, True):
        with pytest.raises(GazetteerError, match="not a geomap gazetteer index; not overwriting"):
            Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream(), rebuild=rebuild)
    assert path.read_bytes() == b"not a database"


def test_build_is_atomic_and_concurrent_builds_do_not_clash(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "gaz.sqlite"
    up = tiny_upstream()
    build(path, sources, upstream=up)
    reader = Gazetteer(path)
    with ThreadPoolExecutor(4) as pool:
        stats = list(pool.map(lambda _: build(path, sources, upstream=up), range(4)))
    assert {s["entries"] for s in stats} == {reader.stats()["entries"]}
    assert reader.lookup("Sochi")                      # an open reader keeps working
    reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gaz.sqlite", "sources"]
    assert Gazetteer(path).lookup("Vladivostok")


def test_an_unwritable_target_raises_gazetteer_error(tmp_path: Path, sources: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    (sources / "aliases.tsv").write_text(ALIASES, encoding="utf-8")
    with pytest.raises(GazetteerError, match="cannot write"):
        build(blocker / "gaz.sqlite", sources, upstream=tiny_upstream())


def test_fingerprint_follows_the_build_code_and_curated_files(sources: Path) -> None:
    from geomap.gazetteer import index

    assert fingerprint(sources, "v") == fingerprint(sources, "v") != fingerprint(sources, "w")
    assert fingerprint(sources, "v") != fingerprint(None, "v")
    assert len(index._BUILD_MODULES) == 3 and all((Path(index.__file__).with_name(m)).is_file() for m in index._BUILD_MODULES)

"""The gazetteer index on disk: its SQLite schema, the build and its lock, freshness checks.

A build reads the sources (:mod:`geomap.gazetteer.sources`), compiles them
(:mod:`geomap.gazetteer.compile`) and writes a temporary file beside the index, which it moves
into place with :func:`os.replace`, so a reader never sees half an index. The index is rebuilt
when its fingerprint (build code and normaliser, upstream package versions, curated files'
content) no longer matches.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import re
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import GazetteerError
from ..text import name_variants, normalize_name
from .compile import Entry, compile_index
from .sources import KIND_ORDER, Upstream, curated_paths, load_upstream, read_country_outlines, read_curated

__all__ = ["APPLICATION_ID", "BUILD_VERSION", "build", "fingerprint"]

#: Bump whenever the build code changes what ends up in the index.
BUILD_VERSION = "6"

#: SQLite ``application_id`` of a geomap index ("GMGZ"): how a file is known to be one, even when damaged.
APPLICATION_ID = 0x474D475A
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: The modules whose code decides what an index holds.
_BUILD_MODULES = ("sources.py", "compile.py", "index.py")

#: The keys depend on the normaliser and the entries on the build modules: a change to any rebuilds.
_NORMALISER_SOURCE = (
    inspect.getsource(normalize_name).encode()
    + inspect.getsource(name_variants).encode()
    + b"".join(Path(__file__).with_name(m).read_bytes() for m in _BUILD_MODULES)
)


def fingerprint(sources: Path | None, version: str) -> str:
    """Hash of what an index is built from: build code, upstream ``version``, curated files.

    >>> fingerprint(None, "x") == fingerprint(None, "x")
    True
    """
    h = hashlib.sha256(f"build={BUILD_VERSION};{version}".encode())
    h.update(_NORMALISER_SOURCE)
    for p in curated_paths(sources):
        h.update(b"\0" + p.name.encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:32]


# --------------------------------------------------------------------------- writing

_SCHEMA = """
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE entries (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    cc TEXT, kind TEXT NOT NULL, population INTEGER NOT NULL, fcode TEXT, admin1 TEXT,
    parent_id INTEGER, prior INTEGER NOT NULL
);
CREATE TABLE names (key TEXT NOT NULL, id INTEGER NOT NULL, alias INTEGER NOT NULL,
                    PRIMARY KEY (key, id)) WITHOUT ROWID;
CREATE TABLE demonyms (key TEXT PRIMARY KEY, cc TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE words (key TEXT PRIMARY KEY, zipf REAL NOT NULL, first_name INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX entries_country ON entries (cc, kind);
"""


def _prior(kind: str, population: int) -> int:
    """Sort key: kind first, then population descending."""
    return KIND_ORDER[kind] * 10**11 - min(population, 10**11 - 1)


def _word_rows(up: Upstream) -> list[tuple[str, float, int]]:
    keys = set(up.common_words) | set(up.first_names)
    return sorted((k, up.common_words.get(k, 0.0), int(k in up.first_names)) for k in keys if k)


def _write(path: Path, entries: Sequence[Entry], names: Mapping[tuple[str, int], int],
           demonyms: Mapping[str, str], meta: Mapping[str, str], words: Sequence[tuple[str, float, int]] = ()) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; "
                          f"PRAGMA application_id={APPLICATION_ID};" + _SCHEMA)
        con.executemany(
            "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((e.id, e.name, round(e.lat, 6), round(e.lon, 6), e.cc, e.kind, e.population, e.fcode, e.admin1,
              e.parent_id, _prior(e.kind, e.population)) for e in entries),
        )
        con.executemany("INSERT INTO names VALUES (?,?,?)", ((k, i, a) for (k, i), a in sorted(names.items())))
        con.executemany("INSERT INTO demonyms VALUES (?,?)", sorted(demonyms.items()))
        con.executemany("INSERT INTO words VALUES (?,?,?)", words)
        con.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """Serialise builders of one index across processes (POSIX; elsewhere a no-op)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build(path: Path, sources: Path | None, *, progress: bool = False, upstream: Upstream | None = None) -> dict:
    """Build the index at ``path`` from the open data and the curated ``sources`` folder.

    The index is written to a temporary file in the same folder and moved into
    place atomically, so readers see either the old index or the new one.

    Parameters
    ----------
    path
        Where the SQLite index goes.
    sources
        Folder with the curated files (:data:`geomap.gazetteer.CURATED_FILES`); ``None`` or a
        missing folder builds from the upstream data alone.
    progress
        Print the build's steps to standard error.
    upstream
        The upstream data; read from the installed packages by default.

    Returns
    -------
    dict
        :meth:`geomap.gazetteer.Gazetteer.stats` of the new index.

    Raises
    ------
    GazetteerError
        When a source cannot be read, a curated row is invalid, or the file cannot be written.
    """
    path, t0 = Path(path), time.perf_counter()

    def say(msg: str) -> None:
        if progress:
            print(f"gazetteer: {msg} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    sources = Path(sources) if sources is not None else None
    if upstream is None and (sources is None or not sources.is_dir()):
        warnings.warn(
            f"gazetteer sources folder {sources} not found: building without curated landmarks and aliases "
            "(set GEOMAP_GAZETTEER_SRC to the repository's gazetteer/ folder)",
            stacklevel=2,
        )
    up = upstream if upstream is not None else load_upstream()
    say(f"read {len(up.cities)} towns, {len(up.countries)} countries, {len(up.admin1)} regions")
    compiled = compile_index(up, read_curated(sources), read_country_outlines())
    say(f"compiled {len(compiled.entries)} entries, {len(compiled.names)} keys")
    max_words = max((k.count(" ") + 1 for k, _ in compiled.names), default=1)
    meta = {
        "fingerprint": fingerprint(sources, up.version),
        "build_version": BUILD_VERSION,
        "upstream": up.version,
        "sources": str(sources) if sources else "",
        "max_words": str(max_words),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            meta["build_seconds"] = "0"
            _write(Path(tmp), compiled.entries, compiled.names, compiled.demonyms, meta, _word_rows(up))
            con = sqlite3.connect(tmp)
            with con:
                con.execute("UPDATE meta SET v=? WHERE k='build_seconds'", (f"{time.perf_counter() - t0:.2f}",))
            con.close()
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the index is for every local reader
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        say(f"wrote {path}")
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            return _stats(lambda sql: con.execute(sql).fetchall(), path, dict(con.execute("SELECT k, v FROM meta")))
        finally:
            con.close()
    except (OSError, sqlite3.Error) as e:
        raise GazetteerError(f"cannot write the gazetteer index {path}: {e}") from e


def _stats(rows: Callable[[str], list[Any]], path: Path, meta: Mapping[str, str]) -> dict:
    """Counts by kind, number of keys, file size, build time, fingerprint and versions of an index."""
    kinds = dict(rows("SELECT kind, count(*) FROM entries GROUP BY kind ORDER BY kind"))
    return {
        "path": str(path),
        "size_bytes": path.stat().st_size,
        "entries": sum(kinds.values()),
        "kinds": kinds,
        "keys": rows("SELECT count(*) FROM names")[0][0],
        "demonyms": rows("SELECT count(*) FROM demonyms")[0][0],
        "max_words": int(meta.get("max_words", "8")),
        "build_seconds": float(meta.get("build_seconds", "nan")),
        "built_at": meta.get("built_at"),
        "fingerprint": meta.get("fingerprint"),
        "build_version": meta.get("build_version"),
        "upstream": meta.get("upstream"),
        "sources": meta.get("sources"),
    }


# --------------------------------------------------------------------------- what is on disk


def _tmp_files(path: Path) -> list[Path]:
    """Temporary files that builds of ``path`` leave while they run (or when they are killed)."""
    try:
        return [p for p in path.parent.glob(f".{_glob_escape(path.name)}.*.tmp") if p.is_file()]
    except OSError:
        return []


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _remove_tmp_files(path: Path) -> None:
    """Remove what killed builds left behind (call while holding the build lock)."""
    for p in _tmp_files(path):
        with contextlib.suppress(OSError):
            p.unlink()


def _file_kind(path: Path) -> str:
    """``"missing"``, ``"empty"``, ``"index"`` (a geomap index, perhaps damaged or stale),
    ``"other"`` (a file that is not one) or ``"special"`` (a folder, FIFO, device...)."""
    import stat

    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "other"
    if not stat.S_ISREG(st.st_mode):
        return "special"
    if st.st_size == 0:
        return "empty"
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError:
        return "other"
    if not head.startswith(_SQLITE_MAGIC):
        return "other"
    if len(head) >= 72 and int.from_bytes(head[68:72], "big") == APPLICATION_ID:
        return "index"
    meta = _read_meta(path)
    return "index" if meta is not None and "build_version" in meta else "other"


def _check_target(path: Path, default: bool) -> str:
    """What is at ``path``; a :class:`GazetteerError` when it must not be built over."""
    kind = _file_kind(path)
    if kind == "special":
        raise GazetteerError(f"{path}: not a regular file; give --gazetteer a file path")
    if kind == "other" and not default:
        raise GazetteerError(
            f"{path}: not a geomap gazetteer index; not overwriting it (choose another --gazetteer path)"
        )
    return kind


def _say(msg: str) -> None:
    print(f"geomap: {msg}", file=sys.stderr)


def _read_meta(path: Path) -> dict[str, str] | None:
    """The index's meta table, or ``None`` when the file is missing or not a valid index."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT k, v FROM meta"))
        finally:
            con.close()
    except sqlite3.Error:
        return None

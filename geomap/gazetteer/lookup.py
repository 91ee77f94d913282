"""The read side of the gazetteer: :class:`Gazetteer`, a read-only view of a built index.

:meth:`Gazetteer.open` builds the index first when it is missing or stale
(:func:`geomap.gazetteer.index.build`); lookups then open the file read-only and never write.
It is the ``CandidateSource`` the recogniser and the resolver use.

>>> from geomap.gazetteer import Gazetteer
>>> gaz = Gazetteer.open()                            # doctest: +SKIP
>>> gaz.lookup("Komsomolsk-na-Amure")[0].name         # doctest: +SKIP
'Komsomolsk-on-Amur'
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import GazetteerError
from ..model import Candidate
from ..settings import Settings, from_env
from ..text import name_variants, normalize_name
from .index import _build_lock, _check_target, _read_meta, _remove_tmp_files, _say, _stats, _tmp_files, build, fingerprint
from .sources import KIND_ORDER, Upstream, upstream_version

__all__ = ["Gazetteer"]


_COLUMNS = "e.id, e.name, e.lat, e.lon, e.cc, e.kind, e.population, e.fcode, e.admin1, e.parent_id"
#: How many answers of lookup() and demonym() are kept (names repeat within and across articles).
_MEMO_SIZE = 100_000


def _candidate(row: Sequence[Any], match: str = "name") -> Candidate:
    return Candidate(
        geonameid=row[0], name=row[1], lat=row[2], lon=row[3], country_code=row[4], kind=row[5],
        population=row[6], feature_code=row[7], admin1=row[8], parent_id=row[9], match=match,
    )


class Gazetteer:
    """A read-only view of a built gazetteer index.

    Use :meth:`open`, which builds the index first when it is missing or stale.

    >>> gaz = Gazetteer.open()                                 # doctest: +SKIP
    >>> [c.country_code for c in gaz.lookup("Minsk")][:1]      # doctest: +SKIP
    ['BY']
    """

    path: Path

    def __init__(self, path: Path, *, sources: Path | None = None, upstream: Upstream | None = None,
                 rebuildable: bool = False) -> None:
        self.path = Path(path)
        #: how to build the index again should it turn out damaged (see :meth:`_recover`)
        self._sources, self._upstream, self._rebuildable = sources, upstream, rebuildable
        self._connect()
        self._keys: dict[str, bool] = {}
        self._memo: dict[tuple[str, str, int], Any] = {}  # answers of lookup() and demonym(), by their key
        self._zipf: dict[str, float] | None = None
        self._first: set[str] | None = None

    def _connect(self) -> None:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
        try:
            self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._meta = dict(self._con.execute("SELECT k, v FROM meta"))
            self._stat = self.path.stat()
        except (sqlite3.Error, OSError) as e:
            raise GazetteerError(f"cannot open the gazetteer index {self.path}: {e}") from e
        self._max_words = int(self._meta.get("max_words", "8"))

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one query; a damaged index is rebuilt once (one line on stderr) and the query run again."""
        try:
            return self._con.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return self._con.execute(sql, params).fetchall()

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """After a failed query: when the file fails SQLite's integrity check, build it again and reopen it."""
        try:
            damaged = self._con.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok"
        except sqlite3.DatabaseError:
            damaged = True
        if not damaged:
            raise exc
        if not self._rebuildable:
            raise GazetteerError(f"the gazetteer index {self.path} is damaged ({exc}); rebuild it with 'geomap gazetteer build'") from None
        with contextlib.suppress(sqlite3.Error):
            self._con.close()
        with _build_lock(self.path):
            try:
                st = self.path.stat()
                replaced = (st.st_ino, st.st_mtime_ns) != (self._stat.st_ino, self._stat.st_mtime_ns)
            except OSError:
                replaced = False
            if not replaced:  # nobody has rebuilt it meanwhile
                _say(f"the gazetteer index {self.path} is damaged ({exc}); rebuilding it")
                _remove_tmp_files(self.path)
                build(self.path, self._sources, upstream=self._upstream)
        self._connect()
        self._keys.clear()
        self._memo.clear()
        self._zipf = self._first = None

    @classmethod
    def open(cls, settings: Settings | None = None, *, path: Path | None = None, sources: Path | None = None,
             rebuild: bool = False, upstream: Upstream | None = None, progress: bool = False,
             build_missing: bool = True) -> Gazetteer:
        """Open the index, building it first if missing or stale.

        Parameters
        ----------
        settings
            Defaults for ``path`` (``settings.gazetteer_file``) and ``sources``
            (``settings.gazetteer_sources``); :func:`geomap.settings.from_env` when ``None``.
        path, sources
            Override the settings.
        rebuild
            Build even when the index is fresh.
        upstream
            GeoNames-derived data to build from (default: the installed packages).
        progress
            Report build steps on standard error.
        build_missing
            Build the index when it is missing or stale (the default). ``False`` opens
            what is there, read-only, and never writes (``geomap gazetteer info``).

        A file at ``path`` that is not a geomap index is never overwritten. An index
        found damaged (unreadable, or a query fails SQLite's integrity check) is
        rebuilt, with one line on standard error.

        Raises
        ------
        GazetteerError
            When the index cannot be built or opened.
        """
        s = settings or from_env()
        path = Path(path or s.gazetteer_file)
        sources = Path(sources) if sources is not None else s.gazetteer_sources
        version = upstream.version if upstream is not None else upstream_version()
        default = path == s.cache_dir / "gazetteer.sqlite"  # geomap's own file: always ours to rebuild
        kind = _check_target(path, default)

        def fresh() -> bool:
            meta = _read_meta(path)
            return meta is not None and meta.get("fingerprint") == fingerprint(sources, version)

        if not build_missing and not rebuild:
            if kind in ("missing", "empty"):
                raise GazetteerError(f"no gazetteer index at {path}; build it with 'geomap gazetteer build'")
            if kind == "other" or _read_meta(path) is None:
                raise GazetteerError(f"the gazetteer index {path} is damaged; rebuild it with 'geomap gazetteer build'")
            return cls(path, sources=sources, upstream=upstream, rebuildable=False)
        if rebuild or not fresh():
            try:
                lock = _build_lock(path)
                lock.__enter__()
            except OSError as exc:
                raise GazetteerError(f"cannot build the gazetteer index {path}: {exc.strerror or exc}") from None
            try:
                if rebuild or not fresh():
                    _check_target(path, default)
                    if kind == "index" and path.exists() and _read_meta(path) is None:
                        _say(f"the gazetteer index {path} is damaged; rebuilding it")
                    _remove_tmp_files(path)
                    build(path, sources, upstream=upstream, progress=progress)
            finally:
                lock.__exit__(None, None, None)
        elif _tmp_files(path):
            with _build_lock(path):  # what a killed build left behind
                _remove_tmp_files(path)
        return cls(path, sources=sources, upstream=upstream, rebuildable=True)

    def __enter__(self) -> Gazetteer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Gazetteer({str(self.path)!r})"

    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]:
        """Entries whose normalised name, alias or variant equals ``normalize_name(name)``.

        Entries matched by a main name or curated alias first, then those matched by a
        GeoNames alternate name; within each, best prior first: countries, then admin,
        region, water, landmark, then cities by population. ``match`` is ``"name"`` when a main name or a
        curated alias matched, ``"alias"`` when only a GeoNames alternate name did.
        """
        key = normalize_name(name)
        if not key:
            return []
        got = self._memo.get(("lookup", key, limit))
        if got is not None:
            return list(got)
        keys = [key, *sorted(name_variants(key))]
        marks = ",".join("?" * len(keys))
        rows = self._rows(
            f"SELECT {_COLUMNS}, min(n.alias) FROM names n JOIN entries e ON e.id = n.id "
            f"WHERE n.key IN ({marks}) GROUP BY e.id ORDER BY min(n.alias), e.prior, e.id LIMIT ?",
            (*keys, int(limit)),
        )
        out = [_candidate(r, "alias" if r[10] else "name") for r in rows]
        self._remember(("lookup", key, limit), tuple(out))
        return out

    def _remember(self, k: tuple[str, str, int], v: Any) -> None:
        if len(self._memo) > _MEMO_SIZE:
            self._memo.clear()
        self._memo[k] = v

    def fuzzy_lookup(self, name: str, *, limit: int = 10, score_cutoff: float = 88.0) -> list[Candidate]:
        """Like :meth:`lookup`, for misspellings ("Vladivostock"): keys sharing the first three letters,
        scored with rapidfuzz; ``match`` is ``"fuzzy"``. Meant for typed queries, not for running text."""
        from rapidfuzz import fuzz, process

        key = normalize_name(name)
        if len(key) < 4:
            return []
        prefix = key[:3]
        keys = [k for (k,) in self._rows(
            "SELECT DISTINCT key FROM names WHERE key >= ? AND key < ? LIMIT 20000", (prefix, prefix + "\uffff"))]
        hits = process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=score_cutoff, limit=5)
        out: list[Candidate] = []
        for k, _, _ in hits:
            for c in self.lookup(k, limit=limit):
                if all(c.geonameid != o.geonameid for o in out):
                    out.append(replace(c, match="fuzzy"))
        return sorted(out, key=lambda c: (KIND_ORDER[c.kind], -c.population))[:limit]

    def has_key(self, key: str) -> bool:
        """Whether an already normalised ``key`` is indexed (memoised; for n-gram scans)."""
        hit = self._keys.get(key)
        if hit is None:
            hit = bool(self._rows("SELECT 1 FROM names WHERE key = ? LIMIT 1", (key,)))
            if len(self._keys) > 200_000:
                self._keys.clear()
            self._keys[key] = hit
        return hit

    def max_words(self) -> int:
        """Number of words in the longest indexed name (bounds n-gram scans)."""
        return self._max_words

    def get(self, geonameid: int) -> Candidate | None:
        """The entry with this id (negative for curated entries), or ``None``."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM entries e WHERE e.id = ?", (int(geonameid),))
        return _candidate(rows[0]) if rows else None

    def country(self, code: str) -> Candidate | None:
        """The country entry for an ISO 3166 alpha-2 ``code``, or ``None``."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM entries e WHERE e.cc = ? AND e.kind = 'country'", ((code or "").upper(),)
        )
        return _candidate(rows[0]) if rows else None

    def demonym(self, word: str) -> Candidate | None:
        """The country (or region) a demonym names: ``"North Korean"`` -> North Korea,
        ``"European"`` -> Europe; plurals too."""
        key = normalize_name(word)
        memo = ("demonym", key, 0)
        if memo in self._memo:
            return self._memo[memo]
        got = self._demonym(key)
        self._remember(memo, got)
        return got

    def _demonym(self, key: str) -> Candidate | None:
        for k in (key, key[:-1] if key.endswith("s") else None):
            if k:
                rows = self._rows("SELECT cc FROM demonyms WHERE key = ?", (k,))
                row = rows[0] if rows else None
                if row:
                    return self.get(int(row[0][1:])) if row[0].startswith("#") else self.country(row[0])
        return None

    def _load_words(self) -> None:
        rows = self._rows("SELECT key, zipf, first_name FROM words")
        self._zipf = {k: z for k, z, _ in rows if z}
        self._first = {k for k, _, f in rows if f}

    def word_frequency(self, word: str) -> float:
        """Zipf frequency of ``word`` as an English word (0 when rare): "Center" 5.2, "Sochi" 0."""
        if self._zipf is None:
            self._load_words()
        return self._zipf.get(normalize_name(word), 0.0)

    def is_first_name(self, word: str) -> bool:
        """Whether ``word`` is a given name ("Florence", "Austin", "Gregory")."""
        if self._first is None:
            self._load_words()
        return normalize_name(word) in self._first

    def stats(self) -> dict:
        """Counts by kind, number of keys, file size, build time, fingerprint and versions."""
        return _stats(self._rows, self.path, self._meta)

    def close(self) -> None:
        """Close the database connection."""
        self._con.close()


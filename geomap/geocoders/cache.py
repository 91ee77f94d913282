"""The persistent cache of online geocoding answers (SQLite).

One file, shared by every process and thread that geocodes with the same
settings. It holds two tables:

``answers``
    one row per (service, normalised query, options): a hit (the accepted
    candidate) or a miss (the service answered "not found", or every answer
    was rejected), each with an expiry. Service *failures* are never stored.
``throttle``
    one row per service: the earliest time (``time.time()``) at which the next
    request may be sent, and until when a request in flight holds the service.
    Taking and releasing it are ``IMMEDIATE`` transactions, so processes sharing
    the file share the rate limit.

The database runs in WAL mode; every write is one short transaction, so a
process killed mid-write leaves the earlier entries intact and the file usable.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cache.sqlite"
>>> with GeocodeCache(path) as cache:
...     cache.put("nominatim", "khasan", "{}", hit=False, reason="not found")
...     cache.get("nominatim", "khasan", "{}").reason
'not found'
>>> cache_info(path)["misses"]
1
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import random
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, GeomapError, OutputError

__all__ = [
    "HIT_TTL",
    "MISS_TTL",
    "CacheEntry",
    "GeocodeCache",
    "options_key",
    "cache_info",
    "cache_clear",
    "cache_export",
]

log = logging.getLogger(__name__)

#: Default lifetime of a cached hit, in seconds (90 days).
HIT_TTL = 90 * 24 * 3600.0
#: Default lifetime of a cached miss, in seconds (7 days).
MISS_TTL = 7 * 24 * 3600.0

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    service    TEXT NOT NULL,
    query      TEXT NOT NULL,
    options    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('hit', 'miss')),
    query_text TEXT,
    candidate  TEXT,
    address    TEXT,
    raw        TEXT,
    reason     TEXT,
    created    REAL NOT NULL,
    expires    REAL NOT NULL,
    PRIMARY KEY (service, query, options)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_expires ON answers (expires);
CREATE TABLE IF NOT EXISTS throttle (
    service      TEXT PRIMARY KEY,
    next_allowed REAL NOT NULL,
    busy_until   REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""
_COLUMNS = ("service", "query", "options", "status", "query_text", "candidate", "address", "raw", "reason", "created", "expires")
#: Seconds a connection waits for another process's write lock before failing.
BUSY_TIMEOUT = 30.0


@dataclass(frozen=True)
class CacheEntry:
    """One stored answer. ``candidate`` and ``raw`` are decoded JSON (``None`` for a miss)."""

    hit: bool
    candidate: dict[str, Any] | None
    address: str | None
    raw: Any
    reason: str | None
    created: float
    expires: float


def options_key(options: Mapping[str, Any]) -> str:
    """The canonical text of query options used in cache keys (sorted JSON, no spaces).

    >>> options_key({"viewbox": None, "country_codes": ["ru"], "domain": "x"})
    '{"country_codes":["ru"],"domain":"x"}'
    """
    clean = {k: v for k, v in options.items() if v is not None and v != [] and v != ()}
    return json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _say(msg: str) -> None:
    import sys

    print(f"geomap: {msg}", file=sys.stderr)


def _is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error means the file's content is broken (not: locked, read-only, missing)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and any(
        w in text for w in ("malformed", "not a database", "corrupt", "unknown cache schema", "no such table"))


def _foreign(path: Path) -> bool:
    """Whether ``path`` holds something that is not SQLite at all (a text file given by mistake):
    such a file is never moved or written."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return bool(head) and head != b"SQLite format 3\x00"[: len(head)]


def _move_aside(path: Path, exc: BaseException, *, renew: bool = False) -> Path:
    """Rename a damaged cache to ``<name>.corrupt`` (with its WAL files), saying so on one line."""
    aside = path.with_name(path.name + ".corrupt")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    _say(f"the geocoding cache {path} is damaged ({exc}); moved it to {aside.name}"
         + (" and started a new one" if renew else ""))
    return aside


def _connect(path: Path | str, *, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return con


class GeocodeCache:
    """Hits, misses and the per-service request clock, in one SQLite file.

    Parameters
    ----------
    path
        The SQLite file; its folder is created. ``":memory:"`` keeps everything in
        this process (no sharing between processes).
    hit_ttl, miss_ttl
        Lifetimes in seconds of hits and misses (defaults :data:`HIT_TTL`, :data:`MISS_TTL`).
    clock
        Source of the current time (``time.time``); tests pass their own.

    A file that is not a readable cache is renamed to ``<name>.corrupt`` and a
    new one started; a folder that cannot be written falls back to an in-memory
    cache. Both are logged as warnings: a broken cache never stops a run.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        hit_ttl: float = HIT_TTL,
        miss_ttl: float = MISS_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hit_ttl = float(hit_ttl)
        self.miss_ttl = float(miss_ttl)
        self.clock = clock
        self._lock = threading.RLock()
        self.path: Path | None = None if str(path) == ":memory:" else Path(path)
        self._con = self._open()

    # -- opening -----------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._init(_connect(":memory:"))
        if self.path.exists() and (not self.path.is_file() or _foreign(self.path)):
            return self._memory_fallback(ConfigError(f"{self.path} is not a geocoding cache; leaving it alone"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._init_retrying(self.path)
        except sqlite3.DatabaseError as exc:
            if not self.path.exists() or not (_is_damage(exc) or "schema" in str(exc)):
                return self._memory_fallback(exc)
            try:
                _move_aside(self.path, exc, renew=True)
                return self._init_retrying(self.path)
            except (OSError, sqlite3.DatabaseError) as exc2:
                return self._memory_fallback(exc2)
        except OSError as exc:
            return self._memory_fallback(exc)

    def _run(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """``fn(connection)`` under the lock; a cache found damaged is moved aside, a new one started and
        ``fn`` run again; a cache that cannot be written any more goes on in memory. Never raises for either."""
        with self._lock:
            try:
                return fn(self._con)
            except sqlite3.DatabaseError as exc:
                if self._con.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._con.execute("ROLLBACK")
                if not (_is_damage(exc) or self._damaged()):
                    if isinstance(exc, sqlite3.OperationalError) and any(w in str(exc) for w in ("locked", "busy")):
                        raise
                    self._replace_con(self._memory_fallback(exc))
                    return fn(self._con)
                with contextlib.suppress(sqlite3.Error):
                    self._con.close()
                if self.path is not None and self.path.exists():
                    try:
                        _move_aside(self.path, exc, renew=True)
                        con = self._init_retrying(self.path)
                    except (OSError, sqlite3.DatabaseError) as exc2:
                        con = self._memory_fallback(exc2)
                else:
                    con = self._memory_fallback(exc)
                self._con = con
                return fn(self._con)

    def _replace_con(self, con: sqlite3.Connection) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._con.close()
        self._con = con

    def _damaged(self) -> bool:
        try:
            return self._con.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok"
        except sqlite3.DatabaseError:
            return True

    @classmethod
    def _init_retrying(cls, path: Path) -> sqlite3.Connection:
        # Switching a new file to WAL while another process does the same can fail
        # with "database is locked" at once, without waiting on the busy timeout.
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            con = _connect(path)
            try:
                return cls._init(con)
            except sqlite3.OperationalError as exc:
                con.close()
                if not any(w in str(exc) for w in ("locked", "busy")) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01 + 0.04 * random.random())
            except BaseException:
                con.close()
                raise

    def _memory_fallback(self, exc: BaseException) -> sqlite3.Connection:
        _say(f"the geocoding cache {self.path} cannot be used ({getattr(exc, 'strerror', None) or exc}); "
             "caching in memory for this run only")
        self.path = None
        return self._init(_connect(":memory:"))

    @staticmethod
    def _init(con: sqlite3.Connection) -> sqlite3.Connection:
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() not in ("wal", "memory"):
            log.warning("geocoding cache: WAL mode unavailable (journal_mode=%s)", mode)
        con.execute("PRAGMA synchronous = NORMAL")
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"unknown cache schema version {version}")
        con.execute("BEGIN IMMEDIATE")
        try:
            for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                con.execute(stmt)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return con

    @property
    def shared(self) -> bool:
        """True when the cache lives in a file that other processes can share."""
        return self.path is not None

    # -- answers -------------------------------------------------------------------------------
    def get(self, service: str, query: str, options: str, *, include_expired: bool = False) -> CacheEntry | None:
        """The stored answer, or ``None`` when absent or expired."""
        row = self._run(lambda con: con.execute(
            "SELECT status, candidate, address, raw, reason, created, expires FROM answers"
            " WHERE service = ? AND query = ? AND options = ?",
            (service, query, options),
        ).fetchone())
        if row is None:
            return None
        status, cand, address, raw, reason, created, expires = row
        if not include_expired and expires <= self.clock():
            return None
        try:
            return CacheEntry(
                hit=status == "hit",
                candidate=json.loads(cand) if cand else None,
                address=address,
                raw=json.loads(raw) if raw else None,
                reason=reason,
                created=created,
                expires=expires,
            )
        except (ValueError, TypeError):  # a row that is not what this module wrote: as if absent
            return None

    def put(
        self,
        service: str,
        query: str,
        options: str,
        *,
        hit: bool,
        candidate: Mapping[str, Any] | None = None,
        address: str | None = None,
        raw: Any = None,
        reason: str | None = None,
        query_text: str | None = None,
        ttl: float | None = None,
    ) -> None:
        """Store (or replace) one answer in its own transaction."""
        now = self.clock()
        life = ttl if ttl is not None else (self.hit_ttl if hit else self.miss_ttl)
        values = (
            service, query, options, "hit" if hit else "miss", query_text,
            json.dumps(dict(candidate), ensure_ascii=False) if candidate is not None else None,
            address,
            json.dumps(raw, ensure_ascii=False, default=str) if raw is not None else None,
            reason, now, now + life,
        )
        sql = f"INSERT OR REPLACE INTO answers ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
        self._run(lambda con: con.execute(sql, values))

    # -- the shared request clock ------------------------------------------------------------
    def try_acquire(self, service: str, lease: float) -> float:
        """Try to take the right to send one request to ``service`` now.

        Returns ``0.0`` when taken (the service is then marked busy for at most
        ``lease`` seconds, until :meth:`release`), else the seconds to wait before
        trying again. Atomic across processes (``BEGIN IMMEDIATE``).
        """
        def take(con: sqlite3.Connection) -> float:
            con.execute("BEGIN IMMEDIATE")
            try:
                row = con.execute("SELECT next_allowed, busy_until FROM throttle WHERE service = ?", (service,)).fetchone()
                now = time.time()
                next_allowed, busy_until = row if row else (0.0, 0.0)
                if busy_until > now:
                    wait = min(busy_until - now, 0.02)  # someone is mid-request: poll
                elif next_allowed > now:
                    wait = next_allowed - now
                else:
                    wait = 0.0
                    con.execute(
                        "INSERT OR REPLACE INTO throttle (service, next_allowed, busy_until) VALUES (?, ?, ?)",
                        (service, next_allowed, now + lease),
                    )
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            return wait

        return self._run(take)

    def release(self, service: str, interval: float) -> None:
        """End the current request: the next may start ``interval`` seconds from now (or later)."""
        self._run(lambda con: con.execute(
            "UPDATE throttle SET busy_until = 0, next_allowed = max(next_allowed, ?) WHERE service = ?",
            (time.time() + interval, service),
        ))

    def defer(self, service: str, until: float) -> None:
        """Make sure no request to ``service`` starts before ``until`` (e.g. after ``Retry-After``)."""
        self._run(lambda con: con.execute(
            "INSERT INTO throttle (service, next_allowed, busy_until) VALUES (?, ?, 0)"
            " ON CONFLICT(service) DO UPDATE SET next_allowed = max(next_allowed, excluded.next_allowed)",
            (service, until),
        ))

    # -- housekeeping ----------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            try:
                self._con.close()
            except sqlite3.Error:  # pragma: no cover - closing twice or after a fork
                pass

    def __enter__(self) -> "GeocodeCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- module-level maintenance verbs (used by ``geomap cache``) ------------------------------------
def _open_existing(path: Path, *, write: bool = False) -> sqlite3.Connection | None:
    """A connection to the cache at ``path``, or ``None`` when there is none (nothing is created).

    A read falls back to an immutable, read-only view when the folder cannot be
    written (SQLite's WAL needs its ``-shm`` file beside the cache).
    """
    import stat

    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the geocoding cache ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path}: not a regular file, so not a geocoding cache")
    if _foreign(path):
        raise ConfigError(f"{path}: not a geomap geocoding cache (not SQLite); leaving it alone")
    try:
        con = _connect(path)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError as exc:
        if write or _is_damage(exc):
            raise
        from urllib.parse import quote

        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "answers" not in tables:
        con.close()
        raise ConfigError(f"{path} is not a geomap geocoding cache")
    return con


def _maintain(path: Path, fn: Callable[[sqlite3.Connection], Any], empty: Any, *, write: bool = False) -> Any:
    """``fn(connection)`` on the existing cache; a damaged cache is moved aside (one line on stderr) and
    ``empty`` returned; a cache that cannot be read or written is a one-line :class:`GeomapError`."""
    path = Path(path)
    try:
        con = _open_existing(path, write=write)
        if con is None:
            return empty
        try:
            return fn(con)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        if _is_damage(exc) or _file_damaged(path):
            try:
                _move_aside(path, exc)
            except OSError as exc2:
                raise OutputError(f"the geocoding cache {path} is damaged ({exc}) and cannot be moved aside "
                                  f"({exc2.strerror or exc2})") from None
            return empty
        what = "write" if write else "read"
        raise OutputError(f"{path}: cannot {what} the geocoding cache ({exc})") from None


def _file_damaged(path: Path) -> bool:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok"
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return _is_damage(exc)


def cache_info(path: Path) -> dict[str, Any]:
    """What the cache at ``path`` holds: counts of hits, misses and expired entries per service.

    A missing file reports zero entries (and is not created); a damaged one is moved aside.
    """
    path = Path(path)

    def fresh() -> dict[str, Any]:
        return {"path": str(path), "exists": path.exists(), "entries": 0, "hits": 0, "misses": 0,
                "expired": 0, "services": {}, "size_bytes": 0}

    def read(con: sqlite3.Connection) -> dict[str, Any]:
        info = fresh()
        now = time.time()
        for service, status, n, expired in con.execute(
            "SELECT service, status, count(*), sum(expires <= ?) FROM answers GROUP BY service, status", (now,)
        ).fetchall():
            info["entries"] += n
            info["hits" if status == "hit" else "misses"] += n
            info["expired"] += expired or 0
            svc = info["services"].setdefault(service, {"hits": 0, "misses": 0})
            svc["hits" if status == "hit" else "misses"] += n
        oldest, newest = con.execute("SELECT min(created), max(created) FROM answers").fetchone()
        info["oldest"] = _iso(oldest)
        info["newest"] = _iso(newest)
        info["journal_mode"] = con.execute("PRAGMA journal_mode").fetchone()[0]
        return info

    info = _maintain(path, read, None)
    if info is None:
        return fresh()
    info["size_bytes"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return info


def cache_clear(path: Path, *, expired_only: bool = False) -> int:
    """Remove entries (all, or only expired ones); returns how many were removed."""
    def clear(con: sqlite3.Connection) -> int:
        con.execute("BEGIN IMMEDIATE")
        try:
            if expired_only:
                n = con.execute("DELETE FROM answers WHERE expires <= ?", (time.time(),)).rowcount
            else:
                n = con.execute("DELETE FROM answers").rowcount
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        if not expired_only:
            con.execute("VACUUM")
        return n

    return _maintain(Path(path), clear, 0, write=True)


def _json_or_none(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except (ValueError, TypeError):
        return None


def _rows(con: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    cur = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM answers ORDER BY service, query, options")
    for row in cur:
        d = dict(zip(_COLUMNS, row))
        d["candidate"] = _json_or_none(d["candidate"])
        d["raw"] = _json_or_none(d["raw"])
        d["created"] = _iso(d["created"])
        d["expires"] = _iso(d["expires"])
        yield d


#: A spreadsheet reads a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs as a formula: text starting with
    ``= + - @``, a tab or a carriage return gets a leading single quote.

    >>> csv_safe("=HYPERLINK(\"http://x\")"), csv_safe("Sochi"), csv_safe(-3.5)
    ('\'=HYPERLINK("http://x")', 'Sochi', -3.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_CSV_COLUMNS = ("service", "query", "options", "status", "query_text", "name", "lat", "lon", "country_code",
                "kind", "address", "reason", "created", "expires")


def cache_export(path: Path, out: Path) -> int:
    """Write every entry to ``out`` as JSON Lines (``.jsonl``) or CSV (``.csv``); returns the count.

    The output appears atomically (written to a temporary file, then renamed).
    """
    out = Path(out)
    fmt = out.suffix.lower()
    if fmt not in (".jsonl", ".csv"):
        raise ConfigError(f"cache export writes .jsonl or .csv, not {out.suffix or 'no suffix'!r}")
    def export(con: sqlite3.Connection | None) -> int:
        n = 0
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                rows = _rows(con) if con is not None else iter(())
                if fmt == ".jsonl":
                    for d in rows:
                        fh.write(json.dumps(d, ensure_ascii=False) + "\n")
                        n += 1
                else:
                    w = csv.DictWriter(fh, fieldnames=_CSV_COLUMNS, extrasaction="ignore")
                    w.writeheader()
                    for d in rows:
                        c = d.pop("candidate") or {}
                        row = {**d, **{k: c.get(k) for k in ("name", "lat", "lon", "country_code", "kind")}}
                        w.writerow({k: csv_safe(v) for k, v in row.items()})
                        n += 1
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
            raise
        return n

    n = _maintain(Path(path), export, None)
    return export(None) if n is None else n


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))

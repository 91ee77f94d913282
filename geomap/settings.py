"""Documented defaults. Every function also takes these as keyword arguments, which win.

Environment variables override the defaults below when the module is imported
and again whenever :func:`from_env` is called:

=========================  ==========================================================
``GEOMAP_CACHE_DIR``       directory for the gazetteer index and the geocoding cache
``GEOMAP_GAZETTEER``       path of the gazetteer SQLite index (default: ``gazetteer-<fingerprint>.sqlite``
                           in the cache directory)
``GEOMAP_GAZETTEER_SRC``   directory with curated gazetteer sources (landmarks, aliases); see
                           :func:`find_gazetteer_sources` for where geomap looks without it
``GEOMAP_GEOCODE_CACHE``   path of the online geocoding cache (SQLite)
``GEOMAP_OFFLINE``         ``1``/``true``: never use the network
``GEOMAP_GEOCODER``        geopy service name of the fallback (default ``nominatim``)
``GEOMAP_USER_AGENT``      user agent sent to online services (required to go online)
``GEOMAP_RATE``            fallback requests per second per service (default 1)
=========================  ==========================================================

Curated gazetteer sources
-------------------------
The curated files (``landmarks.tsv``, ``aliases.tsv``, ...) are found in this order; the first
folder that holds ``landmarks.tsv`` wins:

1. ``GEOMAP_GAZETTEER_SRC`` (or ``Settings(gazetteer_sources=...)``), taken as given;
2. ``geomap/data/gazetteer/`` inside the installed package (a wheel ships them there);
3. ``gazetteer/`` beside the package in a source checkout (an editable install).

The index file name carries the fingerprint of what it is built from (build code, upstream
package versions, curated files), so two geomap versions or two source folders never overwrite
each other's index.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import platformdirs

__all__ = ["Settings", "from_env", "find_gazetteer_sources", "PACKAGE_DIR", "PACKAGED_GAZETTEER_DIR", "REPO_GAZETTEER_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parent
#: Curated gazetteer sources shipped inside the package (wheel installs).
PACKAGED_GAZETTEER_DIR = PACKAGE_DIR / "data" / "gazetteer"
#: Curated gazetteer sources in a source checkout (``<repo>/gazetteer``).
REPO_GAZETTEER_DIR = PACKAGE_DIR.parent / "gazetteer"


def find_gazetteer_sources() -> Path:
    """The folder of curated gazetteer sources: the package's own copy, else the checkout's.

    >>> (find_gazetteer_sources() / "landmarks.tsv").is_file()
    True
    """
    for folder in (PACKAGED_GAZETTEER_DIR, REPO_GAZETTEER_DIR):
        if (folder / "landmarks.tsv").is_file():
            return folder
    return PACKAGED_GAZETTEER_DIR


@lru_cache(maxsize=16)
def _fingerprint(sources: str, stamp: tuple) -> str:
    from .gazetteer import fingerprint, upstream_version

    return fingerprint(Path(sources), upstream_version())


def index_name(sources: Path) -> str:
    """``gazetteer-<fingerprint>.sqlite``: the default index file name for ``sources``."""
    stamp = []
    for p in sorted(Path(sources).glob("*.tsv")) if Path(sources).is_dir() else ():
        st = p.stat()
        stamp.append((p.name, st.st_mtime_ns, st.st_size))
    return f"gazetteer-{_fingerprint(str(sources), tuple(stamp))[:16]}.sqlite"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Defaults for a run; build one with :func:`from_env` and adjust with ``replace``."""

    cache_dir: Path = field(default_factory=lambda: Path(platformdirs.user_cache_dir("geomap")))
    gazetteer_path: Path | None = None
    gazetteer_sources: Path = field(default_factory=find_gazetteer_sources)
    geocode_cache: Path | None = None
    offline: bool = False
    geocoder: str = "nominatim"
    geocoder_options: tuple[tuple[str, str], ...] = ()
    user_agent: str | None = None
    rate: float = 1.0
    timeout: float = 10.0
    retries: int = 3
    #: report long steps (the first gazetteer build) on standard error; ``None``: when it is a terminal
    progress: bool | None = None

    @property
    def gazetteer_file(self) -> Path:
        """The index: ``gazetteer_path`` when set, else ``gazetteer-<fingerprint>.sqlite`` in ``cache_dir``."""
        return self.gazetteer_path or self.cache_dir / index_name(self.gazetteer_sources)

    @property
    def geocode_cache_file(self) -> Path:
        return self.geocode_cache or self.cache_dir / "geocode-cache.sqlite"

    def replace(self, **changes: object) -> "Settings":
        """Return a copy with ``changes`` applied; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """Settings with defaults overridden by ``GEOMAP_*`` environment variables."""
    env = os.environ if environ is None else environ
    s = Settings()
    changes: dict[str, object] = {}
    if env.get("GEOMAP_CACHE_DIR"):
        changes["cache_dir"] = Path(env["GEOMAP_CACHE_DIR"])
    if env.get("GEOMAP_GAZETTEER"):
        changes["gazetteer_path"] = Path(env["GEOMAP_GAZETTEER"])
    if env.get("GEOMAP_GAZETTEER_SRC"):
        changes["gazetteer_sources"] = Path(env["GEOMAP_GAZETTEER_SRC"])
    if env.get("GEOMAP_GEOCODE_CACHE"):
        changes["geocode_cache"] = Path(env["GEOMAP_GEOCODE_CACHE"])
    if _truthy(env.get("GEOMAP_OFFLINE")):
        changes["offline"] = True
    if env.get("GEOMAP_GEOCODER"):
        changes["geocoder"] = env["GEOMAP_GEOCODER"]
    if env.get("GEOMAP_USER_AGENT"):
        changes["user_agent"] = env["GEOMAP_USER_AGENT"]
    if env.get("GEOMAP_RATE"):
        changes["rate"] = float(env["GEOMAP_RATE"])
    return s.replace(**changes)

"""Documented defaults. Every function also takes these as keyword arguments, which win.

Environment variables override the defaults below when the module is imported
and again whenever :func:`from_env` is called:

=========================  ==========================================================
``GEOMAP_CACHE_DIR``       directory for the gazetteer index and the geocoding cache
``GEOMAP_GAZETTEER``       path of the gazetteer SQLite index
``GEOMAP_GAZETTEER_SRC``   directory with curated gazetteer sources (landmarks, aliases)
``GEOMAP_GEOCODE_CACHE``   path of the online geocoding cache (SQLite)
``GEOMAP_OFFLINE``         ``1``/``true``: never use the network
``GEOMAP_GEOCODER``        geopy service name of the fallback (default ``nominatim``)
``GEOMAP_USER_AGENT``      user agent sent to online services (required to go online)
``GEOMAP_RATE``            fallback requests per second per service (default 1)
=========================  ==========================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

__all__ = ["Settings", "from_env", "PACKAGE_DIR", "REPO_GAZETTEER_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parent
#: Curated gazetteer sources in a source checkout (``<repo>/gazetteer``).
REPO_GAZETTEER_DIR = PACKAGE_DIR.parent / "gazetteer"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Defaults for a run; build one with :func:`from_env` and adjust with ``replace``."""

    cache_dir: Path = field(default_factory=lambda: Path(platformdirs.user_cache_dir("geomap")))
    gazetteer_path: Path | None = None
    gazetteer_sources: Path = REPO_GAZETTEER_DIR
    geocode_cache: Path | None = None
    offline: bool = False
    geocoder: str = "nominatim"
    geocoder_options: tuple[tuple[str, str], ...] = ()
    user_agent: str | None = None
    rate: float = 1.0
    timeout: float = 10.0
    retries: int = 3

    @property
    def gazetteer_file(self) -> Path:
        return self.gazetteer_path or self.cache_dir / "gazetteer.sqlite"

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

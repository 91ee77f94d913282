"""One small error family. The CLI turns each into a one-line message and an exit code."""

from __future__ import annotations

__all__ = [
    "GeomapError",
    "InputError",
    "GazetteerError",
    "GeocoderServiceError",
    "ConfigError",
    "OutputError",
]


class GeomapError(Exception):
    """Base class of every error geomap raises on purpose."""

    exit_code = 1


class InputError(GeomapError, ValueError):
    """The input cannot be read as an article: missing, empty, binary or not UTF-8."""

    exit_code = 2


class ConfigError(GeomapError, ValueError):
    """A setting, option or command-line value is not acceptable."""

    exit_code = 2


class GazetteerError(GeomapError, RuntimeError):
    """The local gazetteer index cannot be built or opened."""

    exit_code = 3


class GeocoderServiceError(GeomapError, RuntimeError):
    """An online geocoding service failed (as opposed to answering "not found")."""

    exit_code = 4


class OutputError(GeomapError, OSError):
    """An output file cannot be written."""

    exit_code = 5

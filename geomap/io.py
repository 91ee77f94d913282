"""Reading articles and writing outputs: the I/O edge. Writes are atomic (temp file, then rename)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import InputError, OutputError

__all__ = ["Article", "read_article", "decode_article", "parse_dateline", "atomic_path", "write_text", "write_frame", "FRAME_FORMATS"]

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    text: str
    doc_id: str | None = None
    date: dt.date | None = None


def decode_article(data: bytes, label: str) -> str:
    """Bytes -> text, or an :class:`InputError` that says in one line what is wrong."""
    if not data.strip():
        raise InputError(f"{label}: the file is empty")
    if b"\x00" in data[:8192]:
        raise InputError(f"{label}: this is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (invalid byte at offset {exc.start}); convert it with iconv first") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        raise InputError(f"{label}: this looks like a binary file, not text")
    if not text.strip():
        raise InputError(f"{label}: the file has no text")
    return text


def read_article(path: str | Path, *, date: dt.date | None = None) -> Article:
    """Read one article file (``-`` reads standard input)."""
    import sys

    label = str(path)
    if label == "-":
        data = sys.stdin.buffer.read()
        doc_id = "stdin"
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{label}: no such file")
        if p.is_dir():
            raise InputError(f"{label}: is a folder; use 'geomap batch' for folders")
        if p.stat().st_size > MAX_BYTES:
            raise InputError(f"{label}: larger than {MAX_BYTES // 2**20} MiB; use 'geomap batch' for corpora")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{label}: cannot read ({exc.strerror})") from None
        doc_id = p.stem
    text = decode_article(data, label)
    return Article(text=text, doc_id=doc_id, date=date or parse_dateline(text))


_DATELINE = re.compile(
    r"^\s*[A-Z][A-Za-z .'\-]{1,40}?,\s*(?P<date>[A-Z][a-z]{2,8}\.? \d{1,2}(?:,? \d{4})?|\d{1,2} [A-Z][a-z]{2,8}\.?(?: \d{4})?)"
)


def parse_dateline(text: str) -> dt.date | None:
    """The date of a dateline such as ``WASHINGTON, Sept. 15, 2023 (Reuters) -``, when it has a year.

    >>> parse_dateline("WASHINGTON, Sept. 15, 2023 (Reuters) - Talks began.")
    datetime.date(2023, 9, 15)
    >>> parse_dateline("MOSCOW: Putin met ...") is None
    True
    """
    m = _DATELINE.match(text[:200])
    if not m or not re.search(r"\d{4}", m.group("date")):
        return None
    import dateparser

    got = dateparser.parse(m.group("date"), languages=["en"])
    return got.date() if got else None


def _file_mode(target: Path) -> int:
    """The mode an ordinary new file would get (mkstemp's files are private), or the old file's."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    On any failure the temporary file is removed and ``path`` is left as it was;
    an ``OSError`` becomes :class:`OutputError`.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _file_mode(target))
        os.replace(tmp_path, target)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def dump_json(obj: Any, out: IO[str] | None = None, path: str | Path | None = None) -> str:
    s = json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n"
    if path is not None:
        write_text(path, s)
    elif out is not None:
        out.write(s)
    return s


FRAME_FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "parquet": ".parquet"}


def _flatten_lists(gdf):
    """List columns (actors) as JSON strings for formats without list types."""
    out = gdf.copy()
    for col in out.columns:
        if col != out.geometry.name and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = out[col].map(lambda v: json.dumps(list(v), ensure_ascii=False) if isinstance(v, (list, tuple)) else v)
    return out


def write_frame(gdf, path: str | Path, fmt: str | None = None, *, layer: str | None = None) -> Path:
    """Write a GeoDataFrame as GeoJSON, GeoPackage (one layer), CSV (WKT geometry) or GeoParquet."""
    target = Path(path)
    fmt = fmt or {v: k for k, v in FRAME_FORMATS.items()}.get(target.suffix.lower())
    if fmt not in FRAME_FORMATS:
        raise OutputError(f"{target}: unknown output format; use one of {', '.join(FRAME_FORMATS)}")
    flat = _flatten_lists(gdf)
    if fmt == "gpkg" and target.exists():
        # add or replace one layer in an existing GeoPackage in place of a copy
        flat.to_file(target, layer=layer, driver="GPKG")
        return target
    with atomic_path(target) as tmp:
        tmp.unlink()
        if fmt == "geojson":
            flat.to_file(tmp, driver="GeoJSON")
        elif fmt == "gpkg":
            flat.to_file(tmp, layer=layer, driver="GPKG")
        elif fmt == "csv":
            # GDAL's CSV driver writes the geometry as a leading WKT column and the column types in a
            # .csvt sidecar; geopandas.read_file(path, KEEP_GEOM_COLUMNS="NO") reads both back
            flat.to_file(tmp, driver="CSV", GEOMETRY="AS_WKT", CREATE_CSVT="YES")
            os.replace(tmp.with_suffix(".csvt"), target.with_suffix(".csvt"))
        else:
            flat.to_parquet(tmp, index=False)
    return target

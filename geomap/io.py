"""Reading articles and writing outputs: the I/O edge.

Reads are bounded: at most :data:`MAX_BYTES` are read from any input, whatever ``stat()`` says,
and only regular files and standard input (``-``) are read, so ``/dev/zero`` or a FIFO fails at
once with one line instead of hanging. Writes are atomic (a temporary file beside the target, then
one rename) and replace only regular files: a device, a folder or a FIFO at the output path is
refused, never replaced. ``-`` as an output path means standard output for every text format.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import InputError, OutputError

__all__ = [
    "Article",
    "read_article",
    "read_bounded",
    "decode_article",
    "parse_dateline",
    "atomic_path",
    "check_output_path",
    "is_stdout",
    "write_text",
    "emit_text",
    "dump_json",
    "dump_jsonl",
    "write_frame",
    "csv_safe",
    "FRAME_FORMATS",
    "TEXT_FORMATS",
    "MAX_BYTES",
]

MAX_BYTES = 20 * 1024 * 1024
STDIO = "-"


@dataclass(frozen=True)
class Article:
    text: str
    doc_id: str | None = None
    date: dt.date | None = None


_SURROGATE = re.compile("[\ud800-\udfff]")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode_article(data: bytes, label: str) -> str:
    """Bytes -> text, or an :class:`InputError` that says in one line what is wrong.

    UTF-8 (with or without a BOM) and UTF-16/UTF-32 with a BOM are decoded; lone surrogates
    become U+FFFD, so every output is valid UTF-8.

    >>> decode_article("Sochi".encode("utf-16"), "a.txt")
    'Sochi'
    """
    if not data.strip():
        raise InputError(f"{label}: the file is empty")
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is not None:
        text = data.decode(encoding, errors="replace")
    else:
        if b"\x00" in data[:8192]:
            raise InputError(f"{label}: this is a binary file, not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{label}: not UTF-8 text (invalid byte at offset {exc.start}); convert it with iconv first"
            ) from None
    text = _SURROGATE.sub("\ufffd", text)
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        raise InputError(f"{label}: this looks like a binary file, not text")
    if not text.strip():
        raise InputError(f"{label}: the file has no text")
    return text


def _too_big(label: str) -> InputError:
    return InputError(f"{label}: larger than {MAX_BYTES // 2**20} MiB; use 'geomap batch' for corpora")


def stat_input(path: Path, *, missing: str = "no such file") -> os.stat_result:
    """``path``'s status, or a one-line :class:`InputError` when it is missing or cannot be read."""
    try:
        return path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: {missing}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def check_regular_file(
    path: Path, *, folder_hint: str = "", other_hint: str = "; geomap reads only regular files"
) -> os.stat_result:
    """The file's status, or an :class:`InputError` when it is missing, unreadable or not a regular file.

    FIFOs, devices and sockets are refused before they are opened: reading one may block
    forever or never end. The hints end the message ("; use 'geomap batch' for folders").
    """
    st = stat_input(path)
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a folder{folder_hint}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is {_kind(st.st_mode)}, not a regular file{other_hint}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot read (permission denied)")
    return st


def read_bounded(path: str | Path, *, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file or of standard input (``-``), at most ``limit`` of them.

    Raises :class:`InputError` for a missing path, a folder, a device, a FIFO or a socket, and
    for input longer than ``limit`` (counted as it is read, not from ``stat()``).
    """
    label = str(path)
    if label == STDIO:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        if stream is None:
            raise InputError("standard input is closed")
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise _too_big("standard input")
        return data
    p = Path(path)
    check_regular_file(p, folder_hint="; use 'geomap batch' for folders",
                       other_hint="; pipe it to standard input with '-' instead")
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after stat(), open() must not wait for a writer
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise InputError(f"{label}: not a regular file")
            data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise _too_big(label)
    return data


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "something else"


def read_article(path: str | Path, *, date: dt.date | None = None) -> Article:
    """Read one article file (``-`` reads standard input), at most :data:`MAX_BYTES`."""
    label = str(path)
    data = read_bounded(path)
    doc_id = "stdin" if label == STDIO else Path(path).stem
    text = decode_article(data, "standard input" if label == STDIO else label)
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


# --------------------------------------------------------------------------- writing


def is_stdout(path: str | Path | None) -> bool:
    """Whether an output path means standard output (none given, or ``-``)."""
    return path is None or str(path) == STDIO


def _file_mode(target: Path) -> int:
    """The mode an ordinary new file would get (mkstemp's files are private), or the old file's."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _writable_target(path: str | Path) -> Path:
    """The file a write to ``path`` replaces: the path itself, or what a symlink points at.

    Only a regular file (or nothing) may be replaced; anything else is an :class:`OutputError`.
    """
    target = Path(path)
    if str(path) == STDIO:
        raise OutputError("'-' (standard output) cannot be the target of a file write here")
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{path}: is {_kind(st.st_mode)}, not a regular file; geomap replaces only regular files")
    return target


def check_output_path(path: str | Path) -> Path:
    """The file a write to ``path`` would replace; :class:`OutputError` unless it is a regular file or absent.

    For writers that have their own atomic step: call it first so a device or a folder is never replaced.
    """
    return _writable_target(path)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    ``path`` must be a regular file or not exist yet: a device (``/dev/null``), a folder or a
    FIFO is refused with an :class:`OutputError`, and never replaced. On any failure the
    temporary file is removed and ``path`` is left as it was; an ``OSError`` becomes
    :class:`OutputError`.
    """
    target = _writable_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _file_mode(target))
        _writable_target(target)  # still a regular file (or nothing) at the moment of the rename
        os.replace(tmp_path, target)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; ``-`` writes it to standard output."""
    if str(path) == STDIO:
        emit_text(text, None)
        return Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", errors="replace")
    return Path(path)


def emit_text(text: str, path: str | Path | None) -> None:
    """``text`` to standard output (``None`` or ``-``) or atomically to a file."""
    if is_stdout(path):
        out = sys.stdout
        try:
            out.buffer.write(text.encode("utf-8", errors="replace"))
            out.buffer.flush()
        except AttributeError:  # a text stream without a buffer (tests, notebooks)
            out.write(text)
        return
    write_text(path, text)  # type: ignore[arg-type]


def dump_json(obj: Any, out: IO[str] | None = None, path: str | Path | None = None) -> str:
    s = json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n"
    if path is not None:
        write_text(path, s)
    elif out is not None:
        out.write(s)
    return s


def dump_jsonl(rows: Iterable[Any]) -> str:
    """JSON Lines: one compact object per line."""
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)


FRAME_FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "parquet": ".parquet"}
#: Formats that may go to standard output.
TEXT_FORMATS = ("json", "jsonl", "geojson", "csv")

#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet will not run as a formula: a leading ``= + - @`` tab or CR gets a ``'``.

    >>> csv_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> csv_safe("Sochi"), csv_safe(-3)
    ('Sochi', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flatten_lists(gdf):
    """List columns (actors) as JSON strings for formats without list types."""
    out = gdf.copy()
    for col in out.columns:
        if col != out.geometry.name and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = out[col].map(lambda v: json.dumps(list(v), ensure_ascii=False) if isinstance(v, (list, tuple)) else v)
    return out


def _csv_frame(gdf):
    """Text cells neutralised against formula injection; categoricals as plain text."""
    import pandas as pd

    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = pd.Series([csv_safe(v) for v in s.astype(object)], index=out.index, dtype=object)
    return out


def _clean_strings(gdf):
    """Lone surrogates in text cells replaced, so every writer gets valid UTF-8."""
    import pandas as pd

    out = gdf
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        s = gdf[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            if any(isinstance(v, str) and _SURROGATE.search(v) for v in s):
                if out is gdf:
                    out = gdf.copy()
                out[col] = [(_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v) for v in s]
    return out


def _write_csv(flat, dest: Path | None) -> None:
    """CSV with a leading WKT geometry column; ``dest`` gets a ``.csvt`` sidecar of column types.

    GDAL writes into a private temporary folder (it adds ``.csvt`` and ``.prj`` files there), so
    nothing but the result is left beside ``dest``; ``dest=None`` streams the CSV to standard output.
    """
    with tempfile.TemporaryDirectory(prefix=".geomap-csv-", dir=dest.parent if dest is not None else None) as tmp:
        out = Path(tmp) / "frame.csv"
        flat.to_file(out, driver="CSV", GEOMETRY="AS_WKT", CREATE_CSVT="YES" if dest is not None else "NO")
        if dest is None:
            emit_text(out.read_text(encoding="utf-8"), None)
            return
        with atomic_path(dest) as part:
            os.replace(out, part)
        csvt = out.with_suffix(".csvt")
        if csvt.exists():
            with atomic_path(dest.with_suffix(".csvt")) as part:
                shutil.move(str(csvt), part)


def write_frame(gdf, path: str | Path | None, fmt: str | None = None, *, layer: str | None = None) -> Path | None:
    """Write a GeoDataFrame as GeoJSON, GeoPackage (one layer), CSV (WKT geometry) or GeoParquet.

    ``path`` ``-`` (or ``None``) writes GeoJSON or CSV to standard output. CSV text cells that
    start with ``= + - @`` (or a tab or CR) get a leading ``'`` so spreadsheets do not run them.
    """
    to_stdout = is_stdout(path)
    target = None if to_stdout else Path(path)  # type: ignore[arg-type]
    if fmt is None and target is not None:
        fmt = {v: k for k, v in FRAME_FORMATS.items()}.get(target.suffix.lower())
    if fmt not in FRAME_FORMATS:
        raise OutputError(f"{path}: unknown output format; use one of {', '.join(FRAME_FORMATS)}")
    from .frames import plain

    flat = _flatten_lists(_clean_strings(plain(gdf)))
    if to_stdout:
        if fmt == "geojson":
            emit_text(flat.to_json(drop_id=True, ensure_ascii=False) + "\n", None)
        elif fmt == "csv":
            _write_csv(_csv_frame(flat), None)
        else:
            raise OutputError(f"--format {fmt} is binary and cannot go to standard output; use -o FILE{FRAME_FORMATS[fmt]}")
        return None
    assert target is not None
    if fmt == "csv":
        _writable_target(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(_csv_frame(flat), target)
        return target
    if fmt == "gpkg" and target.exists():
        _writable_target(target)
        # add or replace one layer in an existing GeoPackage in place of a copy
        try:
            flat.to_file(target, layer=layer, driver="GPKG")
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc})") from None
        return target
    with atomic_path(target) as tmp:
        tmp.unlink()
        if fmt == "geojson":
            flat.to_file(tmp, driver="GeoJSON")
        elif fmt == "gpkg":
            flat.to_file(tmp, layer=layer, driver="GPKG")
        else:
            flat.to_parquet(tmp, index=False)
    return target

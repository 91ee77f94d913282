"""Reading a corpus for :mod:`geomap.corpus`: a folder of .txt files, a JSONL file or a CSV file.

Documents come out one at a time, in a stable order, each with a unique id. A
document that cannot be read (a malformed JSON line, a binary file) is yielded
as well, with ``error`` set, so that it is recorded and the run goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..io import MAX_BYTES, check_regular_file, decode_article, stat_input

__all__ = ["Doc", "input_kind", "iter_documents", "count_documents", "TEXT_SUFFIXES",
           "bad_unicode", "MAX_LINE_BYTES"]

#: Longest JSON line (one document) read; a longer line is recorded as an error and skipped unread.
MAX_LINE_BYTES = MAX_BYTES + 64 * 1024
_READ_BLOCK = 1 << 20

#: Files of a folder read as articles; other files are recorded as skipped.
TEXT_SUFFIXES = frozenset({".txt", ".text", ""})


@dataclass(frozen=True)
class Doc:
    """One document of a corpus: its text, or the reason it cannot be read."""

    doc_id: str
    text: str | None
    date: str | None = None
    #: where the document comes from: a path, or "line 12" / "row 12" of the input file
    where: str = ""
    error: str | None = None


def bad_unicode(text: str) -> str | None:
    """Why ``text`` cannot be stored as UTF-8 (a lone surrogate, as JSON's ``\\ud800`` makes), else ``None``.

    >>> bad_unicode("Sochi") is None
    True
    >>> bad_unicode("Sochi \\ud800")
    'holds a lone surrogate U+D800 at offset 6 (not valid Unicode)'
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a lone surrogate U+{ord(text[exc.start]):04X} at offset {exc.start} (not valid Unicode)"
    return None


def printable(text: str) -> str:
    """``text`` with lone surrogates escaped, so that it can be written as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def input_kind(path: Path) -> str:
    """``"folder"``, ``"jsonl"`` or ``"csv"``; an :class:`InputError` for anything else."""
    st = stat_input(path, missing="no such file or folder")
    if stat.S_ISDIR(st.st_mode):
        if not os.access(path, os.R_OK | os.X_OK):
            raise InputError(f"{path}: cannot read the folder (permission denied)")
        return "folder"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        kind = "jsonl"
    elif suffix in (".csv", ".tsv"):
        kind = "csv"
    else:
        raise InputError(f"{path}: expected a folder of .txt files, a .jsonl file or a .csv file")
    check_regular_file(path)
    return kind


def _folder_files(root: Path) -> list[Path]:
    """Regular files under ``root`` (FIFOs, devices and sockets are never opened), hidden ones left out."""
    files = [
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _date_value(value: object, label: str) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise InputError(f"{label}: date {text!r} is not YYYY-MM-DD") from None


class _UniqueIds:
    """Makes ids unique in input order: a repeated ``a`` becomes ``a#2``, ``a#3``, ..."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.renamed = 0

    def __call__(self, doc_id: str) -> str:
        out, n = doc_id, 1
        while out in self.seen:
            n += 1
            out = f"{doc_id}#{n}"
        if n > 1:
            self.renamed += 1
        self.seen.add(out)
        return out


def _iter_folder(root: Path) -> Iterator[Doc]:
    unique = _UniqueIds()
    for p in _folder_files(root):
        rel = p.relative_to(root).as_posix()
        label = str(p)
        if p.suffix.lower() not in TEXT_SUFFIXES:
            yield Doc(unique(rel), None, where=label, error=f"{label}: not a .txt file; skipped")
            continue
        doc_id = unique(rel[: -len(p.suffix)] if p.suffix else rel)
        try:
            st = check_regular_file(p)
            if st.st_size > MAX_BYTES:
                raise InputError(f"{label}: larger than {MAX_BYTES // 2**20} MiB")
            with p.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)  # bounded, should the file grow meanwhile
            if len(data) > MAX_BYTES:
                raise InputError(f"{label}: larger than {MAX_BYTES // 2**20} MiB")
            text = decode_article(data, label)
        except InputError as exc:
            yield Doc(doc_id, None, where=label, error=str(exc))
            continue
        except OSError as exc:
            yield Doc(doc_id, None, where=label, error=f"{label}: cannot read ({exc.strerror})")
            continue
        yield Doc(doc_id, text, where=label)


def _record_doc(record: object, n: int, unit: str, text_column: str, unique: _UniqueIds) -> Doc:
    where = f"{unit} {n}"
    if not isinstance(record, dict):
        return Doc(unique(f"{unit}-{n}"), None, where=where, error=f"{where}: expected an object with {text_column!r}")
    raw_id = record.get("id")
    doc_id = unique(printable(str(raw_id)) if raw_id not in (None, "") else f"{unit}-{n}")
    if raw_id not in (None, "") and (why := bad_unicode(str(raw_id))):
        return Doc(doc_id, None, where=where, error=f"{where}: the id {why}")
    text = record.get(text_column)
    if not isinstance(text, str) or not text.strip():
        what = "no" if text is None else "an empty" if isinstance(text, str) else "a non-text"
        return Doc(doc_id, None, where=where, error=f"{where}: {what} {text_column!r} field")
    if why := bad_unicode(text):
        return Doc(doc_id, None, where=where, error=f"{where}: the {text_column!r} field {why}")
    try:
        date = _date_value(record.get("date"), where)
    except InputError as exc:
        return Doc(doc_id, None, where=where, error=str(exc))
    return Doc(doc_id, text, date=date, where=where)


def bounded_lines(fh: Any, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` of a binary file; ``None`` in place of a line longer than ``limit``,
    which is skipped without being held in memory."""
    n = 0
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        n += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(_READ_BLOCK)
            yield n, None
            continue
        yield n, raw


def _iter_jsonl(path: Path, text_column: str) -> Iterator[Doc]:
    unique = _UniqueIds()
    with path.open("rb") as fh:
        for n, raw in bounded_lines(fh):
            if raw is None:
                yield Doc(unique(f"line-{n}"), None, where=f"line {n}",
                          error=f"line {n}: longer than {MAX_LINE_BYTES // 2**20} MiB; skipped")
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig") if n == 1 else raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield Doc(unique(f"line-{n}"), None, where=f"line {n}", error=f"line {n}: not UTF-8 (invalid byte at offset {exc.start})")
                continue
            except json.JSONDecodeError as exc:
                yield Doc(unique(f"line-{n}"), None, where=f"line {n}", error=f"line {n}: malformed JSON ({exc.msg} at column {exc.colno})")
                continue
            yield _record_doc(record, n, "line", text_column, unique)


def _csv_reader(fh, path: Path):
    csv.field_size_limit(MAX_BYTES)
    return csv.DictReader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")


def _iter_csv(path: Path, text_column: str) -> Iterator[Doc]:
    unique = _UniqueIds()
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
        reader = _csv_reader(fh, path)
        fields = reader.fieldnames or []
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    with fh:
        if text_column not in fields:
            raise ConfigError(f"{path}: no column {text_column!r} (columns: {', '.join(fields) or 'none'}); use --text-column")
        n = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise InputError(f"{path}: not UTF-8 text after row {n}") from None
            except csv.Error as exc:
                raise InputError(f"{path}: row {n + 1}: {exc} (a field may hold at most {MAX_BYTES // 2**20} MiB)") from None
            n += 1
            yield _record_doc(row, n, "row", text_column, unique)


def iter_documents(path: str | Path, *, text_column: str = "text") -> Iterator[Doc]:
    """Every document of ``path``, in a stable order (folders: sorted relative paths)."""
    p = Path(path)
    kind = input_kind(p)
    if kind == "folder":
        return _iter_folder(p)
    if kind == "jsonl":
        return _iter_jsonl(p, text_column)
    return _iter_csv(p, text_column)


def count_documents(path: str | Path, *, text_column: str = "text") -> int:
    """How many documents :func:`iter_documents` yields (a cheap first pass, for progress and ETA)."""
    p = Path(path)
    kind = input_kind(p)
    if kind == "folder":
        return len(_folder_files(p))
    if kind == "jsonl":
        with p.open("rb") as fh:
            return sum(1 for _, line in bounded_lines(fh) if line is None or line.strip())
    with p.open(encoding="utf-8-sig", newline="", errors="replace") as fh:
        reader = _csv_reader(fh, p)
        if text_column not in (reader.fieldnames or []):
            return 0
        try:
            return sum(1 for _ in reader)
        except csv.Error:
            return 0

"""Reading a corpus for :mod:`geomap.batch`: a folder of .txt files, a JSONL file or a CSV file.

Documents come out one at a time, in a stable order, each with a unique id. A
document that cannot be read (a malformed JSON line, a binary file) is yielded
as well, with ``error`` set, so that it is recorded and the run goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InputError
from .io import MAX_BYTES, decode_article

__all__ = ["Doc", "input_kind", "iter_documents", "count_documents", "TEXT_SUFFIXES"]

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


def input_kind(path: Path) -> str:
    """``"folder"``, ``"jsonl"`` or ``"csv"``; an :class:`InputError` for anything else."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise InputError(f"{path}: expected a folder of .txt files, a .jsonl file or a .csv file")


def _folder_files(root: Path) -> list[Path]:
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
            if p.stat().st_size > MAX_BYTES:
                raise InputError(f"{label}: larger than {MAX_BYTES // 2**20} MiB")
            text = decode_article(p.read_bytes(), label)
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
    doc_id = unique(str(raw_id) if raw_id not in (None, "") else f"{unit}-{n}")
    text = record.get(text_column)
    if not isinstance(text, str) or not text.strip():
        what = "no" if text is None else "an empty" if isinstance(text, str) else "a non-text"
        return Doc(doc_id, None, where=where, error=f"{where}: {what} {text_column!r} field")
    try:
        date = _date_value(record.get("date"), where)
    except InputError as exc:
        return Doc(doc_id, None, where=where, error=str(exc))
    return Doc(doc_id, text, date=date, where=where)


def _iter_jsonl(path: Path, text_column: str) -> Iterator[Doc]:
    unique = _UniqueIds()
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
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
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
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
                raise InputError(f"{path}: row {n + 1}: {exc}") from None
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
            return sum(1 for line in fh if line.strip())
    with p.open(encoding="utf-8-sig", newline="", errors="replace") as fh:
        reader = _csv_reader(fh, p)
        if text_column not in (reader.fieldnames or []):
            return 0
        try:
            return sum(1 for _ in reader)
        except csv.Error:
            return 0

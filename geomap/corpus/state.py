"""The ``_state`` folder of a batch output: run settings, the done-ledger, per-chunk sidecars and fallback answers.

Everything here is written by temp file and rename, or appended a line at a time, so
a run killed at any moment leaves a folder the next run resumes from.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, OutputError
from ..io import atomic_path, write_text
from .input import Doc
from .work import TABLES, ChunkResult

__all__ = ["State", "STATE_DIR", "DEFAULT_CHUNK_SIZE", "fingerprint", "write_bytes"]

DEFAULT_CHUNK_SIZE = 100
STATE_DIR = "_state"
#: Part of every chunk's fingerprint: a new version redoes the chunks of folders written by an older one.
_STATE_VERSION = 2
_PART = "part-{:06d}"


def _read_records(path: Path, key_of: Any) -> dict[Any, dict[str, Any]]:
    """The records of a JSON Lines file by ``key_of(record)``, later lines winning; torn or odd lines skipped."""
    out: dict[Any, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        try:
            rec = json.loads(line)
            out[key_of(rec)] = rec
        except (ValueError, KeyError, TypeError):
            continue
    return out


def _append_record(path: Path, rec: dict[str, Any], *, sync: bool) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        fh.flush()
        if sync:
            os.fsync(fh.fileno())


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


class State:
    """The ``_state`` folder: run settings, the done-ledger, per-chunk sidecars and fallback answers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / STATE_DIR
        self.ledger_path = self.dir / "ledger.jsonl"
        self.answers_path = self.dir / "answers.jsonl"

    def part(self, kind: str, index: int, suffix: str = ".parquet") -> Path:
        base = self.root / kind if kind in TABLES else self.dir / kind
        return base / (_PART.format(index) + suffix)

    def open_run(self, chunk_size: int | None) -> int:
        """The chunk size of this output folder (fixed by its first run)."""
        meta_path = self.dir / "run.json"
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            stored = meta.get("chunk_size")
            if isinstance(stored, int) and meta.get("version") == _STATE_VERSION:
                if chunk_size is not None and chunk_size != stored:
                    raise ConfigError(
                        f"{self.root}: this output folder was started with chunk size {stored}; "
                        "use the same chunk size or a new output folder"
                    )
                return stored
        size = chunk_size or DEFAULT_CHUNK_SIZE
        if size < 1:
            raise ConfigError(f"chunk size must be at least 1, got {size}")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.dir}: cannot create ({exc.strerror})") from None
        write_text(meta_path, json.dumps({"version": _STATE_VERSION, "chunk_size": size}) + "\n")
        return size

    def read_ledger(self) -> dict[int, dict[str, Any]]:
        """Chunk index -> its latest record; a line torn by a crash is ignored."""
        return _read_records(self.ledger_path, lambda rec: int(rec["chunk"]))

    def record(self, rec: dict[str, Any]) -> None:
        """Append one ledger line, after the chunk's files are in place."""
        _append_record(self.ledger_path, rec, sync=True)

    def read_answers(self) -> dict[str, dict[str, Any]]:
        return _read_records(self.answers_path, lambda rec: rec["key"])

    def add_answer(self, rec: dict[str, Any]) -> None:
        _append_record(self.answers_path, rec, sync=False)

    def store(self, result: ChunkResult, *, fingerprint: str, stage: str, pending: dict[int, list[str]] | None) -> None:
        """Write a finished chunk's files (each by temp file + rename), then record it as done."""
        for table in ("places", "events"):
            write_bytes(self.part(table, result.index), result.parts[table])
        write_bytes(self.part("itin", result.index), result.parts["itin"])
        errors = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in result.errors)
        write_bytes(self.part("errors", result.index, ".jsonl"), errors.encode("utf-8"))
        if pending is not None:
            doc = {str(k): v for k, v in sorted(pending.items())}
            write_bytes(self.part("pending", result.index, ".json"), json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        self.record({"chunk": result.index, "fp": fingerprint, "stage": stage, "counts": result.counts})

    def read_pending(self, index: int) -> dict[int, list[str]]:
        try:
            raw = json.loads(self.part("pending", index, ".json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {int(k): v for k, v in raw.items()}

    def prune(self, n_chunks: int) -> None:
        """Remove part files of chunks beyond the input's end (the input shrank) and temp files of killed runs."""
        folders = [self.root / t for t in TABLES] + [self.dir / k for k in ("itin", "errors", "pending")]
        for folder in folders:
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if p.name.startswith(".") and ".part-" in p.name:
                    p.unlink(missing_ok=True)
                elif p.name.startswith("part-") and folder.name not in ("stops", "legs"):
                    try:
                        index = int(p.name[5:11])
                    except ValueError:
                        continue
                    if index >= n_chunks:
                        p.unlink(missing_ok=True)


def fingerprint(docs: list[Doc], mode: str, date: str | None) -> str:
    """What a chunk's output depends on (not where the input lies: a moved input is not redone)."""
    h = hashlib.sha1(f"{_STATE_VERSION}|{mode}|{date or ''}".encode())
    for d in docs:
        for part in (d.doc_id, d.date or "", "error" if d.error else "", d.text or ""):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
    return h.hexdigest()

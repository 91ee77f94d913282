"""Corpora in JSON Lines: documents in, place predictions out in the evaluation schema.

Input is one document per line, ``{"id": ..., "text": ..., ...}`` (other keys,
such as gold ``toponyms``, are ignored). Output is one line per document in the
schema of the geoparsing evaluation corpora, so a scorer reads it directly::

    {"id": "40450848", "toponyms": [{"start": 0, "end": 10, "name": "Alexandria",
                                     "lat": 31.3113, "lon": -92.4451, "geonameid": 4314550}]}

``start``/``end`` are Python string offsets into ``text``. A place that was
recognised but not resolved keeps ``lat``/``lon`` ``null``. ``geonameid`` is
``null`` for entries that have no GeoNames id (curated landmarks, fallback answers).

>>> from pathlib import Path
>>> from geomap.corpus import places_jsonl
>>> places_jsonl(Path("docs.jsonl"), Path("pred.jsonl"), progress=False)   # doctest: +SKIP
588
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .input import MAX_LINE_BYTES, bad_unicode, bounded_lines
from ..io import check_regular_file
from ..api import make_fallback, open_gazetteer, people_and_places
from ..errors import InputError
from ..io import atomic_path
from ..model import KINDS, Place
from ..settings import Settings, from_env

__all__ = ["CorpusDoc", "NO_DEMONYMS", "read_documents", "document_places", "to_toponyms", "places_jsonl"]

#: Every kind of place but demonyms, for ``kinds=``. By default every kind is written,
#: demonyms ("Iraqi", "Russians") included: LGL, GeoWebNews and TR-News annotate them
#: as toponyms of their country (316, 321 and 99 of them), and writing them raises
#: F1 there by 0.03-0.07; GeoVirus and TUD-Loc-2013 do not annotate them.
NO_DEMONYMS: frozenset[str] = frozenset(KINDS) - {"demonym"}


@dataclass(frozen=True)
class CorpusDoc:
    """One document of a JSON Lines corpus."""

    doc_id: str
    text: str
    #: 1-based line number in the input file
    line: int


def read_documents(path: Path) -> Iterator[CorpusDoc]:
    """The documents of a JSON Lines file, in file order; blank lines are skipped.

    Raises
    ------
    InputError
        On the first line that is not a JSON object with an ``id`` and a string
        ``text``, naming the file and line; also for a missing file or a repeated id.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a .jsonl file")
    check_regular_file(path)  # a FIFO or a device would block or never end
    seen: set[str] = set()
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        for lineno, raw in bounded_lines(fh):
            if raw is None:
                raise InputError(f"{path} line {lineno}: longer than {MAX_LINE_BYTES // 2**20} MiB")
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path} line {lineno}: not UTF-8 text (invalid byte at offset {exc.start})") from None
            if not line.strip():
                continue
            yield _parse_line(path, lineno, line, seen)


def _parse_line(path: Path, lineno: int, line: str, seen: set[str]) -> CorpusDoc:
    where = f"{path} line {lineno}"
    try:
        d = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(d, dict):
        raise InputError(f"{where}: expected a JSON object {{\"id\", \"text\"}}, got {type(d).__name__}")
    if "id" not in d or d["id"] is None:
        raise InputError(f"{where}: document without 'id'")
    text = d.get("text")
    if not isinstance(text, str):
        raise InputError(f"{where}: document {d['id']!r} has no 'text' string")
    doc_id = str(d["id"])
    for what, value in (("id", doc_id), ("text", text)):
        if why := bad_unicode(value):
            raise InputError(f"{where}: the {what} {why}")
    if doc_id in seen:
        raise InputError(f"{where}: repeated document id {doc_id!r}")
    seen.add(doc_id)
    return CorpusDoc(doc_id, text, lineno)


def document_places(text: str, gazetteer: Any, *, fallback: Any | None = None, doc_id: str | None = None) -> list[Place]:
    """The places of one document: the recogniser and resolver of :func:`geomap.analyse`, without events.

    An empty or blank ``text`` has no places.
    """
    if not text.strip():
        return []
    return people_and_places(text, gazetteer, fallback=fallback, doc_id=doc_id)[1]


def to_toponyms(places: Iterable[Place], *, kinds: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Places as toponyms of the evaluation schema, in text order; ``kinds=None`` keeps every kind.

    >>> from geomap.model import Place
    >>> p = Place("Paris", 0, 5, 48.85341, 2.3488, "FR", "city", 2988507, "Paris", "gazetteer", 0.9)
    >>> to_toponyms([p])
    [{'start': 0, 'end': 5, 'name': 'Paris', 'lat': 48.85341, 'lon': 2.3488, 'geonameid': 2988507}]
    """
    out = []
    for p in sorted(places, key=lambda p: (p.start, p.end)):
        if kinds is not None and p.kind not in kinds:
            continue
        gid = p.geonameid if p.geonameid is not None and p.geonameid > 0 else None
        out.append({"start": p.start, "end": p.end, "name": p.name, "lat": p.lat, "lon": p.lon, "geonameid": gid})
    return out


def _progress(items: list[CorpusDoc], label: str, enabled: bool) -> Iterable[CorpusDoc]:
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=label, unit="doc", file=sys.stderr, dynamic_ncols=True)


def places_jsonl(
    inp: Path,
    out: Path,
    *,
    settings: Settings | None = None,
    gazetteer: Any | None = None,
    offline: bool | None = None,
    kinds: Collection[str] | None = None,
    progress: bool = True,
) -> int:
    """Geoparse every document of a JSON Lines file and write predictions in the evaluation schema.

    Parameters
    ----------
    inp
        Documents ``{"id", "text", ...}``, one per line.
    out
        Predictions ``{"id", "toponyms": [...]}``, one line per input document
        in input order; written atomically (the file appears only when complete).
    settings
        Defaults for the gazetteer and the online fallback; :func:`geomap.settings.from_env` when ``None``.
    gazetteer
        An already open gazetteer; otherwise the one of ``settings`` is opened once.
    offline
        ``True`` never uses the network. ``None`` follows ``settings.offline``
        when ``settings`` is given and is offline otherwise.
    kinds
        Kinds of place to write (see :data:`geomap.model.KINDS`); ``None`` (the
        default) writes every kind, demonyms included; :data:`NO_DEMONYMS` leaves
        demonyms out.
    progress
        Show a progress bar on standard error.

    Returns
    -------
    int
        The number of documents written.

    Raises
    ------
    InputError
        When a line of ``inp`` is not a document; nothing is written then.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from geomap.corpus import places_jsonl
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "in.jsonl").write_text(json.dumps({"id": "1", "text": "Putin flew to Sochi."}) + "\\n")
    >>> places_jsonl(d / "in.jsonl", d / "out.jsonl", progress=False)          # doctest: +SKIP
    1
    """
    if offline is None:
        offline = settings.offline if settings is not None else True
    s = replace(settings or from_env(), offline=offline)
    docs = list(read_documents(Path(inp)))  # a malformed line fails before any work is done
    gaz = gazetteer if gazetteer is not None else open_gazetteer(s)
    fallback = make_fallback(s)
    n = 0
    try:
        with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8") as fh:
            for doc in _progress(docs, Path(inp).name, progress):
                places = document_places(doc.text, gaz, fallback=fallback, doc_id=doc.doc_id)
                row = {"id": doc.doc_id, "toponyms": to_toponyms(places, kinds=kinds)}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    finally:
        if fallback is not None:
            fallback.close()
    return n

"""Corpus-scale runs: many articles in, GeoParquet datasets, a map and a report out.

``run_batch`` reads a folder of .txt files, a JSONL file (``id``, ``text``,
optional ``date``) or a CSV file, analyses the documents in chunks on local
processes or a Dask cluster, and writes one GeoParquet dataset (a folder of part
files) per table::

    OUT/places/part-000000.parquet ...    one part per chunk
    OUT/events/part-000000.parquet ...
    OUT/stops/part-000000.parquet         itineraries span documents: built at the end
    OUT/legs/part-000000.parquet
    OUT/errors.jsonl                      documents that could not be read or analysed
    OUT/report.json, OUT/report.md        counts
    OUT/map.html                          all events, stops and legs (when geomap.render is there)
    OUT/_state/                           what makes the run resumable

A run is resumable: each finished chunk is written with temp files and renames,
then recorded in ``_state/ledger.jsonl``. A run that is killed and started again
with the same command skips the chunks already done, so no row is written twice.
One run at a time writes into a folder (``_state/lock``, via ``filelock``): a second
refuses at once. Local workers end with the run that started them, however it ends.

A document that cannot be read or analysed (malformed JSON, a lone surrogate, a
line over 20 MiB, a binary file) is listed in ``errors.jsonl`` and the others go
on; inputs that are not regular files (FIFOs, devices) are refused before they are
opened. The report counts what the part files hold. The finishing step keeps memory
bounded: itineraries are built one traveller at a time, and above
:data:`MAP_EVENT_LIMIT` events the map shows one marker per place with its count.

The package reads as the data flows: ``input`` (one reader for folders, JSONL and CSV),
``work`` (a chunk in a worker: documents in, part files out), ``engines`` (this process,
local processes or Dask), ``state`` (the resumable ``_state`` folder), ``run``
(:func:`run_batch`), ``itineraries`` and ``report`` (the finishing step), and
``predictions`` (JSON Lines in, place predictions in the evaluation schema out).

Names the gazetteer lacks go to the online fallback in a second pass: every
document is analysed offline first, the distinct names are resolved once in
this (driver) process through the cached, rate-limited fallback, and only the
documents that asked are analysed again with those answers. Workers never use
the network, so the service's rate limit holds however many workers run.

>>> from geomap.corpus import run_batch                              # doctest: +SKIP
>>> result = run_batch("articles.jsonl", "output/run1", workers=2)   # doctest: +SKIP
>>> result.counts["events"]                                          # doctest: +SKIP
>>> result.to_dask("events").groupby("country_code").size().compute()  # doctest: +SKIP
"""

from .predictions import NO_DEMONYMS, document_places, places_jsonl, read_documents, to_toponyms
from .report import MAP_EVENT_LIMIT, MAP_ITINERARY_LIMIT, BatchResult, read_batch
from .run import run_batch
from .engines import ENGINES
from .state import DEFAULT_CHUNK_SIZE
from .work import TABLES

__all__ = ["run_batch", "read_batch", "BatchResult", "TABLES", "ENGINES", "DEFAULT_CHUNK_SIZE", "MAP_EVENT_LIMIT",
           "MAP_ITINERARY_LIMIT", "places_jsonl", "document_places", "read_documents", "to_toponyms", "NO_DEMONYMS"]

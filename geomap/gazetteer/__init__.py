"""The local gazetteer: build an SQLite index of place names once, then look names up offline.

One module per reason to change:

* :mod:`~geomap.gazetteer.sources` reads the upstream open-data packages (GeoNames towns,
  countries, first- and second-level regions, US counties, airports, common words, given names)
  and the curated files in ``gazetteer/`` (see its README);
* :mod:`~geomap.gazetteer.compile` turns those rows into entries, name keys and demonyms (pure);
* :mod:`~geomap.gazetteer.index` writes the SQLite index, holds the build lock and decides
  when an index is stale (its fingerprint);
* :mod:`~geomap.gazetteer.lookup` is the read side, :class:`Gazetteer`.

Every name is indexed under :func:`geomap.text.normalize_name` and its
:func:`geomap.text.name_variants`; queries go through the same two functions.

>>> from geomap.gazetteer import Gazetteer
>>> gaz = Gazetteer.open()                            # doctest: +SKIP
>>> gaz.lookup("Komsomolsk-na-Amure")[0].name         # doctest: +SKIP
'Komsomolsk-on-Amur'
"""

from .compile import synthetic_id
from .index import APPLICATION_ID, BUILD_VERSION, build, fingerprint
from .lookup import Gazetteer
from .sources import COUNTRY_OUTLINES, CURATED_FILES, KIND_ORDER, Upstream, load_upstream, upstream_version

__all__ = [
    "APPLICATION_ID",
    "BUILD_VERSION",
    "COUNTRY_OUTLINES",
    "CURATED_FILES",
    "KIND_ORDER",
    "Gazetteer",
    "Upstream",
    "build",
    "fingerprint",
    "load_upstream",
    "synthetic_id",
    "upstream_version",
]

"""Your own places on top of the built-in gazetteer, without rebuilding its index.

A table of places (a CSV or GeoJSON file, or a (Geo)DataFrame) with these columns:

==========  ======================================================================================
``name``    the place's name as texts write it (required)
``lat``     latitude, WGS84 decimal degrees (required unless the row has a point geometry)
``lon``     longitude (same)
``kind``    ``landmark`` (default), ``city``, ``admin``, ``region``, ``water`` or ``country``
``country`` ISO 3166 alpha-2 code (optional)
``aliases`` other names: a JSON list, or names separated by ``|`` or ``;`` (optional)
``prior``   optional number. Without it, a name you define *replaces* the built-in places of that
            name (your "Vostochny" is the only Vostochny). With it, your place *competes* with them,
            weighted like a town of ``prior`` inhabitants, and the document's context decides.
==========  ======================================================================================

>>> import pandas as pd
>>> up = UserPlaces.load(pd.DataFrame({"name": ["Northgate Works"], "lat": [52.1], "lon": [-1.2]}))
>>> [c.name for c in up.lookup("northgate works")]
['Northgate Works']
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import Candidate
from .text import name_variants, normalize_name

__all__ = ["UserPlaces", "with_user_places", "USER_KINDS", "COLUMNS"]

USER_KINDS = ("landmark", "city", "admin", "region", "water", "country")
COLUMNS = ("name", "lat", "lon", "kind", "country", "aliases", "prior")
_KIND_ORDER = {"country": 0, "admin": 1, "region": 2, "water": 3, "landmark": 4, "city": 5}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _aliases(v: Any) -> list[str]:
    if _blank(v):
        return []
    if isinstance(v, (list, tuple)) or type(v).__name__ == "ndarray":
        return [str(a).strip() for a in v if str(a).strip()]
    s = str(v).strip()
    if s.startswith("["):
        try:
            got = json.loads(s)
        except json.JSONDecodeError:
            got = None
        if isinstance(got, list):
            return [str(a).strip() for a in got if str(a).strip()]
    sep = "|" if "|" in s else ";"
    return [a.strip() for a in s.split(sep) if a.strip()]


def _synthetic_id(name: str, lat: float, lon: float) -> int:
    from .gazetteer import synthetic_id

    return synthetic_id(f"user:{name}", lat, lon)


@dataclass
class UserPlaces:
    """User-defined places, looked up by the same name normaliser as the gazetteer."""

    places: list[Candidate] = field(default_factory=list)
    #: normalised key -> candidates
    by_key: dict[str, list[Candidate]] = field(default_factory=dict)
    #: keys whose places replace the built-in ones (no ``prior``)
    shadowing: set[str] = field(default_factory=set)
    words: int = 1

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], label: str = "places") -> UserPlaces:
        """Places from dict rows with the columns of :data:`COLUMNS`; a bad row is an :class:`InputError`."""
        out = cls()
        for i, r in enumerate(rows, 1):
            where = f"{label}: row {i}"
            name = r.get("name")
            if _blank(name):
                raise InputError(f"{where}: needs a name")
            name = str(name).strip()
            try:
                lat, lon = float(r.get("lat")), float(r.get("lon"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InputError(f"{where} ({name}): lat and lon must be numbers") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
                raise InputError(f"{where} ({name}): lat must be in [-90, 90] and lon in [-180, 180]")
            kind = "landmark" if _blank(r.get("kind")) else str(r["kind"]).strip().lower()
            if kind not in USER_KINDS:
                raise InputError(f"{where} ({name}): kind {kind!r} is not one of {', '.join(USER_KINDS)}")
            cc = None if _blank(r.get("country")) else str(r["country"]).strip().upper()
            if cc is not None and (len(cc) != 2 or not cc.isalpha()):
                raise InputError(f"{where} ({name}): country {cc!r} is not an ISO alpha-2 code such as RU")
            prior = r.get("prior")
            if _blank(prior):
                prior = None
            else:
                try:
                    prior = float(prior)
                except (TypeError, ValueError):
                    raise InputError(f"{where} ({name}): prior must be a number") from None
                if math.isnan(prior) or prior < 0:
                    raise InputError(f"{where} ({name}): prior must be a number >= 0")
            c = Candidate(
                geonameid=_synthetic_id(name, lat, lon), name=name, lat=lat, lon=lon, country_code=cc, kind=kind,
                population=int(prior or 0), feature_code="USER", match="name", source="user",
            )
            out.places.append(c)
            for n in [name, *_aliases(r.get("aliases"))]:
                key = normalize_name(n)
                if not key:
                    continue
                out.words = max(out.words, key.count(" ") + 1)
                for k in {key, *name_variants(key)}:
                    out.by_key.setdefault(k, []).append(c)
                    if prior is None:
                        out.shadowing.add(k)
        return out

    @classmethod
    def load(cls, source: Any) -> UserPlaces:
        """Places from a CSV or GeoJSON file (path), a pandas DataFrame or a GeoDataFrame of points."""
        if isinstance(source, UserPlaces):
            return source
        if isinstance(source, (str, Path)):
            return cls._read(Path(source))
        if hasattr(source, "to_dict") and hasattr(source, "columns"):
            return cls.from_rows(_frame_rows(source), label="extra_places")
        if isinstance(source, Iterable):
            return cls.from_rows(source, label="extra_places")
        raise InputError(f"extra places must be a file, a DataFrame or rows, not {type(source).__name__}")

    @classmethod
    def _read(cls, path: Path) -> UserPlaces:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        suffix = path.suffix.lower()
        try:
            if suffix in (".csv", ".tsv", ".txt"):
                import pandas as pd

                df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False,
                                 encoding="utf-8-sig", comment=None)
            elif suffix in (".geojson", ".json", ".gpkg"):
                import geopandas as gpd

                df = gpd.read_file(path)
            else:
                raise InputError(f"{path}: places must be a .csv or .geojson file")
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - pandas and GDAL raise many kinds
            raise InputError(f"{path}: cannot read places ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
        df.columns = [str(c).strip().lower() for c in df.columns]
        if "name" not in df.columns:
            raise InputError(f"{path}: needs a 'name' column (has {', '.join(df.columns)})")
        return cls.from_rows(_frame_rows(df), label=str(path))

    def __len__(self) -> int:
        return len(self.places)

    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]:
        key = normalize_name(name)
        if not key:
            return []
        out: list[Candidate] = []
        for k in [key, *sorted(name_variants(key))]:
            out += [c for c in self.by_key.get(k, ()) if c not in out]
        out.sort(key=lambda c: (_KIND_ORDER.get(c.kind, 9), -c.population))
        return out[:limit]

    def shadows(self, name: str) -> bool:
        key = normalize_name(name)
        return bool(key) and any(k in self.shadowing for k in [key, *name_variants(key)])


def _frame_rows(df: Any) -> list[dict[str, Any]]:
    cols = {str(c).strip().lower(): c for c in df.columns}
    geom = getattr(df, "geometry", None) if hasattr(df, "crs") else None
    if geom is not None and df.crs is not None and not df.crs.equals("EPSG:4326"):
        geom = geom.to_crs("EPSG:4326")
    rows = []
    for i in range(len(df)):
        r = {k: df[c].iloc[i] for k, c in cols.items() if k in COLUMNS}
        if geom is not None and ("lat" not in r or _blank(r.get("lat"))):
            g = geom.iloc[i]
            if g is not None and not g.is_empty:
                p = g if g.geom_type == "Point" else g.representative_point()
                r["lat"], r["lon"] = p.y, p.x
        rows.append(r)
    return rows


class _WithUserPlaces:
    """A gazetteer with user places on top: their names first, the built-in ones behind them."""

    def __init__(self, base: Any, user: UserPlaces) -> None:
        self._base = base
        self._user = user
        self._by_id = {c.geonameid: c for c in user.places}

    def __getattr__(self, name: str) -> Any:  # everything else is the gazetteer's
        return getattr(self._base, name)

    def __repr__(self) -> str:
        return f"{self._base!r} + {len(self._user)} user places"

    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]:
        mine = self._user.lookup(name, limit=limit)
        if not mine:
            return self._base.lookup(name, limit=limit)
        if self._user.shadows(name):
            return mine
        return (mine + [c for c in self._base.lookup(name, limit=limit) if c not in mine])[:limit]

    def has_key(self, key: str) -> bool:
        return key in self._user.by_key or self._base.has_key(key)

    def max_words(self) -> int:
        return max(self._user.words, self._base.max_words())

    def get(self, geonameid: int) -> Candidate | None:
        return self._by_id.get(geonameid) or self._base.get(geonameid)

    def fuzzy_lookup(self, name: str, **kwargs: Any) -> list[Candidate]:
        return self._user.lookup(name) or self._base.fuzzy_lookup(name, **kwargs)


def with_user_places(gazetteer: Any, places: UserPlaces | Any) -> Any:
    """``gazetteer`` with ``places`` (a :class:`UserPlaces` or anything :meth:`UserPlaces.load` reads) on top."""
    user = UserPlaces.load(places)
    return _WithUserPlaces(gazetteer, user) if len(user) else gazetteer

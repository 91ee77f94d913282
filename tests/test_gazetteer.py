"""The gazetteer index: built from a tiny source set (fast) and from the real data (once)."""

from __future__ import annotations

import math
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import Gazetteer, Upstream, build, fingerprint, synthetic_id
from geomap.settings import from_env
from geomap.text import normalize_name


def _city(gid, name, lat, lon, cc, pop, admin1, alts=()):
    return {"geonameid": gid, "name": name, "latitude": lat, "longitude": lon, "countrycode": cc,
            "population": pop, "admin1code": admin1, "alternatenames": list(alts)}


def tiny_upstream(version: str = "tiny-1") -> Upstream:
    """A handful of GeoNames-shaped rows, enough to exercise every part of a build."""
    cities = [
        _city(491422, "Sochi", 43.59917, 39.72569, "RU", 343334, "38", ["Сочи", "Sochi"]),
        _city(2013348, "Vladivostok", 43.10562, 131.87353, "RU", 604901, "59", ["Владивосток", "VVO"]),
        _city(2021851, "Komsomolsk-on-Amur", 50.55034, 137.00995, "RU", 263906, "30",
              ["Komsomol'sk-na-Amure", "Комсомольск-на-Амуре"]),
        _city(524901, "Moscow", 55.75222, 37.61556, "RU", 10381222, "48", ["Moskva", "Москва"]),
        _city(6641869, "Tsiolkovskiy", 51.76, 128.12, "RU", 7194, "05", []),
        _city(2027748 + 10**8, "Blagoveshchensk", 50.27, 127.53, "RU", 225000, "05", []),
        _city(2013100, "Vostochny", 42.9, 132.8, "RU", 5000, "59", ["Table"]),
        _city(625144, "Minsk", 53.9, 27.56667, "BY", 1742124, "04", ["Мінск"]),
        _city(703448, "Kyiv", 50.45466, 30.5238, "UA", 2797553, "12", ["Kiev", "Київ"]),
        _city(706483, "Kharkiv", 49.98081, 36.25272, "UA", 1430885, "07", ["Kharkov", "Харків"]),
        _city(1871859, "Pyongyang", 39.03385, 125.75432, "KP", 3222000, "12", []),
        _city(2988507, "Paris", 48.85341, 2.3488, "FR", 2138551, "11", []),
        _city(4717560, "Paris", 33.66094, -95.55551, "US", 24782, "TX", []),
        _city(4250542, "Springfield", 39.80172, -89.64371, "US", 114394, "IL", []),
        _city(4409896, "Springfield", 37.21533, -93.29824, "US", 170188, "MO", []),
        _city(4699066, "Houston", 29.76328, -95.36327, "US", 2296224, "TX", []),
        _city(4887398, "Chicago", 41.85003, -87.65005, "US", 2720546, "IL", []),
        _city(4140963, "Washington", 38.89511, -77.03637, "US", 689545, "DC", []),
    ]
    countries = [
        {"geonameid": 2017370, "name": "Russia", "iso": "RU", "iso3": "RUS", "population": 144478050, "capital": "Moscow"},
        {"geonameid": 630336, "name": "Belarus", "iso": "BY", "iso3": "BLR", "population": 9485386, "capital": "Minsk"},
        {"geonameid": 690791, "name": "Ukraine", "iso": "UA", "iso3": "UKR", "population": 44622516, "capital": "Kyiv"},
        {"geonameid": 1873107, "name": "North Korea", "iso": "KP", "iso3": "PRK", "population": 25549819, "capital": "Pyongyang"},
        {"geonameid": 6252001, "name": "United States", "iso": "US", "iso3": "USA", "population": 327167434, "capital": "Washington"},
        {"geonameid": 3017382, "name": "France", "iso": "FR", "iso3": "FRA", "population": 66987244, "capital": "Paris"},
    ]
    info = {
        "RU": {"name": "Russia", "latlng": [60, 100], "demonym": "Russian", "altSpellings": ["RU", "Russian Federation", "RUS"], "nativeName": "Россия"},
        "BY": {"name": "Belarus", "latlng": [53, 28], "demonym": "Belarusian", "altSpellings": ["BY", "Belorussiya"]},
        "UA": {"name": "Ukraine", "latlng": [49, 32], "demonym": "Ukrainian", "altSpellings": ["UA"]},
        "KP": {"name": "North Korea", "latlng": [40, 127], "demonym": "North Korean", "altSpellings": ["KP", "DPRK"]},
        "US": {"name": "United States", "latlng": [38, -97], "demonym": "American", "altSpellings": ["US", "USA", "United States of America"]},
        "FR": {"name": "France", "latlng": [46, 2], "demonym": "French", "altSpellings": ["FR"], "translations": {"de": "Frankreich"}},
    }
    admin1 = [
        {"name": "Texas", "code": "US.TX", "geonameid": 4736286, "aliases": ["State of Texas"]},
        {"name": "Illinois", "code": "US.IL", "geonameid": 4896861, "aliases": ["State of Illinois"]},
        {"name": "Amurskaya oblast'", "code": "RU.05", "geonameid": 2027748, "aliases": ["Amur Oblast", "Амурская область"]},
        {"name": "Moskva", "code": "RU.48", "geonameid": 524894, "aliases": ["Moscow"]},
    ]
    return Upstream(cities, countries, info, admin1, version)


LANDMARKS = (
    "# test landmarks\n"
    "name\tlat\tlon\tkind\tcountry\tfeature_code\tparent\taliases\n"
    "Vostochny Cosmodrome\t51.884\t128.334\tlandmark\tRU\tSPCPRT\tTsiolkovskiy\tVostochny spaceport|Vostochny\n"
    "Far Eastern Federal University\t43.024\t131.894\tlandmark\tRU\tUNIV\tVladivostok\tFEFU\n"
)
REGIONS = "name\tlat\tlon\tkind\tcountry\tfeature_code\tparent\taliases\nRussian Far East\t55\t135\tregion\tRU\tRGN\t\tFar East|Russia's Far East\n"
WATER = "name\tlat\tlon\tkind\tcountry\tfeature_code\tparent\taliases\nPacific Ocean\t0\t-160\twater\t\tOCN\t\tPacific\n"
ALIASES = "alias\ttarget\tcountry\tkind\nBelorussia\tBelarus\tBY\tcountry\n"
DEMONYMS = "demonym\tcountry\nSoviet\tRU\nFrench\t-\n"


def write_sources(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in [("landmarks.tsv", LANDMARKS), ("regions.tsv", REGIONS), ("water.tsv", WATER),
                       ("aliases.tsv", ALIASES), ("demonyms.tsv", DEMONYMS)]:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@pytest.fixture()
def sources(tmp_path: Path) -> Path:
    return write_sources(tmp_path / "sources")


@pytest.fixture()
def tiny(tmp_path: Path, sources: Path) -> Gazetteer:
    gaz = Gazetteer.open(path=tmp_path / "index" / "gaz.sqlite", sources=sources, upstream=tiny_upstream())
    yield gaz
    gaz.close()


# --------------------------------------------------------------------------- tiny index


def test_lookup_folds_case_diacritics_scripts_and_linkers(tiny: Gazetteer) -> None:
    for query in ["Sochi", "SOCHI", "Сочи"]:
        assert [c.geonameid for c in tiny.lookup(query)] == [491422]
    for query in ["Komsomolsk-on-Amur", "Komsomolsk-na-Amure", "komsomolsk on amur", "Комсомольск-на-Амуре"]:
        assert tiny.lookup(query)[0].name == "Komsomolsk-on-Amur", query
    assert tiny.lookup("Владивосток")[0].name == "Vladivostok"
    assert tiny.lookup("nowhere at all") == [] and tiny.lookup("  ") == []


def test_match_tells_main_names_from_alternate_names(tiny: Gazetteer) -> None:
    assert tiny.lookup("Kyiv")[0].match == "name"
    assert tiny.lookup("Kiev")[0].match == "alias"
    assert tiny.lookup("Table")[0].match == "alias"          # a GeoNames alternate name only
    assert tiny.lookup("Belorussia")[0].match == "name"      # a curated alias
    assert tiny.lookup("VVO") == []                           # airport codes are not indexed


def test_order_is_kind_then_population(tiny: Gazetteer) -> None:
    paris = tiny.lookup("Paris")
    assert [c.country_code for c in paris] == ["FR", "US"]
    vostochny = tiny.lookup("Vostochny")
    assert [c.kind for c in vostochny] == ["landmark", "city"]
    assert tiny.lookup("Paris", limit=1)[0].country_code == "FR"


def test_entries_carry_kinds_codes_and_parents(tiny: Gazetteer) -> None:
    cosmo = tiny.lookup("Vostochny spaceport")[0]
    assert cosmo.kind == "landmark" and cosmo.feature_code == "SPCPRT" and cosmo.country_code == "RU"
    assert cosmo.geonameid == synthetic_id("Vostochny Cosmodrome", 51.884, 128.334) < 0
    assert tiny.get(cosmo.parent_id).name == "Tsiolkovskiy"
    assert tiny.get(cosmo.geonameid) == cosmo
    assert tiny.lookup("FEFU")[0].parent_id == 2013348
    assert tiny.lookup("Moscow")[0].feature_code == "PPLC" and tiny.lookup("Sochi")[0].feature_code == "PPL"
    assert tiny.lookup("Far East")[0].kind == "region"
    assert tiny.lookup("Pacific")[0].kind == "water"
    assert tiny.get(123) is None


def test_admin_regions_are_placed_inside_their_country(tiny: Gazetteer) -> None:
    import json

    import shapely
    from shapely.geometry import shape

    from geomap.gazetteer import COUNTRY_OUTLINES

    amur = tiny.lookup("Amur Oblast")[0]
    assert (amur.kind, amur.feature_code, amur.admin1, amur.name) == ("admin", "ADM1", "05", "Amur Oblast")
    russia = next(shape(f["geometry"]) for f in json.loads(COUNTRY_OUTLINES.read_text())["features"]
                  if f["properties"]["iso_a2"] == "RU")
    assert shapely.contains_xy(russia, amur.lon, amur.lat)
    assert tiny.lookup("Texas")[0].kind == "admin"
    # a city-region leaves its name to the city
    assert [c.kind for c in tiny.lookup("Moscow")] == ["city"]


def test_countries_and_demonyms(tiny: Gazetteer) -> None:
    for name, code in [("Belarus", "BY"), ("North Korea", "KP"), ("Russia", "RU"), ("Ukraine", "UA"),
                       ("United States", "US"), ("United States of America", "US"), ("Russian Federation", "RU")]:
        top = tiny.lookup(name)[0]
        assert (top.kind, top.country_code, top.feature_code) == ("country", code, "PCLI"), name
    assert tiny.lookup("Frankreich")[0].match == "alias"
    assert tiny.lookup("RUS") == [] and tiny.lookup("USA") == []     # ISO codes only through aliases.tsv
    assert tiny.country("by").name == "Belarus" and tiny.country("ZZ") is None
    for word, code in [("Belarusian", "BY"), ("North Korean", "KP"), ("Russian", "RU"), ("American", "US"),
                       ("Americans", "US"), ("Soviet", "RU")]:
        c = tiny.demonym(word)
        assert c is not None and (c.kind, c.country_code) == ("country", code), word
    assert tiny.demonym("French") is None and tiny.demonym("Martian") is None


def test_has_key_and_max_words(tiny: Gazetteer) -> None:
    assert tiny.has_key("sochi") and tiny.has_key(normalize_name("Russia's Far East"))
    assert tiny.has_key("komsomolsk amur")          # a variant key
    assert not tiny.has_key("Sochi") and not tiny.has_key("zzz")
    assert tiny.max_words() >= 4


def test_stats(tiny: Gazetteer) -> None:
    s = tiny.stats()
    assert s["kinds"]["country"] == 6 and s["kinds"]["landmark"] == 2 and s["kinds"]["admin"] == 4
    assert s["size_bytes"] > 0 and s["keys"] > 20 and s["build_seconds"] >= 0
    assert s["fingerprint"] and s["upstream"] == "tiny-1"


def test_reused_when_fresh_rebuilt_when_a_source_changes(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "gaz.sqlite"
    up = tiny_upstream()
    first = Gazetteer.open(path=path, sources=sources, upstream=up)
    built_at = first.stats()["fingerprint"], path.stat().st_mtime_ns
    first.close()
    again = Gazetteer.open(path=path, sources=sources, upstream=up)
    assert (again.stats()["fingerprint"], path.stat().st_mtime_ns) == built_at
    again.close()

    with (sources / "landmarks.tsv").open("a", encoding="utf-8") as f:
        f.write("Kremlin\t55.752\t37.617\tlandmark\tRU\tPAL\tMoscow\tMoscow Kremlin\n")
    changed = Gazetteer.open(path=path, sources=sources, upstream=up)
    assert changed.stats()["fingerprint"] != built_at[0]
    assert changed.lookup("Moscow Kremlin")[0].parent_id == 524901
    changed.close()

    newer = Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream("tiny-2"))
    assert newer.stats()["upstream"] == "tiny-2"
    newer.close()


def test_stale_or_broken_index_is_rebuilt(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "gaz.sqlite"
    build(path, sources, upstream=tiny_upstream())
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET v = 'stale' WHERE k = 'fingerprint'")
        con.execute("DELETE FROM entries")
    con.close()
    gaz = Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream())
    assert gaz.stats()["fingerprint"] == fingerprint(sources, "tiny-1")
    assert gaz.lookup("Sochi")
    gaz.close()

    # a file that is not a geomap index is never built over, not even on request
    path.write_bytes(b"not a database")
    for rebuild in (False, True):
        with pytest.raises(GazetteerError, match="not a geomap gazetteer index; not overwriting"):
            Gazetteer.open(path=path, sources=sources, upstream=tiny_upstream(), rebuild=rebuild)
    assert path.read_bytes() == b"not a database"


def test_opened_read_only(tiny: Gazetteer, tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        tiny._con.execute("DELETE FROM entries")
    path = tiny.path
    os.chmod(path, 0o444)
    try:
        ro = Gazetteer(path)
        assert ro.lookup("Sochi")
        ro.close()
    finally:
        os.chmod(path, 0o644)


def test_build_is_atomic_and_concurrent_builds_do_not_clash(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "gaz.sqlite"
    up = tiny_upstream()
    build(path, sources, upstream=up)
    reader = Gazetteer(path)
    with ThreadPoolExecutor(4) as pool:
        stats = list(pool.map(lambda _: build(path, sources, upstream=up), range(4)))
    assert {s["entries"] for s in stats} == {reader.stats()["entries"]}
    assert reader.lookup("Sochi")                      # an open reader keeps working
    reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gaz.sqlite", "sources"]
    assert Gazetteer(path).lookup("Vladivostok")


def test_bad_sources_raise_gazetteer_error(tmp_path: Path, sources: Path) -> None:
    (sources / "landmarks.tsv").write_text("name\tlat\tlon\tkind\nSomewhere\tnorth\t10\tlandmark\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="landmarks.tsv:2"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    (sources / "landmarks.tsv").write_text("name\tlat\tlon\tkind\nSomewhere\t1\t10\tvolcano\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="kind"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    (sources / "landmarks.tsv").write_text(LANDMARKS.replace("Tsiolkovskiy", "Atlantis"), encoding="utf-8")
    with pytest.raises(GazetteerError, match="Atlantis"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    (sources / "landmarks.tsv").write_text(LANDMARKS, encoding="utf-8")
    (sources / "aliases.tsv").write_text("alias\ttarget\tcountry\tkind\nNarnia\tCair Paravel\t\t\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="Cair Paravel"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    assert not (tmp_path / "a.sqlite").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    (sources / "aliases.tsv").write_text(ALIASES, encoding="utf-8")
    with pytest.raises(GazetteerError, match="cannot write"):
        build(blocker / "gaz.sqlite", sources, upstream=tiny_upstream())


def test_synthetic_ids_are_negative_and_stable() -> None:
    a = synthetic_id("Kremlin", 55.752, 37.617)
    assert a < 0 and a == synthetic_id("kremlin", 55.752, 37.617) != synthetic_id("Kremlin", 55.8, 37.617)


# --------------------------------------------------------------------------- the real index


@pytest.fixture(scope="module")
def real() -> Gazetteer:
    """The full index from the installed GeoNames data and gazetteer/ (built once per cache folder)."""
    gaz = Gazetteer.open(from_env())
    yield gaz
    gaz.close()


@pytest.mark.parametrize(
    "query, name, code, lat, lon",
    [
        ("Sochi", "Sochi", "RU", 43.6, 39.73),
        ("Vladivostok", "Vladivostok", "RU", 43.11, 131.87),
        ("Владивосток", "Vladivostok", "RU", 43.11, 131.87),
        ("Komsomolsk-na-Amure", "Komsomolsk-on-Amur", "RU", 50.55, 137.01),
        ("Komsomolsk-on-Amur", "Komsomolsk-on-Amur", "RU", 50.55, 137.01),
        ("Kiev", "Kyiv", "UA", 50.45, 30.52),
        ("Kharkov", "Kharkiv", "UA", 49.98, 36.25),
        ("Moscow", "Moscow", "RU", 55.75, 37.62),
        ("Minsk", "Minsk", "BY", 53.9, 27.57),
        ("Bombay", "Mumbai", "IN", 19.07, 72.88),
    ],
)
def test_real_cities(real: Gazetteer, query: str, name: str, code: str, lat: float, lon: float) -> None:
    top = real.lookup(query)[0]
    assert (top.name, top.country_code, top.kind, top.match) == (name, code, "city", "name")
    assert km(top.lat, top.lon, lat, lon) < 5


def test_real_landmarks_regions_and_countries(real: Gazetteer) -> None:
    cosmo = real.lookup("Vostochny spaceport")[0]
    assert cosmo.kind == "landmark" and km(cosmo.lat, cosmo.lon, 51.884, 128.334) < 25
    assert real.lookup("Vostochny")[0] == cosmo
    assert real.lookup("Russia's Far East")[0].kind == "region"
    assert real.lookup("Komsomolsk-on-Amur aircraft plant")[0].parent_id == real.lookup("Komsomolsk-on-Amur")[0].geonameid
    assert real.lookup("Far Eastern Federal University")[0].parent_id == real.lookup("Vladivostok")[0].geonameid
    for name, code in [("Belarus", "BY"), ("North Korea", "KP"), ("Russia", "RU"), ("Ukraine", "UA"), ("United States", "US")]:
        top = real.lookup(name)[0]
        assert (top.kind, top.country_code) == ("country", code)
    for word, code in [("Belarusian", "BY"), ("North Korean", "KP"), ("Russian", "RU"), ("American", "US"), ("Ukrainian", "UA")]:
        assert real.demonym(word).country_code == code
    assert real.country("RU").name == "Russia"
    assert real.has_key("vladivostok") and 4 <= real.max_words() <= 20
    s = real.stats()
    assert s["kinds"]["city"] > 200_000 and s["kinds"]["landmark"] >= 200 and s["kinds"]["admin"] > 3000

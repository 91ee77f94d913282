"""A tiny gazetteer for tests: a handful of GeoNames-shaped rows and curated files, built into a
real SQLite index in a test's own folder (fast), and the fixtures that build it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from geomap.gazetteer import Gazetteer, Upstream

__all__ = ["ALIASES", "DEMONYMS", "LANDMARKS", "REGIONS", "WATER", "km", "sources", "tiny", "tiny_upstream", "write_sources"]


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

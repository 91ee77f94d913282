"""Compiling entries and names (geomap.gazetteer.compile), seen through a real tiny index."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import Gazetteer, build, synthetic_id
from tiny_gazetteer import LANDMARKS, sources, tiny, tiny_upstream  # noqa: F401 - fixtures


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


def test_unknown_parents_and_alias_targets_raise_gazetteer_error(tmp_path: Path, sources: Path) -> None:
    (sources / "landmarks.tsv").write_text(LANDMARKS.replace("Tsiolkovskiy", "Atlantis"), encoding="utf-8")
    with pytest.raises(GazetteerError, match="Atlantis"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    (sources / "landmarks.tsv").write_text(LANDMARKS, encoding="utf-8")
    (sources / "aliases.tsv").write_text("alias\ttarget\tcountry\tkind\nNarnia\tCair Paravel\t\t\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="Cair Paravel"):
        build(tmp_path / "a.sqlite", sources, upstream=tiny_upstream())
    assert not (tmp_path / "a.sqlite").exists()


def test_synthetic_ids_are_negative_and_stable() -> None:
    a = synthetic_id("Kremlin", 55.752, 37.617)
    assert a < 0 and a == synthetic_id("kremlin", 55.752, 37.617) != synthetic_id("Kremlin", 55.8, 37.617)


# --------------------------------------------------------------------------- airports and air bases

AIRPORTS = [
    {"icao": "UHWW", "iata": "VVO", "name": "Vladivostok International Airport", "city": "Vladivostok",
     "country": "RU", "lat": 43.399, "lon": 132.148},
    {"icao": "XHBK", "iata": "", "name": "Kravtsovka Airbase", "city": "Blagoveshchensk", "country": "RU",
     "lat": 50.40, "lon": 127.61},
    {"icao": "KORD", "iata": "ORD", "name": "Chicago O'Hare International Airport", "city": "Chicago", "country": "US",
     "lat": 41.9786, "lon": -87.9048},
    {"icao": "KXYZ", "iata": "", "name": "Pecan Ranch Airport", "city": "Springfield", "country": "US",
     "lat": 37.30, "lon": -93.40},
    {"icao": "UUXX", "iata": "", "name": "Moscow", "city": "Moscow", "country": "RU", "lat": 55.70, "lon": 37.50},
    {"icao": "KXYY", "iata": "", "name": "Houston Field", "city": "Houston", "country": "US", "lat": 29.70, "lon": -95.30},
    {"icao": "URSS", "iata": "AER", "name": "Sochi International Airport", "city": "Sochi", "country": "RU",
     "lat": 43.4499, "lon": 39.9566},
]
SOCHI_AIRPORT = "Sochi International Airport\t43.450\t39.957\tlandmark\tRU\tAIRP\tSochi\tAdler airport\n"


@pytest.fixture()
def with_airports(tmp_path: Path, sources: Path) -> Gazetteer:
    with (sources / "landmarks.tsv").open("a", encoding="utf-8") as f:
        f.write(SOCHI_AIRPORT)
    up = replace(tiny_upstream(), airports=AIRPORTS)
    gaz = Gazetteer.open(path=tmp_path / "air.sqlite", sources=sources, upstream=up)
    yield gaz
    gaz.close()


def test_airports_are_landmarks_under_their_town(with_airports: Gazetteer) -> None:
    gaz = with_airports
    vvo = gaz.lookup("Vladivostok International Airport")
    assert [(c.kind, c.feature_code, c.country_code, c.match) for c in vvo] == [("landmark", "AIRP", "RU", "name")]
    assert gaz.lookup("Vladivostok airport") == vvo           # the usual short form
    assert gaz.get(vvo[0].parent_id).name == "Vladivostok" and vvo[0].admin1 == "59"
    ohare = gaz.lookup("O'Hare Airport")                      # without the town's name in front
    assert len(ohare) == 1 and gaz.get(ohare[0].parent_id).name == "Chicago"
    assert gaz.lookup("Chicago O'Hare International Airport") == gaz.lookup("O'Hare International Airport") == ohare


def test_military_air_bases_are_airb_and_both_spellings_match(with_airports: Gazetteer) -> None:
    base = with_airports.lookup("Kravtsovka Airbase")
    assert [(c.name, c.feature_code) for c in base] == [("Kravtsovka Airbase", "AIRB")]
    assert with_airports.lookup("Kravtsovka Air Base") == base
    assert with_airports.get(base[0].parent_id).name == "Blagoveshchensk"


def test_airports_never_take_a_town_name_or_a_code(with_airports: Gazetteer) -> None:
    gaz = with_airports
    for town in ("Vladivostok", "Chicago", "Moscow", "Blagoveshchensk", "Houston", "Sochi"):
        assert [c.kind for c in gaz.lookup(town)][:1] == ["city"], town
        assert all(c.feature_code not in ("AIRP", "AIRB") for c in gaz.lookup(town)), town
    assert [c.kind for c in gaz.lookup("Moscow")] == ["city"]    # an airfield named just "Moscow" is left out
    for code in ("VVO", "UHWW", "ORD", "KORD", "XHBK", "Kravtsovka"):
        assert gaz.lookup(code) == [], code
    assert gaz.lookup("Houston Field") == []                     # no airport word: could be a sports ground
    # "International Airport" only for airports with scheduled flights
    pecan = gaz.lookup("Pecan Ranch Airport")
    assert gaz.lookup("Pecan Ranch International Airport") == []
    assert gaz.get(pecan[0].parent_id).admin1 == "MO"            # the Springfield near it (Missouri), not the one in Illinois
    assert gaz.lookup("Kravtsovka International Airport") == []


def test_a_curated_airport_is_not_doubled(with_airports: Gazetteer) -> None:
    sochi = with_airports.lookup("Sochi International Airport")
    assert len(sochi) == 1 and sochi[0].geonameid == synthetic_id("Sochi International Airport", 43.450, 39.957)
    assert with_airports.lookup("Sochi Airport") == []          # the curated entry's names are the ones used
    assert with_airports.lookup("Adler airport") == sochi


def test_airport_names_are_recognised_in_text_and_towns_still_win(with_airports: Gazetteer) -> None:
    from geomap.api import people_and_places

    text = ("The minister flew from Moscow to Vladivostok, landed at Vladivostok International Airport "
            "and then inspected Kravtsovka Air Base outside Blagoveshchensk.")
    _, places = people_and_places(text, with_airports)
    got = {p.name: (p.kind, p.resolved_name) for p in places}
    assert got["Moscow"] == ("city", "Moscow") and got["Vladivostok"] == ("city", "Vladivostok")
    assert got["Vladivostok International Airport"] == ("landmark", "Vladivostok International Airport")
    assert got["Kravtsovka Air Base"] == ("landmark", "Kravtsovka Airbase")
    assert got["Blagoveshchensk"][0] == "city"


def test_compiling_is_pure_and_keeps_airports_apart() -> None:
    from geomap.gazetteer.compile import compile_index

    up = replace(tiny_upstream(), airports=AIRPORTS)
    first, again = compile_index(up), compile_index(up)
    assert first.names == again.names and [e.id for e in first.entries] == [e.id for e in again.entries]
    airports = [e for e in first.entries if e.fcode in ("AIRP", "AIRB")]
    assert sorted(e.name for e in airports) == [
        "Chicago O'Hare International Airport", "Kravtsovka Airbase", "Pecan Ranch Airport",
        "Sochi International Airport", "Vladivostok International Airport"]
    assert all(e.kind == "landmark" and e.population == 0 and e.id < 0 for e in airports)


# --------------------------------------------------------------------------- second-level regions

ADMIN2 = [
    {"name": "Nadezhdinskiy Rayon", "code": "RU.59.1001", "geonameid": 900001,
     "aliases": ["Nadezhdinsky District", "Надеждинский район"], "towns": [2013100]},
    {"name": "Kharkivskyi Raion", "code": "UA.07.2001", "geonameid": 900002, "aliases": ["Kharkiv Raion"],
     "towns": [706483, 999]},
    {"name": "Paris", "code": "FR.11.75", "geonameid": 900003, "aliases": ["Département de Paris"], "towns": [2988507]},
    {"name": "Cook County", "code": "US.IL.031", "geonameid": 900004, "aliases": [], "towns": [4887398]},
    {"name": "Village", "code": "UA.12.3001", "geonameid": 900005, "aliases": [], "towns": [703448]},
    {"name": "Empty Raion", "code": "UA.12.3002", "geonameid": 900006, "aliases": [], "towns": [12345]},
    {"name": "Springfield", "code": "UA.12.3003", "geonameid": 900007, "aliases": [], "towns": [703448]},
    {"name": "Chicago", "code": "UA.07.2002", "geonameid": 900008, "aliases": [], "towns": [706483]},
]


@pytest.fixture()
def with_admin2(tmp_path: Path, sources: Path) -> Gazetteer:
    up = replace(tiny_upstream(), admin2=ADMIN2, common_words={"village": 5.2})
    gaz = Gazetteer.open(path=tmp_path / "adm2.sqlite", sources=sources, upstream=up)
    yield gaz
    gaz.close()


def test_second_level_regions_are_placed_among_their_towns(with_admin2: Gazetteer) -> None:
    gaz = with_admin2
    rayon = gaz.lookup("Nadezhdinsky District")
    assert [(c.name, c.kind, c.feature_code, c.country_code, c.admin1) for c in rayon] == [
        ("Nadezhdinskiy Rayon", "admin", "ADM2", "RU", "59")]
    assert (rayon[0].lat, rayon[0].lon) == (42.9, 132.8)             # its one town, Vostochny
    assert [c.geonameid for c in gaz.lookup("Надеждинский район")] == [900001]
    assert gaz.lookup("Kharkiv Raion")[0].geonameid == 900002          # towns the index lacks are skipped
    assert gaz.lookup("Département de Paris")[0].feature_code == "ADM2"


def test_second_level_regions_never_take_a_town_name_or_a_common_word(with_admin2: Gazetteer) -> None:
    gaz = with_admin2
    assert {c.kind for c in gaz.lookup("Paris")} == {"city"}           # the town keeps its name
    assert gaz.lookup("Village") == []                                 # a common English word
    assert gaz.lookup("Cook County") == []                             # US counties come from zipcodes
    assert gaz.lookup("Empty Raion") == []                             # no town of it in the index


def test_a_second_level_region_shares_its_name_only_with_smaller_towns_abroad(with_admin2: Gazetteer) -> None:
    gaz = with_admin2
    # bigger than both American Springfields: the resolver weighs them against each other
    assert {(c.kind, c.country_code) for c in gaz.lookup("Springfield")} == {("city", "US"), ("admin", "UA")}
    assert {c.kind for c in gaz.lookup("Chicago")} == {"city"}         # a bigger town keeps its name

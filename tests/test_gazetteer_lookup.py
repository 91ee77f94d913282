"""The read side (geomap.gazetteer.lookup): lookups in a tiny index and in the real one (built once)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from geomap.gazetteer import Gazetteer, synthetic_id
from geomap.settings import from_env
from geomap.text import normalize_name
from tiny_gazetteer import km, sources, tiny  # noqa: F401 - fixtures

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


def test_answers_are_remembered_and_callers_cannot_change_them(tiny: Gazetteer) -> None:
    first = tiny.lookup("Sochi")
    first.clear()  # a caller's list is its own
    again = tiny.lookup("Sochi")
    assert again and again == tiny.lookup("sochi") and again[0].name == "Sochi"
    assert tiny.lookup("Sochi", limit=1) == again[:1]
    assert tiny.demonym("Belarusian") is tiny.demonym("Belarusian") and tiny.demonym("Martian") is None


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


def test_real_airports_and_second_level_regions(real: Gazetteer) -> None:
    saki = real.lookup("Saki Air Base")[0]
    assert (saki.kind, saki.feature_code, saki.country_code) == ("landmark", "AIRB", "UA")
    pulkovo = real.lookup("Pulkovo Airport")[0]
    assert pulkovo.feature_code == "AIRP" and real.get(pulkovo.parent_id).name == "Saint Petersburg"
    for town in ("Moscow", "Vladivostok", "Sochi", "Chicago"):
        assert real.lookup(town)[0].kind == "city", town
    for name, code in [("Gironde", "FR"), ("Cambridgeshire", "GB"), ("Nueva Ecija", "PH")]:
        top = real.lookup(name)[0]
        assert (top.kind, top.feature_code, top.country_code) == ("admin", "ADM2", code), name
    gironde = real.lookup("Gironde")[0]
    assert km(gironde.lat, gironde.lon, 44.84, -0.58) < 100           # around Bordeaux
    # a frequent word is the name of a region of a million people, and the towns keep it too
    assert {("admin", "GB"), ("city", "US")} <= {(c.kind, c.country_code) for c in real.lookup("Kent")}
    assert real.lookup("Capital District") == []                       # common words and no place's name

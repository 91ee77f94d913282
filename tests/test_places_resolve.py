"""Resolution: context decides, the caller can bias it, and every answer can explain itself."""

from __future__ import annotations

import pytest

import geomap
from geomap.errors import ConfigError
from geomap.model import Candidate, Mention
from geomap.places.recognise import find_mentions
from geomap.places.resolve import Bias, Question, Resolution, merge, resolve


def _places(text, gaz, **kw):
    return {p.name: p for p in resolve(find_mentions(text, gaz), gaz, **kw).places}


def test_an_explicit_container_outranks_population(gazetteer):
    assert _places("Gunfire was heard in Tripoli, in northern Lebanon, late on Friday.", gazetteer)["Tripoli"].country_code == "LB"
    assert _places("Tripoli, in the north of Lebanon, was calm.", gazetteer)["Tripoli"].country_code == "LB"


def test_a_possessive_container_after_a_comma(gazetteer):
    p = _places("Rosario, Argentina's third city, voted on Sunday.", gazetteer)["Rosario"]
    assert p.country_code == "AR"


def test_the_us_state_of_georgia_is_not_the_country(gazetteer):
    p = _places("Turnout rose in the US state of Georgia this year.", gazetteer)["Georgia"]
    assert p.country_code == "US" and p.kind == "admin"
    assert _places("Protesters filled Tbilisi, the capital of Georgia.", gazetteer)["Georgia"].country_code == "GE"


def test_a_well_known_old_spelling_of_a_big_city_beats_a_village_by_that_name(gazetteer):
    p = _places("Artillery hit Zaporozhye and Dnepropetrovsk.", gazetteer)
    assert p["Zaporozhye"].country_code == "UA" and p["Zaporozhye"].population > 500_000
    assert p["Dnepropetrovsk"].country_code == "UA"


def test_a_cue_kind_no_candidate_has_leaves_the_name_open(gazetteer):
    # "Narva" names a town in Estonia, but this text calls it an island in a story about Vanuatu
    text = "Vanuatu's disaster office said the island of Narva lost power. Boats reached Narva later."
    r = resolve(find_mentions(text, gazetteer), gazetteer)
    narva = [p for p in r.places if p.name == "Narva"]
    assert len(narva) == 2 and not any(p.resolved for p in narva)
    assert all(p.unresolved_reason == "not in gazetteer" for p in narva) and r.questions
    # the town that names its province stays when the story is there
    text = "Shelling hit Idlib province, Syria, as people fled Idlib for the border with Turkey."
    assert {p.country_code for p in resolve(find_mentions(text, gazetteer), gazetteer).places if p.name == "Idlib"} == {"SY"}


def test_country_codes_and_a_box_bias_resolution(gazetteer):
    text = "Officials met in Valencia."
    assert _places(text, gazetteer)["Valencia"].country_code in ("ES", "VE")
    assert _places(text, gazetteer, bias=Bias(country_codes=("VE",)))["Valencia"].country_code == "VE"
    assert _places(text, gazetteer, bias=Bias(bbox=(-10.0, 35.0, 5.0, 44.0)))["Valencia"].country_code == "ES"


def test_the_public_api_takes_the_bias_and_rejects_bad_values():
    gdf = geomap.places("Officials met in Valencia.", offline=True, country_codes=["ve"])
    assert list(gdf.country_code) == ["VE"]
    with pytest.raises(ConfigError, match="two letters"):
        geomap.places("Officials met in Valencia.", offline=True, country_codes=["VEN"])
    with pytest.raises(ConfigError, match="bbox"):
        geomap.places("Officials met in Valencia.", offline=True, bbox=[1, 2, 3])


def test_explanations_list_the_candidates_with_scores_and_reasons(gazetteer):
    p = _places("Gunfire was heard in Tripoli, in northern Lebanon.", gazetteer, explain=True)["Tripoli"]
    best, *others = p.explanation
    assert best["country_code"] == "LB" and best["reasons"]["container"] > 0
    assert best["context"]["container"] == "Lebanon"
    assert any(o["country_code"] == "LY" and o["reasons"]["container"] < 0 for o in others)
    assert best["score"] > max(o["score"] for o in others) and abs(sum(c["probability"] for c in p.explanation) - 1) < 0.01
    gdf = geomap.places("Gunfire was heard in Tripoli, in northern Lebanon.", offline=True, explain=True)
    assert "explanation" in gdf.columns and gdf.explanation.iloc[0][0]["country_code"] == "LB"
    assert "explanation" not in geomap.places("Talks in Minsk.", offline=True).columns


def test_merge_folds_answers_in_and_keeps_reasons():
    m = Mention("Qarvash", 0, 7, open=True)
    unresolved = geomap.model.Place("Qarvash", 0, 7, None, None, None, "city", None, None, None, 0.0,
                                    unresolved_reason="not in gazetteer")
    r = Resolution((unresolved, unresolved), (Question(0, "Qarvash", None), Question(1, "Qarvash", None)),
                   {1: Candidate(7, "Lebanon", 33.9, 35.9, "LB", "country")})

    class A:
        candidate, source, service, reason = None, None, "nominatim", "service error: timeout"

    got = merge(r, {0: A(), 1: A()})
    assert got[0].unresolved_reason == "service error: timeout" and got[0].service == "nominatim"
    assert got[1].source == "container" and got[1].resolved_name == "Lebanon" and got[1].unresolved_reason is None
    assert m.open


def test_a_town_and_its_county_named_apart_read_each_other(gazetteer):
    got = _places("Storms hit Lancaster as Fairfield County opened shelters.", gazetteer)
    assert got["Lancaster"].country_code == "US" and abs(got["Lancaster"].lat - got["Fairfield County"].lat) < 0.5
    got = _places("Deputies from Limestone County searched a house in Athens on Tuesday.", gazetteer)
    assert abs(got["Athens"].lat - got["Limestone County"].lat) < 0.5 and abs(got["Athens"].lon - got["Limestone County"].lon) < 0.5


class _Towns:
    """Two names, each a big town far away or a small one near the other's small one."""

    rows = {
        "Alder": [Candidate(1, "Alder", 10.0, 10.0, "AA", "city", 500_000), Candidate(2, "Alder", 40.0, -90.0, "BB", "city", 2_000)],
        "Birch": [Candidate(3, "Birch", 20.0, 20.0, "AA", "city", 300_000), Candidate(4, "Birch", 40.1, -90.1, "BB", "city", 1_000)],
        "Cedar County": [Candidate(5, "Cedar County", 40.05, -90.05, "BB", "admin", 0, "ADM2", "CC"),
                         Candidate(6, "Cedar County", 30.0, 30.0, "DD", "admin", 0, "ADM2", "CC")],
    }

    def lookup(self, name, *, limit=50):
        return self.rows.get(name, [])[:limit]

    def demonym(self, word):
        return None


def _read(text, names):
    mentions = [Mention(n, text.index(n), text.index(n) + len(n)) for n in names]
    return {p.name: p.geonameid for p in resolve(mentions, _Towns()).places}


def test_two_small_namesakes_close_together_do_not_pull_each_other():
    assert _read("Alder and Birch.", ["Alder", "Birch"]) == {"Alder": 1, "Birch": 3}


def test_a_county_close_to_a_small_namesake_pulls_it():
    got = _read("Alder and Cedar County.", ["Alder", "Cedar County"])
    assert got == {"Alder": 2, "Cedar County": 5}


def test_a_small_administrative_area_does_not_beat_a_big_city_of_its_name(gazetteer):
    # Portland, Manchester and Charlotte are also parishes of a few thousand people in the Caribbean
    assert _places("Two men were arrested in Portland overnight.", gazetteer)["Portland"].country_code == "US"
    assert _places("The striker signed for a club in Manchester.", gazetteer)["Manchester"].country_code == "GB"
    assert _places("Heavy rain flooded streets in Charlotte.", gazetteer)["Charlotte"].kind == "city"
    # a large first-level region keeps its name against the river or any town
    p = _places("Floods closed roads across Mississippi.", gazetteer)["Mississippi"]
    assert (p.kind, p.country_code) == ("admin", "US")


def test_a_city_that_fills_much_of_its_region_is_what_the_bare_name_means(gazetteer):
    assert _places("The bank's analysts met investors in New York on Tuesday.", gazetteer)["New York"].kind == "city"
    # ... unless the text says the region
    for text in (
        "Snow closed schools in Vermont and New York.",
        "A bridge collapsed near Rochester, New York, on Sunday.",
        "New York Gov. Ann Example signed the bill.",
        "Voters in the state of New York went to the polls.",
        "Dairy farms in upstate New York lost their barns.",
        "New York is a state in the north-east of the country; its parks drew record crowds.",
    ):
        assert _places(text, gazetteer)["New York"].kind == "admin", text


def test_the_items_of_a_list_are_read_as_one_kind(gazetteer):
    p = _places("The tour stops in Texas, Georgia and Florida before the final.", gazetteer)["Georgia"]
    assert (p.country_code, p.kind) == ("US", "admin")
    p = _places("Envoys from Armenia, Georgia and Azerbaijan met on Monday.", gazetteer)["Georgia"]
    assert p.country_code == "GE"
    p = _places("Direct flights link Boston, New York and Chicago.", gazetteer)["New York"]
    assert p.kind == "city"


def test_explanations_name_the_list_and_the_city_behind_a_region(gazetteer):
    text = "Fans came from Ohio, Iowa and New York."
    p = resolve(find_mentions(text, gazetteer), gazetteer, explain=True).places[-1]
    state = next(c for c in p.explanation if c["kind"] == "admin")
    assert state["reasons"]["list"] > 0 and state["reasons"]["its city's name"] < 0
    assert p.kind == "admin"

"""extract_events end to end: event types, places, casualties, status, datelines (real gazetteer)."""

from __future__ import annotations

import datetime as dt

import pytest

from geomap.api import analyse
from geomap.events import STOP_TYPES, extract_events
from geomap.events.vocabulary import TYPES

MONDAY = "2024-10-07"


def run(text, gazetteer, date=MONDAY):
    return analyse(text, gazetteer=gazetteer, fallback=None, offline=True, date=date)


def types_at(a):
    return [(e.event_type, e.place) for e in a.events]


# ---- one sentence per event type --------------------------------------------------------------

CASES = [
    # (event type, sentence, place)
    ("protest", "Thousands of protesters marched through Madrid on Saturday.", "Madrid"),
    ("protest", "Protesters rallied in Warsaw on Sunday.", "Warsaw"),
    ("rally", "Supporters of candidate Maria Lopez held a campaign rally in Lima on Sunday.", "Lima"),
    ("strike", "Dock workers in Oslo went on strike on Tuesday.", "Oslo"),
    ("clash", "Police clashed with students in Nairobi on Monday.", "Nairobi"),
    ("clash", "Fighting broke out in Cairo on Monday.", "Cairo"),
    ("assault", "Gunmen attacked a bus near Cairo, killing nine people.", "Cairo"),
    ("assault", "An air strike hit Hanoi on Monday.", "Hanoi"),
    pytest.param("assault", "Warplanes carried out air strikes on Beirut overnight.", "Beirut", id="assault-air-strikes-on"),
    pytest.param("assault", "Fighter jets carried out air strikes on Beirut overnight.", "Beirut",
                 id="assault-jets-carried-out-air-strikes"),
    ("assault", "Artillery shelled Kharkiv on Monday.", "Kharkiv"),
    ("arrest", "Police arrested 40 activists in Warsaw on Friday.", "Warsaw"),
    ("trial", "A court in Madrid sentenced the former mayor Juan Ortiz to six years in prison.", "Madrid"),
    pytest.param("deploy", "The army deployed troops to Lima on Sunday.", "Lima", id="deploy-troops-to"),
    ("deploy", "Soldiers were sent to Lima on Sunday.", "Lima"),
    ("exercise", "The navy held exercises off Hanoi last week.", "Hanoi"),
    ("evacuate", "Thousands of residents were evacuated from Manila as the river rose.", "Manila"),
    pytest.param("evacuate", "Residents fled Kharkiv on Monday.", "Kharkiv", id="evacuate-fled-city"),
    ("aid", "The Red Cross delivered aid to Nairobi on Thursday.", "Nairobi"),
    ("sanction", "The United States sanctioned three banks in Minsk on Monday.", "Minsk"),
    ("agree", "The two sides agreed a ceasefire in Cairo on Monday.", "Cairo"),
    ("vote", "Voters in Warsaw went to the polls on Sunday.", "Warsaw"),
    pytest.param("vote", "Residents of Madrid voted in a referendum on Sunday.", "Madrid", id="vote-residents-of"),
    pytest.param("disaster", "An earthquake struck Lima on Monday.", "Lima", id="disaster-earthquake-struck-city"),
    ("disaster", "An earthquake struck near Lima on Monday.", "Lima"),
    ("disaster", "Floods swept through Hanoi on Tuesday.", "Hanoi"),
    pytest.param("disaster", "Floods inundated Hanoi on Tuesday.", "Hanoi", id="disaster-floods-inundated-city"),
    ("disaster", "A wildfire burned near Athens on Sunday.", "Athens"),
    ("disaster", "A cholera outbreak spread in Nairobi.", "Nairobi"),
    ("accident", "A passenger plane crashed near Cairo on Monday.", "Cairo"),
    pytest.param("accident", "A train derailed near Warsaw on Sunday.", "Warsaw", id="accident-train-derailed"),
    ("accident", "A train derailment near Warsaw on Sunday injured 14 people.", "Warsaw"),
]


@pytest.mark.parametrize("etype,text,place", CASES)
def test_event_type(gazetteer, etype, text, place):
    a = run(text, gazetteer)
    assert (etype, place) in types_at(a), types_at(a)


def test_every_event_carries_its_type_codes(gazetteer):
    text = (
        "Police arrested 40 activists in Warsaw on Friday. "
        "An air strike hit Hanoi on Monday. "
        "A passenger plane crashed near Cairo on Monday."
    )
    a = run(text, gazetteer)
    assert {e.event_type for e in a.events} >= {"arrest", "assault", "accident"}
    for e in a.events:
        assert e.plover == TYPES[e.event_type].plover
        if e.event_type not in ("meet",):
            assert e.cameo == TYPES[e.event_type].cameo


# ---- actors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,etype,actor",
    [
        ("Thousands of protesters marched through Madrid on Saturday.", "protest", "protesters"),
        ("Police detained 20 students in Lima on Friday.", "arrest", "Police"),
        ("Gunmen killed three villagers near Lima.", "assault", "Gunmen"),
        # organisations and states
        ("Greenpeace protested outside parliament in Oslo on Monday.", "protest", "Greenpeace"),
        ("The Red Cross delivered aid to Nairobi on Thursday.", "aid", "Red Cross"),
        ("The United States sanctioned three banks in Minsk on Monday.", "sanction", "United States"),
    ],
)
def test_group_and_organisation_actors(gazetteer, text, etype, actor):
    (e,) = [e for e in run(text, gazetteer).events if e.event_type == etype]
    assert actor in e.actors


def test_targets_of_an_arrest(gazetteer):
    (e,) = run("Police arrested 40 activists in Warsaw on Friday.", gazetteer).events
    assert e.actors == ("Police",)
    assert any("activists" in t for t in e.targets)


def test_clash_has_both_sides(gazetteer):
    (e,) = run("Police clashed with students in Nairobi on Monday.", gazetteer).events
    assert set(e.actors) == {"Police", "students"}


# ---- places -----------------------------------------------------------------------------------


def test_a_list_of_places_gives_one_event_each(gazetteer):
    a = run("Shelling hit Kharkiv, Odesa and Kyiv overnight.", gazetteer)
    assert types_at(a) == [("assault", "Kharkiv"), ("assault", "Odesa"), ("assault", "Kyiv")]
    assert {e.date for e in a.events} == {MONDAY}


def test_event_reported_from_another_city_is_placed_where_it_happened(gazetteer):
    a = run("NAIROBI, May 3 — Police fired tear gas at protesters in Kampala on Friday.", gazetteer, None)
    places = [e.place for e in a.events]
    assert places and set(places) == {"Kampala"}


def test_an_air_raid_is_not_a_trip(gazetteer):
    a = run("Fighter jets carried out air strikes on Beirut overnight.", gazetteer)
    assert a.itineraries == []
    assert all(e.event_type not in STOP_TYPES for e in a.events)


def test_non_travel_events_are_not_itinerary_stops(gazetteer):
    text = (
        "Minister Clara Voss flew to Madrid on Monday. "
        "Protesters marched in Lima the same day. "
        "Gunmen attacked a bus near Cairo. "
        "A passenger plane crashed near Hanoi."
    )
    a = run(text, gazetteer)
    assert {e.event_type for e in a.events} >= {"travel", "protest", "assault", "accident"}
    assert {it.actor: [s.place for s in it.stops] for it in a.itineraries} == {"Clara Voss": ["Madrid"]}
    stop_events = {s.event_id for it in a.itineraries for s in it.stops}
    for e in a.events:
        if e.event_id in stop_events:
            assert e.event_type in STOP_TYPES


# ---- casualties -------------------------------------------------------------------------------


def test_fatalities_and_injured_are_integers(gazetteer):
    (e,) = run("An air strike hit Hanoi on Monday, killing at least 12 people and wounding 30.", gazetteer).events
    assert (e.fatalities, e.injured) == (12, 30)
    assert isinstance(e.fatalities, int) and isinstance(e.injured, int)


@pytest.mark.parametrize(
    "text,dead,hurt",
    [
        ("Gunmen attacked a bus near Cairo, killing nine people.", 9, None),
        ("A train derailment near Warsaw on Sunday injured 14 people.", None, 14),
        ("An earthquake struck near Lima on Monday, killing 5 people.", 5, None),
    ],
)
def test_casualty_counts(gazetteer, text, dead, hurt):
    harmful = [e for e in run(text, gazetteer).events if e.event_type in ("assault", "accident", "disaster")]
    assert harmful and (harmful[0].fatalities, harmful[0].injured) == (dead, hurt)


def test_no_casualties_stated_gives_none(gazetteer):
    (e,) = run("Protesters rallied in Warsaw on Sunday.", gazetteer).events
    assert (e.fatalities, e.injured) == (None, None)
    (e,) = run("Artillery shelled Kharkiv on Monday.", gazetteer).events
    assert (e.fatalities, e.injured) == (None, None)


# ---- status and time --------------------------------------------------------------------------


def test_a_banned_march_is_cancelled(gazetteer):
    (e,) = run("A march planned for Saturday in Madrid was banned.", gazetteer).events
    assert (e.event_type, e.place, e.status) == ("protest", "Madrid", "cancelled")


def test_a_planned_protest_is_planned(gazetteer):
    (e,) = run("Teachers will protest in Lima on Thursday.", gazetteer).events
    assert (e.event_type, e.status, e.date) == ("protest", "planned", "2024-10-10")


def test_hypothetical_events_are_left_out(gazetteer):
    assert run("Officials fear that gunmen might attack Cairo.", gazetteer).events == []


def test_event_dates_and_precision(gazetteer):
    (e,) = run("The navy held exercises off Hanoi last week.", gazetteer).events
    assert (e.date, e.date_precision) == ("2024-09-30", "week")
    (e,) = run("A cholera outbreak spread in Nairobi.", gazetteer).events
    assert (e.date, e.date_precision) == (None, None)


def test_events_carry_ids_and_evidence(gazetteer):
    text = "Protesters rallied in Warsaw on Sunday. Police arrested 40 activists in Madrid on Friday."
    a = run(text, gazetteer)
    assert [e.event_id for e in a.events] == ["e1", "e2"]
    for e in a.events:
        assert e.place in e.sentence
        assert text[e.place_start : e.place_end] == e.place
        assert e.lat is not None and e.lon is not None


# ---- extract_events directly ------------------------------------------------------------------


def test_extract_events_without_places_or_people_is_empty():
    from geomap.text import split_sentences

    text = "Nothing happened anywhere today."
    assert extract_events(text, split_sentences(text), [], [], pub_date=dt.date(2024, 10, 7)) == []

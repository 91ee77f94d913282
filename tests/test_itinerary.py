"""Itineraries: who went where, in what order, and what was only planned or called off.

End-to-end sentences run through :func:`geomap.api.analyse` with the real gazetteer; the
last part tests :func:`geomap.itinerary.build_itineraries` on hand-made events.
"""

from __future__ import annotations

import pytest

from geomap.api import analyse
from geomap.itinerary import STOP_TYPES, build_itineraries
from geomap.model import Event

MONDAY = "2024-10-07"  # publication dates used below
FRIDAY = "2024-10-11"


def run(text, gazetteer, date=MONDAY):
    return analyse(text, gazetteer=gazetteer, fallback=None, offline=True, date=date)


def routes(a):
    """actor -> [place, ...] for every itinerary."""
    return {it.actor: [s.place for s in it.stops] for it in a.itineraries}


def itinerary(a, actor):
    got = [it for it in a.itineraries if it.actor == actor]
    assert got, f"no itinerary for {actor}: {routes(a)}"
    return got[0]


# ---- who travels ------------------------------------------------------------------------------


def test_apposition_names_the_traveller(gazetteer):
    text = "Foreign Minister Maria Holm visited Madrid on Monday. Her deputy, Tomas Lind, flew on to Oslo."
    r = routes(run(text, gazetteer))
    assert r.get("Tomas Lind") == ["Oslo"]
    assert r.get("Maria Holm") == ["Madrid"]


def test_coordinated_subjects_both_travel(gazetteer):
    r = routes(run("Peter Novak and Sarah Quinn flew to Nairobi on Tuesday.", gazetteer))
    assert r == {"Peter Novak": ["Nairobi"], "Sarah Quinn": ["Nairobi"]}


def test_group_travels_under_its_leader(gazetteer):
    text = "A trade delegation led by Daniel Moreau arrived in Lima on Monday. The delegation then flew to Hanoi."
    r = routes(run(text, gazetteer))
    assert r == {"Daniel Moreau": ["Lima", "Hanoi"]}


@pytest.mark.parametrize(
    "text,people",
    [
        pytest.param("The detained journalist Mark Ellison was flown to Cairo on Tuesday.", ["Mark Ellison"], id="was-flown"),
        pytest.param("Laura Finch and Owen Price were transferred to Warsaw on Tuesday.", ["Laura Finch", "Owen Price"],
                     id="were-transferred"),
    ],
)
def test_passive_travel_moves_its_subject(gazetteer, text, people):
    a = run(text, gazetteer)
    place = "Cairo" if "Cairo" in text else "Warsaw"
    for p in people:
        assert [s.place for s in itinerary(a, p).stops] == [place]


def test_speaker_is_not_the_traveller(gazetteer):
    a = run("Minister Peter Holm arrived in Warsaw on Monday, said spokeswoman Anna Kovac.", gazetteer)
    assert routes(a) == {"Peter Holm": ["Warsaw"]}
    a = run('"The talks went well," said Anna Kovac. Minister Peter Holm arrived in Warsaw on Monday.', gazetteer)
    assert routes(a) == {"Peter Holm": ["Warsaw"]}


def test_while_clause_has_its_own_traveller(gazetteer):
    a = run("Minister Peter Holm flew to Cairo, while Anna Kovac returns to Oslo.", gazetteer)
    assert routes(a) == {"Peter Holm": ["Cairo"], "Anna Kovac": ["Oslo"]}


@pytest.mark.parametrize(
    "text",
    [
        "Minister Peter Holm met Anna Kovac in Madrid on Monday.",
        "President Peter Holm held talks with Anna Kovac in Madrid.",
        "President Peter Holm hosted Anna Kovac in Madrid.",
        pytest.param("President Peter Holm met Prime Minister Anna Kovac in Madrid on Monday.", id="titled-counterpart"),
    ],
)
def test_both_sides_of_a_meeting_are_there(gazetteer, text):
    a = run(text, gazetteer)
    assert routes(a) == {"Peter Holm": ["Madrid"], "Anna Kovac": ["Madrid"]}


def test_meeting_a_group_keeps_the_named_person(gazetteer):
    a = run("Senator Julia Marsh met officials in Madrid on Monday.", gazetteer)
    assert routes(a).get("Julia Marsh") == ["Madrid"]
    assert all("Julia Marsh" not in it.actor or it.actor == "Julia Marsh" for it in a.itineraries)


# ---- what counts as a stop --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,want",
    [
        pytest.param("Envoy Helen Carter arrived in Nairobi after stops in Cairo and Madrid.",
                     ["Cairo", "Madrid", "Nairobi"], id="after-stops-in"),
        pytest.param("Envoy Helen Carter toured Lima. She made a final stop in Hanoi.", ["Lima", "Hanoi"],
                     id="final-stop-in"),
        pytest.param("Minister Robert Hale began his trip to Warsaw on Tuesday.", ["Warsaw"], id="his-trip-to"),
        pytest.param("During his trip to Warsaw, Minister Robert Hale met students.", ["Warsaw"], id="during-his-trip-to"),
    ],
)
def test_nominal_stops(gazetteer, text, want):
    a = run(text, gazetteer)
    actor = "Helen Carter" if "Helen" in text else "Robert Hale"
    assert [s.place for s in itinerary(a, actor).stops] == want


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Minister Robert Hale visited Madrid on Monday. He returned home to Oslo on Wednesday.",
                     id="returned-home-to"),
        pytest.param("Minister Robert Hale visited Madrid on Monday. By Thursday he was back in Oslo.", id="back-in"),
    ],
)
def test_returns_are_stops(gazetteer, text):
    it = itinerary(run(text, gazetteer, FRIDAY), "Robert Hale")
    assert [s.place for s in it.stops] == ["Madrid", "Oslo"]
    assert [s.status for s in it.stops] == ["occurred", "occurred"]
    assert [(leg.origin, leg.destination) for leg in it.legs] == [("Madrid", "Oslo")]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Minister Anna Kovac arrived in Madrid, Spain, on Tuesday.", id="city-comma-country"),
        pytest.param("Minister Anna Kovac visited Madrid and later toured Spain.", id="country-after-city"),
    ],
)
def test_a_country_around_a_city_stop_is_context(gazetteer, text):
    assert routes(run(text, gazetteer)) == {"Anna Kovac": ["Madrid"]}


def test_an_ocean_is_not_a_stop(gazetteer):
    assert routes(run("Minister Anna Kovac flew across the Atlantic Ocean to Lima.", gazetteer)) == {"Anna Kovac": ["Lima"]}


def test_a_continent_is_not_a_stop(gazetteer):
    assert routes(run("Minister Anna Kovac toured Africa, stopping in Nairobi.", gazetteer)) == {"Anna Kovac": ["Nairobi"]}


def test_one_stop_itineraries_are_kept(gazetteer):
    a = run("Minister Anna Kovac toured Hanoi.", gazetteer)
    (it,) = a.itineraries
    assert it.actor == "Anna Kovac" and [s.place for s in it.stops] == ["Hanoi"] and it.legs == ()


# ---- order ------------------------------------------------------------------------------------


def test_past_perfect_is_put_back_in_order(gazetteer):
    text = "Senator Julia Marsh arrived in Cairo on Friday. She had flown from Madrid to Warsaw earlier in the week."
    it = itinerary(run(text, gazetteer, FRIDAY), "Julia Marsh")
    assert [s.place for s in it.stops] == ["Madrid", "Warsaw", "Cairo"]
    assert it.stops[0].role == "origin"
    assert [(leg.origin, leg.destination) for leg in it.legs] == [("Madrid", "Warsaw"), ("Warsaw", "Cairo")]


def test_past_perfect_without_dates_is_put_back_in_order(gazetteer):
    text = "Senator Julia Marsh arrived in Cairo on Thursday. She had flown from Madrid to Warsaw."
    it = itinerary(run(text, gazetteer, FRIDAY), "Julia Marsh")
    assert [s.place for s in it.stops] == ["Madrid", "Warsaw", "Cairo"]


@pytest.mark.parametrize(
    "text,want",
    [
        pytest.param("Senator Julia Marsh toured Lima before heading to Hanoi.", ["Lima", "Hanoi"], id="before-heading"),
        pytest.param("Before heading to Hanoi, Senator Julia Marsh toured Lima.", ["Lima", "Hanoi"],
                     id="before-heading-fronted"),
        pytest.param("Senator Julia Marsh held talks in Madrid. She then flew to Warsaw.", ["Madrid", "Warsaw"], id="then"),
        pytest.param("Senator Julia Marsh addressed parliament in Warsaw on Thursday, a day after flying into Oslo.",
                     ["Oslo", "Warsaw"], id="a-day-after"),
    ],
)
def test_explicit_order_cues(gazetteer, text, want):
    it = itinerary(run(text, gazetteer, FRIDAY), "Julia Marsh")
    assert [s.place for s in it.stops] == want
    assert all(s.status == "occurred" for s in it.stops)


def test_a_day_after_dates_the_earlier_stop(gazetteer):
    text = "Senator Julia Marsh addressed parliament in Warsaw on Thursday, a day after flying into Oslo."
    it = itinerary(run(text, gazetteer, FRIDAY), "Julia Marsh")
    assert [(s.place, s.date) for s in it.stops] == [("Oslo", "2024-10-09"), ("Warsaw", "2024-10-10")]


# ---- planned, negated, cancelled --------------------------------------------------------------


@pytest.mark.parametrize(
    "text,place,date,precision",
    [
        ("Minister Anna Kovac will fly on to Oslo on Wednesday.", "Oslo", "2024-10-09", "day"),
        ("Minister Anna Kovac is scheduled to arrive in Madrid next week.", "Madrid", "2024-10-14", "week"),
        ("Minister Anna Kovac is due in Nairobi on Thursday.", "Nairobi", "2024-10-10", "day"),
        ("Minister Anna Kovac hopes to tour Hanoi next month.", "Hanoi", "2024-11-01", "month"),
    ],
)
def test_future_stops_are_planned(gazetteer, text, place, date, precision):
    (stop,) = itinerary(run(text, gazetteer), "Anna Kovac").stops
    assert (stop.place, stop.status, stop.date, stop.date_precision) == (place, "planned", date, precision)


def test_a_planned_leg_follows_what_happened(gazetteer):
    text = "Minister Anna Kovac visited Lima on Monday and will fly on to Oslo on Wednesday."
    it = itinerary(run(text, gazetteer), "Anna Kovac")
    assert [(s.place, s.status) for s in it.stops] == [("Lima", "occurred"), ("Oslo", "planned")]
    assert [(leg.origin, leg.destination, leg.status) for leg in it.legs] == [("Lima", "Oslo", "planned")]


@pytest.mark.parametrize(
    "text",
    [
        "Minister Anna Kovac visited Lima. She has no plans to visit Cairo.",
        "Minister Anna Kovac visited Lima but did not travel to Cairo.",
    ],
)
def test_negated_travel_is_no_stop(gazetteer, text):
    a = run(text, gazetteer)
    assert routes(a) == {"Anna Kovac": ["Lima"]}
    assert "Cairo" not in [e.place for e in a.events]


def test_a_called_off_stop_is_cancelled_with_no_leg(gazetteer):
    text = "Minister Anna Kovac visited Lima on Monday. A planned stop in Cairo was called off."
    it = itinerary(run(text, gazetteer), "Anna Kovac")
    assert [(s.place, s.status) for s in it.stops] == [("Lima", "occurred"), ("Cairo", "cancelled")]
    assert it.legs == ()


def test_a_rerouted_flight_cancels_the_first_destination(gazetteer):
    text = "Minister Anna Kovac visited Lima on Monday. On Tuesday she headed to Oslo but was rerouted to Warsaw."
    it = itinerary(run(text, gazetteer, FRIDAY), "Anna Kovac")
    assert ("Oslo", "cancelled") in [(s.place, s.status) for s in it.stops]
    assert all(leg.destination != "Oslo" and leg.origin != "Oslo" for leg in it.legs)


def test_a_rerouted_flight_reaches_the_new_destination(gazetteer):
    text = "Minister Anna Kovac visited Lima on Monday. On Tuesday she headed to Oslo but was rerouted to Warsaw."
    it = itinerary(run(text, gazetteer, FRIDAY), "Anna Kovac")
    assert [(s.place, s.status) for s in it.stops] == [("Lima", "occurred"), ("Warsaw", "occurred"), ("Oslo", "cancelled")]
    assert [(leg.origin, leg.destination) for leg in it.legs] == [("Lima", "Warsaw")]


# ---- dates, precision, evidence ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text,status,date",
    [
        ("Minister Anna Kovac will travel to Ottawa on Wednesday.", "planned", "2024-10-09"),
        ("Minister Anna Kovac flew to Lima on Wednesday.", "occurred", "2024-10-02"),
        ("Minister Anna Kovac arrived in Hanoi on Monday.", "occurred", MONDAY),
    ],
)
def test_weekdays_resolve_by_tense(gazetteer, text, status, date):
    (stop,) = itinerary(run(text, gazetteer), "Anna Kovac").stops
    assert (stop.status, stop.date, stop.date_precision) == (status, date, "day")


def test_no_time_phrase_gives_no_date(gazetteer):
    (stop,) = itinerary(run("Minister Anna Kovac toured Hanoi.", gazetteer), "Anna Kovac").stops
    assert (stop.date, stop.date_precision) == (None, None)


def test_stops_carry_precision_and_evidence(gazetteer):
    text = (
        "Minister Anna Kovac arrived in Madrid on Monday. "
        "She is due in Lima next week. "
        "She will fly on to Hanoi in November."
    )
    a = run(text, gazetteer, "2024-10-02")
    it = itinerary(a, "Anna Kovac")
    sentences = {
        "Madrid": "Minister Anna Kovac arrived in Madrid on Monday.",
        "Lima": "She is due in Lima next week.",
        "Hanoi": "She will fly on to Hanoi in November.",
    }
    assert [s.place for s in it.stops] == ["Madrid", "Lima", "Hanoi"]
    assert [s.date_precision for s in it.stops] == ["day", "week", "month"]
    for s in it.stops:
        assert s.evidence.strip() == sentences[s.place]
        assert s.place in s.evidence
        assert "date_precision" in s.to_dict()


# ---- the example article ----------------------------------------------------------------------


def test_example_article_kim_itinerary(gazetteer, example_text):
    a = run(example_text, gazetteer, "2023-09-15")
    kim = itinerary(a, "Kim Jong Un")
    assert [s.place for s in kim.stops] == ["Vostochny", "Komsomolsk-on-Amur", "Vladivostok"]
    assert [s.status for s in kim.stops] == ["occurred", "occurred", "planned"]
    assert [leg.status for leg in kim.legs] == ["occurred", "planned"]
    assert 500 < kim.legs[0].km < 800


def test_example_article_sochi_meeting(gazetteer, example_text):
    a = run(example_text, gazetteer, "2023-09-15")
    sochi = [e for e in a.events if e.place == "Sochi"]
    assert sochi and {"Vladimir Putin", "Alexander Lukashenko"} <= set(sochi[0].actors)
    assert sochi[0].status == "occurred"
    assert "Sochi" in [s.place for s in itinerary(a, "Vladimir Putin").stops]
    assert "Sochi" in [s.place for s in itinerary(a, "Alexander Lukashenko").stops]


# ---- build_itineraries on hand-made events ----------------------------------------------------

_COORDS = {"Oslo": (59.91, 10.75), "Madrid": (40.42, -3.70), "Lima": (-12.05, -77.04), "Cairo": (30.04, 31.24)}


def ev(place, actors=("Ada Moss",), *, status="occurred", date=None, order=0.0, event_type="travel", role=None,
       precision=None, sort=None):
    lat, lon = _COORDS[place]
    return Event(
        event_id=f"e-{place}-{order}", actors=tuple(actors), action="fly", place=place, lat=lat, lon=lon, date=date,
        status=status, sentence=f"A sentence about {place}.", date_precision=precision if date else None,
        order=order, sort_date=sort or date, event_type=event_type, role=role, geo_precision=4, country_code="XX",
    )


def test_stop_types_agree_with_the_vocabulary():
    from geomap.events import STOP_TYPES as VOCAB_STOP_TYPES

    assert STOP_TYPES == VOCAB_STOP_TYPES


def test_stops_follow_dates_then_narrative_order():
    evs = [ev("Madrid", date="2024-10-03", order=0, precision="day"), ev("Oslo", date="2024-10-01", order=1, precision="day"),
           ev("Lima", order=2, sort="2024-10-03")]
    (it,) = build_itineraries(evs)
    assert [s.place for s in it.stops] == ["Oslo", "Madrid", "Lima"]


def test_planned_stops_come_after_what_happened():
    evs = [ev("Madrid", status="planned", order=0), ev("Oslo", order=1)]
    (it,) = build_itineraries(evs)
    assert [s.place for s in it.stops] == ["Oslo", "Madrid"]
    assert [leg.status for leg in it.legs] == ["planned"]


def test_cancelled_stops_are_listed_but_never_reached():
    evs = [ev("Oslo", order=0), ev("Cairo", status="cancelled", order=1), ev("Madrid", order=2)]
    (it,) = build_itineraries(evs)
    assert [(s.place, s.status) for s in it.stops] == [("Oslo", "occurred"), ("Madrid", "occurred"), ("Cairo", "cancelled")]
    assert [(leg.origin, leg.destination) for leg in it.legs] == [("Oslo", "Madrid")]


def test_repeated_stops_merge_and_one_stop_is_kept():
    evs = [ev("Oslo", order=0), ev("Oslo", order=1, date="2024-10-01", precision="day")]
    (it,) = build_itineraries(evs)
    assert [s.place for s in it.stops] == ["Oslo"]
    assert (it.stops[0].date, it.stops[0].date_precision) == ("2024-10-01", "day")
    assert build_itineraries(evs, min_stops=2) == []


def test_non_stop_events_make_no_itinerary():
    evs = [ev("Oslo", actors=("protesters",), event_type="protest"), ev("Cairo", actors=("gunmen",), event_type="assault")]
    assert build_itineraries(evs) == []


def test_origin_role_is_kept_on_the_stop():
    evs = [ev("Madrid", order=-0.5, role="origin"), ev("Oslo", order=0)]
    (it,) = build_itineraries(evs)
    assert [(s.place, s.role) for s in it.stops] == [("Madrid", "origin"), ("Oslo", None)]
    assert 2000 < it.legs[0].km < 2600


def test_every_actor_of_an_event_gets_the_stop():
    (a, b) = build_itineraries([ev("Lima", actors=("Ada Moss", "Ben Ruiz"))])
    assert {a.actor, b.actor} == {"Ada Moss", "Ben Ruiz"}


# ---- arrivals told from where the report is filed, shared presence, groups as "it" -------------


def test_flown_in_from_arrives_at_the_dateline_city(gazetteer):
    text = "WARSAW, Oct 11 (Wire) — Coach Petra Lindgren had flown in from Madrid on Thursday."
    it = itinerary(run(text, gazetteer, FRIDAY), "Petra Lindgren")
    assert [s.place.lower() for s in it.stops] == ["madrid", "warsaw"]
    assert it.stops[0].role == "origin"


def test_joined_by_puts_both_sides_there(gazetteer):
    text = ("Envoy Omar Haddad arrived in Cairo on Monday. The envoy was joined in Cairo by a trade "
            "delegation led by Lena Ostrova, who will leave for Madrid on Friday.")
    r = routes(run(text, gazetteer))
    assert r["Lena Ostrova"] == ["Cairo", "Madrid"]
    assert "Cairo" in r["Omar Haddad"]


def test_a_led_group_is_it(gazetteer):
    text = ("A trade mission led by chairman Viktor Sand toured a shipyard in Gdansk on Monday. "
            "It will travel to Warsaw on Wednesday and then to Krakow.")
    it = itinerary(run(text, gazetteer), "Viktor Sand")
    assert [(s.place, s.status) for s in it.stops][-2:] == [("Warsaw", "planned"), ("Krakow", "planned")]


def test_where_someone_lives_is_no_stop(gazetteer):
    text = "Singer Ana Brel, who lives in Lisbon, flew to Oslo on Monday for a concert."
    assert routes(run(text, gazetteer))["Ana Brel"] == ["Oslo"]


def test_a_weekend_already_past_sorts_before_the_week(gazetteer):
    text = ("Minister Ida Berg arrived in Oslo on Tuesday. Her tour began in Madrid at the weekend.")
    it = itinerary(run(text, gazetteer, FRIDAY), "Ida Berg")
    assert [s.place for s in it.stops] == ["Madrid", "Oslo"]
    assert it.stops[0].date_precision == "week"


# ---- who is one traveller across articles ------------------------------------------------------


def _at(event_id, actor, place, lat, lon, doc_id, order):
    return Event(event_id=event_id, actors=(actor,), action="visit", place=place, lat=lat, lon=lon, date=None,
                 status="occurred", sentence=f"{actor} went to {place}.", event_type="visit", doc_id=doc_id,
                 order=order)


def test_a_described_group_is_a_different_group_in_each_article():
    events = [
        _at("a1", "officials", "Lyon", 45.75, 4.85, "story-1", 1),
        _at("a2", "officials", "Nice", 43.70, 7.27, "story-1", 2),
        _at("b1", "officials", "Porto", 41.15, -8.61, "story-2", 1),
        _at("c1", "Marie Duval", "Lyon", 45.75, 4.85, "story-1", 1),
        _at("c2", "Marie Duval", "Porto", 41.15, -8.61, "story-2", 1),
    ]
    got = {it.actor: [s.place for s in it.stops] for it in build_itineraries(events)}
    assert got == {"officials (story-1)": ["Lyon", "Nice"], "officials (story-2)": ["Porto"],
                   "Marie Duval": ["Lyon", "Porto"]}


def test_a_described_group_in_one_unnamed_article_keeps_its_description():
    events = [_at("a1", "Striking dockworkers", "Rotterdam", 51.92, 4.48, None, 1),
              _at("a2", "Striking dockworkers", "Antwerp", 51.22, 4.40, None, 2)]
    assert [it.actor for it in build_itineraries(events)] == ["Striking dockworkers"]
    assert [it.legs[0].km for it in build_itineraries(events)] == [pytest.approx(78.1, abs=0.1)]

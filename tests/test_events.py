import datetime as dt

import pytest

from geomap.api import analyse
from geomap.events import resolve_date


def run(text, gaz, date=None):
    return analyse(text, gazetteer=gaz, fallback=None, offline=True, date=date)


def test_example_article_events(fake_gazetteer, example_text):
    a = run(example_text, fake_gazetteer, "2023-09-15")
    got = [(set(e.actors), e.place, e.status) for e in a.events]
    assert got == [
        ({"Vladimir Putin", "Alexander Lukashenko"}, "Sochi", "occurred"),
        ({"Vladimir Putin", "Kim Jong Un"}, "Vostochny", "occurred"),
        ({"Kim Jong Un"}, "Komsomolsk-on-Amur", "occurred"),
        ({"Kim Jong Un"}, "Vladivostok", "planned"),
    ]
    assert {e.country_code for e in a.events} == {"RU"}
    for e in a.events:
        assert "2023-09-11" <= e.date <= "2023-09-17"
    kim = next(it for it in a.itineraries if it.actor == "Kim Jong Un")
    assert [s.place for s in kim.stops] == ["Vostochny", "Komsomolsk-on-Amur", "Vladivostok"]
    assert [s.status for s in kim.stops] == ["occurred", "occurred", "planned"]
    assert [leg.status for leg in kim.legs] == ["occurred", "planned"]
    assert 550 < kim.legs[0].km < 700


def test_past_perfect_narration_is_put_back_in_order(fake_gazetteer):
    text = "President Erdogan arrived in Doha on Tuesday. He had visited Ankara before the trip."
    a = run(text, fake_gazetteer)
    (it,) = a.itineraries
    assert [s.place for s in it.stops] == ["Ankara", "Doha"]


def test_origin_and_destination(fake_gazetteer):
    text = "Turkish President Recep Tayyip Erdogan flew from Ankara to Doha on Monday."
    (e,) = run(text, fake_gazetteer, "2023-09-15").events
    assert (e.place, e.origin, e.action) == ("Doha", "Ankara", "travel")
    assert (e.date, e.date_precision) == ("2023-09-11", "day")


def test_independence_from_a_country_is_not_a_stop(fake_gazetteer):
    text = "President Marcelo Rebelo visited Lisbon to mark independence from Portugal."
    places = [e.place for e in run(text, fake_gazetteer).events]
    assert places == ["Lisbon"]


def test_cancelled_and_planned_stops(fake_gazetteer):
    text = (
        "Prime Minister Fumio Kishida visited Seoul on Monday. "
        "He is scheduled to travel to Beijing next week. "
        "A planned visit to Pyongyang was called off."
    )
    a = run(text, fake_gazetteer, "2023-09-15")
    got = [(e.place, e.status) for e in a.events]
    assert got == [("Seoul", "occurred"), ("Beijing", "planned"), ("Pyongyang", "cancelled")]
    (it,) = a.itineraries
    assert [s.status for s in it.stops] == ["occurred", "planned", "cancelled"]
    assert len(it.legs) == 1  # no leg leads to a cancelled stop


def test_hypotheticals_and_background_are_not_events(fake_gazetteer):
    text = (
        "Officials fear that President Kim Jong Un might visit Moscow. "
        "The meeting between Putin and Kim marked their seventh meeting this year."
    )
    assert run(text, fake_gazetteer).events == []


def test_pronoun_and_title_references(fake_gazetteer):
    text = (
        "North Korean leader Kim Jong Un arrived in Vladivostok on Tuesday. "
        "He then toured a factory in Khabarovsk. "
        "The North Korean leader later visited Komsomolsk-on-Amur."
    )
    a = run(text, fake_gazetteer, "2023-09-15")
    assert all(e.actors == ("Kim Jong Un",) for e in a.events)
    assert [e.place for e in a.events] == ["Vladivostok", "Khabarovsk", "Komsomolsk-on-Amur"]


def test_two_travellers_in_one_article(fake_gazetteer):
    text = (
        "President Joe Biden visited Tokyo on Monday. "
        "Chinese President Xi Jinping arrived in Moscow on Monday. "
        "Biden then flew to Seoul. Xi later travelled to Minsk."
    )
    a = run(text, fake_gazetteer, "2023-09-15")
    routes = {it.actor: [s.place for s in it.stops] for it in a.itineraries}
    assert routes == {"Joe Biden": ["Tokyo", "Seoul"], "Xi Jinping": ["Moscow", "Minsk"]}


def test_article_without_events(fake_gazetteer):
    text = "Russia and Belarus discussed trade. Sanctions on North Korea remain."
    a = run(text, fake_gazetteer)
    assert a.events == [] and a.itineraries == []
    assert [p.name for p in a.places] == ["Russia", "Belarus", "North Korea"]


@pytest.mark.parametrize(
    "expr,want",
    [
        ("this week", ("2023-09-11", "week")),
        ("last week", ("2023-09-04", "week")),
        ("on Monday", ("2023-09-11", "day")),
        ("yesterday", ("2023-09-14", "day")),
        ("in 2011", ("2011-01-01", "year")),
        ("Sept. 13", ("2023-09-13", "day")),
        (None, ("2023-09-11", "week")),
    ],
)
def test_dates_resolve_against_the_publication_date(expr, want):
    assert resolve_date(expr, dt.date(2023, 9, 15)) == want


def test_following_day_counts_from_the_previous_event():
    assert resolve_date("the following day", dt.date(2023, 9, 15), previous=dt.date(2023, 9, 12)) == ("2023-09-13", "day")


def test_host_and_guest(fake_gazetteer):
    text = "Russian President Vladimir Putin hosted North Korean leader Kim Jong Un in Vladivostok on Monday."
    (e,) = run(text, fake_gazetteer, "2023-09-15").events
    assert e.action == "host" and e.cameo == "043"
    assert e.host == "Vladimir Putin" and set(e.actors) == {"Vladimir Putin", "Kim Jong Un"}

"""Time: time phrases, date resolution against the publication date, tense and modality."""

from __future__ import annotations

import datetime as dt

import pytest

from geomap.events import resolve_date
from geomap.events.time import find_time_phrases, modality

MON = dt.date(2024, 10, 7)  # a Monday
FRI = dt.date(2024, 10, 11)


# ---- finding time phrases ---------------------------------------------------------------------


def test_find_time_phrases():
    got = find_time_phrases("He flew to Oslo on Monday and is due in Rome next week.")
    assert [p.text for p in got] == ["on Monday", "next week"]
    s = "He flew to Oslo on Monday and is due in Rome next week."
    assert all(s[p.start : p.end] == p.text for p in got)


@pytest.mark.parametrize(
    "sentence,want",
    [
        ("Talks resumed in March.", ["in March"]),
        ("She may travel to Oslo.", []),
        ("They will march on parliament.", []),
        ("Fighting raged overnight.", ["overnight"]),
        ("Rescuers arrived hours later.", ["hours later"]),
        ("The rally was held at the weekend.", ["at the weekend"]),
        ("The plant opened in 2011.", ["in 2011"]),
        ("The vote took place on Oct. 3.", ["on Oct. 3"]),
    ],
)
def test_time_phrases_in_sentences(sentence, want):
    assert [p.text for p in find_time_phrases(sentence)] == want


# ---- weekdays ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr,future,want",
    [
        ("on Wednesday", True, "2024-10-09"),
        ("on Wednesday", False, "2024-10-02"),
        ("on Monday", False, "2024-10-07"),  # the publication day itself
        ("on Monday", True, "2024-10-07"),
        ("Saturday", False, "2024-10-05"),
        ("on Sunday", True, "2024-10-13"),
        ("last Wednesday", True, "2024-10-02"),
        ("next Monday", False, "2024-10-14"),
        ("last Monday", False, "2024-09-30"),
        ("on Tuesday night", False, "2024-10-01"),
    ],
)
def test_weekdays_resolve_by_tense(expr, future, want):
    assert resolve_date(expr, MON, future=future) == (want, "day")


def test_planned_counts_as_future():
    assert resolve_date("on Wednesday", MON, planned=True) == ("2024-10-09", "day")


# ---- weeks, months, years ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr,pub,want",
    [
        ("this week", MON, "2024-10-07"),
        ("this week", FRI, "2024-10-07"),
        ("earlier this week", FRI, "2024-10-07"),
        ("earlier in the week", FRI, "2024-10-07"),
        ("next week", FRI, "2024-10-14"),
        ("last week", FRI, "2024-09-30"),
        ("at the weekend", FRI, "2024-09-30"),  # told in the past on a Friday: the weekend before
        ("over the weekend", MON, "2024-09-30"),
    ],
)
def test_week_phrases_date_to_monday(expr, pub, want):
    assert resolve_date(expr, pub) == (want, "week")
    assert dt.date.fromisoformat(want).weekday() == 0


def test_a_coming_weekend_is_this_weeks():
    assert resolve_date("at the weekend", FRI, future=True) == ("2024-10-07", "week")


@pytest.mark.parametrize(
    "expr,future,want",
    [
        ("in March", False, "2024-03-01"),
        ("in March", True, "2025-03-01"),
        ("in November", False, "2023-11-01"),
        ("in November", True, "2024-11-01"),
        ("in March 2023", True, "2023-03-01"),
        ("next month", False, "2024-11-01"),
        ("last month", False, "2024-09-01"),
        ("this month", False, "2024-10-01"),
    ],
)
def test_month_phrases(expr, future, want):
    assert resolve_date(expr, MON, future=future) == (want, "month")


@pytest.mark.parametrize("expr,want", [("in 2011", "2011-01-01"), ("last year", "2023-01-01"), ("next year", "2025-01-01")])
def test_year_phrases(expr, want):
    assert resolve_date(expr, MON) == (want, "year")


def test_a_year_needs_no_publication_date():
    assert resolve_date("in 2011", None) == ("2011-01-01", "year")


# ---- days and relative phrases ----------------------------------------------------------------


@pytest.mark.parametrize(
    "expr,want",
    [("yesterday", "2024-10-06"), ("today", "2024-10-07"), ("tonight", "2024-10-07"), ("tomorrow", "2024-10-08"),
     ("overnight", "2024-10-07"), ("three days ago", "2024-10-04"), ("Oct. 3", "2024-10-03"), ("on 3 October", "2024-10-03")],
)
def test_day_phrases(expr, want):
    assert resolve_date(expr, MON) == (want, "day")


@pytest.mark.parametrize(
    "expr,want",
    [
        ("the same day", "2024-10-03"),
        ("hours later", "2024-10-03"),
        ("later that day", "2024-10-03"),
        ("the following day", "2024-10-04"),
        ("the next morning", "2024-10-04"),
        ("the previous day", "2024-10-02"),
        ("two days later", "2024-10-05"),
    ],
)
def test_relative_phrases_count_from_the_previous_event(expr, want):
    assert resolve_date(expr, MON, previous=dt.date(2024, 10, 3)) == (want, "day")


def test_relative_phrases_without_a_previous_event_use_the_publication_date():
    assert resolve_date("the same day", MON) == ("2024-10-07", "day")


def test_no_phrase_gives_no_date():
    assert resolve_date(None, MON) == (None, None)
    assert resolve_date(None, None) == (None, None)


def test_no_publication_date():
    assert resolve_date("on Wednesday", None) == (None, None)
    assert resolve_date("this week", None) == (None, None)


# ---- modality ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "aux,after,noun,status",
    [
        ("She ", "to Oslo on Monday.", False, "occurred"),
        ("She will ", "on to Oslo.", False, "planned"),
        ("She is scheduled to ", "in Madrid next week.", False, "planned"),
        ("He hopes to ", "Hanoi next month.", False, "planned"),
        ("The minister is expected to ", "Lima.", False, "planned"),
        ("She has no plans to ", "Cairo.", False, "negated"),
        ("She did not ", "to Cairo.", False, "negated"),
        ("He never ", "Oslo.", False, "negated"),
        ("Officials fear he might ", "Moscow.", False, "hypothetical"),
        ("If she ", "to Oslo, talks will resume.", False, "hypothetical"),
        ("He could ", "Oslo later.", False, "hypothetical"),
        ("A planned ", "in Cairo was called off.", True, "cancelled"),
        ("A ", "planned for Saturday was banned.", True, "cancelled"),
        ("The ", "to Lima was postponed.", True, "cancelled"),
        ("She ", "to Oslo but was rerouted to Warsaw.", False, "cancelled"),
    ],
)
def test_modality_status(aux, after, noun, status):
    assert modality(aux, after, noun=noun).status == status


def test_planned_is_future():
    m = modality("She will ", "to Oslo.")
    assert m.future and not m.perfect


@pytest.mark.parametrize("aux", ["She had ", "He had already ", "They had been "])
def test_past_perfect(aux):
    m = modality(aux, "from Madrid to Warsaw.")
    assert m.perfect and m.status == "occurred"


def test_past_perfect_with_no_trailing_space():
    assert modality("he had", "from Oslo").perfect


def test_simple_past_is_not_perfect():
    assert not modality("She ", "from Madrid to Warsaw.").perfect

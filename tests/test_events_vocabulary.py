"""The event vocabulary: types, triggers, CAMEO and PLOVER codes, lemma expansion."""

from __future__ import annotations

import re

import pytest

from geomap.events import EVENT_TYPES, STOP_TYPES, EventType
from geomap.events import vocabulary
from geomap.events.vocabulary import TYPES, lemma_of, number_of, trigger_of


def _doc_table() -> dict[str, tuple[str | None, str | None, bool]]:
    """type -> (cameo, plover, stop) from the table in the module docstring."""
    rows = {}
    for line in vocabulary.__doc__.splitlines():
        m = re.match(r"^(\w+)\s+(\d{3}|--)\s+([A-Z]+|--)\s+(yes|no)\s", line)
        if m:
            name, cameo, plover, stop = m.groups()
            rows[name] = (None if cameo == "--" else cameo, None if plover == "--" else plover, stop == "yes")
    return rows


def test_every_type_has_a_unique_name():
    names = [t.name for t in EVENT_TYPES]
    assert all(isinstance(n, str) and n for n in names)
    assert len(names) == len(set(names))
    assert all(isinstance(t, EventType) for t in EVENT_TYPES)
    assert set(TYPES) == set(names)


def test_every_type_has_triggers():
    for t in EVENT_TYPES:
        assert t.verbs or t.nouns, t.name


def test_docstring_table_lists_every_type():
    assert set(_doc_table()) == {t.name for t in EVENT_TYPES}


@pytest.mark.parametrize("et", EVENT_TYPES, ids=lambda t: t.name)
def test_codes_match_the_docstring_table(et):
    cameo, plover, stop = _doc_table()[et.name]
    assert (et.cameo, et.plover, et.stop) == (cameo, plover, stop)


def test_cameo_codes_are_three_digits():
    for t in EVENT_TYPES:
        assert t.cameo is None or re.fullmatch(r"\d{3}", t.cameo), t.name


@pytest.mark.parametrize(
    "name,cameo,plover",
    [
        ("protest", "141", "PROTEST"),
        ("assault", "190", "ASSAULT"),
        ("arrest", "173", "COERCE"),
        ("sanction", "163", "SANCTION"),
        ("aid", "073", "AID"),
        ("meet", "040", "CONSULT"),
        ("disaster", None, None),
        ("accident", None, None),
        ("vote", None, None),
        ("evacuate", None, None),
        ("travel", "042", None),
    ],
)
def test_some_codes(name, cameo, plover):
    assert (TYPES[name].cameo, TYPES[name].plover) == (cameo, plover)


def test_stop_types():
    assert STOP_TYPES == {"travel", "visit", "meet", "host", "attend", "address", "sign"}
    assert STOP_TYPES == {t.name for t in EVENT_TYPES if t.stop}


@pytest.mark.parametrize(
    "word,want",
    [
        ("flew", ("fly", "VBD")),
        ("flown", ("fly", "VBN")),
        ("flying", ("fly", "VBG")),
        ("flies", ("fly", "VBZ")),
        ("Arrived", ("arrive", "VBD")),
        ("visited", ("visit", "VBD")),
        ("shelled", ("shell", "VBD")),
        ("derailed", ("derail", "VBD")),
    ],
)
def test_lemma_expansion(word, want):
    assert lemma_of(word) == want


def test_unknown_words_have_no_lemma():
    assert lemma_of("zebra") is None


def _triggers(sentence, i):
    words = [w.lower() for w in sentence.split()]
    return trigger_of(words, i)


def test_inflected_verb_triggers():
    (t,) = [t for t in _triggers("She flew to Oslo", 1) if t.type == "travel"][:1]
    assert (t.lemma, t.pos, t.tag, t.start, t.end) == ("fly", "verb", "VBD", 1, 2)


def test_phrase_triggers_come_longest_first():
    got = _triggers("they went on to Oslo", 1)
    assert got[0].lemma == "go on to" and got[0].end == 4


def test_a_particle_may_stand_inside_a_verb_phrase():
    got = _triggers("he flew back home", 1)
    assert any(t.lemma == "fly home" and t.end == 4 for t in got)


def test_plural_noun_triggers():
    assert any(t.type == "protest" and t.pos == "noun" and t.tag == "NNS" for t in _triggers("the protests grew", 1))
    got = _triggers("two air strikes hit", 1)
    assert any(t.type == "assault" and t.lemma == "air strike" and t.end == 3 for t in got)


@pytest.mark.parametrize(
    "word,etype",
    [
        ("earthquake", "disaster"), ("wildfire", "disaster"), ("floods", "disaster"), ("outbreak", "disaster"),
        ("derailment", "accident"), ("crash", "accident"), ("shelling", "assault"), ("walkout", "strike"),
        ("referendum", "vote"), ("embargo", "sanction"), ("drills", "exercise"), ("evacuation", "evacuate"),
        ("ceasefire", "agree"), ("trial", "trial"), ("deployment", "deploy"), ("airlift", "aid"),
    ],
)
def test_noun_triggers_by_type(word, etype):
    assert etype in {t.type for t in trigger_of([word], 0) if t.pos == "noun"}


def test_no_trigger_for_ordinary_words():
    assert trigger_of(["table"], 0) == []


@pytest.mark.parametrize("word,want", [("23", 23), ("1,200", 1200), ("nine", 9), ("Twelve", 12), ("dozen", 12),
                                       ("many", None), ("x9", None)])
def test_number_of(word, want):
    assert number_of(word) == want


def test_readme_table_is_the_vocabulary():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert vocabulary.vocabulary_table() in readme

"""Actors: people, groups and organisations, and the words that refer back to them."""

from __future__ import annotations

import pytest

from geomap.api import analyse
from geomap.events.actors import described_people, find_entities, gender_of, sentence_refs


def run(text, gazetteer, date="2024-10-07"):
    return analyse(text, gazetteer=gazetteer, fallback=None, offline=True, date=date)


def span(text, name):
    s = text.index(name)
    return (s, s + len(name), name)


# ---- entities ---------------------------------------------------------------------------------


def test_short_mentions_merge_into_one_entity():
    text = "North Korean leader Kim Jong Un arrived. Kim later left."
    story = find_entities(text, [span(text, "Kim Jong Un"), (41, 44, "Kim")])
    assert list(story.entities) == ["Kim Jong Un"]
    ent = story.entities["Kim Jong Un"]
    assert {"Kim Jong Un", "Kim"} <= ent.aliases
    assert "leader" in ent.titles


def test_a_family_name_with_a_particle_opening_a_sentence_is_the_same_person():
    text = "Envoy Greta van Oosten landed. Van Oosten then left."
    story = find_entities(text, [span(text, "Greta van Oosten"), span(text, "Van Oosten")])
    assert list(story.entities) == ["Greta van Oosten"]
    assert {"van Oosten", "Van Oosten", "Oosten"} <= story.entities["Greta van Oosten"].aliases


def test_titles_and_gender_are_noted():
    text = "Foreign Minister Maria Holm visited Madrid. Her deputy, Tomas Lind, flew on to Oslo."
    story = find_entities(text, [span(text, "Maria Holm"), span(text, "Tomas Lind")])
    holm, lind = story.entities["Maria Holm"], story.entities["Tomas Lind"]
    assert "minister" in holm.titles and holm.gender == "f"
    assert "deputy" in lind.titles and lind.gender == "m"
    assert "Holm" in holm.aliases and "Lind" in lind.aliases


@pytest.mark.parametrize("name,want", [("Anna", "f"), ("Peter", "m"), ("Xqzvrt", None)])
def test_gender_of_given_names(name, want):
    assert gender_of(name) == want


# ---- references in a sentence -----------------------------------------------------------------


def test_apposition_reference_covers_the_description():
    text = "Her deputy, Tomas Lind, flew on to Oslo."
    story = find_entities(text, [span(text, "Tomas Lind")])
    oslo = text.index("Oslo")
    refs = sentence_refs(text, story, [(oslo, oslo + 4)])
    assert [(r.start, r.keys, r.kind) for r in refs] == [(0, ("Tomas Lind",), "name")]
    assert text[refs[0].start : refs[0].end] == "Her deputy, Tomas Lind"


def test_group_led_by_a_person_is_keyed_by_the_leader():
    text = "A trade delegation led by Daniel Moreau arrived in Lima."
    story = find_entities(text, [span(text, "Daniel Moreau")])
    refs = sentence_refs(text, story, [])
    group = [r for r in refs if r.kind == "group"]
    assert group and group[0].keys == ("Daniel Moreau",)
    assert story.leaders.get("delegation") == "Daniel Moreau"
    later = sentence_refs("The delegation then flew to Hanoi.", story, [])
    assert [(r.kind, r.keys) for r in later] == [("group", ("Daniel Moreau",))]


@pytest.mark.parametrize(
    "sentence,key",
    [
        ("Thousands of protesters marched.", "protesters"),
        ("Suspected militants attacked a bus.", "Suspected militants"),
        ("Police detained two men.", "Police"),
    ],
)
def test_group_noun_phrases(sentence, key):
    story = find_entities(sentence, [])
    refs = [r for r in sentence_refs(sentence, story, []) if r.kind == "group"]
    assert refs and refs[0].keys == (key,)


def test_pronouns_follow_gender():
    text = "Peter Novak met Anna Berg."
    story = find_entities(text, [span(text, "Peter Novak"), span(text, "Anna Berg")])
    story.last_person, story.last_persons = "Peter Novak", ("Peter Novak", "Anna Berg")
    assert [r.keys for r in sentence_refs("She left.", story, [])] == [("Anna Berg",)]
    assert [r.keys for r in sentence_refs("He left.", story, [])] == [("Peter Novak",)]


def test_place_spans_hold_no_references():
    text = "Holm arrived."
    story = find_entities("Maria Holm spoke. Holm arrived.", [(0, 10, "Maria Holm")])
    assert sentence_refs(text, story, [(0, 4)]) == []


@pytest.mark.parametrize(
    "text,name",
    [
        ("Her deputy, Tomas Lind, flew on to Oslo.", "Tomas Lind"),
        ("Police questioned activist Mira Solberg on Monday.", "Mira Solberg"),
        ("Park Min-jun, chief executive of the firm, said so.", "Park Min-jun"),
    ],
)
def test_described_people_are_found(text, name):
    assert name in [n for _s, _e, n in described_people(text, [])]


def test_described_people_skips_places():
    text = "The envoy visited the mayor, Santa Rosa, on Monday."
    got = described_people(text, [], is_place=lambda n: n == "Santa Rosa")
    assert "Santa Rosa" not in [n for _s, _e, n in got]


# ---- actors end to end ------------------------------------------------------------------------


def actors_at(a, place):
    return [set(e.actors) for e in a.events if e.place == place]


def test_apposition_actor(gazetteer):
    a = run("Foreign Minister Maria Holm visited Madrid on Monday. Her deputy, Tomas Lind, flew on to Oslo.", gazetteer)
    assert actors_at(a, "Oslo") == [{"Tomas Lind"}]
    assert actors_at(a, "Madrid") == [{"Maria Holm"}]


def test_coordinated_actors(gazetteer):
    a = run("Peter Novak and Sarah Quinn flew to Nairobi on Tuesday.", gazetteer)
    assert actors_at(a, "Nairobi") == [{"Peter Novak", "Sarah Quinn"}]


def test_pronoun_and_title_refer_back(gazetteer):
    text = (
        "Finance Minister Laura Finch arrived in Warsaw on Monday. "
        "She later toured Madrid. "
        "The minister then flew to Lima."
    )
    a = run(text, gazetteer)
    assert [(e.place, e.actors) for e in a.events] == [
        ("Warsaw", ("Laura Finch",)), ("Madrid", ("Laura Finch",)), ("Lima", ("Laura Finch",))]


def test_speaker_is_not_an_actor(gazetteer):
    a = run("Minister Peter Holm arrived in Warsaw on Monday, said spokeswoman Anna Kovac.", gazetteer)
    assert actors_at(a, "Warsaw") == [{"Peter Holm"}]


def test_while_clause_actor(gazetteer):
    a = run("Minister Peter Holm flew to Cairo, while Anna Kovac returns to Oslo.", gazetteer)
    assert actors_at(a, "Cairo") == [{"Peter Holm"}]
    assert actors_at(a, "Oslo") == [{"Anna Kovac"}]


def test_meeting_has_both_actors_and_host(gazetteer):
    a = run("President Peter Holm hosted Anna Kovac in Madrid.", gazetteer)
    (e,) = a.events
    assert set(e.actors) == {"Peter Holm", "Anna Kovac"} and e.host == "Peter Holm"
    a = run("Minister Peter Holm met Anna Kovac in Madrid on Monday.", gazetteer)
    assert actors_at(a, "Madrid") == [{"Peter Holm", "Anna Kovac"}]


def test_meeting_with_a_titled_counterpart(gazetteer):
    a = run("President Peter Holm met Prime Minister Anna Kovac in Madrid on Monday.", gazetteer)
    assert actors_at(a, "Madrid") == [{"Peter Holm", "Anna Kovac"}]


def test_meeting_a_group(gazetteer):
    a = run("Senator Julia Marsh met officials in Madrid on Monday.", gazetteer)
    (e,) = a.events
    assert "Julia Marsh" in e.actors
    assert all(x in ("Julia Marsh", "officials") for x in e.actors)


def test_group_actor_led_by_person(gazetteer):
    a = run("A trade delegation led by Daniel Moreau arrived in Lima on Monday.", gazetteer)
    assert actors_at(a, "Lima") == [{"Daniel Moreau"}]


def test_passive_by_phrase_names_the_actor(gazetteer):
    (e,) = run("Twenty students were detained by police in Lima on Friday.", gazetteer).events
    assert e.event_type == "arrest"
    assert e.actors == ("police",)
    assert any("students" in t for t in e.targets)

"""The spaCy component on a blank English pipeline (no model download)."""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

TEXT = "The delegation flew from Minsk to Vladivostok, then toured the Vostochny spaceport with Belarusian officials."


@pytest.fixture(scope="module")
def nlp(gazetteer):
    nlp = spacy.blank("en")
    nlp.add_pipe("geomap", config={"offline": True})  # found through the spacy_factories entry point
    return nlp


def test_places_become_entities_with_coordinates(nlp):
    doc = nlp(TEXT)
    ents = {e.text: e for e in doc.ents}
    assert ents["Minsk"].label_ == "GPE" and ents["Minsk"]._.lat == pytest.approx(53.9, abs=0.1)
    assert ents["Vladivostok"]._.lon == pytest.approx(131.9, abs=0.1)
    assert ents["Vladivostok"]._.country_code == "RU" and ents["Vladivostok"]._.geonameid
    vostochny = next(e for t, e in ents.items() if t.startswith("Vostochny"))
    assert vostochny.label_ == "FAC" and vostochny._.place_kind == "landmark"
    assert ents["Belarusian"].label_ == "NORP"
    assert [s.text for s in doc.spans["geomap"]][:2] == ["Minsk", "Vladivostok"]
    assert doc._.places and doc._.places[0].name == "Minsk"


def test_earlier_entities_are_kept_and_share_the_attributes(gazetteer):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "CITY", "pattern": "Minsk"}])
    nlp.add_pipe("geomap")
    doc = nlp(TEXT)
    minsk = next(e for e in doc.ents if e.text == "Minsk")
    assert minsk.label_ == "CITY"  # the earlier component's entity stays
    assert minsk._.lat == pytest.approx(53.9, abs=0.1)  # and carries geomap's coordinates
    assert "Vladivostok" in {e.text for e in doc.ents}

    over = spacy.blank("en")
    over.add_pipe("entity_ruler").add_patterns([{"label": "CITY", "pattern": "Minsk"}])
    over.add_pipe("geomap", config={"overwrite_ents": True})
    assert next(e for e in over(TEXT).ents if e.text == "Minsk").label_ == "GPE"


def test_pipe_over_many_texts_and_no_places(nlp):
    docs = list(nlp.pipe(["No place is named here at all.", TEXT]))
    assert docs[0].ents == () and list(docs[0].spans["geomap"]) == []
    assert len(docs[1].ents) >= 3

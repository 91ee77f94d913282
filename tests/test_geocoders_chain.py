"""The chain that answers the resolver's open questions, with a real Nominatim look-alike on 127.0.0.1."""

from __future__ import annotations

import pytest

from geomap.api import analyse
from geomap.geocoders.chain import GazetteerSpelling, ask
from geomap.geocoders.fallback import FallbackAnswer
from geomap.model import Candidate
from geomap.places.resolve import Question
from geomap.settings import Settings
from nominatim_stub import NominatimStub

UA = "geomap-tests/1.0 (tests@example.org)"

ARTICLE = (
    "BEIRUT, Lebanon, May 4 — Aid lorries reached Qirvanet Halum camp on Monday. Engineers then inspected "
    "the Dravemoor Shipyard, and the convoy's escort flew on to Sarvelak Airbase near the border."
)
UNKNOWN = {
    "Qirvanet Halum camp": (33.95, 35.62),
    "Dravemoor Shipyard": (33.90, 35.52),
    "Sarvelak Airbase": (34.20, 36.10),
}


class _Source:
    def __init__(self, answers: dict[str, Candidate], service: str = "test") -> None:
        self.answers, self.service, self.asked = answers, service, []

    def resolve(self, name, **kw):
        self.asked.append(name)
        c = self.answers.get(name)
        return FallbackAnswer(c, "fallback" if c else None, self.service, None if c else "not found")


def _cand(name: str) -> Candidate:
    return Candidate(None, name, 1.0, 2.0, "LB", "landmark")


def test_ask_takes_the_first_answer_and_asks_each_question_once():
    first, second = _Source({"A": _cand("A")}), _Source({"B": _cand("B")}, "second")
    qs = [Question(0, "A", None), Question(1, "B", None), Question(2, "B", None), Question(3, "C", None)]
    answers = ask(qs, [first, second])
    assert answers[0].candidate.name == "A" and answers[1].candidate.name == "B" and answers[2] is answers[1]
    assert second.asked == ["B", "C"]  # A was answered by the first source; B asked once
    assert answers[3].candidate is None and answers[3].reason == "not found" and answers[3].service == "second"


def test_the_gazetteer_answers_a_close_spelling_of_a_long_single_name(gazetteer):
    got = GazetteerSpelling(gazetteer).resolve("Vladivostock")
    assert got.candidate is not None and got.candidate.country_code == "RU"
    assert GazetteerSpelling(gazetteer).resolve("Qirvanet").candidate is None


@pytest.fixture()
def stub():
    with NominatimStub() as s:
        for name, (lat, lon) in UNKNOWN.items():
            s.add_place(name, lat, lon, country_code="lb", cls="landuse", type="industrial")
        yield s


def _settings(stub: NominatimStub, tmp_path) -> Settings:
    from geomap.settings import from_env

    return from_env().replace(
        offline=False, user_agent=UA, rate=1.0, timeout=2.0,
        geocoder_options=(("domain", stub.domain), ("scheme", "http")),
        geocode_cache=tmp_path / "geocode-cache.sqlite",
    )


def test_three_places_the_gazetteer_lacks_resolve_through_the_fallback_once(stub, tmp_path, gazetteer):
    s = _settings(stub, tmp_path)
    places = {p.name: p for p in analyse(ARTICLE, settings=s, gazetteer=gazetteer).places}
    for name, (lat, lon) in UNKNOWN.items():
        p = next(p for key, p in places.items() if name.startswith(key))
        assert (p.lat, p.lon) == (lat, lon) and p.source == "fallback" and p.unresolved_reason is None
    queries = sorted(r.params["q"] for r in stub.requests)
    assert queries == sorted(UNKNOWN)
    assert all(r.user_agent == UA for r in stub.requests)
    times = stub.times()
    assert all(b - a >= 1.0 - 0.001 for a, b in zip(times, times[1:]))  # at most one request a second

    again = {p.name: p for p in analyse(ARTICLE, settings=s, gazetteer=gazetteer).places}
    assert len(stub.requests) == 3  # the second run sends none
    assert {p.source for p in again.values() if p.name not in ("BEIRUT", "Lebanon")} == {"cache"}


def test_without_the_fallback_unknown_places_stay_with_a_reason_or_take_their_container(gazetteer):
    places = analyse(ARTICLE, gazetteer=gazetteer, offline=True).places
    by_name = {p.name: p for p in places}
    assert "Qirvanet Halum" in by_name and "Dravemoor Shipyard" in by_name and "Sarvelak Airbase" in by_name
    # a facility with no container of its own is placed at the dateline city, and says so
    assert by_name["Dravemoor Shipyard"].source == "container" and by_name["Dravemoor Shipyard"].resolved_name == "Beirut"
    text = "Rebels shelled Zhavrenka Valley overnight."
    (p,) = analyse(text, gazetteer=gazetteer, offline=True).places
    assert p.name == "Zhavrenka Valley" and not p.resolved and p.unresolved_reason == "not in gazetteer"

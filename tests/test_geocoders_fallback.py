"""The online fallback against a local Nominatim stub: politeness, caching, faults, context checks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from geopy.location import Location

from geomap.errors import ConfigError, GeocoderServiceError
from geomap.geocoders import fallback as fb_mod
from geomap.geocoders.fallback import ChainGeocoder, FallbackAnswer, FallbackResolver, Query
from geomap.settings import Settings
from nominatim_stub import Fault, NominatimStub

ROOT = Path(__file__).resolve().parent.parent
UA = "geomap-tests/1.0 (tests@example.org)"
#: A request starts only 1/rate after the previous response ended, so server-side gaps are never
#: shorter than 1/rate; this only absorbs float rounding.
JITTER = 0.001


def _stub(**kw) -> NominatimStub:
    stub = NominatimStub(**kw)
    stub.add_place("Khasan railway station", 42.4286, 130.6436, country_code="ru", cls="railway", type="station",
                   display_name="Khasan, Khasansky District, Primorsky Krai, Russia")
    stub.add_place("Razdolnoye", 43.5386, 131.9144, country_code="ru", type="village")
    stub.add_place("Tumen River", 42.29, 130.7, country_code="kp", cls="waterway", type="river")
    for i in range(12):
        stub.add_place(f"Place {i}", 43.0 + i / 100, 131.0, country_code="ru", type="town")
    return stub


@pytest.fixture()
def stub():
    with _stub() as s:
        yield s


@pytest.fixture()
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "geocode-cache.sqlite"


@pytest.fixture()
def make(stub: NominatimStub, cache_path: Path, tmp_path: Path):
    made: list[FallbackResolver] = []

    def make(**kw) -> FallbackResolver:
        args = dict(
            service="nominatim", options={"domain": stub.domain, "scheme": "http", "proxies": {}},
            user_agent=UA, cache_path=cache_path, offline=False, rate=20.0, timeout=1.0, retries=3, backoff=0.05,
        )
        args.update(kw)
        r = FallbackResolver(Settings(cache_dir=tmp_path), **args)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


# -- answers ------------------------------------------------------------------------------------------
def test_resolves_with_context_and_marks_source(make, stub):
    fb = make()
    ans = fb.resolve("Khasan", context="railway station", country_codes=["RU"])
    assert ans.source == "fallback" and ans.reason is None and ans.service == "nominatim"
    c = ans.candidate
    assert (c.lat, c.lon, c.country_code, c.kind) == (42.4286, 130.6436, "RU", "landmark")
    assert c.source == "fallback" and c.service == "nominatim" and c.geonameid is None
    (req,) = stub.requests
    assert req.params["q"] == "Khasan railway station"
    assert req.params["countrycodes"] == "ru"
    assert req.params["addressdetails"] == "1"
    assert req.user_agent == UA


def test_kind_hint_is_not_sent_as_text(make, stub):
    ans = make().resolve("Razdolnoye", context="city")
    assert ans.candidate.kind == "city"
    assert stub.requests[0].params["q"] == "Razdolnoye"


def test_second_run_is_served_from_cache_with_zero_requests(make, stub):
    names = ["Razdolnoye", "Place 1", "Nowhere at all"]
    first = make().resolve_many(names)
    assert [a.source for a in first] == ["fallback", "fallback", None]
    n = stub.count()
    again = make()
    second = again.resolve_many(names)
    assert stub.count() == n
    assert [a.source for a in second] == ["cache", "cache", None]
    assert second[0].candidate.source == "cache"
    assert second[2].reason == "not found"
    assert again.stats["requests"] == 0 and again.stats["cache_hits"] == 3


def test_not_found_is_cached_and_distinct_from_failure(make, stub):
    fb = make()
    miss = fb.resolve("Atlantis")
    assert miss.reason == "not found" and not miss.failed
    fb.resolve("Atlantis")
    assert stub.count() == 1
    stub.fail_next(Fault.http(500), Fault.http(500), Fault.http(500))
    fail = fb.resolve("Razdolnoye")
    assert fail.failed and fail.candidate is None
    assert fail.reason.startswith("service error: HTTP 500")
    # the failure was not cached: the next lookup asks again and succeeds
    ok = fb.resolve("Razdolnoye")
    assert ok.source == "fallback"
    assert fb.stats["not_found"] == 1 and fb.stats["failures"] == {fail.reason: 1}


# -- politeness -----------------------------------------------------------------------------------
def test_rate_limit_single_thread(make, stub):
    fb = make(rate=5.0)
    fb.resolve_many([f"Place {i}" for i in range(5)])
    gaps = _gaps(stub.times())
    assert len(gaps) == 4 and min(gaps) >= 0.2 - JITTER


def test_rate_limit_from_two_threads(make, stub):
    fb = make(rate=5.0)
    other = make(rate=5.0)  # a second resolver in this process shares the limit too
    names = [f"Place {i}" for i in range(8)]
    threads = [threading.Thread(target=r.resolve_many, args=(names[i::2],)) for i, r in enumerate((fb, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = stub.times()
    assert len(times) == 8
    assert min(_gaps(times)) >= 0.2 - JITTER


_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from geomap.geocoders.fallback import FallbackResolver
    domain, cache, start, *names = sys.argv[1:]
    fb = FallbackResolver(service="nominatim", options={"domain": domain, "scheme": "http", "proxies": {}},
                          user_agent="geomap-tests/1.0 (tests@example.org)", cache_path=cache, offline=False,
                          rate=5.0, timeout=2.0, retries=2, backoff=0.05)
    time.sleep(max(0.0, float(start) - time.time()))
    answers = fb.resolve_many(names)
    print(json.dumps({"requests": fb.stats["requests"], "resolved": sum(a.candidate is not None for a in answers)}))
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    return env


def test_rate_limit_from_two_processes_sharing_a_cache(stub, cache_path):
    start = time.time() + 1.5
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, stub.domain, str(cache_path), str(start),
                          *[f"Place {i}" for i in range(k, 10, 2)]], stdout=subprocess.PIPE, env=_env(), text=True)
        for k in (0, 1)
    ]
    outs = [json.loads(p.communicate(timeout=30)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sum(o["requests"] for o in outs) == 10 and all(o["resolved"] == 5 for o in outs)
    times = stub.times()
    assert len(times) == 10
    assert min(_gaps(times)) >= 0.2 - JITTER


def test_retry_after_is_honoured(make, stub):
    stub.fail_next(Fault.rate_limited(retry_after=1))
    fb = make(rate=20.0)
    ans = fb.resolve("Razdolnoye")
    assert ans.source == "fallback"
    t429, tok = stub.times()
    assert tok - t429 >= 1.0
    assert fb.stats["requests"] == 2


def test_retry_after_too_long_gives_up_without_blocking(make, stub):
    stub.fail_next(Fault.rate_limited(retry_after=3600))
    t = time.monotonic()
    ans = make(max_wait=5.0).resolve("Razdolnoye")
    assert time.monotonic() - t < 2
    assert ans.failed and "429" in ans.reason and "Retry-After 3600" in ans.reason
    assert stub.count() == 1


def test_public_nominatim_is_capped_at_one_request_per_second(tmp_path):
    fb = FallbackResolver(Settings(cache_dir=tmp_path), user_agent=UA, offline=False, rate=10.0)
    assert fb.rate == 1.0 and fb._geocoder is None
    fb.close()


# -- faults ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.malformed(), "service error: malformed JSON"),
        (Fault.empty(), "service error: empty response"),
        (Fault.wrong_shape(), "service error: malformed response"),
        (Fault.http(500), "service error: HTTP 500"),
        (Fault.http(503), "service error: HTTP 503"),
    ],
)
def test_faults_leave_the_name_unresolved_and_the_run_completes(make, stub, fault, reason):
    stub.fail_next(fault, fault, query="Razdolnoye")
    fb = make(retries=2)
    answers = fb.resolve_many(["Razdolnoye", "Place 2"])
    assert answers[0].candidate is None and answers[0].reason == f"{reason} after 2 tries"
    assert answers[1].source == "fallback"
    assert stub.count() == 3
    # not cached: a later run tries again
    assert make().resolve("Razdolnoye").source == "fallback"


def test_a_hanging_server_times_out(make, stub):
    stub.fail_next(Fault.hang(10), Fault.hang(10), query="Razdolnoye")
    fb = make(timeout=0.3, retries=2)
    t = time.monotonic()
    answers = fb.resolve_many(["Razdolnoye", "Place 3"])
    assert time.monotonic() - t < 3
    assert answers[0].reason == "service error: timeout after 2 tries"
    assert answers[1].source == "fallback"


def test_a_transient_fault_is_retried(make, stub):
    stub.fail_next(Fault.http(502))
    ans = make().resolve("Razdolnoye")
    assert ans.source == "fallback" and stub.count() == 2


def test_refused_connections_stop_asking_after_repeated_failures(make):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fb = make(options={"domain": f"127.0.0.1:{port}", "scheme": "http"}, retries=2)
    answers = fb.resolve_many([f"Place {i}" for i in range(8)])
    assert all(a.failed for a in answers)
    assert answers[0].reason == "service error: unavailable after 2 tries"
    assert "not asked again" in answers[-1].reason
    assert fb.stats["requests"] == 2 * fb_mod.MAX_CONSECUTIVE_FAILURES


def test_access_denied_stops_at_once(make, stub):
    stub.always = Fault.http(403)
    fb = make()
    answers = fb.resolve_many(["Razdolnoye", "Place 1"])
    assert answers[0].reason == "service error: HTTP 403 (access denied)"
    assert stub.count() == 1 and answers[1].failed


# -- context checks -------------------------------------------------------------------------------
def test_wrong_country_is_rejected_with_a_reason(tmp_path):
    cache = tmp_path / "cache.sqlite"
    with NominatimStub(honour_country_codes=False) as stub:
        stub.add_place("Khasan", 39.9, 116.4, country_code="cn", type="village")
        stub.add_place("Songshan", 39.9, 116.4, country_code="cn", type="village")
        stub.add_place("Songshan", 42.5, 130.5, country_code="ru", type="village")
        fb = FallbackResolver(service="nominatim", options={"domain": stub.domain, "scheme": "http"},
                              user_agent=UA, cache_path=cache, offline=False, rate=50)
        ans = fb.resolve("Khasan", country_codes=["ru"])
        assert ans.candidate is None and ans.reason == "rejected: result in CN, expected RU"
        assert fb.stats["rejected"] == 1
        # the first result that fits is taken
        ok = fb.resolve("Songshan", country_codes=["ru"])
        assert ok.candidate.country_code == "RU"
        # rejections are answers, so they are cached
        assert fb.resolve("Khasan", country_codes=["ru"]).reason.startswith("rejected")
        assert stub.count() == 2
        fb.close()


def test_result_outside_the_viewbox_is_rejected(make, stub):
    stub.add_place("Sydney Harbour", -33.85, 151.2, country_code="au", type="bay", cls="natural")
    far_east = ((42.0, 128.0), (52.0, 142.0))
    ans = make().resolve("Sydney Harbour", viewbox=far_east)
    assert ans.reason.startswith("rejected: result at -33.85,151.20")
    assert "viewbox" in stub.requests[0].params
    assert make().resolve("Razdolnoye", viewbox=far_east).source == "fallback"


# -- expiry ------------------------------------------------------------------------------------------
def test_expired_entries_are_asked_again(make, stub):
    fb = make(miss_ttl=0.3, hit_ttl=0.3)
    fb.resolve("Atlantis")
    fb.resolve("Razdolnoye")
    fb.resolve_many(["Atlantis", "Razdolnoye"])
    assert stub.count() == 2
    time.sleep(0.35)
    fb.resolve_many(["Atlantis", "Razdolnoye"])
    assert stub.count() == 4


# -- offline and configuration -------------------------------------------------------------------
def test_offline_makes_no_requests_and_builds_no_geocoder(make, stub, monkeypatch, cache_path):
    make().resolve("Razdolnoye")
    n = stub.count()

    def boom(*a, **k):
        raise AssertionError("a geopy geocoder was looked up offline")

    monkeypatch.setattr("geopy.geocoders.get_geocoder_for_service", boom)
    off = FallbackResolver(Settings(offline=True), cache_path=cache_path, user_agent=None,
                           options={"domain": stub.domain, "scheme": "http", "proxies": {}})
    answers = off.resolve_many(["Razdolnoye", "Place 5"])
    assert answers[0].source == "cache"  # the cache still answers offline
    assert answers[1].reason == "offline"
    assert stub.count() == n and off.stats["requests"] == 0 and off._geocoder is None
    off.close()


def test_offline_from_the_environment(monkeypatch, tmp_path, stub):
    from geomap.settings import from_env

    monkeypatch.setenv("GEOMAP_OFFLINE", "1")
    fb = FallbackResolver(from_env(), cache_path=tmp_path / "c.sqlite", user_agent=UA,
                          options={"domain": stub.domain, "scheme": "http"})
    assert fb.resolve("Razdolnoye").reason == "offline" and stub.count() == 0
    fb.close()


@pytest.mark.parametrize("ua", [None, "", "  ", "geopy/2.5.0", "geopy/1.0"])
def test_refuses_geopy_default_user_agent(ua, tmp_path):
    with pytest.raises(ConfigError) as err:
        FallbackResolver(Settings(cache_dir=tmp_path), user_agent=ua, offline=False)
    msg = str(err.value)
    assert "\n" not in msg and "--user-agent" in msg and "GEOMAP_USER_AGENT" in msg


def test_options_from_settings_are_converted(stub, tmp_path):
    s = Settings(cache_dir=tmp_path, offline=False, user_agent=UA, rate=50.0,
                 geocoder_options=(("domain", stub.domain), ("scheme", "http"), ("language", "ru")))
    fb = FallbackResolver(s)
    assert fb.resolve("Razdolnoye").source == "fallback"
    assert stub.requests[0].params["accept-language"] == "ru"
    g = fb._geocoder_instance()
    assert g.domain == stub.domain and g.scheme == "http"
    fb.close()


def test_option_values_are_parsed():
    assert fb_mod.parse_option("true") is True and fb_mod.parse_option("False") is False
    assert fb_mod.parse_option("8") == 8 and fb_mod.parse_option("0.5") == 0.5
    assert fb_mod.parse_option("123", default="") == "123"


def test_unknown_service_and_option_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown geocoding service"):
        FallbackResolver(Settings(cache_dir=tmp_path), service="no-such-service", user_agent=UA, offline=False)
    with pytest.raises(ConfigError, match="no option 'colour'"):
        FallbackResolver(Settings(cache_dir=tmp_path), options={"colour": "red"}, user_agent=UA, offline=False)


def test_api_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("GEOMAP_OPENCAGE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="GEOMAP_OPENCAGE_API_KEY"):
        FallbackResolver(Settings(cache_dir=tmp_path), service="opencage", user_agent=UA, offline=False)
    monkeypatch.setenv("GEOMAP_OPENCAGE_API_KEY", "secret-123")
    fb = FallbackResolver(Settings(cache_dir=tmp_path), service="OpenCage", user_agent=UA, offline=False)
    assert fb._geocoder_instance().api_key == "secret-123"
    assert "secret" not in json.dumps(fb._key_options)
    fb.close()


def test_photon_gets_its_own_request_options(tmp_path):
    fb = FallbackResolver(Settings(cache_dir=tmp_path), service="photon", user_agent=UA, offline=False,
                          options={"domain": "127.0.0.1:9", "scheme": "http"})
    kw = fb._request_kwargs(("ru",), ((42.0, 128.0), (52.0, 142.0)))
    assert "bbox" in kw and "country_codes" not in kw and kw["exactly_one"] is False
    fb.close()


# -- many names -------------------------------------------------------------------------------------
def test_resolve_many_is_unique_ordered_and_reports_progress(make, stub):
    seen: list[tuple[int, int]] = []
    answers = make().resolve_many(
        ["Razdolnoye", Query("Khasan", "railway station", ("ru",)), "Razdolnoye", {"name": "Atlantis"},
         ("Khasan", "railway station", ["RU"])],
        progress=lambda done, total, ans: seen.append((done, total)),
    )
    assert [a.candidate is not None for a in answers] == [True, True, True, False, True]
    assert answers[0] is answers[2] and answers[1] is answers[4]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert stub.count() == 3


# -- the chain as a geopy geocoder ---------------------------------------------------------------------
class _Local:
    """A stand-in for the gazetteer's geopy geocoder."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def geocode(self, query, exactly_one=True):
        self.asked.append(query)
        if query == "Sochi":
            loc = Location("Sochi, Russia", (43.6, 39.73), {"source": "gazetteer"})
            return loc if exactly_one else [loc]
        return None if exactly_one else []


def test_chain_prefers_local_then_cache_then_online(make, stub):
    local = _Local()
    chain = ChainGeocoder(local, make())
    assert chain.geocode("Sochi").raw["source"] == "gazetteer"
    assert stub.count() == 0
    loc = chain.geocode("Khasan", context="railway station", country_codes=["ru"])
    assert (loc.latitude, loc.longitude) == (42.4286, 130.6436)
    assert loc.address.startswith("Khasan, Khasansky District")
    assert loc.raw["source"] == "fallback" and loc.raw["service"] == "nominatim"
    again = chain.geocode("Khasan", exactly_one=False, context="railway station", country_codes=["ru"])
    assert isinstance(again, list) and again[0].raw["source"] == "cache"
    assert chain.geocode("Atlantis") is None
    assert stub.count() == 2


def test_chain_raises_on_service_failure_not_none(make, stub):
    stub.always = Fault.http(500)
    chain = ChainGeocoder(_Local(), make(retries=1))
    with pytest.raises(GeocoderServiceError, match="HTTP 500"):
        chain.geocode("Razdolnoye")


def test_chain_offline_returns_none(tmp_path):
    chain = ChainGeocoder(_Local(), FallbackResolver(offline=True, cache_path=tmp_path / "c.sqlite"))
    assert chain.geocode("Khasan") is None
    assert chain.geocode("Sochi").latitude == 43.6
    chain.close()


def test_answer_shape():
    a = FallbackAnswer(None, None, "nominatim", "service error: timeout after 3 tries")
    assert a.failed and not a.resolved
    assert not FallbackAnswer(None, None, "nominatim", "not found").failed


def test_guess_kind():
    g = fb_mod.guess_kind
    assert g({"class": "place", "type": "country"}) == "country"
    assert g({"class": "boundary", "type": "administrative", "addresstype": "state"}) == "admin"
    assert g({"class": "waterway", "type": "river"}) == "water"
    assert g({"class": "place", "type": "island"}) == "region"
    assert g({"class": "aeroway", "type": "aerodrome"}) == "landmark"
    assert g({"class": "place", "type": "hamlet"}) == "city"


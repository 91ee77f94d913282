"""GazetteerGeocoder: a geopy geocoder over the local index, usable by geopandas and RateLimiter."""

from __future__ import annotations

from pathlib import Path

import pytest
from geopy.extra.rate_limiter import RateLimiter
from geopy.location import Location

from geomap.gazetteer import Gazetteer
from geomap.geocoders.gazetteer import GazetteerGeocoder, split_query
from geomap.settings import from_env
from tiny_gazetteer import tiny_upstream, write_sources


@pytest.fixture(scope="module")
def gaz(tmp_path_factory: pytest.TempPathFactory) -> Gazetteer:
    tmp = tmp_path_factory.mktemp("geocoder")
    g = Gazetteer.open(path=tmp / "gaz.sqlite", sources=write_sources(tmp / "sources"), upstream=tiny_upstream())
    yield g
    g.close()


@pytest.fixture()
def geocoder(gaz: Gazetteer) -> GazetteerGeocoder:
    return GazetteerGeocoder(gaz)


def test_geocode_returns_a_location_in_lat_lon_order(geocoder: GazetteerGeocoder) -> None:
    loc = geocoder.geocode("Sochi")
    assert isinstance(loc, Location)
    assert loc.latitude == pytest.approx(43.59917) and loc.longitude == pytest.approx(39.72569)
    assert loc.point[:2] == pytest.approx((43.59917, 39.72569))
    assert loc.address == "Sochi, Russia"
    assert {k: loc.raw[k] for k in ("geonameid", "kind", "country_code", "feature_code", "match")} == {
        "geonameid": 491422, "kind": "city", "country_code": "RU", "feature_code": "PPL", "match": "name"}
    assert loc.raw["population"] == 343334
    assert geocoder.geocode("Belarus").address == "Belarus"


def test_not_found_is_none(geocoder: GazetteerGeocoder) -> None:
    assert geocoder.geocode("Atlantis") is None
    assert geocoder.geocode("Atlantis", exactly_one=False) is None
    assert geocoder.geocode("Sochi", country_codes="FR") is None


def test_all_matches_and_filters(geocoder: GazetteerGeocoder) -> None:
    all_paris = geocoder.geocode("Paris", exactly_one=False)
    assert [loc.raw["country_code"] for loc in all_paris] == ["FR", "US"]
    assert geocoder.geocode("Paris", country_codes=["us"]).raw["geonameid"] == 4717560
    assert geocoder.geocode("Vostochny", kind="city").raw["kind"] == "city"
    assert geocoder.geocode("Vostochny").raw["kind"] == "landmark"
    assert geocoder.geocode("Vostochny", kind=("landmark", "region")).raw["geonameid"] < 0


@pytest.mark.parametrize(
    "query, geonameid",
    [("Paris, Texas", 4717560), ("Paris, France", 2988507), ("Springfield, Illinois", 4250542),
     ("Springfield, United States", 4409896), ("Springfield, Narnia", 4409896), ("Vostochny spaceport, Russia", None)],
)
def test_name_comma_parent(geocoder: GazetteerGeocoder, query: str, geonameid: int | None) -> None:
    loc = geocoder.geocode(query)
    assert loc.raw["geonameid"] == geonameid if geonameid else loc.raw["kind"] == "landmark"


def test_parent_restriction_can_rule_everything_out(geocoder: GazetteerGeocoder) -> None:
    assert geocoder.geocode("Paris, Illinois") is None
    assert geocoder.geocode("Vostochny spaceport, Texas") is None


def test_split_query() -> None:
    assert split_query("Paris, Texas") == ("Paris", "Texas")
    assert split_query("Washington, D.C., United States") == ("Washington, D.C.", "United States")
    assert split_query(", Texas") == (", Texas", None)
    assert split_query("Minsk") == ("Minsk", None)


def test_rate_limiter(geocoder: GazetteerGeocoder) -> None:
    geocode = RateLimiter(geocoder.geocode, min_delay_seconds=0)
    assert geocode("Minsk").raw["country_code"] == "BY"
    assert geocode("Atlantis") is None


def test_geopandas_geocode_swaps_to_lon_lat(geocoder: GazetteerGeocoder) -> None:
    from geopandas.tools import geocode

    frame = geocode(["Sochi", "Vladivostok", "Atlantis"], provider=geocoder)
    sochi = frame.geometry.iloc[0]
    # geopandas builds Point(lon, lat): x is the longitude
    assert (sochi.x, sochi.y) == pytest.approx((39.72569, 43.59917))
    assert frame.geometry.iloc[1].x == pytest.approx(131.87353)
    assert frame["address"].tolist()[:2] == ["Sochi, Russia", "Vladivostok, Russia"]
    assert frame.geometry.iloc[2].is_empty
    assert frame.crs.to_epsg() == 4326


def test_geopandas_with_the_class_as_provider(gaz: Gazetteer) -> None:
    from geopandas.tools import geocode

    frame = geocode(["Minsk"], provider=GazetteerGeocoder, gazetteer=gaz)
    assert frame.geometry.iloc[0].y == pytest.approx(53.9)


def test_reverse_is_not_supported(geocoder: GazetteerGeocoder) -> None:
    with pytest.raises(NotImplementedError):
        geocoder.reverse((43.6, 39.7))


def test_opens_the_default_index_lazily() -> None:
    geocoder = GazetteerGeocoder(settings=from_env())
    assert geocoder._gazetteer is None
    loc = geocoder.geocode("Vostochny spaceport")
    assert loc.raw["kind"] == "landmark" and abs(loc.latitude - 51.884) < 0.2 and abs(loc.longitude - 128.334) < 0.3
    assert geocoder.geocode("Paris, Texas").raw["country_code"] == "US"
    assert geocoder.geocode("Springfield, Illinois").raw["admin1"] == "IL"
    assert isinstance(geocoder.gazetteer.path, Path)

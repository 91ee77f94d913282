"""The Python verbs with pandas in and out, user places, and text that JSON can carry."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import pytest

import geomap
from geomap.api import analyse_many, coerce_date, iter_documents
from geomap.errors import ConfigError, InputError

MINSK = "WARSAW, March 3, 2024 - Trade envoy Marek Nowak arrived in Minsk on Monday and met officials there."
SOCHI = "Marek Nowak travelled on to Sochi on Wednesday, where he opened an exhibition."


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame({
        "id": [101, 102],
        "text": [MINSK, SOCHI],
        "date": pd.to_datetime(["2024-03-03", "2024-03-04 09:30"], format="mixed"),
    })


@pytest.mark.parametrize("value,expected", [
    (pd.Timestamp("2024-03-04 09:30"), dt.date(2024, 3, 4)),
    (dt.datetime(2024, 3, 4, 23, 59), dt.date(2024, 3, 4)),
    (dt.date(2024, 3, 4), dt.date(2024, 3, 4)),
    ("2024-03-04", dt.date(2024, 3, 4)),
    ("2024-03-04T09:30:00Z", dt.date(2024, 3, 4)),
    (pd.NaT, None), (None, None), (float("nan"), None),
])
def test_dates_in_every_shape(value, expected):
    assert coerce_date(value) == expected


def test_bad_date_is_a_config_error():
    with pytest.raises(ConfigError, match="ISO date"):
        coerce_date("next Tuesday")


def test_documents_from_frames_series_and_tuples(frame):
    rows = list(iter_documents(frame))
    assert [r[0] for r in rows] == ["101", "102"] and rows[1][2] == dt.date(2024, 3, 4)
    series = pd.Series([MINSK, SOCHI], index=["a", "b"])
    assert [r[0] for r in iter_documents(series, date="2024-03-03")] == ["a", "b"]
    zipped = list(iter_documents(zip(frame.id, frame.text, frame.date)))
    assert zipped == rows
    with pytest.raises(InputError, match="'text' column"):
        list(iter_documents(pd.DataFrame({"body": ["x"]})))


def test_analyse_many_takes_a_dataframe(gazetteer, frame):
    a = analyse_many(frame, gazetteer=gazetteer, offline=True)
    assert {p.doc_id for p in a.places} == {"101", "102"}
    assert analyse_many(zip(frame.id, frame.text, frame.date), gazetteer=gazetteer).places == a.places
    events = geomap.events(frame, offline=True)
    assert set(events["doc_id"]) <= {"101", "102"} and len(events)


def test_frames_are_typed(gazetteer, frame):
    a = analyse_many(frame, gazetteer=gazetteer, offline=True)
    places, events, stops = a.places_frame(), a.events_frame(), a.stops_frame()
    assert isinstance(places["kind"].dtype, pd.CategoricalDtype)
    assert "demonym" in places["kind"].cat.categories
    assert isinstance(events["status"].dtype, pd.CategoricalDtype)
    assert isinstance(events["action"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_datetime64_any_dtype(events["date"])
    assert pd.api.types.is_datetime64_any_dtype(stops["date"])
    assert str(stops["parent_id"].dtype) == "Int64" and str(places["geonameid"].dtype) == "Int64"
    assert "date_precision" in events and isinstance(events["date_precision"].dtype, pd.CategoricalDtype)
    dated = events.dropna(subset=["date"])
    assert len(dated) and dated["date"].iloc[0].year == 2024


def test_plain_to_file_writes_lists_as_json(gazetteer, frame, tmp_path):
    events = geomap.events(frame, gazetteer=gazetteer, offline=True)
    assert isinstance(events["actors"].iloc[0], list)
    path = tmp_path / "events.gpkg"
    events.to_file(path, layer="events")
    back = gpd.read_file(path, layer="events")
    assert json.loads(back["actors"].iloc[0]) == list(events["actors"].iloc[0])


def test_lone_surrogates_do_not_break_outputs(gazetteer, tmp_path):
    text = json.loads(json.dumps("The envoy met officials in Minsk \ud800 on Monday."))
    places = geomap.places(text, gazetteer=gazetteer, offline=True)
    assert "Minsk" in set(places["name"])
    a = geomap.analyse(text, gazetteer=gazetteer, offline=True)
    json.dumps([e.to_dict() for e in a.events], ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------- user places

PLANT = "Engineers from Minsk inspected the Kestrel Ridge Works on Thursday before flying to Vostochny."


def test_extra_places_from_a_csv(gazetteer, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text(
        "name,lat,lon,kind,country,aliases\n"
        'Kestrel Ridge Works,54.10,28.20,landmark,BY,"Kestrel Works|KRW plant"\n',
        encoding="utf-8",
    )
    before = geomap.places(PLANT, gazetteer=gazetteer, offline=True)
    after = geomap.places(PLANT, gazetteer=gazetteer, offline=True, extra_places=csv)
    assert "Kestrel Ridge Works" not in set(before[before["lat"].notna()]["name"])
    row = after[after["name"] == "Kestrel Ridge Works"].iloc[0]
    assert (round(row.geometry.y, 2), round(row.geometry.x, 2)) == (54.10, 28.20)
    assert row["source"] == "user" and row["country_code"] == "BY"


def test_extra_places_replace_a_builtin_name_unless_they_carry_a_prior(gazetteer):
    mine = gpd.GeoDataFrame({"name": ["Vostochny"], "kind": ["city"], "country": ["RU"]},
                            geometry=gpd.points_from_xy([132.9], [42.9]), crs="EPSG:4326")
    got = geomap.places(PLANT, gazetteer=gazetteer, offline=True, extra_places=mine)
    v = got[got["name"] == "Vostochny"].iloc[0]
    assert round(v.geometry.y, 1) == 42.9 and v["source"] == "user"
    weak = pd.DataFrame({"name": ["Vostochny"], "lat": [42.9], "lon": [132.9], "kind": ["city"], "prior": [0]})
    got = geomap.places(PLANT, gazetteer=gazetteer, offline=True, extra_places=weak)
    v = got[got["name"] == "Vostochny"].iloc[0]
    assert v["source"] == "gazetteer"  # the built-in spaceport still wins against a weak prior


@pytest.mark.parametrize("csv,message", [
    ("name,lat,lon\nX Works,95,10\n", "lat must be in"),
    ("name,lat,lon\nX Works,abc,10\n", "must be numbers"),
    ("name,lat,lon,kind\nX Works,50,10,castle\n", "kind 'castle'"),
    ("title,lat,lon\nX,50,10\n", "'name' column"),
])
def test_bad_user_places_are_one_line_errors(tmp_path, gazetteer, csv, message):
    p = tmp_path / "bad.csv"
    p.write_text(csv, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        geomap.places(PLANT, gazetteer=gazetteer, offline=True, extra_places=p)


def test_build_map_passes_tiles_through():
    import geomap

    m = geomap.build_map("Minister Ana Reyes flew to Lima on Monday.", tiles="CartoDB positron", attr="CARTO", offline=None)
    html = m.get_root().render()
    assert "basemaps.cartocdn.com" in html

import geopandas as gpd
import pytest
from shapely.geometry import MultiLineString

from geomap.api import analyse
from geomap.frames import great_circle, point
from geomap.io import write_frame


@pytest.fixture()
def analysis(fake_gazetteer, example_text):
    return analyse(example_text, gazetteer=fake_gazetteer, offline=True, date="2023-09-15")


def test_point_puts_longitude_first():
    p = point(43.6, 39.7)  # Sochi: lat 43.6, lon 39.7
    assert (p.x, p.y) == (39.7, 43.6)


def test_frames_place_sochi_where_it_is(analysis):
    places = analysis.places_frame()
    sochi = places[places["name"] == "Sochi"].iloc[0]
    assert sochi.geometry.x == pytest.approx(39.73, abs=0.1)
    assert sochi.geometry.y == pytest.approx(43.6, abs=0.1)
    assert places.crs.to_epsg() == 4326


def test_stops_and_legs_frames(analysis):
    stops, legs = analysis.stops_frame(), analysis.legs_frame()
    kim = stops[stops["actor"] == "Kim Jong Un"]
    assert list(kim["seq"]) == [1, 2, 3]
    assert list(kim["status"]) == ["occurred", "occurred", "planned"]
    kim_legs = legs[legs["actor"] == "Kim Jong Un"]
    assert list(kim_legs["status"]) == ["occurred", "planned"]
    assert all(g.geom_type == "LineString" for g in kim_legs.geometry)


def test_great_circle_splits_at_the_antimeridian():
    line = great_circle(43.1, 131.9, 61.2, -149.9)  # Vladivostok -> Anchorage
    assert isinstance(line, MultiLineString)
    for part in line.geoms:
        xs = [x for x, _ in part.coords]
        assert max(xs) - min(xs) < 180


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "parquet"])
@pytest.mark.parametrize("table", ["places", "events", "stops", "legs"])
def test_exports_round_trip(analysis, tmp_path, fmt, table):
    gdf = getattr(analysis, f"{table}_frame")()
    path = tmp_path / f"{table}.{fmt}"
    write_frame(gdf, path, fmt, layer=table)
    if fmt == "parquet":
        back = gpd.read_parquet(path)
    elif fmt == "csv":
        back = gpd.read_file(path, KEEP_GEOM_COLUMNS="NO")
    else:
        back = gpd.read_file(path, layer=table) if fmt == "gpkg" else gpd.read_file(path)
    assert len(back) == len(gdf)
    assert list(back.columns) == list(gdf.columns)
    assert back.geometry.geom_equals_exact(gdf.geometry, tolerance=1e-6).all() or table == "places"
    assert list(back[gdf.columns[0]].astype(str)) == list(gdf[gdf.columns[0]].astype(str))


def test_geopackage_holds_one_layer_per_table(analysis, tmp_path):
    import pyogrio

    path = tmp_path / "all.gpkg"
    for table in ["places", "events", "stops", "legs"]:
        write_frame(getattr(analysis, f"{table}_frame")(), path, "gpkg", layer=table)
    assert sorted(name for name, _ in pyogrio.list_layers(path)) == ["events", "legs", "places", "stops"]


def test_typed_columns_and_plain_values(analysis):
    import json

    import pandas as pd

    from geomap.frames import JsonList, plain

    events, stops = analysis.events_frame(), analysis.stops_frame()
    assert isinstance(events["status"].dtype, pd.CategoricalDtype)
    assert list(events["status"].cat.categories[:3]) == ["occurred", "planned", "cancelled"]
    assert pd.api.types.is_datetime64_any_dtype(stops["date"])
    assert str(stops["parent_id"].dtype) == "Int64" and str(events["geonameid"].dtype) == "Int64"
    assert all(isinstance(v, JsonList) for v in events["actors"])
    assert json.loads(str(events["actors"].iloc[0])) == list(events["actors"].iloc[0])
    flat = plain(stops)
    assert flat["status"].dtype == object and all(v is None or isinstance(v, str) for v in flat["date"])
    assert all(v is None or isinstance(v, int) for v in flat["parent_id"])


def test_csv_export_reads_back_with_types(analysis, tmp_path):
    path = tmp_path / "events.csv"
    write_frame(analysis.events_frame(), path, "csv")
    back = gpd.read_file(path, KEEP_GEOM_COLUMNS="NO")
    assert len(back) == len(analysis.events_frame())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "events.csvt"]

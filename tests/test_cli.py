"""The command-line contract, run as a user runs it: a subprocess per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

EXPECTED = {  # name: (lat, lon) within 25 km
    "Sochi": (43.60, 39.73),
    "Vostochny": (51.88, 128.33),
    "Komsomolsk-on-Amur": (50.55, 137.01),
    "Vladivostok": (43.11, 131.87),
    "Moscow": (55.75, 37.62),
    "Minsk": (53.90, 27.57),
}
COUNTRIES = {"Belarus": "BY", "North Korea": "KP", "Russia": "RU", "Ukraine": "UA", "United States": "US"}


def geomap(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "GEOMAP_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "geomap", *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=300
    )


def km(a, b) -> float:
    from geopy.distance import geodesic

    return geodesic(a, b).km


@pytest.fixture(scope="module", autouse=True)
def built(gazetteer):
    """Build the index once before the subprocesses share it."""
    return gazetteer


@pytest.fixture(scope="module")
def places_json():
    r = geomap("places", str(EXAMPLE), "--format", "json")
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def test_places_contract(places_json):
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = {"name", "start", "end", "lat", "lon", "country_code", "kind", "geonameid", "resolved_name", "source", "confidence"}
    starts = [p["start"] for p in places_json]
    assert starts == sorted(starts)
    for p in places_json:
        assert keys <= set(p)
        assert text[p["start"] : p["end"]] == p["name"]
        assert p["kind"] in {"country", "admin", "city", "landmark", "region", "water", "demonym"}


def test_example_places_resolve_within_25_km(places_json):
    for name, where in EXPECTED.items():
        hits = [p for p in places_json if p["name"] == name]
        assert hits, f"{name} not found"
        for p in hits:
            assert km((p["lat"], p["lon"]), where) < 25, (name, p)


def test_example_countries_have_the_right_codes(places_json):
    for name, code in COUNTRIES.items():
        hits = [p for p in places_json if p["name"] == name]
        assert hits, name
        assert all(p["kind"] == "country" and p["country_code"] == code for p in hits), hits


def test_no_person_is_a_place(places_json):
    people = {"Kim", "Putin", "Lukashenko", "Karbalevich", "Vladimir", "Alexander", "Valery", "Jong", "Un"}
    assert not [p for p in places_json if set(p["name"].split()) & people]


def test_itinerary_contract():
    r = geomap("itinerary", str(EXAMPLE), "--format", "json")
    assert r.returncode == 0, r.stderr.decode()
    its = {it["actor"]: it for it in json.loads(r.stdout)}
    kim = its["Kim Jong Un"]
    assert [s["place"] for s in kim["stops"]] == ["Vostochny", "Komsomolsk-on-Amur", "Vladivostok"]
    assert [s["status"] for s in kim["stops"]] == ["occurred", "occurred", "planned"]
    assert all(set(s) >= {"place", "lat", "lon", "date", "status", "evidence"} for s in kim["stops"])
    assert [(leg["from"], leg["to"]) for leg in kim["legs"]] == [("Vostochny", "Komsomolsk-on-Amur"), ("Komsomolsk-on-Amur", "Vladivostok")]
    assert all(leg["km"] > 100 for leg in kim["legs"])


def test_events_geojson_contract():
    r = geomap("events", str(EXAMPLE), "--format", "geojson", "--date", "2023-09-15")
    assert r.returncode == 0, r.stderr.decode()
    fc = json.loads(r.stdout)
    assert fc["type"] == "FeatureCollection"
    props = [f["properties"] for f in fc["features"]]
    assert all(f["geometry"]["type"] == "Point" for f in fc["features"])
    for p in props:
        assert {"event_id", "event_type", "actors", "targets", "action", "place", "date", "date_precision", "status",
                "fatalities", "sentence"} <= set(p)
        assert p["date"] is None or "2023-09-11" <= p["date"] <= "2023-09-17"  # no time phrase, no date
    assert [p["date"] for p in props if p["place"] == "Vostochny"] == ["2023-09-11"]  # "this week"
    actors = lambda p: set(json.loads(p["actors"]) if isinstance(p["actors"], str) else p["actors"])  # noqa: E731
    assert [(actors(p), p["place"], p["status"]) for p in props] == [
        ({"Vladimir Putin", "Alexander Lukashenko"}, "Sochi", "occurred"),
        ({"Vladimir Putin", "Kim Jong Un"}, "Vostochny", "occurred"),
        ({"Kim Jong Un"}, "Komsomolsk-on-Amur", "occurred"),
        ({"Kim Jong Un"}, "Vladivostok", "planned"),
    ]
    assert not {p["place"] for p in props} & {"Ukraine", "United States", "Minsk", "North Korea"}
    sochi = [p for p in props if p["place"] == "Sochi"]
    assert sochi and sochi[0]["status"] == "occurred"
    assert {"Vladimir Putin", "Alexander Lukashenko"} <= set(json.loads(sochi[0]["actors"]) if isinstance(sochi[0]["actors"], str) else sochi[0]["actors"])


@pytest.mark.parametrize("query,where", [
    ("Komsomolsk-na-Amure", (50.55, 137.01)),
    ("Kiev", (50.45, 30.52)),
    ("Kharkov", (49.99, 36.23)),
    ("Владивосток", (43.11, 131.87)),
])
def test_geocode_spelling_variants(query, where):
    r = geomap("geocode", query, "--json")
    assert r.returncode == 0, r.stderr.decode()
    got = json.loads(r.stdout)
    assert km((got["lat"], got["lon"]), where) < 25


def test_python_dash_m_and_map_file(tmp_path):
    out = tmp_path / "map.html"
    r = geomap("map", str(EXAMPLE), "-o", str(out))
    assert r.returncode == 0, r.stderr.decode()
    html = out.read_text(encoding="utf-8")
    assert "Kim Jong Un" in html and "Vladivostok" in html


@pytest.mark.parametrize("content,words", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03binary\x00", "binary"),
    (b"Caf\xe9 in Krak\xf3w", "UTF-8"),
    (None, "no such file"),
])
def test_bad_input_is_one_line_and_non_zero(tmp_path, content, words):
    p = tmp_path / "article.txt"
    if content is not None:
        p.write_bytes(content)
    for cmd in ("places", "map"):
        r = geomap(cmd, str(p), "-o", str(tmp_path / "out.html")) if cmd == "map" else geomap(cmd, str(p))
        err = r.stderr.decode().strip()
        assert r.returncode != 0
        assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err
    assert not (tmp_path / "out.html").exists()


def test_bad_date_is_one_line():
    r = geomap("places", str(EXAMPLE), "--date", "15/09/2023")
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr.decode()


def test_untrusted_text_is_inert_in_the_map(tmp_path):
    art = tmp_path / "evil.txt"
    art.write_text(
        "President Vladimir Putin met <script>alert(1)</script> Alexander Lukashenko in Sochi. "
        "Kim Jong Un arrived in Vladivostok <img src=x onerror=alert(2)> on Monday. "
        "He then toured a factory in Komsomolsk-on-Amur.",
        encoding="utf-8",
    )
    out = tmp_path / "evil.html"
    r = geomap("map", str(art), "-o", str(out), "--offline")
    assert r.returncode == 0, r.stderr.decode()
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror=alert(2)>" not in html
    assert "onerror=alert(2)>" not in html


def test_geocode_forgives_a_misspelling():
    r = geomap("geocode", "Vladivostock", "--json")
    assert r.returncode == 0, r.stderr.decode()
    got = json.loads(r.stdout)
    assert got["name"] == "Vladivostok" and got["match"] == "fuzzy"


def test_geocode_unknown_name_is_one_line_and_non_zero():
    r = geomap("geocode", "Qxzqxzville", "--json")
    assert r.returncode == 1
    assert len(r.stderr.decode().strip().splitlines()) == 1


def test_several_articles_make_one_itinerary_in_date_order(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "b.txt").write_text("SEOUL, Sept. 14, 2023 - President Joe Biden arrived in Tokyo on Wednesday.\n", encoding="utf-8")
    (folder / "a.txt").write_text("WASHINGTON, Sept. 12, 2023 - President Joe Biden visited Hanoi on Monday.\n", encoding="utf-8")
    (folder / "c.txt").write_text("Biden later flew to Seoul on Thursday, Sept. 14, 2023.\n", encoding="utf-8")
    r = geomap("itinerary", str(folder / "c.txt"), str(folder / "b.txt"), str(folder / "a.txt"), "--format", "json")
    assert r.returncode == 0, r.stderr.decode()
    (biden,) = json.loads(r.stdout)
    assert [(s["place"], s["doc_id"]) for s in biden["stops"]] == [("Hanoi", "a"), ("Tokyo", "b"), ("Seoul", "c")]
    r = geomap("events", str(folder), "--format", "json")
    assert r.returncode == 0, r.stderr.decode()
    assert [(e["doc_id"], e["place"]) for e in json.loads(r.stdout)] == [("a", "Hanoi"), ("b", "Tokyo"), ("c", "Seoul")]


# --------------------------------------------------------------------------- shell conventions

import stat  # noqa: E402

SHORT = "Trade envoy Marek Nowak arrived in Minsk on Monday and flew on to Sochi on Wednesday."


@pytest.fixture()
def article(tmp_path) -> Path:
    p = tmp_path / "article.txt"
    p.write_text(SHORT, encoding="utf-8")
    return p


def one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1, r.stderr.decode()
    assert "Traceback" not in lines[0]
    return lines[0]


def test_dash_o_dash_prints_json(article):
    r = geomap("places", str(article), "-o", "-")
    assert r.returncode == 0, r.stderr.decode()
    assert {p["name"] for p in json.loads(r.stdout)} >= {"Minsk", "Sochi"}
    assert not (ROOT / "-").exists()


@pytest.mark.parametrize("command,fmt", [("places", "jsonl"), ("events", "jsonl"), ("itinerary", "jsonl")])
def test_jsonl_is_one_object_per_line(article, command, fmt):
    r = geomap(command, str(article), "--format", fmt, "--date", "2024-03-04")
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode().splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)


@pytest.mark.parametrize("command", ["places", "events", "itinerary"])
def test_csv_and_geojson_go_to_stdout(article, command):
    r = geomap(command, str(article), "--format", "csv", "-o", "-", "--date", "2024-03-04")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().startswith("WKT,")
    r = geomap(command, str(article), "--format", "geojson", "-o", "-", "--date", "2024-03-04")
    assert json.loads(r.stdout)["type"] == "FeatureCollection"


def test_binary_format_to_stdout_is_one_line(article):
    r = geomap("places", str(article), "--format", "parquet", "-o", "-")
    assert r.returncode == 5 and "binary" in one_line(r)


def test_output_onto_a_character_device_never_replaces_it(article, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    dev = tmp_path / "devnull"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for args in (["places", str(article), "-o", str(dev)], ["map", str(article), "-o", str(dev), "--offline"],
                 ["events", str(article), "--format", "csv", "-o", str(dev)]):
        r = geomap(*args)
        assert r.returncode == 5, r.stderr.decode()
        assert "character device" in one_line(r)
        assert stat.S_ISCHR(os.stat(dev).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["article.txt", "devnull"]


def test_output_onto_a_folder_is_refused(article, tmp_path):
    r = geomap("places", str(article), "-o", str(tmp_path))
    assert r.returncode == 5 and "folder" in one_line(r)


def test_dev_zero_and_fifo_inputs_fail_fast(tmp_path):
    r = geomap("places", "/dev/zero")
    assert r.returncode == 2 and "not a regular file" in one_line(r)
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    r = geomap("places", str(fifo))  # would block forever if it were opened and read
    assert r.returncode == 2 and "FIFO" in one_line(r)


def test_utf16_input_is_read(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes(SHORT.encode("utf-16"))
    r = geomap("places", str(p))
    assert r.returncode == 0, r.stderr.decode()
    assert "Minsk" in {x["name"] for x in json.loads(r.stdout)}


def test_lone_surrogates_give_valid_utf8_or_one_line(tmp_path):
    import codecs

    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text(json.dumps({"id": "s1", "text": SHORT + " \ud800 Officials welcomed him."}) + "\n", encoding="utf-8")
    r = geomap("places", str(jsonl))
    assert r.returncode in (0, 2)
    if r.returncode:  # the corpus reader refuses such a document with one line
        assert "surrogate" in one_line(r)
    else:
        json.loads(r.stdout.decode("utf-8"))
    p = tmp_path / "u16.txt"  # UTF-16 can carry a lone surrogate too
    p.write_bytes(codecs.BOM_UTF16_LE + (SHORT + " \ud800 Officials welcomed him.").encode("utf-16-le", "surrogatepass"))
    for command in ("places", "events", "itinerary"):
        r = geomap(command, str(p), "--format", "json", "--date", "2024-03-04")
        assert r.returncode == 0, r.stderr.decode()
        json.loads(r.stdout.decode("utf-8"))
    r = geomap("map", str(p), "-o", str(tmp_path / "m.html"), "--offline")
    assert r.returncode == 0, r.stderr.decode()
    (tmp_path / "m.html").read_bytes().decode("utf-8")


def test_version_quiet_and_verbose(article):
    r = geomap("-V")
    assert r.returncode == 0 and r.stdout.decode().startswith("geomap ")
    text = article.parent / "unknown.txt"
    text.write_text("Marek Nowak flew to Xqzville and then to Minsk.", encoding="utf-8")
    loud = geomap("places", str(text))
    quiet = geomap("places", str(text), "--quiet")
    quiet_first = geomap("--quiet", "places", str(text))
    assert loud.stdout == quiet.stdout == quiet_first.stdout
    assert quiet.stderr == b"" and quiet_first.stderr == b""
    verbose = geomap("places", str(text), "--verbose")
    assert b"places" in verbose.stderr and b" s" in verbose.stderr


def test_user_places_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Inspectors visited the Kestrel Ridge Works near Minsk on Thursday.", encoding="utf-8")
    places = tmp_path / "mine.geojson"
    places.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [28.2, 54.1]},
        "properties": {"name": "Kestrel Ridge Works", "kind": "landmark", "country": "BY", "aliases": ["Kestrel Works"]},
    }]}), encoding="utf-8")
    r = geomap("places", str(p), "--places", str(places))
    assert r.returncode == 0, r.stderr.decode()
    got = {x["name"]: x for x in json.loads(r.stdout)}
    assert got["Kestrel Ridge Works"]["lat"] == pytest.approx(54.1) and got["Kestrel Ridge Works"]["source"] == "user"
    r = geomap("geocode", "Kestrel Works", "--places", str(places), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["lat"] == pytest.approx(54.1)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon\nNowhere,123,0\n", encoding="utf-8")
    r = geomap("places", str(p), "--places", str(bad))
    assert r.returncode == 2 and "lat must be in" in one_line(r)


def test_map_to_stdout(article):
    r = geomap("map", str(article), "-o", "-", "--offline")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.lstrip().startswith(b"<!DOCTYPE html>") and b"Minsk" in r.stdout


def test_every_option_has_help_text():
    import argparse

    from geomap.cli import build_parser

    parser = build_parser()
    missing = []

    def walk(p: argparse.ArgumentParser, where: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{where} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}")

    walk(parser, "geomap")
    assert missing == []


def test_exit_codes_are_in_the_readme():
    from geomap.cli import EXIT_CODES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes"):]
    for code in EXIT_CODES:
        assert f"| {code} |" in section


def test_cache_export_to_stdout_and_never_onto_a_device(tmp_path):
    cache = tmp_path / "cache.sqlite"
    r = geomap("cache", "export", "--cache", str(cache), "-o", "-")
    assert r.returncode == 0, r.stderr.decode()
    assert all(json.loads(line) for line in r.stdout.decode().splitlines())
    if os.geteuid() == 0:
        dev = tmp_path / "devnull"
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        r = geomap("cache", "export", "--cache", str(cache), "-o", str(dev))
        assert r.returncode == 5 and "character device" in one_line(r)
        assert stat.S_ISCHR(os.stat(dev).st_mode)

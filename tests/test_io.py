import datetime as dt

import pytest

from geomap.errors import InputError
from geomap.io import atomic_path, parse_dateline, read_article, write_text


def test_reads_utf8_and_dateline(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("WASHINGTON, Sept. 15, 2023 (Reuters) - Talks began in Paris.", encoding="utf-8")
    a = read_article(p)
    assert a.date == dt.date(2023, 9, 15) and a.doc_id == "a"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Caf\u00e9 in Kraków".encode("latin-1", "replace"), "UTF-8"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, data, message):
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read_article(p)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_article(tmp_path / "nope.txt")


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_no_dateline():
    assert parse_dateline("MOSCOW: Putin met Lukashenko.") is None


# --------------------------------------------------------------------------- bounded, typed reads

import os  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from geomap.errors import OutputError  # noqa: E402
from geomap.io import MAX_BYTES, csv_safe, decode_article, read_bounded, write_frame  # noqa: E402


def test_the_size_cap_counts_bytes_read(tmp_path, monkeypatch):
    p = tmp_path / "big.txt"
    p.write_bytes(b"Talks in Minsk. " * 200)
    assert read_bounded(p, limit=4000) == p.read_bytes()
    with pytest.raises(InputError, match="larger than"):
        read_bounded(p, limit=1000)


def test_character_devices_and_fifos_are_refused_at_once(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        read_article("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        read_article(fifo)  # never blocks waiting for a writer


def test_uncapped_stdin_fails_with_one_line(tmp_path):
    code = "import sys; sys.exit(__import__('geomap.cli', fromlist=['main']).main(['places', '-', '--offline']))"
    with open("/dev/zero", "rb") as zero:
        r = subprocess.run([sys.executable, "-c", code], stdin=zero, capture_output=True, timeout=120,
                           env={**os.environ, "GEOMAP_OFFLINE": "1"})
    assert r.returncode == 2
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "larger than 20 MiB" in lines[0]


def test_utf16_with_bom_is_decoded(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("The envoy flew to Kraków.".encode("utf-16"))
    assert read_article(p).text == "The envoy flew to Kraków."
    p.write_bytes(codecs_bom_be("Talks in Minsk."))
    assert read_article(p).text == "Talks in Minsk."


def codecs_bom_be(text: str) -> bytes:
    import codecs

    return codecs.BOM_UTF16_BE + text.encode("utf-16-be")


def test_lone_surrogates_become_replacement_characters():
    raw = "Talks in Minsk \ud800 ended.".encode("utf-16-le", "surrogatepass")
    import codecs

    text = decode_article(codecs.BOM_UTF16_LE + raw, "x")
    assert "\ud800" not in text and "\ufffd" in text
    text.encode("utf-8")  # valid UTF-8 now


# --------------------------------------------------------------------------- writes


def test_atomic_writer_never_replaces_a_device(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    dev = tmp_path / "null"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null
    with pytest.raises(OutputError, match="character device"):
        write_text(dev, "hello")
    assert stat.S_ISCHR(os.stat(dev).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]  # no temporary left either


def test_atomic_writer_refuses_folders_and_fifos(tmp_path):
    with pytest.raises(OutputError, match="folder"):
        write_text(tmp_path, "x")
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        write_text(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_writes_through_a_symlink_update_the_file(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_csv_cells_cannot_be_formulas():
    for bad in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"):
        assert csv_safe(bad) == "'" + bad
    assert csv_safe("Sochi") == "Sochi" and csv_safe(3) == 3 and csv_safe(None) is None


def _frame():
    import geopandas as gpd
    from shapely.geometry import Point

    return gpd.GeoDataFrame(
        {"sentence": ['=HYPERLINK("http://example.invalid","x") met in Sochi', "Plain text"],
         "actors": [["@admin", "Putin"], []], "km": [-3.5, 2.0]},
        geometry=[Point(39.7, 43.6), Point(27.6, 53.9)], crs="EPSG:4326",
    )


def test_csv_export_is_neutralised_and_leaves_no_temporaries(tmp_path):
    import csv

    target = tmp_path / "events.csv"
    write_frame(_frame(), target, "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "events.csvt"]
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows[0]["sentence"].startswith("'=HYPERLINK")
    assert rows[0]["actors"].startswith("'[") or rows[0]["actors"].startswith('["')
    assert rows[0]["km"] == "-3.5"  # numbers stay numbers


def test_csv_and_geojson_to_standard_output(capsysbinary):
    write_frame(_frame(), "-", "csv")
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith("WKT,") and "'=HYPERLINK" in out
    write_frame(_frame(), "-", "geojson")
    import json

    assert json.loads(capsysbinary.readouterr().out)["type"] == "FeatureCollection"
    with pytest.raises(OutputError, match="binary"):
        write_frame(_frame(), "-", "parquet")

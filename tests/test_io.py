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

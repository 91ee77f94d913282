"""The package as users get it: verbs through ``import geomap``, the wheel in a fresh environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

SENTENCES = (
    "Foreign ministers from Minsk and Ankara met in Sochi on Tuesday. "
    "The Belarusian minister later flew to Vladivostok, and he is due in Khabarovsk on Friday."
)


def run_python(code: str, *, python: str = sys.executable, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run([python, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "GEOMAP_OFFLINE": "1", **(env or {})})


def _fresh_env() -> dict:
    """The environment for the fresh venv: nothing on PYTHONPATH may bring another geomap in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, "GEOMAP_OFFLINE": "1"}


def test_verbs_stay_callable_in_any_order(gazetteer):
    """A fresh interpreter: events twice, itinerary after, places, then after importing the submodules."""
    r = run_python(f"""
        import importlib
        import geomap
        text = {SENTENCES!r}
        assert "geopandas" not in __import__("sys").modules  # import geomap stays light
        first = geomap.events(text, date="2023-09-12")
        second = geomap.events(text, date="2023-09-12")
        assert len(first) == len(second) > 0
        stops = geomap.itinerary(text, date="2023-09-12")
        assert "legs" in stops.attrs
        places = geomap.places(text)
        assert "Sochi" in set(places["name"])
        import geomap.events, geomap.itinerary, geomap.frames
        from geomap.events import extract_events
        importlib.import_module("geomap.itinerary")
        assert callable(geomap.events) and callable(geomap.itinerary) and callable(geomap.places)
        assert len(geomap.events(text, date="2023-09-12")) == len(first)
        assert len(geomap.itinerary(text)) == len(stops)
        assert geomap.analyse(text).places and geomap.build_map(text, offline=True) is not None
        import geomap.events.extract as extract_module  # the module is still reachable by its dotted name
        assert extract_module.__name__ == "geomap.events.extract"
        assert geomap.events.extract_events is extract_events
        from unittest import mock
        with mock.patch("geomap.events.extract_events", lambda *a, **k: []):
            from geomap.events import extract_events as patched
            assert patched is not extract_events
        from geomap.events import extract_events as restored
        assert restored is extract_events
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_python_m_geomap_is_the_console_script():
    script = Path(sys.executable).with_name("geomap")
    a = subprocess.run([sys.executable, "-m", "geomap", "-V"], capture_output=True, text=True, timeout=60)
    b = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and a.stdout.startswith("geomap ")


def test_index_name_carries_the_fingerprint(tmp_path):
    from geomap.settings import Settings, find_gazetteer_sources

    mine = tmp_path / "sources"
    shutil.copytree(find_gazetteer_sources(), mine)
    a = Settings(cache_dir=tmp_path, gazetteer_sources=find_gazetteer_sources()).gazetteer_file
    b = Settings(cache_dir=tmp_path, gazetteer_sources=mine).gazetteer_file
    assert a == b  # same content, same index
    with open(mine / "landmarks.tsv", "a", encoding="utf-8") as f:
        f.write("Test Works\t50.0\t10.0\tlandmark\tDE\tINSM\t\t\n")
    c = Settings(cache_dir=tmp_path, gazetteer_sources=mine).gazetteer_file
    assert c != a and c.name.startswith("gazetteer-") and c.suffix == ".sqlite"
    assert Settings(gazetteer_path=tmp_path / "x.sqlite").gazetteer_file == tmp_path / "x.sqlite"


def test_first_build_reports_progress_when_asked(monkeypatch, tmp_path):
    """The build's steps go to stderr with progress on (the default on a terminal), and not with --quiet."""
    import geomap.api as api
    from geomap.gazetteer import Gazetteer

    calls = []
    monkeypatch.setattr(Gazetteer, "open", classmethod(lambda cls, **kw: calls.append(kw["progress"]) or "gaz"))
    api._open_gazetteer_cached.cache_clear()
    from geomap.settings import Settings

    try:
        assert api.open_gazetteer(Settings(cache_dir=tmp_path, progress=True)) == "gaz"
        api.open_gazetteer(Settings(cache_dir=tmp_path / "q", progress=False))
    finally:
        api._open_gazetteer_cached.cache_clear()
    assert calls == [True, False]


def _copy_source(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "geomap", dest / "geomap", ignore=ignore)
    shutil.copytree(ROOT / "gazetteer", dest / "gazetteer", ignore=ignore)
    return dest


@pytest.mark.wheel
def test_wheel_in_a_fresh_environment_gives_the_editable_results(tmp_path, gazetteer):
    """Build the wheel, install it alone into a new venv (dependencies seen through a .pth), run the example."""
    src = _copy_source(tmp_path / "src")
    dist = tmp_path / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    wheel = next(dist.glob("geomap-*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for tsv in ("landmarks.tsv", "aliases.tsv", "regions.tsv", "water.tsv", "demonyms.tsv", "countries.tsv"):
        assert f"geomap/data/gazetteer/{tsv}" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    vpy = venv / "bin" / "python"
    purelib = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies come from this environment's site-packages (its .pth files, such as the
    # editable geomap's, are not run from a path entry), geomap itself only from the wheel
    Path(purelib, "_geomap_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "-q", "--no-deps", "--no-index", str(wheel)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

    work = tmp_path / "elsewhere"
    work.mkdir()
    r = subprocess.run(
        [str(vpy), "-c", "import geomap, geomap.settings as s; st = s.from_env(); "
                         "print(geomap.__file__); print(st.gazetteer_sources); print(st.gazetteer_file.name)"],
        capture_output=True, text=True, timeout=300, cwd=work, env=_fresh_env())
    assert r.returncode == 0, r.stderr
    module, sources, index = r.stdout.split("\n")[:3]
    assert module.startswith(str(venv)) and sources.startswith(str(venv)), r.stdout
    from geomap.settings import from_env

    assert index == from_env().gazetteer_file.name  # same fingerprint: the very same index

    example = work / "article.txt"
    shutil.copy2(EXAMPLE, example)
    installed = subprocess.run([str(venv / "bin" / "geomap"), "places", str(example), "-o", "-"], capture_output=True,
                               text=True, timeout=300, cwd=work, env=_fresh_env())
    assert installed.returncode == 0, installed.stderr
    editable = subprocess.run([sys.executable, "-m", "geomap", "places", str(example), "-o", "-"], capture_output=True,
                              text=True, timeout=300, cwd=ROOT, env={**os.environ, "GEOMAP_OFFLINE": "1"})
    assert json.loads(installed.stdout) == json.loads(editable.stdout)
    vostochny = next(p for p in json.loads(installed.stdout) if p["name"].startswith("Vostochny"))
    assert vostochny["kind"] == "landmark" and abs(vostochny["lat"] - 51.88) < 0.2
    # the README's example: an offline map and a PNG need the shipped basemap and assets
    r = subprocess.run([str(venv / "bin" / "geomap"), "map", str(example), "--offline", "-o", "out/map.html",
                        "--png", "out/map.png"], capture_output=True, text=True, timeout=300, cwd=work, env=_fresh_env())
    assert r.returncode == 0, r.stderr
    html = (work / "out" / "map.html").read_text(encoding="utf-8")
    assert "Kim Jong Un" in html and "cdn.jsdelivr" not in html
    assert (work / "out" / "map.png").read_bytes().startswith(b"\x89PNG")


def test_a_first_build_on_a_terminal_shows_its_progress(tmp_path):
    """A real first run with stderr on a pseudo-terminal: the build says what it does (once, ~30 s)."""
    import pty
    import select

    master, slave = pty.openpty()
    article = tmp_path / "a.txt"
    article.write_text("Talks opened in Minsk.", encoding="utf-8")
    env = {**os.environ, "GEOMAP_OFFLINE": "1", "GEOMAP_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("GEOMAP_GAZETTEER", None)
    proc = subprocess.Popen([sys.executable, "-m", "geomap", "places", str(article)], stdout=subprocess.PIPE,
                            stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 600)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=600)
    os.close(master)
    assert proc.returncode == 0, seen.decode(errors="replace")
    text = seen.decode(errors="replace")
    assert "building the gazetteer index" in text and "gazetteer: compiled" in text and "gazetteer: wrote" in text
    assert json.loads(out)[0]["name"] == "Minsk"
    assert [p.name for p in (tmp_path / "cache").glob("gazetteer-*.sqlite")]

"""Shared fixtures. The real gazetteer index is built once per test run in a private cache folder."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sochi-summit.txt"
EVAL_DIR = ROOT.parent / "shared" / "eval"

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Tests never touch the network and never write to the user's own cache.
os.environ["GEOMAP_OFFLINE"] = "1"
os.environ.setdefault("GEOMAP_CACHE_DIR", str(ROOT / ".pytest_cache" / "geomap-cache"))


@pytest.fixture(scope="session")
def gazetteer():
    """The real gazetteer, built (once) from the installed GeoNames data and gazetteer/ sources."""
    import geomap

    return geomap.open_gazetteer()


@pytest.fixture()
def fake_gazetteer():
    from fakes import FakeGazetteer

    return FakeGazetteer()


@pytest.fixture(scope="session")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("chromium is not installed")
    return path

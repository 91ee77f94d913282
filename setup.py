"""Build hook: ship the curated gazetteer sources inside the package.

The curated files live in ``gazetteer/`` at the top of the repository, beside the scripts that
make data (kept out of the wheel). A built package gets a copy in ``geomap/data/gazetteer/``,
the second place :func:`geomap.settings.find_gazetteer_sources` looks, so a wheel install
builds the same index as a source checkout. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CURATED = HERE / "gazetteer"


class build_py_with_gazetteer(build_py):  # noqa: N801 - setuptools command naming
    def run(self) -> None:
        super().run()
        dest = Path(self.build_lib) / "geomap" / "data" / "gazetteer"
        dest.mkdir(parents=True, exist_ok=True)
        for src in sorted(CURATED.glob("*.tsv")) + [CURATED / "README.md"]:
            if src.is_file():
                shutil.copy2(src, dest / src.name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        dest = Path(self.build_lib) / "geomap" / "data" / "gazetteer"
        return [*super().get_outputs(include_bytecode), *(str(dest / p.name) for p in sorted(CURATED.glob("*.tsv")))]


setup(cmdclass={"build_py": build_py_with_gazetteer})

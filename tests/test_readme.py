"""The README's Python snippets run as written, twice in one interpreter, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT

BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_readme_python_runs_twice_in_one_session(gazetteer):
    blocks = BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    program = (
        "import sys\n"
        f"blocks = {blocks!r}\n"
        "for round in (1, 2):\n"
        "    for i, code in enumerate(blocks):\n"
        "        try:\n"
        "            exec(compile(code, f'README block {i + 1}', 'exec'), {})\n"
        "        except Exception as exc:\n"
        "            sys.exit(f'round {round}, README block {i + 1}: {type(exc).__name__}: {exc}')\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**os.environ, "GEOMAP_OFFLINE": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("ok")

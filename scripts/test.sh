#!/usr/bin/env bash
# Set up a virtual environment with geomap and its test tools, then run the tests.
# Installs Debian's chromium (for the browser tests) when it is missing and we are root.
# Among the tests, tests/test_package.py builds the wheel (pip wheel --no-deps), installs it alone
# into a fresh virtual environment and runs the example there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium (browser tests)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing geomap and test dependencies"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

echo "== running tests"
exec .venv/bin/python -m pytest -q "$@"

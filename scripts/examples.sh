#!/usr/bin/env bash
# Sets up a venv, builds the release wheel (scripts/wheel.sh) and installs it, and
# runs every example offline against the bundled emulator. Needs only Python 3 and Rust.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
bash scripts/wheel.sh
WHEEL=$(ls "${DIST:-dist}"/*.whl)
# Every build has the same version number: replace whatever is installed (an editable install too).
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$VENV/bin/python" examples/run_offline.py

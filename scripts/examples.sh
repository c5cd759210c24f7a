#!/usr/bin/env bash
# Sets up a venv, builds and installs bedrock-cris (release), and runs every
# example offline against the bundled emulator. Needs only Python 3 and Rust.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q .
"$VENV/bin/python" examples/run_offline.py

#!/usr/bin/env bash
# Sets up a venv, builds and installs bedrock-cris (release) with its dev
# extras, checks the generated code is current, and runs every test: the Rust
# unit tests and the Python suite (emulator, facade, differential vs boto3).
# Needs only Python 3 and Rust. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q ".[dev]"
"$VENV/bin/python" codegen/generate.py --check
cargo test -q -p bedrock-cris-emulator
cargo test -q -p bedrock-cris --lib
"$VENV/bin/python" -m pytest -q "$@"

#!/usr/bin/env bash
# Sets up a venv, builds the release wheel (scripts/wheel.sh) and installs it with
# the dev extras, checks the generated code is current, and runs every test: the
# Rust unit tests and the Python suite (emulator, facade, differential vs boto3).
# The tests run on the artifact a release ships, and its one release build serves
# the examples and scripts/wheel_check.sh too. Needs only Python 3 and Rust.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
# The differential tests also run against the newest botocore on the package index, pinned
# here (bumped on purpose, so CI never turns red by itself). While it is the model's own pin
# (the dev extra), the main run below is that run.
NEWEST_BOTOCORE="${BEDROCK_CRIS_NEWEST_BOTOCORE:-1.44.8}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
bash scripts/wheel.sh
WHEEL=$(ls "${DIST:-dist}"/*.whl)
# Every build has the same version number: replace whatever is installed (an editable install too).
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$VENV/bin/python" -m pip install -q "$WHEEL[dev]"
"$VENV/bin/python" codegen/generate.py --check
cargo test -q -p bedrock-cris-emulator
cargo test -q -p bedrock-cris --lib
"$VENV/bin/python" -m pytest -q "$@"
# The framework tests (tests/integrations/) in a venv of their own, so the frameworks'
# dependencies never move the dev extra's pins. Each line of requirements.txt is installed on
# its own; one that cannot be installed is reported and its tests skip, saying why.
INTEGRATIONS_VENV="$VENV-integrations"
[ -x "$INTEGRATIONS_VENV/bin/python" ] || python3 -m venv "$INTEGRATIONS_VENV"
"$INTEGRATIONS_VENV/bin/python" -m pip install -q --upgrade pip
"$INTEGRATIONS_VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$INTEGRATIONS_VENV/bin/python" -m pip install -q "$WHEEL[dev,otel]"
while read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # a line may name a framework and a companion package
    "$INTEGRATIONS_VENV/bin/python" -m pip install -q $line \
        || echo "tests/integrations: could not install $line; its tests are skipped"
done < tests/integrations/requirements.txt
"$INTEGRATIONS_VENV/bin/python" -m pytest -q tests/integrations
MODEL_BOTOCORE=$("$VENV/bin/python" -c "from bedrock_cris import _model; print(_model.BOTOCORE_VERSION)")
if [ "$NEWEST_BOTOCORE" != "$MODEL_BOTOCORE" ]; then
    NEWEST_VENV="$VENV-botocore-newest"
    [ -x "$NEWEST_VENV/bin/python" ] || python3 -m venv "$NEWEST_VENV"
    "$NEWEST_VENV/bin/python" -m pip install -q --upgrade pip
    "$NEWEST_VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
    "$NEWEST_VENV/bin/python" -m pip install -q "$WHEEL[dev]"
    # Over the dev extra's pins (pip says so): this venv exists to differ from them.
    "$NEWEST_VENV/bin/python" -m pip install -q "botocore==$NEWEST_BOTOCORE" "boto3==$NEWEST_BOTOCORE"
    echo "differential tests against botocore $NEWEST_BOTOCORE (the model's is $MODEL_BOTOCORE)"
    "$NEWEST_VENV/bin/python" -m pytest -q tests/test_differential.py \
        tests/test_property_differential.py tests/test_botocore_exceptions.py \
        tests/test_boto3_scripts.py tests/test_retries.py tests/test_bridge.py
fi

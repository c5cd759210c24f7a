#!/usr/bin/env bash
# Installs the release artifacts in dist/ (scripts/wheel.sh builds them) the way users do, and
# runs the examples and the smoke tests from there:
#   - the wheel, into a fresh venv for every CPython the package claims (its classifiers), with
#     no cargo or rustc reachable and binaries only, so nothing can quietly build from source;
#     a claimed CPython that cannot be found here fails the check;
#   - the sdist, into another fresh venv, compiled from the sdist's own sources (this one may
#     use Rust). It is built as the wheel is (zig, manylinux2014) in the wheel's build cache,
#     so the registry crates are reused and only the two crates of this project compile.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIST="${DIST:-dist}"
CHECK_VENVS="${WHEEL_CHECK_VENVS:-$ROOT/.venv-wheel-check}"
export CARGO_TARGET_DIR="${WHEEL_TARGET_DIR:-$ROOT/target-wheel}"
wheel=$(ls "$ROOT/$DIST"/*.whl)
sdist=$(ls "$ROOT/$DIST"/*.tar.gz)
# No boto3 needed: these run on every claimed CPython, including those boto3 no longer supports.
SMOKE_TESTS=(tests/test_package.py tests/test_import.py tests/test_native_api.py
    tests/test_async.py tests/test_bidirectional.py tests/test_process.py)
# Facade-vs-boto3 tests, where the dev extra's boto3 pin installs.
BOTO3_SMOKE_TESTS=(tests/test_facade.py tests/test_streams.py)
BOTO3_PIN=$(grep -o '"boto3==[^"]*"' pyproject.toml | tr -d '"')
BOTOCORE_PIN=$(grep -o '"botocore==[^"]*"' pyproject.toml | tr -d '"')
claimed=$(grep -o '"Programming Language :: Python :: 3\.[0-9]*"' pyproject.toml | grep -o '3\.[0-9]*')

# A CPython X.Y: Debian's, or one of pyenv's (not its shims, which answer for the selected one).
find_python() {
    local version=$1 candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/"python$version" \
        "/usr/local/bin/python$version" "/usr/bin/python$version"; do
        if [ -x "$candidate" ] && [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$version" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# PATH without any folder that holds cargo or rustc.
path_without_rust() {
    local dir kept=()
    IFS=: read -ra dirs <<<"$PATH"
    for dir in "${dirs[@]}"; do
        [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || kept+=("$dir")
    done
    (IFS=:; echo "${kept[*]}")
}

# Runs the examples and the smoke tests with the bedrock_cris installed in the venv $1.
smoke() {
    local venv=$1 tests=("${SMOKE_TESTS[@]}")
    "$venv/bin/python" - "$venv" <<'PY'
import sys, bedrock_cris
assert bedrock_cris.__file__.startswith(sys.argv[1]), f"imported {bedrock_cris.__file__}, not the venv's"
assert bedrock_cris.build_profile == "release", bedrock_cris.build_profile
PY
    "$venv/bin/python" -m bedrock_cris --version
    "$venv/bin/python" examples/run_offline.py
    if "$venv/bin/python" -m pip install -q --only-binary=:all: "$BOTO3_PIN" "$BOTOCORE_PIN" 2>/dev/null; then
        tests+=("${BOTO3_SMOKE_TESTS[@]}")
    else
        echo "$BOTO3_PIN does not install on $("$venv/bin/python" -V): ${BOTO3_SMOKE_TESTS[*]} not run there"
    fi
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}"
}

rm -rf "$CHECK_VENVS"
mkdir -p "$CHECK_VENVS"
NO_RUST_PATH=$(path_without_rust)
tested=()
for version in $claimed; do
    python=$(find_python "$version") || {
        echo "wheel_check.sh: the package claims Python $version, but no CPython $version is installed here" >&2
        exit 1
    }
    venv="$CHECK_VENVS/wheel-py$version"
    echo "=== wheel on $("$python" -V) ($python), no Rust toolchain on PATH"
    start=$SECONDS
    "$python" -m venv "$venv"
    (
        export PATH="$NO_RUST_PATH" CARGO_HOME=/nonexistent RUSTUP_HOME=/nonexistent
        if command -v cargo || command -v rustc; then
            echo "wheel_check.sh: a Rust toolchain is still reachable" >&2
            exit 1
        fi
        "$venv/bin/python" -m pip install -q --upgrade --only-binary=:all: pip
        # The numpy extra too: the native API returns embeddings as arrays with it.
        "$venv/bin/python" -m pip install -q --only-binary=:all: "$wheel[numpy]" pytest
        smoke "$venv"
    )
    tested+=("$version")
    echo "=== wheel on Python $version passed in $((SECONDS - start)) s"
done

echo "=== sdist $(basename "$sdist"), built from its sources"
start=$SECONDS
venv="$CHECK_VENVS/sdist"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# The build backend's module, pinned as for the wheel (no build isolation: see below).
"$venv/bin/python" -m pip install -q -r scripts/release-tools.txt pytest
(
    # The backend runs the first maturin on PATH, and maturin's zig wrappers (whose paths are in
    # every cached crate's fingerprint) are named after that maturin and the python3 on PATH:
    # scripts/wheel.sh's, so the crates it built are reused.
    export PATH="$ROOT/${RELEASE_TOOLS_VENV:-.venv-release}/bin:$PATH"
    export MATURIN_PEP517_ARGS="--zig --compatibility manylinux2014"
    "$venv/bin/python" -m pip install -q --no-build-isolation "$sdist[numpy]"
)
smoke "$venv"
echo "=== sdist passed in $((SECONDS - start)) s"
echo "wheel_check.sh: the wheel passed on CPython ${tested[*]}; the sdist built and passed"

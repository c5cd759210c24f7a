#!/usr/bin/env bash
# Builds the release artifacts into dist/: the abi3 wheel (one wheel for every supported
# CPython), manylinux2014, linked by zig from PyPI against glibc 2.17 so it installs on any
# Linux from 2014 on whatever this machine's glibc is; and the sdist. Then checks them as a
# release would: `auditwheel show` must find the wheel consistent with manylinux_2_17, and
# `twine check --strict` must pass for both. Prints the wheel's size. Needs Python 3 and Rust.
#
# The wheel's build cache is target-wheel/ (its own: zig's flags differ from a plain build's).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${RELEASE_TOOLS_VENV:-.venv-release}"
DIST="${DIST:-dist}"
export CARGO_TARGET_DIR="${WHEEL_TARGET_DIR:-$PWD/target-wheel}"
[ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
"$TOOLS/bin/python" -m pip install -q --upgrade pip
"$TOOLS/bin/python" -m pip install -q -r scripts/release-tools.txt
# maturin finds zig as `python3 -m ziglang`: the tools venv's python3 comes first.
export PATH="$PWD/$TOOLS/bin:$PATH"

rm -rf "$DIST"
start=$SECONDS
maturin build --release --zig --compatibility manylinux2014 --out "$DIST"
echo "wheel built in $((SECONDS - start)) s"
maturin sdist --out "$DIST"
wheel=$(ls "$DIST"/*.whl)
sdist=$(ls "$DIST"/*.tar.gz)

# auditwheel reads the extension's symbol versions and libraries, not the tag maturin wrote.
audit=$(auditwheel show "$wheel")
echo "$audit"
if ! grep -q '"manylinux_2_17_x86_64"' <<<"$audit"; then
    echo "wheel.sh: auditwheel does not find $wheel consistent with manylinux2014" >&2
    exit 1
fi
twine check --strict "$wheel" "$sdist"
python3 scripts/wheel_size.py "$wheel"

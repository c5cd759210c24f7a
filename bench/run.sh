#!/usr/bin/env bash
# The benchmark suite, one command: sets up bench/.venv (this package from the
# working tree, boto3, aioboto3, numpy), builds the Rust floor (bench/floor) in
# release, starts the emulator in its own process (fast mode, no delays), runs
# every scenario for every contender and writes bench/RESULTS.md (with the Ray
# scenario, bench/ray_embed.py, which starts its own local Ray).
#
#   bash bench/run.sh            # the full suite (~10 minutes on 2 cores)
#   bash bench/run.sh --smoke    # tiny counts: checks that everything still runs
#   bash bench/run.sh --only quota   # the quota scenario (bench/quota.py) alone
#   bash bench/run.sh --only paced   # 1,000 paced streams (bench/paced_streams.py) alone
#
# Extra arguments go to bench/suite.py (e.g. --only sequential,stream).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BENCH_VENV:-bench/.venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-bench}"

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# aioboto3 pins aiobotocore, which pins botocore: pip picks the boto3 that fits;
# RESULTS.md records the versions it chose.
"$VENV/bin/python" -m pip install -q "aioboto3>=15" boto3 numpy "ray[data]>=2.40"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps .
BUILT="commit $(git rev-parse --short HEAD)"
[ -z "$(git status --porcelain -- src python emulator Cargo.toml Cargo.lock pyproject.toml)" ] ||
  BUILT="$BUILT with uncommitted changes"

cargo build -q --release --manifest-path bench/floor/Cargo.toml
FLOOR="$CARGO_TARGET_DIR/release/bedrock-cris-floor"

exec "$VENV/bin/python" bench/suite.py --floor "$FLOOR" --built-from "$BUILT" "$@"

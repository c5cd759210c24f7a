"""The installed distribution describes itself: one version everywhere (Cargo.toml's), the
aws-sdk-bedrockruntime that Cargo.lock resolved, the extras users install, and
``python -m bedrock_cris --version``. Run against the wheel by scripts/wheel_check.sh."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import bedrock_cris

ROOT = Path(__file__).resolve().parent.parent


def cargo_package_version() -> str:
    manifest = (ROOT / "Cargo.toml").read_text()
    package = manifest.split("[package]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version = "([^"]+)"', package, re.MULTILINE)
    assert match, "Cargo.toml's [package] has no version"
    return match.group(1)


def locked_sdk_version() -> str:
    lock = (ROOT / "Cargo.lock").read_text()
    match = re.search(r'name = "aws-sdk-bedrockruntime"\nversion = "([^"]+)"', lock)
    assert match, "aws-sdk-bedrockruntime is not in Cargo.lock"
    return match.group(1)


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bedrock_cris", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_one_version_in_the_module_the_metadata_and_cargo() -> None:
    assert bedrock_cris.__version__ == metadata.version("bedrock-cris") == cargo_package_version()


def test_version_command_names_the_sdk_it_was_built_with() -> None:
    completed = run_module("--version")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == (
        f"bedrock-cris {bedrock_cris.__version__} (aws-sdk-bedrockruntime "
        f"{locked_sdk_version()}, {bedrock_cris.build_profile} build)"
    )


def test_bare_command_explains_itself() -> None:
    completed = run_module()
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: python -m bedrock_cris")
    assert "bedrock_cris.emulator" in completed.stdout


def test_unknown_option_is_refused() -> None:
    completed = run_module("--frobnicate")
    assert completed.returncode == 2
    assert "unrecognized arguments: --frobnicate" in completed.stderr


def test_metadata_users_rely_on() -> None:
    meta = metadata.metadata("bedrock-cris")
    assert {"numpy", "notebook", "ray", "otel"} <= set(meta.get_all("Provides-Extra") or [])
    assert meta["License-Expression"] == "Apache-2.0"
    classifiers = meta.get_all("Classifier") or []
    this_python = "Programming Language :: Python :: {}.{}".format(*sys.version_info[:2])
    assert this_python in classifiers, (
        f"this interpreter is not one the package claims: {this_python}"
    )

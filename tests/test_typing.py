"""The stubs match the native module, and the package type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "bedrock_cris"

pytest.importorskip("mypy")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=300
    )


def test_native_stub_matches_the_module() -> None:
    result = run("mypy.stubtest", "bedrock_cris._native")
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_type_checks() -> None:
    result = run("mypy", "--ignore-missing-imports", str(PACKAGE))
    assert result.returncode == 0, result.stdout + result.stderr

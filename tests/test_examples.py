"""Each example prints, byte for byte, what its boto3 original prints against
the same emulator. The original is the example with its imports put back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

from run_offline import example_scripts, offline_environment  # noqa: E402

BOTO3_IMPORTS = {
    "import bedrock_cris as boto3": "import boto3",
    "from bedrock_cris.exceptions import ClientError": "from botocore.exceptions import ClientError",
}


def as_boto3_original(source: str) -> str:
    """The example's source with boto3's imports: the only lines that may differ."""
    for ours, theirs in BOTO3_IMPORTS.items():
        source = source.replace(ours, theirs)
    assert "bedrock_cris" not in source.replace('"""', ""), "only import lines may differ"
    return source


def run(script: Path, env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.parametrize("script", example_scripts(), ids=lambda p: p.name)
def test_example_prints_what_boto3_prints(script: Path, emulator: Any, tmp_path: Path) -> None:
    env = offline_environment(emulator.endpoint_url)
    original = tmp_path / script.name
    original.write_text(as_boto3_original(script.read_text()))
    ours = run(script, env)
    theirs = run(original, env)
    assert ours == theirs
    assert "Error" not in ours, ours  # the happy path ran, not the except branch
    assert ours.strip()

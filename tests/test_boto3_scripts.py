"""Realistic boto3 scripts (tests/boto3_scripts/*.py) print, byte for byte, the same under
boto3 and under ``import bedrock_cris as boto3``.

Each script runs twice in a child process: as written (real boto3), then with only its line
``import boto3`` replaced by ``import bedrock_cris as boto3``. Both runs see the same
environment: bedrock-runtime's endpoint is the emulator (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``,
SigV4 checked against the suite's test keys), S3's and STS's are moto's server
(``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_STS``), and before each run the emulator and
moto are reset and the script's faults injected again. The scripts keep their botocore
imports (``Config``, ``ClientError``, ``ParamValidationError``, ``EndpointConnectionError``...)
and catch them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _moto_server import moto_server
from conftest import TEST_CREDENTIALS

__all__ = ["moto_server"]  # one moto server for the session, shared with test_other_services*

SCRIPTS = Path(__file__).resolve().parent / "boto3_scripts"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
ACCESS_KEY = "test"


#: Faults each script meets, injected into the emulator before each of its two runs.
FAULTS: dict[str, Callable[[Any], None]] = {
    # Haiku is always throttled (retries run out), Sonnet once (the SDK's retry succeeds).
    "throttling_fallback.py": lambda emulator: (
        emulator.throttle(HAIKU),
        emulator.throttle(SONNET, times=1),
    ),
    "validation_errors.py": lambda emulator: emulator.fail(
        SONNET,
        "ValidationException",
        "The maximum tokens you requested exceeds the model limit of 64000. Try again with "
        "a maximum tokens value that is lower than 64000.",
    ),
}


def scripts() -> list[Path]:
    return sorted(p for p in SCRIPTS.glob("*.py") if not p.name.startswith("_"))


def as_bedrock_cris(source: str) -> str:
    """The script with its one ``import boto3`` line made ``import bedrock_cris as boto3``."""
    lines = source.splitlines(keepends=True)
    imports = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == "import boto3"]
    assert len(imports) == 1, "a script imports boto3 on exactly one line"
    assert "bedrock_cris" not in source
    lines[imports[0]] = "import bedrock_cris as boto3\n"
    return "".join(lines)


def closed_port_url() -> str:
    """An endpoint on a loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def environment(emulator: Any, moto: str, bedrock_endpoint: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=TEST_CREDENTIALS[ACCESS_KEY],
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock_endpoint or emulator.endpoint_url,
        AWS_ENDPOINT_URL_S3=moto,
        AWS_ENDPOINT_URL_STS=moto,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.mark.parametrize("script", scripts(), ids=lambda p: p.stem)
def test_script_prints_the_same_under_boto3_and_bedrock_cris(
    script: Path, emulator: Any, moto_server: Any, tmp_path: Path
) -> None:
    source = script.read_text()
    bedrock_endpoint = closed_port_url() if script.name == "connection_errors.py" else None
    env = environment(emulator, moto_server.url, bedrock_endpoint)
    runs: dict[str, tuple[subprocess.CompletedProcess[bytes], list[Any]]] = {}
    for name, text in (("boto3", source), ("bedrock_cris", as_bedrock_cris(source))):
        emulator.reset_all()
        moto_server.reset()
        FAULTS.get(script.name, lambda emulator: None)(emulator)
        path = tmp_path / name / script.name
        path.parent.mkdir()
        path.write_text(text)
        completed = subprocess.run(
            [sys.executable, str(path)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        seen = [(r["method"], r["path"], r["fault"], r["auth_error"]) for r in emulator.requests]
        runs[name] = (completed, seen)
    theirs, their_requests = runs["boto3"]
    ours, our_requests = runs["bedrock_cris"]
    assert theirs.returncode == 0, theirs.stderr.decode(errors="replace")
    assert theirs.stdout.endswith(b"done\n"), theirs.stdout
    assert ours.returncode == 0, ours.stderr.decode(errors="replace")
    assert ours.stdout == theirs.stdout
    assert our_requests == their_requests  # the same requests, attempts and faults

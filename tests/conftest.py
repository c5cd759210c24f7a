"""Shared fixtures: one emulator per test session, reset before each test,
and a pair of clients (boto3, the reference, and ours) pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Isolate every test from the developer's own AWS setup: no profile files, no
# instance metadata lookups, no stray endpoint or credential variables.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "ap-south-1"
BEARER_TOKEN = "bedrock-api-key-emulator-test"
#: Every key pair the suite signs with (scripts run in subprocesses use short ones); the
#: emulator verifies each request's signature against them, so every test proves signing.
TEST_CREDENTIALS = {ACCESS_KEY: SECRET_KEY, "a": "b", "test": "test"}


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Any]:
    from bedrock_cris.emulator import Emulator

    with Emulator(credentials=TEST_CREDENTIALS, bearer_tokens=[BEARER_TOKEN]) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: Any) -> Any:
    """The session's emulator as it started: no faults, recorded requests or async-invoke jobs,
    no event delay, natural stream deltas, no latency or quota, SigV4 and bearer checks with
    the suite's test credentials (whatever earlier tests set)."""
    emulator_server.reset_all()
    return emulator_server


def client_kwargs(endpoint_url: str, **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "region_name": REGION,
        "endpoint_url": endpoint_url,
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
    }
    kwargs.update(extra)
    return kwargs


@pytest.fixture
def ours(emulator: Any) -> Any:
    """Our facade client, retries off so error tests are quick and exact."""
    import bedrock_cris
    from bedrock_cris.config import Config

    return bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=Config(retries={"max_attempts": 0})),
    )


@pytest.fixture
def boto(emulator: Any) -> Any:
    """boto3's client, configured the same way: the reference behaviour."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=Config(retries={"max_attempts": 0})),
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Says which frameworks' tests (tests/integrations/) were skipped, and why."""
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and "framework " in str(longrepr[2]):
            reasons.add(str(longrepr[2]).removeprefix("Skipped: "))
    for reason in sorted(reasons):
        terminalreporter.write_line(f"SKIPPED {reason}")

"""pytest fixtures for testing code against the bundled Bedrock Runtime emulator.

Installed as a pytest plugin (the ``pytest11`` entry point ``bedrock_cris``), so the fixtures
are available in any project that has ``bedrock-cris`` installed, with no import:

* ``bedrock_emulator`` — one emulator for the whole test session (faults and recorded requests
  persist between tests that use it);
* ``bedrock_emulator_per_test`` — the same server, reset before the test: no faults, recorded
  requests, latency, quotas or usage, the starting event pacing, credentials and time scale,
  then the test's ``@pytest.mark.bedrock_quota(...)`` quotas set;
* ``bedrock_client`` — a ``bedrock_cris`` facade client (boto3's API) pointed at the reset
  emulator with the test credentials;
* ``bedrock_env`` — environment variables set for the test (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``,
  the test credentials, a region; the developer's AWS profile files and instance metadata
  ignored), so *unmodified* code that calls ``boto3.client("bedrock-runtime")`` or
  ``bedrock_cris.client(...)`` hits the reset emulator. Yields the emulator.

The emulator checks every request's SigV4 signature against the test credentials
(:data:`TEST_ACCESS_KEY` / :data:`TEST_SECRET_KEY`) and accepts the bearer token
:data:`TEST_BEARER_TOKEN`, so a test also proves the code signs its requests. Turn that off with
``bedrock_emulator_verify_signatures = false`` in the pytest ini options.

Quotas: mark a test ``@pytest.mark.bedrock_quota(model_id="*", region=None,
requests_per_minute=None, tokens_per_minute=None)`` (repeatable; the arguments of
:meth:`~bedrock_cris.emulator.Emulator.set_quota`) and the reset emulator enforces them for
that test; ``bedrock_emulator_time_scale = 60`` in the ini options makes a quota minute last a
second (the default is real time), so a test of minutes of traffic takes seconds. What the
emulator served is in ``bedrock_emulator_per_test.usage()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bedrock_cris.emulator import Emulator

__all__ = [
    "TEST_ACCESS_KEY",
    "TEST_BEARER_TOKEN",
    "TEST_REGION",
    "TEST_SECRET_KEY",
    "bedrock_client",
    "bedrock_emulator",
    "bedrock_emulator_per_test",
    "bedrock_env",
]

#: The access key id the plugin's emulator accepts (AWS's documentation example key).
TEST_ACCESS_KEY = "AKIDEXAMPLE"
#: Its secret access key.
TEST_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#: The bearer token (Bedrock API key, ``AWS_BEARER_TOKEN_BEDROCK``) it accepts.
TEST_BEARER_TOKEN = "bedrock-api-key-emulator-test"
#: The region the fixtures' clients and environment use.
TEST_REGION = "us-east-1"

_VERIFY_INI = "bedrock_emulator_verify_signatures"
_TIME_SCALE_INI = "bedrock_emulator_time_scale"
_QUOTA_MARK = "bedrock_quota"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _VERIFY_INI,
        "whether the bedrock_emulator fixtures check SigV4 signatures and bearer tokens "
        "against bedrock_cris.testing's test credentials",
        type="bool",
        default=True,
    )
    parser.addini(
        _TIME_SCALE_INI,
        "quota minutes per real minute of the bedrock_emulator fixtures' emulator "
        "(60: a quota minute lasts one second)",
        default="1",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_QUOTA_MARK}(model_id='*', region=None, requests_per_minute=None, "
        "tokens_per_minute=None): a quota the reset bedrock emulator enforces for this test",
    )


@pytest.fixture(scope="session")
def bedrock_emulator(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    """A Bedrock Runtime emulator shared by the whole session (stopped at its end)."""
    from bedrock_cris.emulator import Emulator

    verify = bool(pytestconfig.getini(_VERIFY_INI))
    emulator = Emulator(
        credentials={TEST_ACCESS_KEY: TEST_SECRET_KEY} if verify else None,
        bearer_tokens=[TEST_BEARER_TOKEN] if verify else None,
        time_scale=float(pytestconfig.getini(_TIME_SCALE_INI)),
        default_region=TEST_REGION,
    )
    with emulator:
        yield emulator


@pytest.fixture
def bedrock_emulator_per_test(
    bedrock_emulator: Emulator, request: pytest.FixtureRequest
) -> Emulator:
    """The session's emulator, reset to how it started before this test, with the test's
    ``bedrock_quota`` marks in force."""
    bedrock_emulator.reset_all()
    for mark in request.node.iter_markers(_QUOTA_MARK):
        bedrock_emulator.set_quota(*mark.args, **mark.kwargs)
    return bedrock_emulator


@pytest.fixture
def bedrock_client(bedrock_emulator_per_test: Emulator) -> Any:
    """A ``bedrock_cris`` bedrock-runtime client for the reset emulator, with test credentials."""
    import bedrock_cris

    return bedrock_cris.client(
        "bedrock-runtime",
        region_name=TEST_REGION,
        endpoint_url=bedrock_emulator_per_test.endpoint_url,
        aws_access_key_id=TEST_ACCESS_KEY,
        aws_secret_access_key=TEST_SECRET_KEY,
    )


@pytest.fixture
def bedrock_env(bedrock_emulator_per_test: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Points unmodified AWS code at the reset emulator through the environment."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bedrock_emulator_per_test.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return bedrock_emulator_per_test

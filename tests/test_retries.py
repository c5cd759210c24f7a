"""Retries against boto3: for each retry mode, throttling and 5xx answers are
retried, non-retryable errors are not, and ``RetryAttempts``/``MaxAttemptsReached``
and the message ("reached max retries: N") match boto3's for the same faults.

boto3's backoff is patched to zero so only our client's (real, jittered) backoff
costs time; every scenario allows at most 3 attempts to keep the suite fast.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.loaders
import botocore.retries.standard
import botocore.retryhandler
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import client_kwargs

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
MODES = ["standard", "adaptive", "legacy"]

# (code, HTTP status) the emulator answers; retryable per botocore and the Rust SDK.
RETRYABLE = [
    ("ThrottlingException", 429),
    ("InternalServerException", 500),
    ("ServiceUnavailableException", 503),
]
NOT_RETRYABLE = [
    ("ValidationException", 400),
    ("AccessDeniedException", 403),
    ("ResourceNotFoundException", 404),
    ("ModelErrorException", 424),
]


@pytest.fixture(autouse=True)
def boto3_without_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 retries at once (its backoff is not under test and would only cost time)."""
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0
    )
    monkeypatch.setattr(botocore.retryhandler, "delay_exponential", lambda **kwargs: 0)


def clients(emulator: Any, retries: dict[str, Any]) -> dict[str, Any]:
    return {
        "ours": bedrock_cris.client(
            "bedrock-runtime",
            **client_kwargs(emulator.endpoint_url, config=Config(retries=retries)),
        ),
        "boto3": boto3.client(
            "bedrock-runtime",
            **client_kwargs(emulator.endpoint_url, config=botocore.config.Config(retries=retries)),
        ),
    }


def requests_for(emulator: Any, call: Any) -> tuple[Any, int]:
    """Runs `call()` and returns its result or exception and how many requests it sent."""
    emulator.clear()
    try:
        outcome = call()
    except Exception as error:
        outcome = error
    return outcome, len(emulator.requests)


@pytest.mark.parametrize("mode", MODES)
def test_throttled_then_answered(emulator: Any, mode: str) -> None:
    """Two throttles, then success: both clients answer after two retries."""
    for name, client in clients(emulator, {"total_max_attempts": 3, "mode": mode}).items():
        emulator.fail(CLAUDE, "ThrottlingException", times=2)
        result, sent = requests_for(
            emulator, lambda c=client: c.converse(modelId=CLAUDE, messages=MESSAGES)
        )
        assert not isinstance(result, Exception), (name, result)
        assert result["ResponseMetadata"]["RetryAttempts"] == 2, name
        assert sent == 3, name


# botocore's standard and adaptive modes mark every answer on the last allowed
# attempt with MaxAttemptsReached (a success, or an error that would not have
# been retried anyway, whose message then says "reached max retries"); legacy
# mode only an error that ran out of retries. Ours does the same per mode.
@pytest.mark.parametrize("mode", ["standard", "adaptive", "legacy"])
def test_last_attempt_metadata_like_boto3(emulator: Any, mode: str) -> None:
    outcomes = {}
    for name, client in clients(emulator, {"total_max_attempts": 1, "mode": mode}).items():
        answered = client.converse(modelId=CLAUDE, messages=MESSAGES)["ResponseMetadata"]
        error, _ = requests_for(
            emulator,
            lambda c=client: c.converse(
                modelId="emulator.error.ValidationException", messages=MESSAGES
            ),
        )
        outcomes[name] = (
            answered.get("MaxAttemptsReached"),
            error.response["ResponseMetadata"].get("MaxAttemptsReached"),  # type: ignore[union-attr]
            str(error),
        )
    assert outcomes["ours"] == outcomes["boto3"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("code", "status"), RETRYABLE)
def test_retries_run_out_like_boto3(emulator: Any, mode: str, code: str, status: int) -> None:
    outcomes = {}
    for name, client in clients(emulator, {"total_max_attempts": 2, "mode": mode}).items():
        outcomes[name] = requests_for(
            emulator,
            lambda c=client: c.converse(modelId=f"emulator.error.{code}", messages=MESSAGES),
        )
    (ours, our_sent), (theirs, their_sent) = outcomes["ours"], outcomes["boto3"]
    assert isinstance(ours, exceptions.ClientError), ours
    assert type(ours).__name__ == type(theirs).__name__ == code
    assert our_sent == their_sent == 2
    assert str(ours) == str(theirs)
    assert "(reached max retries: 1)" in str(ours)
    for response in (ours.response, theirs.response):  # type: ignore[attr-defined]
        metadata = response["ResponseMetadata"]
        assert (
            metadata["HTTPStatusCode"],
            metadata["RetryAttempts"],
            metadata["MaxAttemptsReached"],
        ) == (
            status,
            1,
            True,
        )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("code", "status"), NOT_RETRYABLE)
def test_non_retryable_errors_are_sent_once(
    emulator: Any, mode: str, code: str, status: int
) -> None:
    outcomes = {}
    for name, client in clients(emulator, {"total_max_attempts": 3, "mode": mode}).items():
        outcomes[name] = requests_for(
            emulator,
            lambda c=client: c.converse(modelId=f"emulator.error.{code}", messages=MESSAGES),
        )
    (ours, our_sent), (theirs, their_sent) = outcomes["ours"], outcomes["boto3"]
    assert type(ours).__name__ == type(theirs).__name__ == code
    assert our_sent == their_sent == 1
    assert str(ours) == str(theirs)
    metadata = ours.response["ResponseMetadata"]  # type: ignore[attr-defined]
    assert metadata["HTTPStatusCode"] == status
    assert metadata["RetryAttempts"] == 0
    assert "MaxAttemptsReached" not in metadata
    assert ours.response == {  # type: ignore[attr-defined]
        **theirs.response,  # type: ignore[attr-defined]
        "ResponseMetadata": {
            **theirs.response["ResponseMetadata"],  # type: ignore[attr-defined]
            "RequestId": metadata["RequestId"],
            "HTTPHeaders": metadata["HTTPHeaders"],
        },
    }


@pytest.mark.parametrize("operation", ["invoke_model", "converse_stream"])
def test_other_operations_retry_too(emulator: Any, operation: str) -> None:
    """The initial response of a stream and InvokeModel are retried like Converse."""
    client = clients(emulator, {"total_max_attempts": 3})["ours"]
    emulator.fail(CLAUDE, "ServiceUnavailableException", times=2)
    if operation == "invoke_model":
        body = b'{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}'
        result, sent = requests_for(
            emulator, lambda: client.invoke_model(modelId=CLAUDE, body=body)
        )
        assert result["body"].read()
    else:
        result, sent = requests_for(
            emulator, lambda: client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
        )
        assert any("messageStop" in event for event in result["stream"])
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert sent == 3


def test_zero_retries_sends_once(emulator: Any) -> None:
    client = clients(emulator, {"max_attempts": 0})["ours"]
    error, sent = requests_for(
        emulator,
        lambda: client.converse(modelId="emulator.error.ThrottlingException", messages=MESSAGES),
    )
    assert isinstance(error, exceptions.ThrottlingException)
    assert sent == 1
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert error.response["ResponseMetadata"]["MaxAttemptsReached"] is True


RETRY_SETTINGS = {
    "defaults": ({}, ""),
    "env attempts": ({"AWS_MAX_ATTEMPTS": "2"}, ""),
    "env legacy": ({"AWS_RETRY_MODE": "legacy"}, ""),
    "env adaptive + attempts": ({"AWS_RETRY_MODE": "adaptive", "AWS_MAX_ATTEMPTS": "6"}, ""),
    "config file": ({}, "[default]\nretry_mode = legacy\nmax_attempts = 4\n"),
    "config file profile": (
        {"AWS_PROFILE": "batch"},
        "[default]\nmax_attempts = 9\n[profile batch]\nmax_attempts = 7\n",
    ),
    "env over config file": ({"AWS_MAX_ATTEMPTS": "2"}, "[default]\nmax_attempts = 4\n"),
}


@pytest.mark.parametrize("case", list(RETRY_SETTINGS))
@pytest.mark.parametrize("config_retries", [None, {"max_attempts": 1}, {"mode": "legacy"}])
def test_retry_settings_resolve_like_boto3(
    case: str, config_retries: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mode and attempts come from Config, then AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, then
    the profile in the shared config file, then standard with 3 attempts (5 in legacy
    mode): what boto3 resolves into ``client.meta.config.retries``."""
    import boto3
    from botocore.config import Config as BotoConfig

    env, config_file = RETRY_SETTINGS[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if config_file:
        path = tmp_path / "config"
        path.write_text(config_file)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    kwargs = client_kwargs("http://127.0.0.1:9")
    config = {} if config_retries is None else {"retries": dict(config_retries)}
    theirs = boto3.Session().client("bedrock-runtime", **kwargs, config=BotoConfig(**config))
    ours = bedrock_cris.Session().client("bedrock-runtime", **kwargs, config=Config(**config))
    expected = theirs.meta.config.retries
    assert (ours._native.retry_mode, ours._native.max_attempts) == (
        expected["mode"],
        expected.get("total_max_attempts", botocore_default_attempts(expected["mode"])),
    )


def botocore_default_attempts(mode: str) -> int:
    """Total attempts botocore's retry handler uses when nothing sets them."""
    if mode == "legacy":
        retry = botocore.loaders.Loader().load_data("_retry")["retry"]["__default__"]
        return int(retry["max_attempts"])
    return int(botocore.retries.standard.DEFAULT_MAX_ATTEMPTS)


def test_invalid_retry_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "sometimes")
    with pytest.raises(ValueError, match="AWS_RETRY_MODE.*legacy, standard, adaptive"):
        bedrock_cris.client("bedrock-runtime", **client_kwargs("http://127.0.0.1:9"))
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    with pytest.raises(ValueError, match="AWS_MAX_ATTEMPTS"):
        bedrock_cris.client("bedrock-runtime", **client_kwargs("http://127.0.0.1:9"))


def test_default_retries_exhausted_like_boto3(emulator: Any) -> None:
    """No retry settings anywhere: both clients make 3 attempts at a throttled call and
    say so in the same words."""
    import boto3

    outcomes = {}
    for name, module in (("boto3", boto3), ("ours", bedrock_cris)):
        client = module.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
        emulator.fail(CLAUDE, "ThrottlingException", times=3)
        error, sent = requests_for(
            emulator, lambda c=client: c.converse(modelId=CLAUDE, messages=MESSAGES)
        )
        outcomes[name] = (type(error).__name__, str(error), sent)
    assert outcomes["ours"] == outcomes["boto3"]
    assert outcomes["ours"][2] == 3


def test_backoff_is_jittered_and_bounded(emulator: Any) -> None:
    """One throttle per call: the retry waits a random time below the first backoff
    cap (1 s in the standard strategy), different from call to call."""
    client = clients(emulator, {"total_max_attempts": 2, "mode": "standard"})["ours"]
    models = [f"emulator.deltas.{i + 1}.{CLAUDE}" for i in range(8)]
    for model in models:
        emulator.fail(model, "ThrottlingException", times=1)
    waits: list[float] = []
    retries: list[int] = []

    def call(model: str) -> None:
        started = time.monotonic()
        result = client.converse(modelId=model, messages=MESSAGES)
        waits.append(time.monotonic() - started)
        retries.append(result["ResponseMetadata"]["RetryAttempts"])

    threads = [threading.Thread(target=call, args=(m,)) for m in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert retries == [1] * len(models)
    assert max(waits) < 1.5, waits
    assert statistics.pstdev(waits) > 0.02, waits  # equal waits would mean no jitter

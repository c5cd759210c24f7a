"""The emulator's authentication and fault injection, through boto3 (the reference) and
through bedrock_cris: each fault does what it says to both clients, and is recorded."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import bedrock_cris
import boto3
import botocore.auth
import botocore.eventstream
import botocore.exceptions
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from conftest import ACCESS_KEY, BEARER_TOKEN, REGION, SECRET_KEY, client_kwargs

MODEL = "amazon.nova-lite-v1:0"
STREAM_MODEL = f"emulator.deltas.8.{MODEL}"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def boto_client(emulator: Any, **kwargs: Any) -> Any:
    config = kwargs.pop("config", BotoConfig(retries={"max_attempts": 0}))
    kw = client_kwargs(emulator.endpoint_url, config=config)
    kw.update(kwargs)
    return boto3.client("bedrock-runtime", **kw)


def our_client(emulator: Any, **kwargs: Any) -> Any:
    config = kwargs.pop("config", Config(retries={"max_attempts": 0}))
    kw = client_kwargs(emulator.endpoint_url, config=config)
    kw.update(kwargs)
    return bedrock_cris.client("bedrock-runtime", **kw)


def both(emulator: Any, **kwargs: Any) -> list[Any]:
    return [boto_client(emulator, **kwargs), our_client(emulator, **kwargs)]


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(Exception) as info:
        call()
    err = info.value
    response = err.response  # type: ignore[attr-defined]
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def labels(emulator: Any) -> list[Any]:
    return [r["fault"] for r in emulator.requests]


# -- SigV4 and bearer tokens ----------------------------------------------------------------


def test_signed_requests_pass_for_both_clients(emulator: Any) -> None:
    for client in both(emulator):
        client.converse(modelId=MODEL, messages=MESSAGES)
        for _ in client.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"]:
            pass
        body = client.invoke_model(
            modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "a b"})
        )["body"].read()
        assert json.loads(body)["embedding"]
    for client in both(emulator, aws_session_token="session-token"):
        client.converse(modelId=MODEL, messages=MESSAGES)
    requests = emulator.requests
    assert len(requests) == 8
    assert all(r["auth_error"] is None for r in requests)
    assert all(
        dict(r["headers"])["authorization"].startswith("AWS4-HMAC-SHA256 ") for r in requests
    )


@pytest.mark.parametrize(
    ("key", "secret", "code", "message"),
    [
        (ACCESS_KEY, "wrong-secret", "InvalidSignatureException", SIGNATURE_MISMATCH),
        (
            "AKIDUNKNOWN",
            SECRET_KEY,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
    ],
)
def test_wrong_credentials_are_refused_alike(
    emulator: Any, key: str, secret: str, code: str, message: str
) -> None:
    kwargs = {"aws_access_key_id": key, "aws_secret_access_key": secret}
    boto, ours = both(emulator, **kwargs)
    theirs = error_of(lambda: boto.converse(modelId=MODEL, messages=MESSAGES))
    assert theirs == (code, 403, message)
    assert error_of(lambda: ours.converse(modelId=MODEL, messages=MESSAGES)) == theirs
    with pytest.raises(ours.exceptions.ClientError) as info:
        ours.converse_stream(modelId=MODEL, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == code
    assert [r["auth_error"] for r in emulator.requests] == [code] * 3


def test_tampered_body_fails(emulator: Any) -> None:
    boto = boto_client(emulator)

    def tamper(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b'"hi"', b'"HI"')

    boto.meta.events.register("before-send.bedrock-runtime.Converse", tamper)
    code, status, _ = error_of(lambda: boto.converse(modelId=MODEL, messages=MESSAGES))
    assert (code, status) == ("InvalidSignatureException", 403)
    assert json.loads(emulator.requests[0]["body"])["messages"][0]["content"][0]["text"] == "HI"


@pytest.mark.parametrize("minutes", [-20, 20])
def test_clock_skew_beyond_15_minutes_fails(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, minutes: int
) -> None:
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(
        minutes=minutes
    )
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    code, status, message = error_of(
        lambda: boto_client(emulator).converse(modelId=MODEL, messages=MESSAGES)
    )
    assert (code, status) == ("InvalidSignatureException", 403)
    expected = "Signature expired:" if minutes < 0 else "Signature not yet current:"
    assert message.startswith(expected), message


def test_skew_within_15_minutes_passes(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(
        minutes=10
    )
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    boto_client(emulator).converse(modelId=MODEL, messages=MESSAGES)


def test_unsigned_requests_are_refused(emulator: Any) -> None:
    boto = boto_client(emulator, config=BotoConfig(signature_version=UNSIGNED))
    assert error_of(lambda: boto.converse(modelId=MODEL, messages=MESSAGES)) == (
        "MissingAuthenticationTokenException",
        403,
        "Missing Authentication Token",
    )


@pytest.mark.parametrize("token", [BEARER_TOKEN, "not-the-key"])
def test_bearer_tokens(emulator: Any, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    """The emulator accepts its API keys and refuses others as Bedrock does. (boto3 sends
    bearer tokens over HTTPS only, even to loopback: test_security compares it over TLS.)"""
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", token)
    kw = {"region_name": REGION, "endpoint_url": emulator.endpoint_url}
    client = bedrock_cris.client(
        "bedrock-runtime", config=Config(retries={"max_attempts": 0}), **kw
    )
    if token == BEARER_TOKEN:
        client.converse(modelId=MODEL, messages=MESSAGES)
    else:
        code, status, _ = error_of(lambda: client.converse(modelId=MODEL, messages=MESSAGES))
        assert (code, status) == ("UnrecognizedClientException", 403)
    sent = [dict(r["headers"])["authorization"] for r in emulator.requests]
    assert sent == [f"Bearer {token}"]


def test_verification_can_be_turned_off(emulator: Any) -> None:
    emulator.set_auth()
    boto_client(emulator, aws_secret_access_key="anything").converse(
        modelId=MODEL, messages=MESSAGES
    )
    emulator.reset_all()
    with pytest.raises(botocore.exceptions.ClientError):
        boto_client(emulator, aws_secret_access_key="anything").converse(
            modelId=MODEL, messages=MESSAGES
        )


# -- errors and retries ----------------------------------------------------------------------


def test_throttle_first_two_is_retried_by_both(emulator: Any) -> None:
    boto = boto_client(emulator, config=BotoConfig(retries={"mode": "standard", "max_attempts": 3}))
    ours = our_client(emulator, config=Config(retries={"mode": "standard", "max_attempts": 3}))
    for client in (boto, ours):
        emulator.clear()
        emulator.throttle(MODEL, times=2)
        response = client.converse(modelId=MODEL, messages=MESSAGES)
        assert response["ResponseMetadata"]["RetryAttempts"] == 2
        assert labels(emulator) == ["error:ThrottlingException"] * 2 + [None]


@pytest.mark.parametrize(
    ("code", "status"), [("InternalServerException", 500), ("ServiceUnavailableException", 503)]
)
def test_server_errors(emulator: Any, code: str, status: int) -> None:
    emulator.fail("*", code)
    for client in both(emulator):
        assert error_of(lambda c=client: c.converse(modelId=MODEL, messages=MESSAGES))[:2] == (
            code,
            status,
        )


def test_fractions_are_deterministic(emulator: Any) -> None:
    def run() -> list[bool]:
        emulator.reset_all()
        emulator.set_seed(3)
        emulator.throttle(fraction=0.5)
        boto = boto_client(emulator)
        outcome = []
        for _ in range(30):
            try:
                boto.converse(modelId=MODEL, messages=MESSAGES)
                outcome.append(False)
            except boto.exceptions.ThrottlingException:
                outcome.append(True)
        return outcome

    first = run()
    assert first == run()
    assert 5 <= sum(first) <= 25


# -- transport faults ------------------------------------------------------------------------


def test_reset_before_the_answer(emulator: Any) -> None:
    boto, ours = both(emulator)
    emulator.reset_connection(MODEL)
    with pytest.raises(botocore.exceptions.ConnectionClosedError) as theirs:
        boto.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(exceptions.ConnectionClosedError) as mine:
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert str(mine.value) == str(theirs.value)
    assert labels(emulator) == ["reset", "reset"]


def test_reset_is_retried(emulator: Any) -> None:
    emulator.reset_connection(MODEL, times=1)
    ours = our_client(emulator, config=Config(retries={"max_attempts": 2}))
    assert ours.converse(modelId=MODEL, messages=MESSAGES)["ResponseMetadata"]["RetryAttempts"] == 1


def test_first_byte_delay_beyond_read_timeout(emulator: Any) -> None:
    emulator.delay_first_byte(MODEL, 1.5)
    boto = boto_client(emulator, config=BotoConfig(read_timeout=0.4, retries={"max_attempts": 0}))
    ours = our_client(emulator, config=Config(read_timeout=0.4, retries={"max_attempts": 0}))
    started = time.monotonic()
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        boto.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(exceptions.ReadTimeoutError):
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert time.monotonic() - started < 2.5
    assert labels(emulator) == ["delay:1.5", "delay:1.5"]


def test_first_byte_delay_within_read_timeout(emulator: Any) -> None:
    emulator.delay_first_byte(MODEL, 0.3)
    for client in both(emulator):
        started = time.monotonic()
        client.converse(modelId=MODEL, messages=MESSAGES)
        assert time.monotonic() - started >= 0.3


def test_body_stalled_mid_answer(emulator: Any) -> None:
    emulator.stall_body(MODEL, after_bytes=10)
    boto = boto_client(emulator, config=BotoConfig(read_timeout=0.4, retries={"max_attempts": 0}))
    ours = our_client(emulator, config=Config(read_timeout=0.4, retries={"max_attempts": 0}))
    with pytest.raises((botocore.exceptions.ReadTimeoutError, botocore.exceptions.HTTPClientError)):
        boto.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(exceptions.ReadTimeoutError):
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert labels(emulator) == ["stall_body:10", "stall_body:10"]


# -- stream faults ---------------------------------------------------------------------------


def drain(response: Any) -> list[Any]:
    return list(response["stream"])


def test_corrupt_crc(emulator: Any) -> None:
    emulator.fail_stream(STREAM_MODEL, 2, "corrupt_crc")
    boto, ours = both(emulator)
    boto_events: list[Any] = []
    with pytest.raises(botocore.eventstream.ChecksumMismatch) as theirs:
        boto_events.extend(boto.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"])
    events: list[Any] = []
    with pytest.raises(exceptions.ChecksumMismatch) as info:
        events.extend(ours.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"])
    assert isinstance(info.value, botocore.eventstream.ChecksumMismatch)
    assert str(info.value) == str(theirs.value)
    assert len(events) == len(boto_events) == 2
    assert labels(emulator) == ["stream:corrupt_crc@2"] * 2


def test_truncated_stream(emulator: Any) -> None:
    emulator.fail_stream(STREAM_MODEL, 3, "truncate")
    boto, ours = both(emulator)
    boto_events: list[Any] = []
    try:
        boto_events.extend(boto.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"])
    except Exception:
        pass
    assert len(boto_events) == 3
    events: list[Any] = []
    with pytest.raises(exceptions.ResponseStreamingError):
        events.extend(ours.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"])
    assert len(events) == 3


def test_latency_time_to_first_token(emulator: Any) -> None:
    emulator.set_latency(time_to_first_token=0.3, per_token=0.01)
    for client in both(emulator):
        started = time.monotonic()
        stream = client.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"]
        first = next(iter(stream))
        assert time.monotonic() - started >= 0.3
        assert "messageStart" in first
        rest = list(stream)
        assert time.monotonic() - started >= 0.3 + 0.01 * len(rest)


# -- concurrency quota ------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["boto3", "ours"])
def test_concurrency_quota(emulator: Any, which: str) -> None:
    emulator.set_concurrency_limit(2)
    emulator.set_latency(time_to_first_token=0.4)
    client = boto_client(emulator) if which == "boto3" else our_client(emulator)
    outcomes: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            client.converse(modelId=MODEL, messages=MESSAGES)
            result = "ok"
        except client.exceptions.ThrottlingException:
            result = "throttled"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 2 + ["throttled"] * 4
    assert labels(emulator).count("quota:ThrottlingException") == 4
    assert emulator.in_flight == 0


# -- control API --------------------------------------------------------------------------------


def control(emulator: Any, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(emulator.control_url + path, data=data, method=method)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_control_api(emulator: Any) -> None:
    control(
        emulator,
        "POST",
        "/faults",
        {"model_id": MODEL, "action": "error", "times": 1, "code": "ModelNotReadyException"},
    )
    assert emulator.faults[0]["code"] == "ModelNotReadyException"
    boto = boto_client(emulator)
    with pytest.raises(boto.exceptions.ModelNotReadyException):
        boto.converse(modelId=MODEL, messages=MESSAGES)
    recorded = control(emulator, "GET", "/requests")["requests"]
    assert recorded[0]["fault"] == "error:ModelNotReadyException"
    control(emulator, "PUT", "/concurrency", {"limit": 5})
    assert control(emulator, "GET", "/concurrency")["limit"] == 5
    control(emulator, "POST", "/reset")
    assert emulator.requests == [] and emulator.faults == []
    with pytest.raises(urllib.error.HTTPError) as info:
        control(emulator, "POST", "/faults", {"action": "explode"})
    assert info.value.code == 400


def test_bad_fault_specs_raise_value_error(emulator: Any) -> None:
    with pytest.raises(ValueError, match="fraction"):
        emulator.throttle(fraction=1.5)
    with pytest.raises(ValueError, match="action"):
        emulator.inject({"action": "explode"})
    with pytest.raises(ValueError, match="seconds"):
        emulator.delay_first_byte(MODEL, -1)
    assert emulator.faults == []


# -- the pytest plugin, as a user's project uses it ---------------------------------------------


USER_TESTS = '''
import boto3
import pytest
from botocore.config import Config

MODEL = "amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def summarize(text):
    """User code: knows nothing about the emulator."""
    client = boto3.client("bedrock-runtime", config=Config(retries={"max_attempts": 3}))
    response = client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": text}]}])
    return response["output"]["message"]["content"][0]["text"]


def test_unmodified_code_hits_the_emulator(bedrock_env):
    assert summarize("hello")
    (request,) = bedrock_env.requests
    assert request["path"] == "/model/amazon.nova-lite-v1%3A0/converse"
    assert request["auth_error"] is None


def test_unmodified_code_survives_throttling(bedrock_env):
    bedrock_env.throttle(times=2)
    assert summarize("hello")
    assert [r["fault"] for r in bedrock_env.requests] == ["error:ThrottlingException"] * 2 + [None]


def test_state_is_reset_per_test(bedrock_emulator_per_test):
    assert bedrock_emulator_per_test.requests == []
    assert bedrock_emulator_per_test.faults == []


def test_facade_client(bedrock_client, bedrock_emulator):
    bedrock_emulator.fail(MODEL, "ValidationException", times=1)
    with pytest.raises(bedrock_client.exceptions.ValidationException):
        bedrock_client.converse(modelId=MODEL, messages=MESSAGES)
    assert bedrock_client.converse(modelId=MODEL, messages=MESSAGES)["output"]


def test_signatures_are_checked(bedrock_emulator):
    client = boto3.client("bedrock-runtime", region_name="us-east-1",
                          endpoint_url=bedrock_emulator.endpoint_url,
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="wrong",
                          config=Config(retries={"max_attempts": 0}))
    with pytest.raises(client.exceptions.ClientError) as info:
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
'''


def test_pytest_plugin_fixtures_as_a_user_runs_them(tmp_path: Path) -> None:
    (tmp_path / "test_user_code.py").write_text(textwrap.dedent(USER_TESTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout

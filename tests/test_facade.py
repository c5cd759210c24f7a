"""The boto3-shaped surface: client creation, configuration, transport errors,
Ctrl-C, pickling; compared with boto3 wherever boto3 defines the behaviour."""

from __future__ import annotations

import os
import pickle
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.exceptions
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from childproc import Child, sigint_script
from conftest import ACCESS_KEY, REGION, SECRET_KEY, client_kwargs

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


@pytest.fixture
def closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def both_raise(
    call: Any, config: dict[str, Any] | None = None, **client_args: Any
) -> tuple[BaseException, BaseException]:
    """Runs `call(client)` with our client and boto3's; returns both exceptions."""
    raised = []
    for module, config_cls in ((bedrock_cris, Config), (boto3, botocore.config.Config)):
        kwargs = dict(client_args)
        if config is not None:
            kwargs["config"] = config_cls(**config)
        with pytest.raises(Exception) as info:
            call(module.client("bedrock-runtime", **kwargs))
        raised.append(info.value)
    return raised[0], raised[1]


def test_unknown_service_names_the_supported_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # With boto3 installed, other services are boto3's (tests/test_other_services.py).
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(exceptions.UnknownServiceError) as info:
        bedrock_cris.client("s3", region_name=REGION)
    assert "Unknown service: 's3'" in str(info.value)
    assert "bedrock-runtime" in str(info.value)


def test_no_region_matches_boto3() -> None:
    with pytest.raises(exceptions.NoRegionError) as ours:
        bedrock_cris.client("bedrock-runtime")
    with pytest.raises(botocore.exceptions.NoRegionError) as theirs:
        boto3.client("bedrock-runtime")
    assert str(ours.value) == str(theirs.value)


def test_region_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    client = bedrock_cris.client("bedrock-runtime")
    assert client.meta.region_name == "eu-west-3"
    assert client.meta.endpoint_url == "https://bedrock-runtime.eu-west-3.amazonaws.com"


def test_partial_credentials_match_boto3() -> None:
    with pytest.raises(exceptions.PartialCredentialsError) as ours:
        bedrock_cris.client("bedrock-runtime", region_name=REGION, aws_access_key_id="AKID")
    with pytest.raises(botocore.exceptions.PartialCredentialsError) as theirs:
        boto3.client("bedrock-runtime", region_name=REGION, aws_access_key_id="AKID")
    assert str(ours.value) == str(theirs.value)


def test_positional_arguments_rejected_like_boto3(emulator: Any, ours: Any, boto: Any) -> None:
    with pytest.raises(TypeError) as mine:
        ours.converse(MODEL)
    with pytest.raises(TypeError) as theirs:
        boto.converse(MODEL)
    assert str(mine.value) == str(theirs.value)


def test_endpoint_env_var_redirects(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    client = bedrock_cris.client("bedrock-runtime", region_name=REGION)
    assert client.meta.endpoint_url == emulator.endpoint_url
    response = client.converse(modelId=MODEL, messages=MESSAGES)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(emulator.requests) == 1


def test_no_credentials_matches_boto3(emulator: Any) -> None:
    ours, theirs = both_raise(
        lambda c: c.converse(modelId=MODEL, messages=MESSAGES),
        region_name=REGION,
        endpoint_url=emulator.endpoint_url,
    )
    assert isinstance(ours, exceptions.NoCredentialsError)
    assert str(ours) == str(theirs)
    assert emulator.requests == []


def test_connection_refused_matches_boto3(closed_port: str) -> None:
    ours, theirs = both_raise(
        lambda c: c.converse(modelId=MODEL, messages=MESSAGES),
        **client_kwargs(closed_port),
        config={"retries": {"max_attempts": 0}},
    )
    assert isinstance(ours, exceptions.EndpointConnectionError)
    assert not isinstance(ours, exceptions.ClientError)
    assert str(ours) == str(theirs)


def test_read_timeout_matches_boto3(silent_server: str) -> None:
    config = {"read_timeout": 0.5, "retries": {"max_attempts": 0}}
    started = time.monotonic()
    ours, theirs = both_raise(
        lambda c: c.converse(modelId=MODEL, messages=MESSAGES),
        **client_kwargs(silent_server),
        config=config,
    )
    assert isinstance(ours, exceptions.ReadTimeoutError)
    assert str(ours) == str(theirs)
    assert time.monotonic() - started < 10


def test_ctrl_c_interrupts_a_blocking_call_promptly(silent_server: str) -> None:
    script = sigint_script(
        f"""
        import sys, time
        import bedrock_cris
        client = bedrock_cris.client("bedrock-runtime", region_name="{REGION}",
            endpoint_url="{silent_server}", aws_access_key_id="a", aws_secret_access_key="b")
        print("calling", flush=True)
        try:
            client.converse(modelId="m", messages=[])
        except KeyboardInterrupt:
            print("interrupted at", time.monotonic(), flush=True)
            sys.exit(0)
        """
    ).replace("messages=[]", f"messages={MESSAGES!r}")
    with Child([sys.executable, "-c", script], env=dict(os.environ)) as child:
        assert child.readline().strip() == "calling"
        time.sleep(0.5)  # let it block in the call
        sent = time.monotonic()
        child.interrupt()
        line = child.readline()
        assert child.wait(timeout=10) == 0
    interrupted = float(line.split()[-1])
    assert interrupted - sent < 0.3, f"took {interrupted - sent:.3f}s"


def test_client_error_pickles_with_its_class(emulator: Any, ours: Any) -> None:
    with pytest.raises(ours.exceptions.ThrottlingException) as info:
        ours.converse(modelId="emulator.error.ThrottlingException", messages=MESSAGES)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is exceptions.ThrottlingException
    assert str(copy) == str(info.value)
    assert copy.response == info.value.response


def test_exceptions_namespace_matches_boto3(ours: Any, boto: Any) -> None:
    names = {n for n in dir(boto.exceptions) if n.endswith("Exception")}
    assert names <= set(dir(ours.exceptions))
    for name in names:
        assert issubclass(getattr(ours.exceptions, name), exceptions.ClientError)
    assert ours.exceptions.from_code("ThrottlingException") is exceptions.ThrottlingException
    assert ours.exceptions.from_code("SomethingElse") is exceptions.ClientError


def test_config_rejects_unknown_options_like_botocore() -> None:
    with pytest.raises(TypeError):
        Config(no_such_option=1)
    with pytest.raises(TypeError):
        botocore.config.Config(no_such_option=1)
    with pytest.raises(ValueError):
        Config(retries={"mode": "fastest"})
    merged = Config(read_timeout=5).merge(Config(connect_timeout=2))
    assert (merged.read_timeout, merged.connect_timeout) == (5, 2)


def test_session_client_uses_session_credentials(emulator: Any) -> None:
    session = bedrock_cris.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    client = session.client("bedrock-runtime", endpoint_url=emulator.endpoint_url)
    assert client.meta.region_name == REGION
    assert client.converse(modelId=MODEL, messages=MESSAGES)["stopReason"]


def test_secrets_do_not_leak_into_reprs(emulator: Any, ours: Any) -> None:
    for text in (repr(ours), repr(ours.meta), repr(ours.meta.config), repr(ours._native)):
        assert SECRET_KEY not in text
        assert ACCESS_KEY not in text

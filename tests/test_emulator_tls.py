"""The emulator over TLS (``Emulator(tls=True)``), as the real endpoint serves: HTTPS with ALPN
offering h2 and http/1.1. Our client (the SDK for Rust's hyper client) negotiates HTTP/2 and
multiplexes concurrent calls over one connection; boto3 (urllib3) speaks HTTP/1.1; both get the
same answers, SigV4 checked. Verification stays on: without the emulator's CA bundle a call
fails as boto3's does, with an SSL error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import boto3
import pytest
from bedrock_cris.emulator import Emulator
from botocore.config import Config
from conftest import TEST_CREDENTIALS, client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]
NO_RETRIES = Config(retries={"max_attempts": 0})


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[Emulator]:
    with Emulator(tls=True, credentials=TEST_CREDENTIALS) as emulator:
        yield emulator


@pytest.fixture
def emulator(tls_emulator: Emulator) -> Emulator:
    tls_emulator.reset_all()
    return tls_emulator


def trusted(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    return client_kwargs(emulator.endpoint_url, verify=emulator.ca_bundle, **extra)


def without_ids(answer: dict[str, Any]) -> dict[str, Any]:
    answer = dict(answer)
    metadata = answer.pop("ResponseMetadata")
    return {**answer, "status": metadata["HTTPStatusCode"]}


def test_https_with_a_ca_bundle_file_that_stop_removes() -> None:
    emulator = Emulator(tls=True).start()
    try:
        assert emulator.endpoint_url.startswith("https://127.0.0.1:")
        bundle = emulator.ca_bundle
        assert bundle is not None
        with open(bundle) as f:
            assert f.read().startswith("-----BEGIN CERTIFICATE-----")
    finally:
        emulator.stop()
    import os

    assert not os.path.exists(bundle)
    with Emulator() as plain:
        assert plain.ca_bundle is None and plain.endpoint_url.startswith("http://")


def test_our_client_speaks_http2_and_boto3_http1_with_the_same_answers(emulator: Emulator) -> None:
    ours = bedrock_cris.client("bedrock-runtime", **trusted(emulator, config=NO_RETRIES))
    theirs = boto3.client("bedrock-runtime", **trusted(emulator, config=NO_RETRIES))
    answers = [without_ids(c.converse(modelId=MODEL, messages=MESSAGES)) for c in (ours, theirs)]
    assert answers[0] == answers[1]
    streamed = [
        list(c.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]) for c in (ours, theirs)
    ]
    assert streamed[0] == streamed[1]
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": MESSAGES}
    )
    invoked = [
        json.loads(c.invoke_model(modelId=MODEL, body=body)["body"].read()) for c in (ours, theirs)
    ]
    assert invoked[0]["content"] == invoked[1]["content"]
    versions = [(r["http_version"], r["auth_error"]) for r in emulator.requests]
    assert versions == [("HTTP/2.0", None), ("HTTP/1.1", None)] * 3


def test_concurrent_asyncio_streams_share_one_warm_connection(emulator: Emulator) -> None:
    async def main() -> tuple[int, list[int]]:
        async with bedrock_cris.aio.client("bedrock-runtime", **trusted(emulator)) as client:
            await client.converse(modelId=MODEL, messages=MESSAGES)  # the connection, made
            accepted = emulator.connections_accepted

            async def one() -> int:
                answer = await client.converse_stream(modelId=MODEL, messages=MESSAGES)
                return len([event async for event in answer["stream"]])

            counts = await asyncio.gather(*(one() for _ in range(50)))
            return emulator.connections_accepted - accepted, counts

    opened, counts = asyncio.run(main())
    assert len(counts) == 50 and min(counts) > 3
    assert {r["http_version"] for r in emulator.requests} == {"HTTP/2.0"}
    # HTTP/1.1 needs a connection per stream in flight; HTTP/2 multiplexes them on the one
    # made by the first call. (A cold burst opens one each: ALPN has not said h2 yet.)
    assert opened == 0


def test_without_the_ca_bundle_verification_fails_as_boto3s(emulator: Emulator) -> None:
    import botocore.exceptions

    kwargs = client_kwargs(emulator.endpoint_url, config=NO_RETRIES)
    with pytest.raises(botocore.exceptions.SSLError) as theirs:
        boto3.client("bedrock-runtime", **kwargs).converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(bedrock_cris.exceptions.SSLError) as ours:
        bedrock_cris.client("bedrock-runtime", **kwargs).converse(modelId=MODEL, messages=MESSAGES)
    assert isinstance(ours.value, botocore.exceptions.SSLError)
    assert str(ours.value).startswith("SSL validation failed for ")
    assert str(theirs.value).startswith("SSL validation failed for ")
    assert emulator.requests == []  # neither request reached the service

"""Typed use of the native API (and of the facade's generated methods and exception
classes): checked with ``mypy --strict`` and run against an emulator by
tests/test_native_api.py (``python tests/typed_usage.py ENDPOINT_URL``)."""

from __future__ import annotations

import asyncio
import sys

import bedrock_cris
import numpy as np
import numpy.typing as npt
from bedrock_cris import Client, ConverseResult, EmbeddingError, Embeddings, TextStream, Usage
from bedrock_cris.config import Config
from bedrock_cris.exceptions import ClientError, ThrottlingException


def chat(client: Client) -> ConverseResult:
    result: ConverseResult = bedrock_cris.converse(
        "Explain cloud computing in 2 sentences.",
        system="Be brief.",
        max_tokens=200,
        temperature=0.2,
        stop=["\n\n"],
        client=client,
    )
    usage: Usage = result.usage
    total: int = usage.total_tokens + usage.cache_read_input_tokens
    latency: int | None = result.latency_ms
    request_id: str | None = result.request_id
    assert total > 0 and latency is not None and request_id
    return result


def stream_text(client: Client) -> str:
    stream: TextStream = client.stream([{"role": "user", "content": "Write a haiku."}])
    with stream:
        parts: list[str] = [delta for delta in stream]
    usage: Usage | None = stream.usage
    assert usage is not None and usage.output_tokens > 0
    return "".join(parts)


def similarity(client: Client) -> npt.NDArray[np.float32]:
    result: Embeddings = client.embed(
        ["a cat", "a kitten", "a spreadsheet"], input_type="search_document", dimensions=256
    )
    vectors = np.asarray(result, dtype=np.float32)
    tokens: int = result.input_tokens
    assert vectors.shape == (3, 256) and len(result) == 3 and tokens > 0
    scores: npt.NDArray[np.float32] = vectors @ vectors.T
    return scores


async def concurrently(client: Client) -> list[str]:
    answers = await asyncio.gather(
        *(bedrock_cris.aconverse(f"Question {i}", client=client) for i in range(3))
    )
    deltas = [delta async for delta in client.astream("Stream this.")]
    embedded = await client.aembed(["async text"], model="amazon.titan-embed-text-v2:0")
    assert embedded.shape == (1, 1024)
    return [answer.text for answer in answers] + deltas


def failure(client: Client) -> range:
    try:
        client.embed(["x"], model="emulator.error.ValidationException", family="cohere-v4")
    except EmbeddingError as error:
        return error.failed
    raise AssertionError("expected an EmbeddingError")


def facade_errors(endpoint_url: str) -> list[str]:
    """The facade's modelled exceptions, imported and from ``client.exceptions``."""
    client = bedrock_cris.client(
        "bedrock-runtime",
        region_name="ap-south-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"max_attempts": 1}),
    )
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    codes: list[str] = []
    for model in ("emulator.error.ThrottlingException", "emulator.error.ValidationException"):
        try:
            client.converse(modelId=model, messages=messages, inferenceConfig={"maxTokens": 8})
        except ThrottlingException as error:
            throttled: ClientError = error
            codes.append(throttled.response["Error"]["Code"])
        except client.exceptions.ValidationException as error:
            codes.append(error.response["Error"]["Code"])
    return codes


def misspelt_options_are_type_errors() -> None:
    """Never called: under ``mypy --strict`` (unused ignores are errors) each ignore below must
    be needed, so the options' types catch a misspelt keyword; a Converse argument with
    boto3's name is accepted."""
    bedrock_cris.converse("hi", max_token=5)  # type: ignore[call-arg]
    bedrock_cris.embed(["a"], dimension=5)  # type: ignore[call-arg]
    bedrock_cris.converse("hi", guardrailConfig={"guardrailIdentifier": "g"}, temperature=0.5)


def main(endpoint_url: str) -> None:
    client = Client(
        "ap-south-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    )
    assert chat(client).text
    assert stream_text(client)
    scores = similarity(client)
    assert scores.shape == (3, 3)
    assert len(asyncio.run(concurrently(client))) > 3
    assert failure(client) == range(1)
    assert facade_errors(endpoint_url) == ["ThrottlingException", "ValidationException"]
    print("typed usage ok")


if __name__ == "__main__":
    main(sys.argv[1])

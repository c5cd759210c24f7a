"""The contenders: how each library makes the calls the scenarios time.

A contender is one function ``(endpoint, pool) -> Calls`` registered with
``@contender(name, cold_start=...)``; it imports its library lazily and fills in
the calls it supports (a scenario skips a contender whose call is None). Adding
a library to the suite is adding one such function here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, Callable

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
PROMPT = "Explain cloud computing in 2 sentences."
MESSAGES = [{"role": "user", "content": [{"text": PROMPT}]}]
#: The emulator streams this model's answers in exactly 500 text deltas.
STREAM_MODEL = f"emulator.deltas.500.{MODEL}"
EMBED_MODEL = "cohere.embed-v4:0"
EMBED_DIMENSIONS = 1024
#: Bedrock's limit on texts per Cohere Embed request.
EMBED_BATCH = 96
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}

AsyncConverse = Callable[[], Awaitable[Any]]


@dataclass
class Calls:
    """What one contender can do; None where it has no such call."""

    #: One Converse call on the shared client.
    converse: Callable[[], Any] | None = None
    #: One ConverseStream call, every event read; returns the number of events.
    stream: Callable[[], int] | None = None
    #: An async context manager (entered inside the event loop) giving an awaitable Converse.
    async_converse: Callable[[], contextlib.AbstractAsyncContextManager[AsyncConverse]] | None = (
        None
    )
    #: Embeds all the texts (batching as the library needs); returns rows x dimensions.
    embed: Callable[[list[str]], Any] | None = None


@dataclass
class Contender:
    name: str
    factory: Callable[[str, int], Calls]
    #: Python source that imports the library and creates a bedrock-runtime client
    #: (``ENDPOINT`` is defined), for the cold-start scenario.
    cold_start: str | None


CONTENDERS: dict[str, Contender] = {}


def contender(name: str, cold_start: str | None = None):
    def register(factory: Callable[[str, int], Calls]) -> Callable[[str, int], Calls]:
        CONTENDERS[name] = Contender(name, factory, cold_start)
        return factory

    return register


def embed_body(texts: list[str], dimensions: int = EMBED_DIMENSIONS) -> str:
    """A Cohere Embed v4 request body, as boto3 users write it."""
    return json.dumps(
        {
            "texts": texts,
            "input_type": "search_document",
            "embedding_types": ["float"],
            "output_dimension": dimensions,
        }
    )


def _invoke_model_embed(client: Any) -> Callable[[list[str]], list[list[float]]]:
    """What boto3 users write: invoke_model per batch of 96, then json.loads."""

    def embed(texts: list[str]) -> list[list[float]]:
        rows: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            response = client.invoke_model(
                modelId=EMBED_MODEL, body=embed_body(texts[start : start + EMBED_BATCH])
            )
            rows.extend(json.loads(response["body"].read())["embeddings"]["float"])
        return rows

    return embed


def _sync_calls(client: Any) -> Calls:
    """The calls of a boto3-shaped blocking client (boto3 itself or our facade)."""

    def converse() -> Any:
        return client.converse(modelId=MODEL, messages=MESSAGES)

    def stream() -> int:
        response = client.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)
        events = 0
        for _event in response["stream"]:
            events += 1
        return events

    return Calls(converse=converse, stream=stream, embed=_invoke_model_embed(client))


@contender(
    "boto3",
    cold_start="import boto3\n"
    "boto3.client('bedrock-runtime', region_name='us-east-1', endpoint_url=ENDPOINT)",
)
def boto3_calls(endpoint: str, pool: int) -> Calls:
    import boto3
    from botocore.config import Config

    # boto3 at its best: a connection pool as large as the number of threads.
    config = Config(max_pool_connections=max(pool, 10))
    client = boto3.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=endpoint, config=config, **CREDENTIALS
    )
    return _sync_calls(client)


@contender("aioboto3")
def aioboto3_calls(
    endpoint: str,
    pool: int,
    *,
    region: str = REGION,
    messages: list[dict[str, Any]] = MESSAGES,
    retries: dict[str, Any] | None = None,
) -> Calls:
    """aioboto3 (its own botocore, so only in bench/.venv); ``region``, ``messages`` and
    botocore's ``retries`` for scenarios that need others (bench/quota.py)."""
    import aioboto3
    from botocore.config import Config

    @contextlib.asynccontextmanager
    async def async_converse() -> AsyncIterator[AsyncConverse]:
        config = Config(max_pool_connections=max(pool, 10), retries=retries)
        session = aioboto3.Session()
        async with session.client(
            "bedrock-runtime",
            region_name=region,
            endpoint_url=endpoint,
            config=config,
            **CREDENTIALS,
        ) as client:
            yield lambda: client.converse(modelId=MODEL, messages=messages)

    return Calls(async_converse=async_converse)


@contender(
    "bedrock_cris",
    cold_start="import bedrock_cris\n"
    "bedrock_cris.client('bedrock-runtime', region_name='us-east-1', endpoint_url=ENDPOINT)",
)
def facade_calls(endpoint: str, pool: int) -> Calls:
    """Our boto3 facade (``import bedrock_cris as boto3``) and its asyncio twin."""
    import bedrock_cris

    client = bedrock_cris.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS
    )
    calls = _sync_calls(client)

    @contextlib.asynccontextmanager
    async def async_converse() -> AsyncIterator[AsyncConverse]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS
        ) as aclient:
            yield lambda: aclient.converse(modelId=MODEL, messages=MESSAGES)

    calls.async_converse = async_converse
    return calls


@contender(
    "native",
    cold_start="import bedrock_cris\nbedrock_cris.Client('us-east-1', endpoint_url=ENDPOINT)",
)
def native_calls(endpoint: str, pool: int) -> Calls:
    """Our native API (``bedrock_cris.Client``): result objects, text deltas, numpy embeddings.

    Its stream yields the 500 text deltas only (not the start/stop/metadata events), and its
    ``embed`` sends up to 8 requests at once (its default).
    """
    import bedrock_cris

    if not hasattr(bedrock_cris, "Client"):
        raise ImportError("this build of bedrock_cris has no native API")
    client = bedrock_cris.Client(REGION, endpoint_url=endpoint, model=MODEL, **CREDENTIALS)

    def stream() -> int:
        deltas = 0
        for _delta in client.stream(PROMPT, model=STREAM_MODEL):
            deltas += 1
        return deltas

    @contextlib.asynccontextmanager
    async def async_converse() -> AsyncIterator[AsyncConverse]:
        yield lambda: client.aconverse(PROMPT)

    return Calls(
        converse=lambda: client.converse(PROMPT),
        stream=stream,
        async_converse=async_converse,
        embed=lambda texts: (
            client.embed(texts, model=EMBED_MODEL, dimensions=EMBED_DIMENSIONS).vectors
        ),
    )

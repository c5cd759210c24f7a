"""The bound on a client's requests in flight (``max_pool_connections``; by default half
the file-descriptor limit, at most 1,024): bursts far beyond it queue instead of failing
to connect, streams hold their place until they end, and a queued call can be cancelled."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris.config import Config
from conftest import client_kwargs

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
NO_RETRIES = {"retries": {"max_attempts": 0}}


def test_a_burst_of_25600_awaits_loses_no_call(emulator: Any) -> None:
    """Unbounded (max_pool_connections=100000) the same burst loses most calls to
    EndpointConnectionError (15,537 of 25,600 when measured); bounded, none."""

    async def main() -> Counter[str]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=Config(**NO_RETRIES))
        ) as client:

            async def one(i: int) -> None:
                if i % 4 == 0:
                    answer = await client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
                    async for _ in answer["stream"]:
                        pass
                else:
                    await client.converse(modelId=CLAUDE, messages=MESSAGES)

            results = await asyncio.gather(*(one(i) for i in range(25_600)), return_exceptions=True)
            return Counter(type(r).__name__ for r in results if isinstance(r, BaseException))

    assert asyncio.run(main()) == Counter()


def test_2000_threads_lose_no_call(emulator: Any) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=Config(**NO_RETRIES))
    )
    errors: Counter[str] = Counter()
    done: list[int] = []

    def one() -> None:
        try:
            client.converse(modelId=CLAUDE, messages=MESSAGES)
            done.append(1)
        except Exception as error:
            errors[type(error).__name__] += 1

    threads = [threading.Thread(target=one) for _ in range(2_000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == Counter()
    assert len(done) == 2_000


def test_a_stream_holds_its_place_until_it_ends(emulator: Any) -> None:
    """Until its last event is read from the connection, or it is closed."""
    emulator.set_latency(per_token=0.2)  # a stream that lasts seconds
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=Config(max_pool_connections=1, **NO_RETRIES)),
    )
    stream = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    finished = threading.Event()

    def second() -> None:
        client.converse(modelId=CLAUDE, messages=MESSAGES)
        finished.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not finished.wait(0.5)  # waits for the stream's place
    emulator.set_latency()
    stream.close()
    assert finished.wait(10)
    thread.join(10)


def test_a_queued_call_can_be_cancelled(emulator: Any) -> None:
    emulator.delay_first_byte(CLAUDE, 2.0, times=1)

    async def main() -> tuple[str, float]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime",
            **client_kwargs(
                emulator.endpoint_url, config=Config(max_pool_connections=1, **NO_RETRIES)
            ),
        ) as client:
            slow = asyncio.ensure_future(client.converse(modelId=CLAUDE, messages=MESSAGES))
            await asyncio.sleep(0.2)  # the slow call holds the only place
            started = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.converse(modelId=CLAUDE, messages=MESSAGES), 0.3)
            waited = time.monotonic() - started
            answer = await slow
            return answer["output"]["message"]["role"], waited

    role, waited = asyncio.run(main())
    assert role == "assistant"
    assert waited < 1.0

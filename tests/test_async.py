"""The asyncio client: same results as the blocking one, real concurrency,
async streams, cancellation, and living inside an already running loop."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import client_kwargs
from test_differential import stable

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]


def aclient(endpoint_url: str, **config: Any) -> bedrock_cris.aio.AsyncBedrockRuntime:
    return bedrock_cris.aio.client(
        "bedrock-runtime", **client_kwargs(endpoint_url, config=Config(**config))
    )


def test_async_converse_equals_sync(emulator: Any, ours: Any) -> None:
    async def main() -> dict[str, Any]:
        # Configured as `ours` is: standard retries flag MaxAttemptsReached on a last attempt.
        async with aclient(emulator.endpoint_url, retries={"max_attempts": 0}) as client:
            return await client.converse(modelId=CLAUDE, messages=MESSAGES)

    assert stable(asyncio.run(main())) == stable(ours.converse(modelId=CLAUDE, messages=MESSAGES))


def test_async_invoke_model_equals_sync(emulator: Any, ours: Any) -> None:
    params = dict(modelId="amazon.titan-embed-text-v2:0", body=b'{"inputText": "hello"}')

    async def main() -> dict[str, Any]:
        client = aclient(emulator.endpoint_url, retries={"max_attempts": 0})
        return await client.invoke_model(**params)

    assert stable(asyncio.run(main())) == stable(ours.invoke_model(**params))


def test_hundreds_of_concurrent_awaits_on_one_client(emulator: Any) -> None:
    emulator.set_event_delay(0.0)

    async def main() -> list[dict[str, Any]]:
        client = aclient(emulator.endpoint_url)
        calls = [
            client.converse(
                modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": f"q{i}"}]}]
            )
            for i in range(300)
        ]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    assert len(results) == 300
    assert all(r["ResponseMetadata"]["HTTPStatusCode"] == 200 for r in results)
    assert len({r["output"]["message"]["content"][0]["text"] for r in results}) > 1


def test_calls_do_not_block_the_event_loop(emulator: Any) -> None:
    """While calls are in flight, other tasks keep running."""
    emulator.set_event_delay(0.02)

    async def main() -> int:
        client = aclient(emulator.endpoint_url)
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.create_task(ticker())
        response = await client.converse_stream(
            modelId=f"emulator.deltas.20.{CLAUDE}", messages=MESSAGES
        )
        async for _event in response["stream"]:
            pass
        done.set()
        await task
        return ticks

    try:
        assert asyncio.run(main()) > 20
    finally:
        emulator.set_event_delay(0.0)


def test_async_stream_equals_sync_stream(emulator: Any, ours: Any) -> None:
    async def main() -> list[dict[str, Any]]:
        client = aclient(emulator.endpoint_url)
        response = await client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
        return [event async for event in response["stream"]]

    expected = list(ours.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"])
    assert asyncio.run(main()) == expected


def test_a_cancelled_anext_loses_no_event(emulator: Any, ours: Any) -> None:
    """Waits for each event with a timeout shorter than the gap between events: every wait
    that times out cancels its ``__anext__``, and the stream still yields every event, in
    order."""
    model = f"emulator.deltas.8.{CLAUDE}"
    expected = list(ours.converse_stream(modelId=model, messages=MESSAGES)["stream"])
    emulator.set_latency(per_token=0.02)

    async def main() -> tuple[list[dict[str, Any]], int]:
        client = aclient(emulator.endpoint_url)
        stream = (await client.converse_stream(modelId=model, messages=MESSAGES))["stream"]
        events: list[dict[str, Any]] = []
        cancelled = 0
        while True:
            try:
                events.append(await asyncio.wait_for(stream.__anext__(), 0.003))
            except asyncio.TimeoutError:
                cancelled += 1
            except StopAsyncIteration:
                return events, cancelled

    events, cancelled = asyncio.run(main())
    assert cancelled > 0
    assert events == expected


def test_async_invoke_stream(emulator: Any, ours: Any) -> None:
    body = b'{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}'

    async def main() -> list[dict[str, Any]]:
        client = aclient(emulator.endpoint_url)
        response = await client.invoke_model_with_response_stream(modelId=CLAUDE, body=body)
        return [event async for event in response["body"]]

    expected = list(ours.invoke_model_with_response_stream(modelId=CLAUDE, body=body)["body"])
    assert asyncio.run(main()) == expected


def test_async_errors_are_the_same_exceptions(emulator: Any) -> None:
    async def main() -> None:
        client = aclient(emulator.endpoint_url, retries={"max_attempts": 0})
        with pytest.raises(client.exceptions.ThrottlingException):
            await client.converse(modelId="emulator.error.ThrottlingException", messages=MESSAGES)
        with pytest.raises(exceptions.ParamValidationError):
            await client.converse(modelId=CLAUDE, messages="not a list")
        emulator.fail_stream(
            CLAUDE, after_events=2, mode="exception", code="ModelStreamErrorException"
        )
        response = await client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
        with pytest.raises(client.exceptions.ModelStreamErrorException):
            async for _event in response["stream"]:
                pass

    asyncio.run(main())


def test_cancelling_a_task_cancels_the_request() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"

    async def main() -> float:
        client = aclient(url)
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.converse(modelId=CLAUDE, messages=MESSAGES), 0.3)
        return time.monotonic() - started

    try:
        assert asyncio.run(main()) < 2
    finally:
        silent.close()


def test_sync_client_works_inside_a_running_loop(emulator: Any, ours: Any) -> None:
    """Jupyter and FastAPI run a loop already: the blocking API must not call asyncio.run."""

    async def main() -> dict[str, Any]:
        return ours.converse(modelId=CLAUDE, messages=MESSAGES)

    assert asyncio.run(main())["stopReason"] == "end_turn"

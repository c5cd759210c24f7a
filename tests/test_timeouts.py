"""Waiting that must end: connect, first-byte, whole-call and stream-idle timeouts
raise botocore's exceptions on time (compared with boto3 where it defines them),
timed-out attempts are retried like boto3's, and Ctrl-C interrupts asyncio calls
and streams as it does blocking ones (tests/test_facade.py, tests/test_streams.py)."""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.exceptions
import botocore.retries.standard
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from childproc import interrupt_when_waiting
from conftest import REGION, client_kwargs

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
NO_RETRIES = {"max_attempts": 0}


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A listening socket whose accept queue is full: new connections are never
    completed (Linux drops their SYNs), so connecting can only time out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    address = server.getsockname()
    fillers = []
    for _ in range(4):  # more than the queue holds, whatever the kernel's rounding
        filler = socket.socket()
        filler.setblocking(False)
        code = filler.connect_ex(address)
        assert code in (0, errno.EINPROGRESS, errno.EAGAIN), code
        fillers.append(filler)
    time.sleep(0.1)
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect(address)
    except (TimeoutError, socket.timeout):
        pass
    else:  # pragma: no cover - a kernel that queues without limit
        pytest.skip("this kernel completes connections beyond the listen backlog")
    finally:
        probe.close()
    try:
        yield f"http://127.0.0.1:{address[1]}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def our_client(endpoint_url: str, **config: Any) -> Any:
    return bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(endpoint_url, config=Config(**config))
    )


def boto_client(endpoint_url: str, **config: Any) -> Any:
    return boto3.client(
        "bedrock-runtime", **client_kwargs(endpoint_url, config=botocore.config.Config(**config))
    )


def timed(call: Any) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        call()
    return info.value, time.monotonic() - started


@pytest.mark.skipif(
    sys.platform != "linux", reason="relies on Linux dropping SYNs on a full backlog"
)
def test_connect_timeout_on_time_like_boto3(full_backlog: str) -> None:
    config = {"connect_timeout": 0.5, "read_timeout": 30, "retries": NO_RETRIES}
    ours, our_time = timed(
        lambda: our_client(full_backlog, **config).converse(modelId=CLAUDE, messages=MESSAGES)
    )
    theirs, _ = timed(
        lambda: boto_client(full_backlog, **config).converse(modelId=CLAUDE, messages=MESSAGES)
    )
    assert isinstance(ours, exceptions.ConnectTimeoutError), repr(ours)
    assert isinstance(theirs, botocore.exceptions.ConnectTimeoutError), repr(theirs)
    assert not isinstance(ours, exceptions.ClientError)
    assert str(ours) == str(theirs)
    assert 0.45 < our_time < 1.5, our_time


@pytest.mark.skipif(
    sys.platform != "linux", reason="relies on Linux dropping SYNs on a full backlog"
)
def test_connect_timeouts_are_retried(full_backlog: str) -> None:
    client = our_client(full_backlog, connect_timeout=0.2, retries={"total_max_attempts": 2})
    error, elapsed = timed(lambda: client.converse(modelId=CLAUDE, messages=MESSAGES))
    assert isinstance(error, exceptions.ConnectTimeoutError), repr(error)
    # two attempts of 0.2 s and one backoff below 1 s
    assert 0.35 < elapsed < 2.0, elapsed


def test_first_byte_timeout_on_time_like_boto3(emulator: Any) -> None:
    emulator.delay_first_byte(CLAUDE, 3.0)
    config = {"read_timeout": 0.5, "retries": NO_RETRIES}
    url = emulator.endpoint_url
    ours, our_time = timed(
        lambda: our_client(url, **config).converse(modelId=CLAUDE, messages=MESSAGES)
    )
    theirs, _ = timed(
        lambda: boto_client(url, **config).converse(modelId=CLAUDE, messages=MESSAGES)
    )
    assert isinstance(ours, exceptions.ReadTimeoutError), repr(ours)
    assert isinstance(theirs, botocore.exceptions.ReadTimeoutError), repr(theirs)
    assert str(ours) == str(theirs)
    assert 0.45 < our_time < 1.5, our_time


def test_whole_call_timeout_for_a_stalled_answer(emulator: Any) -> None:
    """Headers and part of the body arrive, then nothing: the call ends at read_timeout."""
    emulator.stall_body(CLAUDE, after_bytes=5)
    client = our_client(emulator.endpoint_url, read_timeout=0.5, retries=NO_RETRIES)
    error, elapsed = timed(lambda: client.converse(modelId=CLAUDE, messages=MESSAGES))
    assert isinstance(error, exceptions.ReadTimeoutError), repr(error)
    assert emulator.endpoint_url in str(error)
    assert 0.45 < elapsed < 1.5, elapsed


def test_a_timed_out_attempt_is_retried_like_boto3(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0
    )
    config = {"read_timeout": 0.3, "retries": {"total_max_attempts": 2, "mode": "standard"}}
    for client in (
        our_client(emulator.endpoint_url, **config),
        boto_client(emulator.endpoint_url, **config),
    ):
        emulator.delay_first_byte(CLAUDE, 2.0, times=1)
        result = client.converse(modelId=CLAUDE, messages=MESSAGES)
        assert result["ResponseMetadata"]["RetryAttempts"] == 1, client


def test_slow_first_byte_within_read_timeout_is_fine(emulator: Any) -> None:
    emulator.delay_first_byte(CLAUDE, 0.3)
    client = our_client(emulator.endpoint_url, read_timeout=2, retries=NO_RETRIES)
    assert (
        client.converse(modelId=CLAUDE, messages=MESSAGES)["ResponseMetadata"]["RetryAttempts"] == 0
    )


def test_async_stream_idle_timeout_on_time(emulator: Any) -> None:
    emulator.fail_stream(CLAUDE, after_events=2, mode="stall")

    async def main() -> tuple[int, BaseException, float]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime",
            **client_kwargs(
                emulator.endpoint_url, config=Config(read_timeout=0.5, retries=NO_RETRIES)
            ),
        ) as client:
            response = await client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
            got = 0
            started = time.monotonic()
            try:
                async for _event in response["stream"]:
                    got += 1
            except Exception as error:
                return got, error, time.monotonic() - started
            raise AssertionError("the stalled stream ended without an error")

    got, error, elapsed = asyncio.run(main())
    assert got == 2
    assert isinstance(error, exceptions.ReadTimeoutError), repr(error)
    assert 0.45 < elapsed < 1.5, elapsed


# -- Ctrl-C in asyncio ------------------------------------------------------------------------


PRELUDE = f"""
import asyncio, sys, time
import bedrock_cris
MESSAGES = {MESSAGES!r}

def client(url):
    return bedrock_cris.aio.client("bedrock-runtime", region_name="{REGION}", endpoint_url=url,
                                   aws_access_key_id="a", aws_secret_access_key="b")

async def usable(url):
    async with client(url) as c:
        response = await c.converse(modelId="{CLAUDE}", messages=MESSAGES)
        print("usable", response["stopReason"], flush=True)
"""


def test_ctrl_c_interrupts_an_async_call(emulator: Any) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        script = (
            PRELUDE
            + f"""
async def main():
    async with client("http://127.0.0.1:{silent.getsockname()[1]}") as c:
        print("waiting", flush=True)
        await c.converse(modelId="{CLAUDE}", messages=MESSAGES)

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted at", time.monotonic(), flush=True)
asyncio.run(usable("{emulator.endpoint_url}"))
"""
        )
        latency, rest = interrupt_when_waiting(script)
    finally:
        silent.close()
    assert latency < 0.5, f"took {latency:.3f}s"
    assert rest == ["usable end_turn"]


def test_ctrl_c_interrupts_an_async_stream(emulator: Any) -> None:
    emulator.fail_stream(CLAUDE, after_events=1, mode="stall")
    script = (
        PRELUDE
        + f"""
async def main():
    async with client("{emulator.endpoint_url}") as c:
        response = await c.converse_stream(modelId="{CLAUDE}", messages=MESSAGES)
        print("waiting", flush=True)
        async for event in response["stream"]:
            pass

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted at", time.monotonic(), flush=True)
asyncio.run(usable("{emulator.endpoint_url}"))
"""
    )
    latency, rest = interrupt_when_waiting(script)
    assert latency < 0.5, f"took {latency:.3f}s"
    assert rest == ["usable end_turn"]

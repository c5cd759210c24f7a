"""Load and soak: 256 concurrent callers (threads, then asyncio tasks) with a
share of throttled and reset requests that the retries absorb, and long runs of
sequential calls whose memory, sockets and threads must stay flat.

CI runs 2,000 calls per test. ``BEDROCK_CRIS_SOAK=1`` runs the full figures:
20,000 concurrent calls per flavour and 100,000 sequential calls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, SECRET_KEY, client_kwargs

SOAK = os.environ.get("BEDROCK_CRIS_SOAK") == "1"
CONCURRENT_CALLS = 20_000 if SOAK else 2_000
SEQUENTIAL_CALLS = 100_000 if SOAK else 2_000
CALLERS = 256
THROTTLED, RESET = 0.02, 0.01  # fractions of requests the emulator faults
#: Attempts per call: with 3 % of requests faulted, the default 3 attempts would leave about one
#: call in 40,000 failing on its own (a run here sends 2,000); 5 make it one in 40 million.
LOAD_CONFIG = Config(retries={"total_max_attempts": 5})
# Resident memory may grow this much over the measured calls, after warm-up.
RSS_BOUND_MB = 16 if SOAK else 8

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MODEL = f"emulator.deltas.4.{CLAUDE}"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 500,
        "messages": [{"role": "user", "content": "hi"}],
    }
).encode()


@pytest.fixture
def faulty(emulator: Any) -> Iterator[Any]:
    """The emulator throttling and resetting a seeded share of all requests."""
    emulator.set_seed(5)
    emulator.throttle("*", fraction=THROTTLED)
    emulator.reset_connection("*", fraction=RESET)
    yield emulator
    emulator.reset_all()


def call(client: Any, i: int) -> None:
    """One call of a mix of operations, fully consumed and checked."""
    kind = i % 4
    if kind == 0 or kind == 1:
        result = client.converse(modelId=MODEL, messages=MESSAGES)
        assert result["stopReason"] == "end_turn"
    elif kind == 2:
        events = list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
        assert "messageStop" in events[-2]
    else:
        answer = json.loads(client.invoke_model(modelId=MODEL, body=BODY)["body"].read())
        assert answer["stop_reason"] == "end_turn"


async def acall(client: Any, i: int) -> None:
    kind = i % 4
    if kind == 0 or kind == 1:
        result = await client.converse(modelId=MODEL, messages=MESSAGES)
        assert result["stopReason"] == "end_turn"
    elif kind == 2:
        response = await client.converse_stream(modelId=MODEL, messages=MESSAGES)
        events = [event async for event in response["stream"]]
        assert "messageStop" in events[-2]
    else:
        response = await client.invoke_model(modelId=MODEL, body=BODY)
        body = response["body"].read()
        if asyncio.iscoroutine(body):
            body = await body
        assert json.loads(body)["stop_reason"] == "end_turn"


def report(flavour: str, errors: Counter[str], sent: int, started: float) -> str:
    faults = sent - CONCURRENT_CALLS
    text = (
        f"{flavour}: {CONCURRENT_CALLS} calls by {CALLERS} callers in {time.monotonic() - started:.1f}s, "
        f"{faults} faulted requests retried, errors {dict(errors) or 0}"
    )
    print(text)
    return text


def test_threads(faulty: Any) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(faulty.endpoint_url, config=LOAD_CONFIG)
    )
    before = faulty.request_count
    tickets = itertools.count()
    errors: Counter[str] = Counter()

    def caller() -> None:
        while (i := next(tickets)) < CONCURRENT_CALLS:
            try:
                call(client, i)
            except Exception as error:
                errors[f"{type(error).__name__}: {error}"[:200]] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not any(t.is_alive() for t in threads)
    sent = faulty.request_count - before
    text = report("threads", errors, sent, started)
    assert not errors, text
    assert sent > CONCURRENT_CALLS, "no fault was injected"  # the retries did work


def test_asyncio_tasks(faulty: Any) -> None:
    before = faulty.request_count
    errors: Counter[str] = Counter()

    async def main() -> None:
        tickets = itertools.count()
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(faulty.endpoint_url, config=LOAD_CONFIG)
        ) as client:

            async def caller() -> None:
                while (i := next(tickets)) < CONCURRENT_CALLS:
                    try:
                        await acall(client, i)
                    except Exception as error:
                        errors[f"{type(error).__name__}: {error}"[:200]] += 1

            await asyncio.wait_for(asyncio.gather(*(caller() for _ in range(CALLERS))), 600)

    started = time.monotonic()
    asyncio.run(main())
    sent = faulty.request_count - before
    text = report("asyncio", errors, sent, started)
    assert not errors, text
    assert sent > CONCURRENT_CALLS, "no fault was injected"


# -- sequential soak in a child process -------------------------------------------------------

SOAK_CHILD = """
import gc, json, os, sys, threading
import bedrock_cris
sys.path.insert(0, {tests!r})
from test_load import call

def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

def sockets():
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{{fd}}").startswith("socket:")
        except OSError:
            pass
    return count

def snapshot():
    gc.collect()
    return {{"rss_kb": rss_kb(), "sockets": sockets(), "threads": threading.active_count(),
            "os_threads": len(os.listdir("/proc/self/task")), "objects": len(gc.get_objects())}}

client = bedrock_cris.client("bedrock-runtime", region_name="us-east-1", endpoint_url={url!r},
                             aws_access_key_id={key!r}, aws_secret_access_key={secret!r})
calls = {calls}
for i in range(1000):  # warm-up: pools, caches, allocator arenas
    call(client, i)
points = [snapshot()]
for i in range(calls):
    call(client, i)
    if (i + 1) % (calls // 4) == 0:
        points.append(snapshot())
print(json.dumps(points))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc (Linux)")
def test_sequential_calls_do_not_leak(emulator: Any) -> None:
    script = SOAK_CHILD.format(
        tests=os.path.dirname(__file__),
        url=emulator.endpoint_url,
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        calls=SEQUENTIAL_CALLS,
    )
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=3600 if SOAK else 300,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-4000:]
    points = json.loads(child.stdout.strip().splitlines()[-1])
    first, last = points[0], points[-1]
    growth_mb = (last["rss_kb"] - first["rss_kb"]) / 1024
    print(
        f"sequential: {SEQUENTIAL_CALLS} calls in {time.monotonic() - started:.1f}s, RSS "
        f"{first['rss_kb'] / 1024:.1f} -> {last['rss_kb'] / 1024:.1f} MB ({growth_mb:+.2f} MB), "
        f"sockets {first['sockets']} -> {last['sockets']}, threads {first['os_threads']} -> "
        f"{last['os_threads']}, objects {first['objects']} -> {last['objects']}"
    )
    assert growth_mb < RSS_BOUND_MB, points
    assert last["sockets"] <= first["sockets"] + 2, points
    assert last["threads"] == first["threads"], points
    assert last["os_threads"] <= first["os_threads"] + 2, points
    assert last["objects"] - first["objects"] < 1000, points  # no Python objects pile up
    # The second half grows no more than noise: a leak would grow steadily.
    half = points[len(points) // 2]
    assert (last["rss_kb"] - half["rss_kb"]) / 1024 < RSS_BOUND_MB / 2, points


def test_no_pool_setting_needed_for_many_threads(emulator: Any) -> None:
    """Without a setting, 64 threads' calls are all in flight at once (botocore's pool of
    10 would queue them); ``max_pool_connections`` bounds them, the rest waiting in turn."""
    emulator.set_latency(time_to_first_token=0.2)

    def run(config: Config, calls: int) -> float:
        client = bedrock_cris.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=config)
        )
        done: list[Any] = []
        threads = [
            threading.Thread(
                target=lambda: done.append(client.converse(modelId=CLAUDE, messages=MESSAGES))
            )
            for _ in range(calls)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(done) == calls
        return time.monotonic() - started

    # 64 calls of 0.2 s each at once: well under 64 * 0.2 / 2 s if nothing queues.
    assert run(Config(), 64) < 3.0
    # 16 calls, 4 at a time: at least four rounds of 0.2 s.
    assert run(Config(max_pool_connections=4), 16) >= 0.8

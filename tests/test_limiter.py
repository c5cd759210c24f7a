"""``max_in_flight``: a bound per (Region, model id), fixed or found by additive increase and
multiplicative decrease, against the emulator's time-scaled quotas (a quota minute per
second), counting throttles in ``emu.usage()``."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris.config import Config
from childproc import interrupt_when_waiting
from conftest import ACCESS_KEY, SECRET_KEY, client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
OTHER = "us.amazon.nova-lite-v1:0"
EMBED = "amazon.titan-embed-text-v2:0"  # one text per request
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
CALLS = 2000
REGION = "ap-south-1"  # conftest's clients sign for it


def facade(emulator: Any, **config: Any) -> Any:
    return bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=Config(**config))
    )


def native(emulator: Any, **options: Any) -> bedrock_cris.Client:
    return bedrock_cris.Client(
        REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        **options,
    )


def hammer(call: Callable[[], Any], threads: int, calls: int) -> int:
    """Runs ``calls`` calls on ``threads`` threads; returns how many raised."""
    failed = 0
    lock = threading.Lock()

    def one(_: int) -> None:
        nonlocal failed
        try:
            call()
        except Exception:
            with lock:
                failed += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(calls)))
    return failed


def quota_scenario(emulator: Any) -> None:
    """600 requests per second (a quota minute per second), and calls that take 20 ms:
    about 12 in flight fit. The bucket starts full: the first 600 pass at any rate."""
    emulator.set_time_scale(60)
    emulator.set_quota(MODEL, requests_per_minute=600)
    emulator.set_latency(time_to_first_token=0.02)


def test_64_threads_settle_at_the_quota_with_adaptive(emulator: Any) -> None:
    quota_scenario(emulator)
    storm = facade(emulator)
    failed_storm = hammer(lambda: storm.converse(modelId=MODEL, messages=MESSAGES), 64, CALLS)
    storm_usage = emulator.usage()[REGION][MODEL]
    emulator.reset_all()
    quota_scenario(emulator)
    adaptive = facade(emulator, max_in_flight="adaptive")
    started = time.monotonic()
    failed = hammer(lambda: adaptive.converse(modelId=MODEL, messages=MESSAGES), 64, CALLS)
    took = time.monotonic() - started
    usage = emulator.usage()[REGION][MODEL]
    assert failed == 0
    assert usage["requests"] - usage["throttled"] == CALLS
    # Without the limiter, 64 threads storm the quota; with it, few requests are throttled.
    assert storm_usage["throttled"] > 2 * max(usage["throttled"], 1), (storm_usage, usage)
    assert usage["throttled"] <= 0.05 * usage["requests"], usage
    assert failed_storm > 0 or storm_usage["throttled"] > 100
    # 2,000 calls at 600/s after a full bucket of 600: about 2.3 s.
    assert took < 8, took


def test_a_fixed_bound_per_region_and_model(emulator: Any) -> None:
    # The emulator throttles every request beyond 8 in flight: a bound of 4 per model is
    # never throttled, and each model has its own.
    emulator.set_concurrency_limit(8)
    emulator.set_latency(time_to_first_token=0.03)
    ours = facade(emulator, max_in_flight=4, retries={"total_max_attempts": 1})
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, emulator.in_flight)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        models = [MODEL, OTHER] * 32
        failed = hammer(
            lambda: ours.converse(modelId=models.pop(), messages=MESSAGES), 32, len(models)
        )
    finally:
        done.set()
        watcher.join()
    assert failed == 0
    assert 4 < peak <= 8, peak  # both lanes full at once, never more


def test_streams_hold_their_place_until_they_end(emulator: Any) -> None:
    emulator.set_concurrency_limit(1)
    emulator.set_event_delay(0.05)  # the stream lasts a second or so
    ours = facade(emulator, max_in_flight=1, retries={"total_max_attempts": 1})
    first = ours.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
    result: dict[str, Any] = {}
    second = threading.Thread(
        target=lambda: result.update(ours.converse(modelId=MODEL, messages=MESSAGES))
    )
    second.start()
    time.sleep(0.2)
    assert not result  # waiting for the stream's place
    assert list(first)[-1].keys() == {"metadata"}
    second.join(timeout=10)
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_cancelling_a_task_that_waits_for_a_place(emulator: Any) -> None:
    emulator.set_latency(time_to_first_token=0.3)

    async def main() -> None:
        async with bedrock_cris.aio.client(
            "bedrock-runtime",
            **client_kwargs(emulator.endpoint_url, config=Config(max_in_flight=1)),
        ) as client:
            holder = asyncio.ensure_future(client.converse(modelId=MODEL, messages=MESSAGES))
            await asyncio.sleep(0.05)
            waiter = asyncio.ensure_future(client.converse(modelId=MODEL, messages=MESSAGES))
            await asyncio.sleep(0.05)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            await holder
            # The cancelled call left the queue: the next one is served at once after.
            await client.converse(modelId=MODEL, messages=MESSAGES)

    asyncio.run(main())
    assert emulator.usage()[REGION][MODEL]["requests"] == 2


def test_cancelling_an_embed_job_whose_requests_wait_for_places(emulator: Any) -> None:
    emulator.set_latency(time_to_first_token=1.0)
    client = native(emulator, max_in_flight=1)
    texts = [f"text {i}" for i in range(16)]
    arrived = emulator.request_count

    async def main() -> float:
        # Eight requests at once, one place: one is sent, seven wait for the limiter.
        job = asyncio.ensure_future(
            client.aembed(texts, model=EMBED, dimensions=256, max_concurrency=8)
        )
        await asyncio.sleep(0.2)
        cancelled = time.monotonic()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        took = time.monotonic() - cancelled
        # The place of the request in flight was given back: the lane serves at once.
        emulator.set_latency()
        again = await asyncio.wait_for(client.aembed(["one"], model=EMBED, dimensions=256), 5)
        assert len(again) == 1
        return took

    took = asyncio.run(main())
    assert took < 0.5, took  # not after the request in flight (a second)
    # Only the request holding the place was ever sent, then the one after the job.
    assert emulator.request_count - arrived == 2
    time.sleep(0.2)
    assert emulator.request_count - arrived == 2  # nothing left running


def test_ctrl_c_interrupts_a_blocking_call_waiting_for_a_place(emulator: Any) -> None:
    emulator.set_latency(time_to_first_token=1.5)
    arrived = emulator.request_count
    script = f"""
        import sys, threading, time
        import bedrock_cris
        from bedrock_cris.config import Config
        client = bedrock_cris.client("bedrock-runtime", region_name="{REGION}",
            endpoint_url="{emulator.endpoint_url}", aws_access_key_id="a",
            aws_secret_access_key="b", config=Config(max_in_flight=1))

        def call():
            return client.converse(modelId="{MODEL}", messages={MESSAGES!r})

        holder = threading.Thread(target=call)  # takes the one place for 1.5 s
        holder.start()
        time.sleep(0.2)
        print("waiting", flush=True)
        try:
            call()
            print("not interrupted", flush=True)
        except KeyboardInterrupt:
            print("interrupted at", time.monotonic(), flush=True)
        holder.join()
        print("usable", call()["stopReason"], flush=True)
        """
    latency, rest = interrupt_when_waiting(script)
    assert latency < 0.3, f"took {latency:.3f}s"
    assert rest == ["usable end_turn"]
    # The interrupted call never got a place, so it was never sent.
    assert emulator.request_count - arrived == 2


def test_adaptive_asyncio_tasks(emulator: Any) -> None:
    quota_scenario(emulator)

    async def main() -> list[Any]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime",
            **client_kwargs(emulator.endpoint_url, config=Config(max_in_flight="adaptive")),
        ) as client:

            async def worker() -> list[Any]:
                # 256 tasks, each making its calls one after another.
                results = []
                for _ in range(CALLS // 256):
                    try:
                        results.append(await client.converse(modelId=MODEL, messages=MESSAGES))
                    except Exception as e:
                        results.append(e)
                return results

            done = await asyncio.gather(*(worker() for _ in range(256)))
            return [r for rs in done for r in rs]

    results = asyncio.run(main())
    assert not [r for r in results if isinstance(r, BaseException)]
    usage = emulator.usage()[REGION][MODEL]
    # 256 callers fill a window far past the quota while the full bucket lasts (a quota
    # minute of requests passes at any rate): most throttles are that one overshoot.
    assert usage["throttled"] <= 0.15 * usage["requests"], usage


def test_embed_jobs_use_the_limiter(emulator: Any) -> None:
    emulator.set_time_scale(60)
    emulator.set_quota(EMBED, requests_per_minute=300)
    emulator.set_latency(time_to_first_token=0.05)
    client = native(emulator, max_in_flight="adaptive")
    texts = [f"text {i}" for i in range(900)]
    vectors = client.embed(texts, model=EMBED, dimensions=256, max_concurrency=32)
    assert len(vectors) == len(texts)
    usage = emulator.usage()[REGION][EMBED]
    assert usage["requests"] - usage["throttled"] == 900
    assert usage["throttled"] <= 0.1 * usage["requests"], usage


def test_options_are_checked() -> None:
    for bad in [0, -1, "fast", 2.5, True]:
        with pytest.raises(ValueError, match="max_in_flight"):
            Config(max_in_flight=bad)
    assert Config(max_in_flight="adaptive").max_in_flight == "adaptive"
    # Not a botocore option: boto3 never sees it.
    assert Config(max_in_flight=3, connect_timeout=2)._botocore_options() == {"connect_timeout": 2}

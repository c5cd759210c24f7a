"""Paced streams: the emulator's time to first token and interval between events (given to
``Emulator(...)``, the CLI or ``PUT /_emulator/latency``), kept for hundreds of streams at
once on its shared clock, read through the asyncio client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

import bedrock_cris.aio
from bedrock_cris.emulator import Emulator
from childproc import Child, run_module_script
from conftest import client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def _latency(control_url: str) -> Any:
    with urllib.request.urlopen(f"{control_url}/latency", timeout=10) as response:
        return json.loads(response.read())


def test_constructor_latency_is_restored_by_reset_all() -> None:
    with Emulator(time_to_first_token=0.05, per_token=0.002) as emulator:
        expected = {"time_to_first_token": 0.05, "per_token": 0.002}
        assert _latency(emulator.control_url) == expected
        emulator.set_latency()
        assert _latency(emulator.control_url) == {"time_to_first_token": 0.0, "per_token": 0.0}
        emulator.reset_all()
        assert _latency(emulator.control_url) == expected


def test_cli_flags_set_the_latency() -> None:
    args = [sys.executable, "-c", run_module_script("bedrock_cris.emulator")]
    args += ["--time-to-first-token", "0.3", "--per-token", "0.02"]
    with Child(args, stderr=subprocess.DEVNULL) as child:
        url = child.readline().strip()
        assert _latency(f"{url}/_emulator") == {"time_to_first_token": 0.3, "per_token": 0.02}
        child.interrupt()
        assert child.wait() == 0


def test_many_paced_streams_keep_their_schedule(emulator: Any) -> None:
    """300 streams started together: no event comes before its time (call start + time to
    first token + k intervals), every stream ends complete, and lateness does not add up
    along a stream (the schedule is absolute)."""
    first_token, interval, deltas, streams = 0.2, 0.01, 20, 300
    emulator.set_latency(time_to_first_token=first_token, per_token=interval)
    model = f"emulator.deltas.{deltas}.{MODEL}"

    async def main() -> list[tuple[float, list[float]]]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:

            async def one() -> tuple[float, list[float]]:
                started = time.perf_counter()
                response = await client.converse_stream(modelId=model, messages=MESSAGES)
                arrivals = [time.perf_counter() async for _ in response["stream"]]
                return started, arrivals

            return await asyncio.gather(*(one() for _ in range(streams)))

    results = asyncio.run(main())
    counts = {len(arrivals) for _, arrivals in results}
    # messageStart, contentBlockDelta x deltas, contentBlockStop, messageStop, metadata.
    assert counts == {deltas + 4}, counts
    for started, arrivals in results:
        for k, at in enumerate(arrivals):
            assert at - started >= first_token + k * interval - 0.002, (k, at - started)
        # The last event is about as late as the first: no drift along the stream.
        first_late = arrivals[0] - started - first_token
        last_late = arrivals[-1] - started - first_token - (len(arrivals) - 1) * interval
        assert last_late < first_late + 0.5, (first_late, last_late)

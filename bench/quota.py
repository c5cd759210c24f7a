"""Throughput under a quota: 256 concurrent Converse callers against the emulator with a
time-scaled tokens-per-minute quota, for boto3 (standard and adaptive retries), bedrock_cris
with its defaults, with ``max_in_flight="adaptive"``, and with failover to a second source
Region that has its own quota.

Reports goodput (tokens served per second as a share of one Region's quota), calls that
failed, throttled responses the emulator sent, and p50/p99 latency. Each contender starts
with the quota's bucket drained, so the burst a full bucket allows is not counted.

    python bench/quota.py [--seconds 6] [--callers 256] [--out bench/QUOTA.md]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.exceptions
from bedrock_cris.config import Config
from bedrock_cris.emulator import Emulator

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
HOME, AWAY = "ap-south-1", "ap-southeast-1"
TIME_SCALE = 60  # a quota minute per second
TOKENS_PER_MINUTE = 6_000  # so 6,000 tokens per second of this run, per Region
LATENCY = 0.1  # seconds per answer: about 20 calls in flight fit one Region's quota


def boto3_client(endpoint: str, mode: str, callers: int) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name=HOME,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=botocore.config.Config(retries={"mode": mode}, max_pool_connections=callers),
    )


def ours(endpoint: str, **config: Any) -> Any:
    return bedrock_cris.client(
        "bedrock-runtime",
        region_name=HOME,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**config),
    )


CONTENDERS: dict[str, Callable[[str, int], Any]] = {
    "boto3, standard retries": lambda e, n: boto3_client(e, "standard", n),
    "boto3, adaptive retries": lambda e, n: boto3_client(e, "adaptive", n),
    "bedrock_cris, defaults": lambda e, n: ours(e),
    'bedrock_cris, max_in_flight="adaptive"': lambda e, n: ours(e, max_in_flight="adaptive"),
    "bedrock_cris, adaptive + a second Region": lambda e, n: ours(
        e, max_in_flight="adaptive", routes={"*": [f"{AWAY}/*"]}
    ),
}


def drain(emulator: Emulator) -> None:
    """Empties both Regions' buckets, so what follows runs at the refill rate."""
    for region in (HOME, AWAY):
        client = boto3.client(
            "bedrock-runtime",
            region_name=region,
            endpoint_url=emulator.endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=botocore.config.Config(retries={"total_max_attempts": 1}),
        )
        emulator.set_latency()
        for _ in range(10_000):
            try:
                client.converse(modelId=MODEL, messages=MESSAGES)
            except botocore.exceptions.ClientError:
                break
    emulator.set_latency(time_to_first_token=LATENCY)
    emulator.clear_usage()


def run(emulator: Emulator, make: Callable[[str, int], Any], callers: int, seconds: float) -> dict:
    client = make(emulator.endpoint_url, callers)
    drain(emulator)
    latencies: list[float] = []
    failed = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def caller() -> None:
        nonlocal failed
        mine, lost = [], 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                client.converse(modelId=MODEL, messages=MESSAGES)
                mine.append(time.monotonic() - started)
            except Exception:
                lost += 1
        with lock:
            latencies.extend(mine)
            failed += lost

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    usage = emulator.usage()
    served = sum(u["input_tokens"] + u["output_tokens"] for r in usage.values() for u in r.values())
    requests = sum(u["requests"] for r in usage.values() for u in r.values())
    throttled = sum(u["throttled"] for r in usage.values() for u in r.values())
    latencies.sort()
    quota_per_second = TOKENS_PER_MINUTE / 60 * TIME_SCALE
    return {
        "goodput": served / took / quota_per_second,
        "calls": len(latencies),
        "failed": failed,
        "throttled": throttled,
        "requests": requests,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[int(len(latencies) * 0.99)] if latencies else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--callers", type=int, default=256)
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()
    rows = []
    with Emulator(time_scale=TIME_SCALE, record_limit=0) as emulator:
        for region in (HOME, AWAY):
            emulator.set_quota(MODEL, region=region, tokens_per_minute=TOKENS_PER_MINUTE)
        for name, make in CONTENDERS.items():
            r = run(emulator, make, args.callers, args.seconds)
            rows.append(
                f"| {name} | {r['goodput']:.0%} | {r['calls']:,} | {r['failed']:,} | "
                f"{r['throttled']:,} ({r['throttled'] / max(r['requests'], 1):.0%}) | "
                f"{r['p50'] * 1000:.0f} | {r['p99'] * 1000:.0f} |"
            )
            print(rows[-1], flush=True)
    text = "\n".join(
        [
            "## Throughput under quota (bench/quota.py)",
            "",
            f"{args.callers} threads calling Converse for {args.seconds:g} s on one client; quota "
            f"{TOKENS_PER_MINUTE:,} tokens per minute per Region at time scale {TIME_SCALE} "
            f"(a quota minute per second), answers taking {LATENCY * 1000:.0f} ms, buckets "
            "drained first. Goodput: tokens served per second as a share of one Region's "
            f"quota. Python {platform.python_version()}, {platform.machine()}.",
            "",
            "| contender | goodput | calls served | calls failed | throttled responses "
            "(share of requests) | p50 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

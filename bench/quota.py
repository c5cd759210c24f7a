"""Throughput under a quota, against the emulator with time-scaled tokens-per-minute quotas:

* 256 concurrent Converse callers on one client, for boto3 (standard and adaptive retries),
  aioboto3 (256 tasks; only where it is installed, as in bench/.venv), bedrock_cris with its
  defaults, with ``max_in_flight="adaptive"``, and with failover to a second source Region
  that has its own quota;
* an embed job of 100,000 texts (Cohere Embed v4, 96 texts per request): ``Client.embed``
  with its defaults, with ``max_in_flight="adaptive"`` and with a second Region, and boto3's
  way (a pool of threads calling ``invoke_model``, standard retries) over a fixed window.

Reports goodput (tokens served per second as a share of one Region's quota), calls that
failed, throttled responses the emulator sent, and p50/p99 latency (embed: the job's time).
Each contender starts with the quota's buckets drained, so the burst a full bucket allows is
not counted.

    python bench/quota.py [--seconds 6] [--callers 256] [--texts 100000] [--out bench/QUOTA.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.exceptions
from bedrock_cris.config import Config
from bedrock_cris.emulator import Emulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contenders import EMBED_BATCH, EMBED_MODEL, aioboto3_calls, embed_body

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
HOME, AWAY = "ap-south-1", "ap-southeast-1"
TIME_SCALE = 60  # a quota minute per second
TOKENS_PER_MINUTE = 6_000  # so 6,000 tokens per second of this run, per Region
LATENCY = 0.1  # seconds per answer: about 20 calls in flight fit one Region's quota
#: The embed model's quota: 30,000 tokens per second of this run, 15,000 of the two-token
#: texts below, so 100,000 texts take about 7 s at one Region's quota.
EMBED_TOKENS_PER_MINUTE = 30_000
EMBED_LATENCY = 0.05  # about 16 requests of 96 texts in flight fit
EMBED_DIMENSIONS = 256
BOTO3_EMBED_THREADS = 32
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

#: A Converse contender: ``(endpoint, callers, seconds, ready)`` runs ``callers`` callers
#: for ``seconds`` after calling ``ready()`` (once its client exists) and returns the
#: latencies of the calls served and the number that failed.
Converse = Callable[[str, int, float, Callable[[], None]], tuple[list[float], int]]


def boto3_client(endpoint: str, mode: str, pool: int, region: str = HOME) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=endpoint,
        config=botocore.config.Config(retries={"mode": mode}, max_pool_connections=pool),
        **CREDENTIALS,
    )


def ours(endpoint: str, **config: Any) -> Any:
    return bedrock_cris.client(
        "bedrock-runtime",
        region_name=HOME,
        endpoint_url=endpoint,
        config=Config(**config),
        **CREDENTIALS,
    )


def threads(make: Callable[[str, int], Any]) -> Converse:
    """Callers on threads sharing the client ``make(endpoint, callers)``."""

    def contend(
        endpoint: str, callers: int, seconds: float, ready: Callable[[], None]
    ) -> tuple[list[float], int]:
        client = make(endpoint, callers)
        ready()
        deadline = time.monotonic() + seconds
        latencies: list[float] = []
        failed = 0
        lock = threading.Lock()

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

        pool = [threading.Thread(target=caller) for _ in range(callers)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return latencies, failed

    return contend


def aioboto3_tasks(
    endpoint: str, callers: int, seconds: float, ready: Callable[[], None]
) -> tuple[list[float], int]:
    """Callers as asyncio tasks on one aioboto3 client (bench/contenders.py's), standard
    retries."""
    calls = aioboto3_calls(
        endpoint, callers, region=HOME, messages=MESSAGES, retries={"mode": "standard"}
    )
    assert calls.async_converse is not None

    async def main() -> tuple[list[float], int]:
        async with calls.async_converse() as converse:
            ready()
            deadline = time.monotonic() + seconds

            async def caller() -> tuple[list[float], int]:
                mine, lost = [], 0
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    try:
                        await converse()
                        mine.append(time.monotonic() - started)
                    except Exception:
                        lost += 1
                return mine, lost

            done = await asyncio.gather(*(caller() for _ in range(callers)))
            return [x for mine, _ in done for x in mine], sum(lost for _, lost in done)

    return asyncio.run(main())


def aioboto3_installed() -> bool:
    try:
        import aioboto3  # noqa: F401
    except ImportError:
        return False
    return True


CONTENDERS: dict[str, Converse] = {
    "boto3, standard retries": threads(lambda e, n: boto3_client(e, "standard", n)),
    "boto3, adaptive retries": threads(lambda e, n: boto3_client(e, "adaptive", n)),
    "aioboto3, standard retries (asyncio tasks)": aioboto3_tasks,
    "bedrock_cris, defaults": threads(lambda e, n: ours(e)),
    'bedrock_cris, max_in_flight="adaptive"': threads(
        lambda e, n: ours(e, max_in_flight="adaptive")
    ),
    "bedrock_cris, adaptive + a second Region": threads(
        lambda e, n: ours(e, max_in_flight="adaptive", routes={"*": [f"{AWAY}/*"]})
    ),
}


def drain(emulator: Emulator, *calls: Callable[[Any], Any]) -> None:
    """Empties both Regions' buckets: each of ``calls(client)`` in turn, repeated until
    throttled, so what follows runs at the refill rate."""
    for region in (HOME, AWAY):
        client = boto3.client(
            "bedrock-runtime",
            region_name=region,
            endpoint_url=emulator.endpoint_url,
            config=botocore.config.Config(retries={"total_max_attempts": 1}),
            **CREDENTIALS,
        )
        emulator.set_latency()
        for call in calls:
            for _ in range(10_000):
                try:
                    call(client)
                except botocore.exceptions.ClientError:
                    break
    emulator.clear_usage()


def drain_converse(emulator: Emulator) -> None:
    drain(emulator, lambda c: c.converse(modelId=MODEL, messages=MESSAGES))
    emulator.set_latency(time_to_first_token=LATENCY)


#: Requests for the embed drain, largest first, each sent until throttled: what is left in a
#: bucket, full or not, takes a few.
DRAIN_TEXTS = [["a " * tokens] for tokens in (24_000, 6_000, 1_500, 400)]


def drain_embed(emulator: Emulator) -> None:
    drain(
        emulator,
        *(
            lambda c, texts=texts: c.invoke_model(modelId=EMBED_MODEL, body=embed_body(texts, 256))
            for texts in DRAIN_TEXTS
        ),
    )
    emulator.set_latency(time_to_first_token=EMBED_LATENCY)


def served(emulator: Emulator, model: str) -> dict[str, int]:
    """Tokens served, requests and throttled responses for ``model`` in every Region."""
    usage = [u for r in emulator.usage().values() for m, u in r.items() if m == model]
    return {
        "tokens": sum(u["input_tokens"] + u["output_tokens"] for u in usage),
        "requests": sum(u["requests"] for u in usage),
        "throttled": sum(u["throttled"] for u in usage),
    }


def run(emulator: Emulator, contend: Converse, callers: int, seconds: float) -> dict:
    started: list[float] = []

    def ready() -> None:
        drain_converse(emulator)
        started.append(time.monotonic())

    latencies, failed = contend(emulator.endpoint_url, callers, seconds, ready)
    took = time.monotonic() - started[0]
    latencies.sort()
    return outcome(
        emulator,
        MODEL,
        took,
        TOKENS_PER_MINUTE,
        len(latencies),
        failed,
        f"{statistics.median(latencies) * 1000:.0f}" if latencies else "-",
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.0f}" if latencies else "-",
    )


def outcome(
    emulator: Emulator,
    model: str,
    took: float,
    tokens_per_minute: int,
    calls: int,
    failed: int,
    *times: str,
) -> dict:
    """A table row's figures: goodput over ``took`` seconds as a share of one Region's
    quota, ``calls`` served, ``failed``, the throttles the emulator counted, and ``times``
    (latencies or the job's seconds)."""
    usage = served(emulator, model)
    return {
        "goodput": usage["tokens"] / took / (tokens_per_minute / 60 * TIME_SCALE),
        "calls": f"{calls:,}",
        "failed": failed,
        "throttled": usage["throttled"],
        "requests": usage["requests"],
        "times": list(times),
    }


def native(endpoint: str, **options: Any) -> bedrock_cris.Client:
    return bedrock_cris.Client(HOME, endpoint_url=endpoint, **CREDENTIALS, **options)


def ours_embed(**options: Any) -> Callable[[str, list[str], float], tuple[int, int]]:
    """Our embed job on a native client with ``options``: (texts embedded, failed jobs)."""

    job_options = {k: options.pop(k) for k in ("max_concurrency",) if k in options}

    def job(endpoint: str, texts: list[str], _window: float) -> tuple[int, int]:
        client = native(endpoint, **options)
        try:
            client.embed(texts, model=EMBED_MODEL, dimensions=EMBED_DIMENSIONS, **job_options)
        except bedrock_cris.EmbeddingError:
            return 0, 1
        return len(texts), 0

    return job


def boto3_embed(endpoint: str, texts: list[str], window: float) -> tuple[int, int]:
    """boto3's way: a thread pool sending batches of 96 with invoke_model, standard retries,
    for ``window`` seconds at most: (texts embedded, failed requests)."""
    client = boto3_client(endpoint, "standard", BOTO3_EMBED_THREADS)
    batches = iter(range(0, len(texts), EMBED_BATCH))
    lock = threading.Lock()
    deadline = time.monotonic() + window
    embedded = failed = 0

    def worker() -> None:
        nonlocal embedded, failed
        while time.monotonic() < deadline:
            with lock:
                start = next(batches, None)
            if start is None:
                return
            batch = texts[start : start + EMBED_BATCH]
            try:
                answer = client.invoke_model(
                    modelId=EMBED_MODEL, body=embed_body(batch, EMBED_DIMENSIONS)
                )
                rows = len(json.loads(answer["body"].read())["embeddings"]["float"])
                with lock:
                    embedded += rows
            except botocore.exceptions.ClientError:
                with lock:
                    failed += 1

    with ThreadPoolExecutor(BOTO3_EMBED_THREADS) as pool:
        for _ in range(BOTO3_EMBED_THREADS):
            pool.submit(worker)
    return embedded, failed


EMBED_CONTENDERS: dict[str, Callable[[str, list[str], float], tuple[int, int]]] = {
    f"boto3, {BOTO3_EMBED_THREADS} threads of invoke_model, standard retries": boto3_embed,
    "bedrock_cris embed(), defaults": ours_embed(),
    # Its default of 8 requests at once is about one Region's quota here: the limiter, not
    # max_concurrency, must find the rate, and a second Region needs more in flight.
    'bedrock_cris embed(max_concurrency=32), max_in_flight="adaptive"': ours_embed(
        max_in_flight="adaptive", max_concurrency=32
    ),
    "bedrock_cris embed(max_concurrency=32), adaptive + a second Region": ours_embed(
        max_in_flight="adaptive", routes={"*": [f"{AWAY}/*"]}, max_concurrency=32
    ),
}


def run_embed(emulator: Emulator, job: Callable, texts: list[str], window: float) -> dict:
    drain_embed(emulator)
    started = time.monotonic()
    embedded, failed = job(emulator.endpoint_url, texts, window)
    took = time.monotonic() - started
    return outcome(
        emulator, EMBED_MODEL, took, EMBED_TOKENS_PER_MINUTE, embedded, failed, f"{took:.1f}"
    )


def row(name: str, r: dict) -> str:
    share = r["throttled"] / max(r["requests"], 1)
    cells = [name, f"{r['goodput']:.0%}", r["calls"], f"{r['failed']:,}"]
    cells += [f"{r['throttled']:,} ({share:.0%})", *r["times"]]
    return "| " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--callers", type=int, default=256)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--only", choices=["converse", "embed"], help="one of the two parts")
    parser.add_argument(
        "--match", default="", help="only contenders whose name has one of these ('|' between)"
    )
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()
    rows, embed_rows = [], []
    texts = [f"document {i}" for i in range(args.texts)]  # two tokens each
    with Emulator(time_scale=TIME_SCALE, record_limit=0) as emulator:
        for region in (HOME, AWAY):
            emulator.set_quota(MODEL, region=region, tokens_per_minute=TOKENS_PER_MINUTE)
            emulator.set_quota(
                EMBED_MODEL, region=region, tokens_per_minute=EMBED_TOKENS_PER_MINUTE
            )
        for name, contend in CONTENDERS.items() if args.only != "embed" else ():
            if not any(m in name for m in args.match.split("|")):
                continue
            if contend is aioboto3_tasks and not aioboto3_installed():
                rows.append(f"| {name} | not installed in this venv | | | | | |")
            else:
                rows.append(row(name, run(emulator, contend, args.callers, args.seconds)))
            print(rows[-1], flush=True)
        for name, job in EMBED_CONTENDERS.items() if args.only != "converse" else ():
            if not any(m in name for m in args.match.split("|")):
                continue
            embed_rows.append(row(name, run_embed(emulator, job, texts, args.seconds)))
            print(embed_rows[-1], flush=True)
    throttled = "throttled responses (share of requests)"
    header = [
        f"| contender | goodput | calls served | calls failed | {throttled} | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    embed_header = [
        f"| contender | goodput | texts embedded | failed | {throttled} | seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    text = "\n".join(
        [
            "## Throughput under quota (bench/quota.py)",
            "",
            f"{args.callers} threads (aioboto3: asyncio tasks) calling Converse for "
            f"{args.seconds:g} s on one client; quota {TOKENS_PER_MINUTE:,} tokens per minute "
            f"per Region at time scale {TIME_SCALE} (a quota minute per second), answers taking "
            f"{LATENCY * 1000:.0f} ms, buckets drained first. Goodput: tokens served per second "
            f"as a share of one Region's quota. Python {platform.python_version()}, "
            f"{platform.machine()}.",
            "",
            *header,
            *rows,
            "",
            f"An embed job of {args.texts:,} texts (Cohere Embed v4 x {EMBED_DIMENSIONS}, two "
            f"tokens a text, 96 texts a request) under a quota of {EMBED_TOKENS_PER_MINUTE:,} "
            f"tokens per minute per Region at the same time scale, answers taking "
            f"{EMBED_LATENCY * 1000:.0f} ms, buckets drained first. Ours embed every text (a "
            "failed job counts one failure and no texts); boto3's thread pool runs for "
            f"{args.seconds:g} s at most, so its row counts the texts it embedded in that "
            "window (and its requests that failed).",
            "",
            *embed_header,
            *embed_rows,
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

"""Many paced streams: 1,000 concurrent ConverseStream calls against an emulator that paces
every answer like a model (300 ms to the first event, then 200 text deltas 20 ms apart).

    python bench/paced_streams.py              # the table (Markdown) on stdout
    python bench/paced_streams.py --smoke      # 20 streams, 5 deltas: checks that it runs

bench/suite.py runs it as its section 11 (``--only paced``).

Each row is one fresh process (this file with ``--child``) against one emulator process
started here. Figures per row:

- CPU per event: the client process's user+sys CPU while its streams run, over the events
  it read (every thread: Rust's and Python's); and the share of it spent in the kernel.
- Peak RSS (the process's high-water mark) and RSS per open stream: (peak RSS - RSS just
  before the streams) / streams open at once.
- Threads: the most the client process had, sampled by this (parent) process every 50 ms.
- Added time to first event: when the client saw a stream's first event, minus when the call
  was made, minus the time to first token the emulator was told (p50 / p99 over streams).
- Delivery lag: how late event k arrives against its stream's schedule (first event + k x
  interval; the emulator sends on that absolute schedule), p99 over every event.
- The emulator's CPU (its process, same two cores) as a share of one core over the run.

``bedrock_cris.aio`` and aioboto3 start every stream from one event loop; ``bedrock_cris``
with 1,000 threads starts one per thread; boto3 gets 64 threads and a pool of 64 (its
best shape: more threads only queue on the pool), so its streams run in rounds; in the full
run it gets 256 streams (4 rounds, not 16: its figures are per stream, and 16 rounds would
take 70 s).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from emulator_process import start_emulator
from probes import own_cpu, process_cpu, status_kib

BENCH = Path(__file__).resolve().parent
MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
#: Delivery-lag histogram: 0.25 ms bins up to 1 s, then one overflow bin.
BIN = 0.00025
BINS = 4000


@dataclass
class Shape:
    streams: int
    deltas: int
    first_token: float
    interval: float
    #: Over how long the rows "spread" start their streams (evenly).
    spread: float
    #: At most this many rounds of 64 streams for boto3's 64 threads.
    boto3_rounds: int


FULL = Shape(streams=1000, deltas=200, first_token=0.3, interval=0.02, spread=1.0, boto3_rounds=4)
SMOKE = Shape(streams=20, deltas=5, first_token=0.05, interval=0.01, spread=0.1, boto3_rounds=1)
BOTO3_THREADS = 64

#: (row label, contender, whether the starts are spread over the shape's spread).
ROWS: list[tuple[str, str, bool]] = [
    ("aioboto3", "aioboto3", False),
    ("bedrock_cris.aio", "ours-aio", False),
    ("bedrock_cris, a thread per stream", "ours-threads", False),
    ("boto3, 64 threads, pool of 64", "boto3-64", False),
    ("aioboto3, starts spread", "aioboto3", True),
    ("bedrock_cris.aio, starts spread", "ours-aio", True),
    ("bedrock_cris, a thread per stream, starts spread", "ours-threads", True),
]


# -- the child: one contender's streams -------------------------------------------------------


@dataclass
class Tally:
    """What every stream saw, folded as it goes (no per-event objects kept)."""

    interval: float
    expected: int = 0
    first: list[float] = field(default_factory=list)
    finished: int = 0
    failed: list[str] = field(default_factory=list)
    events: int = 0
    lag_bins: list[int] = field(default_factory=lambda: [0] * (BINS + 1))

    def run(self, started: float, events: Any) -> None:
        """Reads one stream (an iterator of events) opened at ``started``."""
        now = time.perf_counter
        count = 0
        first = 0.0
        bins = self.lag_bins
        for _event in events:
            t = now()
            if count == 0:
                first = t
                self.first.append(t - started)
            else:
                lag = t - first - count * self.interval
                bins[min(int(lag / BIN), BINS) if lag > 0 else 0] += 1
            count += 1
        self.done(count)

    def done(self, count: int) -> None:
        self.events += count
        if count == self.expected:
            self.finished += 1
        else:
            self.failed.append(f"{count} of {self.expected} events")

    async def arun(self, started: float, events: Any) -> None:
        now = time.perf_counter
        count = 0
        first = 0.0
        bins = self.lag_bins
        async for _event in events:
            t = now()
            if count == 0:
                first = t
                self.first.append(t - started)
            else:
                lag = t - first - count * self.interval
                bins[min(int(lag / BIN), BINS) if lag > 0 else 0] += 1
            count += 1
        self.done(count)


def _starts(t0: float, streams: int, spread: float) -> list[float]:
    return [t0 + spread * i / streams for i in range(streams)]


async def _async_streams(
    open_stream: Callable[[], Any], tally: Tally, streams: int, spread: float
) -> float:
    async def one(start: float) -> None:
        delay = start - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            response = await open_stream()
            await tally.arun(start, response["stream"])
        except Exception as e:  # a lost stream is a figure, not a crash
            tally.failed.append(repr(e)[:200])

    t0 = time.perf_counter()
    await asyncio.gather(*(one(s) for s in _starts(t0, streams, spread)))
    return t0


def _thread_streams(
    open_stream: Callable[[], Any], tally: Tally, streams: int, spread: float, threads: int
) -> None:
    """``streams`` calls on ``threads`` threads, released together; thread i makes calls
    i, i + threads, ... (each as soon as its previous one ends, not before its start)."""
    gate = threading.Event()
    starts: list[float] = []

    def worker(index: int) -> None:
        gate.wait()
        for n in range(index, streams, threads):
            start = max(starts[n], time.perf_counter())
            delay = starts[n] - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                tally.run(start, open_stream()["stream"])
            except Exception as e:
                tally.failed.append(repr(e)[:200])

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    starts.extend(_starts(time.perf_counter(), streams, spread))
    gate.set()
    for t in pool:
        t.join()


def _client(contender: str, endpoint: str, pool: int) -> Any:
    if contender in ("ours-threads",):
        import bedrock_cris

        return bedrock_cris.client(
            "bedrock-runtime", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS
        )
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=pool)
    return boto3.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=endpoint, config=config, **CREDENTIALS
    )


def child(args: argparse.Namespace) -> dict[str, Any]:
    shape = Shape(args.streams, args.deltas, args.first_token, args.interval, args.spread, 0)
    model = f"emulator.deltas.{shape.deltas}.{MODEL}"
    warm = f"emulator.deltas.1.{MODEL}"
    tally = Tally(shape.interval)
    sample: dict[str, float] = {}

    def begin() -> None:
        sample.update(rss=status_kib(), cpu=own_cpu(), server=process_cpu(args.server_pid))
        sample["sys"] = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        sample["wall"] = time.perf_counter()

    if args.contender in ("ours-threads", "boto3-64"):
        threads = shape.streams if args.contender == "ours-threads" else BOTO3_THREADS
        client = _client(args.contender, args.endpoint, threads)
        tally.expected = sum(
            1 for _ in client.converse_stream(modelId=warm, messages=MESSAGES)["stream"]
        )
        tally.expected += shape.deltas - 1
        begin()
        _thread_streams(
            lambda: client.converse_stream(modelId=model, messages=MESSAGES),
            tally,
            shape.streams,
            args.spread,
            threads,
        )
    else:

        async def main() -> None:
            if args.contender == "ours-aio":
                import bedrock_cris.aio

                manager = bedrock_cris.aio.client(
                    "bedrock-runtime", region_name=REGION, endpoint_url=args.endpoint, **CREDENTIALS
                )
            else:
                import aioboto3
                from botocore.config import Config

                manager = aioboto3.Session().client(
                    "bedrock-runtime",
                    region_name=REGION,
                    endpoint_url=args.endpoint,
                    config=Config(max_pool_connections=shape.streams),
                    **CREDENTIALS,
                )
            async with manager as client:
                warm_response = await client.converse_stream(modelId=warm, messages=MESSAGES)
                tally.expected = shape.deltas - 1
                async for _ in warm_response["stream"]:
                    tally.expected += 1
                begin()
                await _async_streams(
                    lambda: client.converse_stream(modelId=model, messages=MESSAGES),
                    tally,
                    shape.streams,
                    args.spread,
                )

        asyncio.run(main())
    wall = time.perf_counter() - sample["wall"]
    cpu = own_cpu() - sample["cpu"]
    sys_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_stime - sample["sys"]
    server = process_cpu(args.server_pid) - sample["server"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    open_at_once = (
        min(shape.streams, BOTO3_THREADS) if args.contender == "boto3-64" else shape.streams
    )
    first = sorted(tally.first)
    added = [t - shape.first_token for t in first] or [float("nan")]
    return {
        "streams": shape.streams,
        "finished": tally.finished,
        "failed": tally.failed[:3],
        "events": tally.events,
        "wall": wall,
        "cpu": cpu,
        "cpu_per_event_us": cpu / max(tally.events, 1) * 1e6,
        "sys_share": sys_cpu / cpu if cpu > 0 else 0.0,
        "rss_before_kib": sample["rss"],
        "rss_peak_kib": peak,
        "rss_per_stream_kib": max(peak - sample["rss"], 0) / open_at_once,
        "added_ttft_p50_ms": statistics.median(added) * 1e3,
        "added_ttft_p99_ms": _quantile(added, 0.99) * 1e3,
        "lag_p99_ms": _bin_quantile(tally.lag_bins, 0.99) * 1e3,
        "server_core_share": server / wall,
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _bin_quantile(bins: list[int], q: float) -> float:
    total = sum(bins)
    if not total:
        return float("nan")
    seen = 0
    for i, n in enumerate(bins):
        seen += n
        if seen >= q * total:
            return (i + 1) * BIN
    return BINS * BIN


# -- the parent: one emulator, one child per row ----------------------------------------------


def run_child(command: list[str], env: dict[str, str], timeout: float) -> dict[str, Any] | str:
    """One row's child: its JSON line (with the most threads it had), or why it failed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env)
        deadline = time.monotonic() + timeout
        threads = 0
        while process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                process.wait(timeout=10)
                return f"timed out after {timeout:.0f} s"
            threads = max(threads, status_kib("Threads", process.pid))
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            lines = err.read().strip().splitlines()
            return lines[-1] if lines else f"exit {process.returncode}"
        return {**json.loads(out.read().strip().splitlines()[-1]), "threads": threads}


def run_rows(
    python: str, shape: Shape, env: dict[str, str], only: set[str] | None
) -> list[tuple[str, dict[str, Any] | str]]:
    pacing = ["--time-to-first-token", str(shape.first_token), "--per-token", str(shape.interval)]
    emulator, url = start_emulator(python, env, pacing)
    rows: list[tuple[str, dict[str, Any] | str]] = []
    try:
        for label, contender, spread in ROWS:
            if only and contender not in only:
                continue
            if contender == "aioboto3" and importlib.util.find_spec("aioboto3") is None:
                rows.append((label, "skipped: aioboto3 is not installed"))
                continue
            streams = shape.streams
            if contender == "boto3-64":
                streams = min(streams, BOTO3_THREADS * shape.boto3_rounds)
            command = [python, __file__, "--child", contender, "--endpoint", url]
            command += ["--server-pid", str(emulator.pid), "--streams", str(streams)]
            command += ["--deltas", str(shape.deltas), "--first-token", str(shape.first_token)]
            command += ["--interval", str(shape.interval)]
            command += ["--spread", str(shape.spread if spread else 0.0)]
            if spread:
                label += f" over {shape.spread:g} s"
            rows.append((label, run_child(command, env, timeout=600)))
            print(f"  paced {label}", file=sys.stderr, flush=True)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    return rows


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(rows: list[tuple[str, dict[str, Any] | str]]) -> list[str]:
    """The issue's paced-stream targets, against aioboto3 in the same run."""
    by = {label: r for label, r in rows if isinstance(r, dict)}
    peer, ours = by.get("aioboto3"), by.get("bedrock_cris.aio")
    threads = by.get("bedrock_cris, a thread per stream")
    spread = next((r for label, r in by.items() if label.startswith("bedrock_cris.aio, st")), None)
    out = [
        "| target | measured | |",
        "|---|---|---|",
    ]
    if peer and ours:
        cpu = ours["cpu_per_event_us"] / peer["cpu_per_event_us"]
        out.append(
            f"| asyncio CPU per event <= 0.25x aioboto3 | {cpu:.2f}x | {_met(cpu <= 0.25)} |"
        )
        rss = ours["rss_per_stream_kib"] / max(peer["rss_per_stream_kib"], 1e-9)
        out.append(f"| RSS per open stream <= 0.5x aioboto3 | {rss:.2f}x | {_met(rss <= 0.5)} |")
    if ours:
        p99 = ours["added_ttft_p99_ms"]
        out.append(
            f"| added TTFT p99 <= 50 ms, all started together (asyncio) | {p99:.1f} ms "
            f"| {_met(p99 <= 50)} |"
        )
    if threads:
        p99 = threads["added_ttft_p99_ms"]
        out.append(
            f"| added TTFT p99 <= 50 ms, all started together (threads) | {p99:.1f} ms "
            f"| {_met(p99 <= 50)} |"
        )
    if spread:
        p99 = spread["added_ttft_p99_ms"]
        out.append(
            f"| added TTFT p99 <= 5 ms, starts spread (asyncio) | {p99:.1f} ms | {_met(p99 <= 5)} |"
        )
    if threads and ours:
        ratio = threads["cpu_per_event_us"] / ours["cpu_per_event_us"]
        out.append(
            f"| a thread per stream: CPU per event <= 2x asyncio's | {ratio:.2f}x "
            f"| {_met(ratio <= 2)} |"
        )
    lost = sum(r["streams"] - r["finished"] for r in by.values())
    failed_rows = sum(1 for _, r in rows if isinstance(r, str) and not r.startswith("skipped:"))
    out.append(
        f"| zero streams lost | {lost} lost, {failed_rows} rows failed "
        f"| {_met(lost == 0 and failed_rows == 0)} |"
    )
    return out


def table(shape: Shape, rows: list[tuple[str, dict[str, Any] | str]]) -> list[str]:
    out = [
        "## 11. Many paced streams (bench/paced_streams.py)",
        "",
        f"{shape.streams:,} concurrent ConverseStream calls (boto3: "
        f"{min(shape.streams, BOTO3_THREADS * shape.boto3_rounds)} in rounds of {BOTO3_THREADS}); "
        f"the emulator (its own process) waits {shape.first_token * 1e3:.0f} ms, then sends "
        f"{shape.deltas} deltas {shape.interval * 1e3:.0f} ms apart. Each row is a fresh process. "
        "*CPU per event* is user+sys of the whole client process over the events read (*sys* its "
        "kernel share); *added TTFT* is the first event's arrival minus the call's start minus "
        "the time to first token the emulator was told; *lag* is how late events come against "
        "their "
        "stream's schedule; *emulator* is its process's share of one core over the row. Load "
        "average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + ".",
        "",
        "| contender | CPU per event | sys | peak RSS | RSS per open stream | threads | "
        "added TTFT p50 / p99 | delivery lag p99 | finished | wall | emulator |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        if isinstance(r, str):
            why = r if r.startswith("skipped:") else f"failed: {r}"
            out.append(f"| {label} | {why} |" + " |" * 9)
            continue
        out.append(
            f"| {label} | {r['cpu_per_event_us']:.1f} µs | {r['sys_share'] * 100:.0f}% | "
            f"{r['rss_peak_kib'] / 1024:.1f} MiB | {r['rss_per_stream_kib']:.1f} KiB | "
            f"{r['threads']} | {r['added_ttft_p50_ms']:.1f} / {r['added_ttft_p99_ms']:.1f} ms | "
            f"{r['lag_p99_ms']:.2f} ms | {r['finished']} of {r['streams']} | {r['wall']:.1f} s | "
            f"{r['server_core_share'] * 100:.0f}% |"
        )
    return out + ["", *targets(rows), ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", help="comma-separated contenders (aioboto3, ours-aio, ...)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--streams", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--deltas", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first-token", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--spread", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.contender = args.child
        print(json.dumps(child(args)))
        return 0
    shape = SMOKE if args.smoke else FULL
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    only = set(args.only.split(",")) if args.only else None
    rows = run_rows(sys.executable, shape, env, only)
    print("\n".join(table(shape, rows)))
    lost = [r for _, r in rows if isinstance(r, dict) and r["finished"] != r["streams"]]
    failed = [r for _, r in rows if isinstance(r, str) and not r.startswith("skipped:")]
    return 1 if lost or failed else 0


if __name__ == "__main__":
    sys.exit(main())

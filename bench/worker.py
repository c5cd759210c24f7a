"""One measurement in a fresh process: ``python bench/worker.py CONTENDER SCENARIO ...``.

Prints one JSON object: ``ops`` (calls or texts), ``events``, ``wall`` and ``cpu`` (user+sys
of the whole process, all threads) in seconds for the timed part, ``switches`` (context
switches during it), ``server_cpu`` (the emulator's CPU seconds during it, with
``--server-pid``), ``rss_before`` (KiB just before it) and ``rss_peak`` (the process's
high-water mark, KiB). ``python bench/worker.py --probe`` lists the contenders that import.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import threading
import time
from typing import Any, Callable

from contenders import CONTENDERS, EMBED_DIMENSIONS, Calls
from probes import process_cpu, status_kib


def _usage() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_nvcsw + usage.ru_nivcsw


#: The emulator's process id (``--server-pid``), whose CPU time is measured too.
SERVER_PID = 0


def _server_cpu() -> float:
    """User+sys CPU seconds of the emulator process so far (0 when unknown)."""
    return process_cpu(SERVER_PID)


def _timed(body: Callable[[], tuple[int, int]]) -> dict[str, Any]:
    """Runs ``body`` (returning ops, events) and measures it."""
    rss_before = status_kib()
    cpu0, switches0 = _usage()
    server0 = _server_cpu()
    wall0 = time.perf_counter()
    ops, events = body()
    wall = time.perf_counter() - wall0
    cpu1, switches1 = _usage()
    return {
        "ops": ops,
        "events": events,
        "wall": wall,
        "cpu": cpu1 - cpu0,
        "server_cpu": _server_cpu() - server0,
        "switches": switches1 - switches0,
        "rss_before": rss_before,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _for(seconds: float, call: Callable[[], Any]) -> int:
    """Calls ``call`` until ``seconds`` have passed; returns how many calls."""
    deadline = time.perf_counter() + seconds
    calls = 0
    while time.perf_counter() < deadline:
        call()
        calls += 1
    return calls


def sequential(calls: Calls, args: argparse.Namespace) -> dict[str, Any]:
    converse = _require(calls.converse)
    _for(args.warmup, converse)
    return _timed(lambda: (_for(args.seconds, converse), 0))


def threads(calls: Calls, args: argparse.Namespace) -> dict[str, Any]:
    converse = _require(calls.converse)
    counts = [0] * args.concurrency
    start = threading.Barrier(args.concurrency + 1)

    def worker(index: int, seconds: float) -> None:
        start.wait()
        counts[index] = _for(seconds, converse)

    def run(seconds: float) -> tuple[int, int]:
        pool = [threading.Thread(target=worker, args=(i, seconds)) for i in range(args.concurrency)]
        for thread in pool:
            thread.start()
        start.wait()
        for thread in pool:
            thread.join()
        start.reset()
        return sum(counts), 0

    run(args.warmup)  # opens the connections
    return _timed(lambda: run(args.seconds))


def asyncio_gather(calls: Calls, args: argparse.Namespace) -> dict[str, Any]:
    factory = _require(calls.async_converse)

    async def main() -> dict[str, Any]:
        async with factory() as converse:

            async def task(deadline: float) -> int:
                done = 0
                while time.perf_counter() < deadline:
                    await converse()
                    done += 1
                return done

            async def run(seconds: float) -> int:
                deadline = time.perf_counter() + seconds
                done = await asyncio.gather(*(task(deadline) for _ in range(args.concurrency)))
                return sum(done)

            await run(args.warmup)
            rss_before = status_kib()
            cpu0, switches0 = _usage()
            server0 = _server_cpu()
            wall0 = time.perf_counter()
            ops = await run(args.seconds)
            wall = time.perf_counter() - wall0
            cpu1, switches1 = _usage()
            return {
                "ops": ops,
                "events": 0,
                "wall": wall,
                "cpu": cpu1 - cpu0,
                "server_cpu": _server_cpu() - server0,
                "switches": switches1 - switches0,
                "rss_before": rss_before,
                "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }

    return asyncio.run(main())


def stream(calls: Calls, args: argparse.Namespace) -> dict[str, Any]:
    converse_stream = _require(calls.stream)
    _for(args.warmup, converse_stream)

    def run() -> tuple[int, int]:
        deadline = time.perf_counter() + args.seconds
        ops = events = 0
        while time.perf_counter() < deadline:
            events += converse_stream()
            ops += 1
        return ops, events

    return _timed(run)


def embed(calls: Calls, args: argparse.Namespace) -> dict[str, Any]:
    embed_texts = _require(calls.embed)
    texts = [
        f"Document {i}: how cloud computing rents out servers by the hour."
        for i in range(args.texts)
    ]
    embed_texts(texts[:8])  # connection and lazy initialisation
    # numpy's OpenBLAS threads spin for a while after numpy is first imported
    # (~0.04 s of CPU): start-up work, not part of embedding in a running program.
    time.sleep(args.warmup)
    result: list[Any] = []

    def run() -> tuple[int, int]:
        result.append(embed_texts(texts))
        return args.texts, 0

    measured = _timed(run)
    rows = result[0]
    if len(rows) != args.texts or len(rows[0]) != EMBED_DIMENSIONS:
        raise SystemExit(f"embed returned {len(rows)} x {len(rows[0])}")
    return measured


SCENARIOS = {
    "sequential": sequential,
    "threads": threads,
    "asyncio": asyncio_gather,
    "stream": stream,
    "embed": embed,
}


def _require(call: Any) -> Any:
    if call is None:
        raise SystemExit("this contender has no call for this scenario")
    return call


def probe() -> dict[str, list[str]]:
    """The contenders that import here, and which calls each has."""
    found = {}
    for name, entry in CONTENDERS.items():
        try:
            calls = entry.factory("http://127.0.0.1:9", 10)
        except ImportError:
            continue
        found[name] = [field for field, value in vars(calls).items() if value is not None]
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("contender", nargs="?")
    parser.add_argument("scenario", nargs="?", choices=sorted(SCENARIOS))
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--endpoint")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--server-pid", type=int, default=0, help="the emulator's process id")
    args = parser.parse_args()
    global SERVER_PID
    SERVER_PID = args.server_pid
    if args.probe:
        print(json.dumps(probe()))
        return 0
    calls = CONTENDERS[args.contender].factory(args.endpoint, args.concurrency)
    print(json.dumps(SCENARIOS[args.scenario](calls, args)), flush=True)
    # Skip interpreter finalization: the measurement is done, and teardown time is not
    # part of any figure (see LIMITS.md for the exit crash this once hid, now fixed).
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())

"""What the suite measures: its scenarios, contenders, labels and settings, and the measured
repetitions (bench/suite.py runs them, bench/report.py writes them up)."""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"
sys.path.insert(0, str(BENCH))

BASELINES = {"sync": "boto3", "async": "aioboto3"}
#: Labels of the contenders as rows; a contender not listed shows its own name.
LABELS = {
    "boto3": "boto3",
    "aioboto3": "aioboto3",
    "bedrock_cris": "bedrock_cris (boto3 facade)",
    "native": "bedrock_cris native API",
    "floor-multi": "floor: Rust SDK, tokio multi-thread",
    "floor-current": "floor: Rust SDK, tokio current_thread",
}
OURS = ("bedrock_cris", "native")
FLOORS = ("floor-multi", "floor-current")
LOAD_AT_START = ", ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Scenario:
    key: str
    title: str
    #: The contenders' call it needs (a field of contenders.Calls).
    call: str
    worker: str
    unit: str
    concurrency: int = 1
    #: The floor binary's scenario, or None when the floor has none.
    floor: str | None = None
    flavour: str = "sync"
    #: Throughput target against the baseline (at least this many times).
    target: float | None = None


SCENARIOS = [
    Scenario(
        "sequential",
        "2. Sequential Converse, one thread",
        "converse",
        "sequential",
        "calls/s",
        floor="sequential",
        target=5,
    ),
    Scenario(
        "threads16",
        "3a. Concurrent Converse, 16 threads on one client",
        "converse",
        "threads",
        "calls/s",
        concurrency=16,
        floor="concurrent",
        target=10,
    ),
    Scenario(
        "threads64",
        "3b. Concurrent Converse, 64 threads on one client",
        "converse",
        "threads",
        "calls/s",
        concurrency=64,
        floor="concurrent",
        target=10,
    ),
    Scenario(
        "asyncio",
        "4. asyncio, 256 concurrent Converse awaits",
        "async_converse",
        "asyncio",
        "calls/s",
        concurrency=256,
        floor="concurrent",
        flavour="async",
        target=10,
    ),
    Scenario(
        "stream",
        "5. ConverseStream, 500 text deltas per answer",
        "stream",
        "stream",
        "events/s",
        floor="stream",
        target=5,
    ),
    Scenario(
        "embed",
        "6. Embed 10,000 texts at 1,024 dimensions (Cohere Embed v4)",
        "embed",
        "embed",
        "texts/s",
        target=10,
    ),
]


@dataclass
class Settings:
    python: str
    floor: Path | None
    seconds: float
    warmup: float
    reps: int
    cold_reps: int
    texts: int
    only: set[str] | None
    built_from: str | None
    #: The emulator's process id, once started.
    server_pid: int = 0


@dataclass
class Measured:
    """The repetitions of one contender in one scenario."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def median(self, value: Callable[[dict[str, Any]], float]) -> float:
        return statistics.median(value(run) for run in self.runs)

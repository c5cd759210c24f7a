"""The benchmark suite still runs: bench/suite.py in smoke mode (tiny counts).

Only the contenders installed in this venv take part (aioboto3 and the Rust floor are
skipped when absent); the figures mean nothing, the run and the report are what is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target-bench")) / "release"


def test_bench_suite_smoke(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    command = [sys.executable, str(ROOT / "bench" / "suite.py"), "--smoke", "--out", str(out)]
    floor = FLOOR / "bedrock-cris-floor"
    if floor.exists():
        command += ["--floor", str(floor)]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    for heading in (
        "## 1. Cold start",
        "## 2. Sequential Converse",
        "## 3a. Concurrent Converse, 16 threads",
        "## 3b. Concurrent Converse, 64 threads",
        "## 4. asyncio",
        "## 5. ConverseStream",
        "## 6. Embed",
        "## 7. CPU cost per call",
        "## 9. Big payloads and long answers",
        "## 11. Many paced streams",
        "## Targets",
    ):
        assert heading in text
    # Every paced stream of every row ran to its last event.
    assert "| zero streams lost | 0 lost, 0 rows failed | met |" in text
    # Both boto3 and our facade are in the test venv: each scenario compares them.
    assert "| boto3 |" in text
    assert "| bedrock_cris (boto3 facade) |" in text
    assert "failed:" not in text


def test_bench_quota_scenario_smoke(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    command = [sys.executable, str(ROOT / "bench" / "suite.py"), "--smoke", "--only", "quota"]
    done = subprocess.run(
        [*command, "--out", str(out)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "## 10. Throughput under quota" in text
    for contender in (
        "boto3, adaptive retries",
        'max_in_flight="adaptive"',
        "a second Region",
        "bedrock_cris embed(), defaults",
        "threads of invoke_model",
    ):
        assert contender in text

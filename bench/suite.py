"""Runs every scenario for every contender and writes the results as Markdown.

``bash bench/run.sh`` sets up the venv and the floor binary, then runs this. Each
measurement is a fresh process (``bench/worker.py``, or the floor binary) against one
emulator process started here in its fast mode; repetitions are interleaved across
contenders and the tables report their medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from contenders import CONTENDERS, STREAM_MODEL
from emulator_process import ENV, start_emulator
from report import report
from scenarios import BENCH, FLOORS, SCENARIOS, WORKER, Measured, Scenario, Settings

# -- running things ---------------------------------------------------------------------------


def run_json(command: list[str], timeout: float = 300) -> dict[str, Any]:
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, env=ENV, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(scenario: Scenario, name: str, settings: Settings, endpoint: str) -> dict[str, Any]:
    common = ["--endpoint", endpoint, "--seconds", str(settings.seconds)]
    common += ["--warmup", str(settings.warmup), "--concurrency", str(scenario.concurrency)]
    common += ["--server-pid", str(settings.server_pid)]
    if name in FLOORS:
        assert settings.floor is not None and scenario.floor is not None
        runtime = "multi" if name == "floor-multi" else "current"
        command = [str(settings.floor), scenario.floor, "--runtime", runtime, *common]
        if scenario.key == "stream":
            command += ["--model", STREAM_MODEL]
        return run_json(command)
    command = [settings.python, str(WORKER), name, scenario.worker, *common]
    return run_json(command + ["--texts", str(settings.texts)])


def cold_start(python: str, code: str | None, endpoint: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one whole process."""
    command = [python, "-c", f"ENDPOINT = {endpoint!r}\n{code}"] if code else [python, "-c", "pass"]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"cold start failed: {command}")
    return wall, usage.ru_maxrss


def cold_start_floor(floor: Path, endpoint: str) -> tuple[float, int]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(floor), "cold", "--endpoint", endpoint], env=ENV, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("floor cold start failed")
    return time.perf_counter() - start, usage.ru_maxrss


# -- the suite --------------------------------------------------------------------------------


def probe(python: str) -> dict[str, list[str]]:
    return run_json([python, str(WORKER), "--probe"], timeout=120)


def run_cold(settings: Settings, available: dict[str, list[str]], endpoint: str) -> dict:
    codes = {"bare": None}
    codes.update(
        (name, CONTENDERS[name].cold_start)
        for name in available
        if CONTENDERS[name].cold_start is not None
    )
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in codes}
    if settings.floor:
        samples["floor-multi"] = []
    for _ in range(settings.cold_reps):
        for name, code in codes.items():
            samples[name].append(cold_start(settings.python, code, endpoint))
        if settings.floor:
            samples["floor-multi"].append(cold_start_floor(settings.floor, endpoint))
    return {
        name: (statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs))
        for name, runs in samples.items()
    }


def run_scenarios(
    settings: Settings, available: dict[str, list[str]], endpoint: str
) -> dict[str, dict[str, Measured]]:
    results: dict[str, dict[str, Measured]] = {}
    for scenario in SCENARIOS:
        if settings.only and scenario.key not in settings.only:
            continue
        names = [name for name, calls in available.items() if scenario.call in calls]
        if settings.floor and scenario.floor:
            names += list(FLOORS)
        measured = results[scenario.key] = {name: Measured() for name in names}
        for rep in range(settings.reps):
            for name in names:
                if measured[name].error:
                    continue
                try:
                    measured[name].runs.append(measure(scenario, name, settings, endpoint))
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                    measured[name].error = str(e)
                print(f"  {scenario.key} {name} rep {rep + 1}", file=sys.stderr, flush=True)
    return results


def ray_section(python: str, smoke: bool) -> list[str]:
    """8. bench/ray_embed.py's table: embed_dataset on a local Ray with 2 and 4 actors against
    embed() in one process (its own emulator and processes; skipped without Ray Data)."""
    title = ["## 8. Ray Data: embed_dataset on a local Ray vs embed() in one process", ""]
    probe_ray = subprocess.run([python, "-c", "import ray.data, pyarrow"], capture_output=True)
    if probe_ray.returncode != 0:
        return [*title, "Skipped: ray[data] is not installed in this venv.", ""]
    command = [python, str(BENCH / "ray_embed.py"), "--texts", "2000" if smoke else "100000"]
    done = subprocess.run(
        command + (["--smoke"] if smoke else []),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=1800,
    )
    if done.returncode != 0:
        return [*title, f"Failed: {done.stderr.strip().splitlines()[-1:]}", ""]
    return [*title, *done.stdout.strip().splitlines(), ""]


def payloads_section(python: str, smoke: bool) -> list[str]:
    """9. bench/payloads.py's tables (big requests, long answers; its own emulator)."""
    command = [python, str(BENCH / "payloads.py")] + (["--smoke"] if smoke else [])
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=1800)
    if done.returncode != 0:
        title = "## 9. Big payloads and long answers (bench/payloads.py)"
        return [title, "", f"failed: {done.stderr.strip().splitlines()[-1:]}", ""]
    return done.stdout.strip().splitlines() + [""]


def quota_section(python: str, smoke: bool) -> list[str]:
    """bench/quota.py's tables: 256 Converse callers and an embed job of 100,000 texts under
    time-scaled token quotas (its own emulator in this process's venv; smoke mode: 16
    callers for half a second each, 2,000 texts)."""
    command = [python, str(BENCH / "quota.py")]
    command += ["--seconds", "0.5", "--callers", "16", "--texts", "2000"] if smoke else []
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=600)
    if done.returncode != 0:
        title = ["## 10. Throughput under quota (bench/quota.py)", ""]
        return [*title, f"Failed: {done.stderr.strip().splitlines()[-1:]}", ""]
    table = done.stdout.split("## Throughput under quota", 1)[-1]
    return ["## 10. Throughput under quota" + table.rstrip(), ""]


def paced_section(python: str, smoke: bool) -> list[str]:
    """11. bench/paced_streams.py's table and targets: 1,000 paced ConverseStream calls at
    once and spread over a second (its own paced emulator; smoke mode: 20 short streams)."""
    command = [python, str(BENCH / "paced_streams.py")] + (["--smoke"] if smoke else [])
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=900)
    if not done.stdout.strip():
        title = "## 11. Many paced streams (bench/paced_streams.py)"
        return [title, "", f"Failed: {done.stderr.strip().splitlines()[-1:]}", ""]
    # A lost stream exits 1 with the table (which shows it) on stdout.
    return done.stdout.strip().splitlines() + [""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--floor", type=Path, help="the floor binary (bench/floor)")
    parser.add_argument("--smoke", action="store_true", help="tiny counts; checks it works")
    parser.add_argument("--out", type=Path, help="default: bench/RESULTS.md (stdout for --smoke)")
    parser.add_argument(
        "--only",
        help="comma-separated scenario keys (and/or 'cold', 'ray', 'payloads', 'quota', 'paced')",
    )
    parser.add_argument("--reps", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--built-from", help="what the installed bedrock-cris was built from")
    args = parser.parse_args()

    only = set(args.only.split(",")) if args.only else None
    settings = Settings(
        python=sys.executable,
        floor=args.floor if args.floor and args.floor.exists() else None,
        seconds=args.seconds or (0.2 if args.smoke else 2.0),
        warmup=0.05 if args.smoke else 0.3,
        reps=args.reps or (1 if args.smoke else 5),
        cold_reps=1 if args.smoke else 10,
        texts=200 if args.smoke else 10_000,
        only=only,
        built_from=args.built_from,
    )
    started = time.perf_counter()
    emulator, endpoint = start_emulator(settings.python, ENV)
    settings.server_pid = emulator.pid
    try:
        available = probe(settings.python)
        print(f"contenders: {', '.join(available)}; floor: {settings.floor}", file=sys.stderr)
        cold = None
        if only is None or "cold" in only:
            cold = run_cold(settings, available, endpoint)
        results = run_scenarios(settings, available, endpoint)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    text = report(settings, cold, results, args.smoke)
    # Ray starts a cluster of processes (~15 s): in smoke mode only when asked for by name.
    if (only is None and not args.smoke) or (only is not None and "ray" in only):
        text += "\n" + "\n".join(ray_section(settings.python, args.smoke))
    if only is None or "payloads" in only:
        text += "\n" + "\n".join(payloads_section(settings.python, args.smoke))
    # Five contenders for seconds each against their own emulator: only when asked in smoke.
    if (only is None and not args.smoke) or (only is not None and "quota" in only):
        text += "\n" + "\n".join(quota_section(settings.python, args.smoke))
    if only is None or "paced" in only:
        text += "\n" + "\n".join(paced_section(settings.python, args.smoke))
    text += f"\nThe suite took {time.perf_counter() - started:.0f} s.\n"
    out = args.out or (None if args.smoke else BENCH / "RESULTS.md")
    if out is None:
        print(text)
    else:
        out.write_text(text)
        print(f"wrote {out}", file=sys.stderr)
    failed = [f"{s}/{n}" for s, ms in results.items() for n, m in ms.items() if m.error]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

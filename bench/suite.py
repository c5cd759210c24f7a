"""Runs every scenario for every contender and writes the results as Markdown.

``bash bench/run.sh`` sets up the venv and the floor binary, then runs this. Each
measurement is a fresh process (``bench/worker.py``, or the floor binary) against one
emulator process started here in its fast mode; repetitions are interleaved across
contenders and the tables report their medians.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"
sys.path.insert(0, str(BENCH))
from contenders import CONTENDERS, STREAM_MODEL  # noqa: E402 - after the path setup
from emulator_process import start_emulator  # noqa: E402 - after the path setup

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
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
}


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


# -- the report -------------------------------------------------------------------------------


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _command(*command: str) -> str:
    try:
        return subprocess.run(
            command, check=False, capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        return "unknown"


def machine(built_from: str | None) -> list[str]:
    cpu = "unknown CPU"
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    import bedrock_cris

    sdk = "unknown"
    lock = BENCH / "floor" / "Cargo.lock"
    if lock.exists():
        lines = lock.read_text().splitlines()
        for i, line in enumerate(lines):
            if line == 'name = "aws-sdk-bedrockruntime"':
                sdk = lines[i + 1].split('"')[1]
    if built_from is None:
        commit = _command("git", "rev-parse", "--short", "HEAD")
        dirty = " (with uncommitted changes)" if _command("git", "status", "--porcelain") else ""
        built_from = f"commit {commit}{dirty}"
    return [
        (
            f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
            f"bedrock-cris built from {built_from}"
        ),
        (
            f"- Machine: {cpu}, {os.cpu_count()} cores{memory}; {platform.system()} "
            f"{platform.release()}"
        ),
        (
            f"- Python {platform.python_version()}; bedrock-cris {bedrock_cris.__version__} "
            f"({bedrock_cris.build_profile} build); boto3 {_version('boto3')}, botocore "
            f"{_version('botocore')}; aioboto3 {_version('aioboto3')}, aiobotocore "
            f"{_version('aiobotocore')}, aiohttp {_version('aiohttp')}; numpy {_version('numpy')}"
        ),
        f"- Floor: aws-sdk-bedrockruntime {sdk}, {_command('rustc', '--version')}",
        f"- Load average when the suite started (1, 5, 15 min): {LOAD_AT_START}",
    ]


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _ratio(value: float) -> str:
    return f"{value:.3f}x" if value < 1 else f"{value:.2f}x"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def rate(scenario: Scenario) -> Callable[[dict[str, Any]], float]:
    if scenario.key == "stream":
        return lambda run: run["events"] / run["wall"]
    return lambda run: run["ops"] / run["wall"]


def report(
    settings: Settings,
    cold: dict[str, tuple[float, int]] | None,
    results: dict[str, dict[str, Measured]],
    smoke: bool,
) -> str:
    out = ["# Benchmark results", ""]
    if smoke:
        out += ["**Smoke run (tiny counts): these figures mean nothing.**", ""]
    out += [
        "Written by `bash bench/run.sh`; every figure below was measured by the run that wrote",
        "this file. Each measurement is a fresh process against one emulator process (fast mode,",
        (
            f"no delays); figures are medians of {settings.reps} interleaved repetitions of "
            f"{settings.seconds:g} s each after a {settings.warmup:g} s warm-up (cold start: "
            f"{settings.cold_reps} repetitions). The machine is shared by the contender and the"
        ),
        "emulator, so absolute figures are low; the ratios are what the targets are about.",
        '"cost vs floor" is time per operation against the faster Rust floor in the same table;',
        '"CPU µs/op" is user+sys of the whole client process (all threads) per operation;',
        '"emulator CPU" is the share of one core the emulator process used meanwhile: near',
        "100% the emulator (one thread), not the client, sets the pace.",
        "",
        *machine(settings.built_from),
        "",
    ]
    targets: list[list[str]] = []
    if cold is not None:
        out += cold_table(cold, targets)
    for scenario in SCENARIOS:
        if scenario.key in results:
            out += scenario_table(scenario, results[scenario.key], targets)
    if "sequential" in results:
        out += cpu_table(results["sequential"], targets)
    out += [
        "## Targets",
        "",
        'Ratios against boto3 (aioboto3 for asyncio) measured in this run; "floor" is the',
        "per-call cost against the faster of the two Rust SDK floors.",
        "",
        "| scenario | contender | target | measured | | the floor's own ratio |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row + [""] * (6 - len(row))) + " |" for row in targets),
        "",
    ]
    out += [
        "What limits each missed target, with the profiles behind it, is in",
        "[LIMITS.md](LIMITS.md) (written by hand from profiling runs; its figures are not",
        "this run's).",
        "",
    ]
    return "\n".join(out)


def cold_table(cold: dict[str, tuple[float, int]], targets: list[list[str]]) -> list[str]:
    bare_wall, bare_rss = cold["bare"]
    out = [
        "## 1. Cold start: import + create a bedrock-runtime client, whole process",
        "",
        (
            "| contender | wall ms | peak RSS MiB | added wall ms | added RSS MiB | "
            "added wall vs boto3 | added RSS vs boto3 |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    base = cold.get("boto3")
    for name, (wall, rss) in cold.items():
        label = "bare `python -c pass`" if name == "bare" else LABELS.get(name, name)
        if name in FLOORS:
            out.append(
                f"| {label} (whole binary) | {_fmt(wall * 1e3, 1)} | {_fmt(rss / 1024, 1)} "
                "| | | | |"
            )
            continue
        added_wall, added_rss = wall - bare_wall, (rss - bare_rss) / 1024
        vs_wall = vs_rss = ""
        if base and name != "bare":
            base_wall, base_rss = base[0] - bare_wall, (base[1] - bare_rss) / 1024
            vs_wall, vs_rss = _ratio(added_wall / base_wall), _ratio(added_rss / base_rss)
            if name in OURS:
                ok_wall = added_wall <= base_wall / 10
                ok_rss = added_rss <= base_rss / 3
                targets.append(
                    ["1. cold start, added wall", label, "<= 0.10x boto3", vs_wall, _met(ok_wall)]
                )
                targets.append(
                    ["1. cold start, added peak RSS", label, "<= 0.33x boto3", vs_rss, _met(ok_rss)]
                )
        out.append(
            f"| {label} | {_fmt(wall * 1e3, 1)} | {_fmt(rss / 1024, 1)} | "
            f"{_fmt(added_wall * 1e3, 1) if name != 'bare' else ''} | "
            f"{_fmt(added_rss, 1) if name != 'bare' else ''} | {vs_wall} | {vs_rss} |"
        )
    return out + [""]


def scenario_table(
    scenario: Scenario, measured: dict[str, Measured], targets: list[list[str]]
) -> list[str]:
    per = rate(scenario)
    baseline = BASELINES[scenario.flavour]
    rates = {name: m.median(per) for name, m in measured.items() if m.runs}
    floor_cost = min((1 / rates[f] for f in FLOORS if f in rates), default=None)
    embed = scenario.key == "embed"
    head = (
        f"| contender | {scenario.unit} | vs {baseline} | cost vs floor | CPU µs/op "
        "| emulator CPU |"
    )
    rule = "|---|---:|---:|---:|---:|---:|"
    if embed:
        head += " peak RSS MiB | added RSS MiB | peak RSS vs boto3 |"
        rule += "---:|---:|---:|"
    out = [f"## {scenario.title}", "", head, rule]
    base_rss = None
    if embed and baseline in measured and measured[baseline].runs:
        base_rss = measured[baseline].median(lambda r: r["rss_peak"])
    for name, m in measured.items():
        label = LABELS.get(name, name)
        if scenario.flavour == "async" and name == "bedrock_cris":
            label = "bedrock_cris.aio (facade)"
        if not m.runs:
            out.append(f"| {label} | failed: {m.error} | | | | |" + (" | | |" if embed else ""))
            continue
        value = rates[name]
        vs_base = _ratio(value / rates[baseline]) if baseline in rates else ""
        vs_floor = _ratio((1 / value) / floor_cost) if floor_cost else ""
        cpu = (
            m.median(
                lambda r: r["cpu"] / max(r["events" if scenario.key == "stream" else "ops"], 1)
            )
            * 1e6
        )
        server = m.median(lambda r: r.get("server_cpu", 0.0) / r["wall"]) * 100
        row = (
            f"| {label} | {_fmt(value)} | {vs_base} | {vs_floor} | {_fmt(cpu, 2)} | {server:.0f}% |"
        )
        if embed:
            peak = m.median(lambda r: r["rss_peak"])
            added = m.median(lambda r: r["rss_peak"] - r["rss_before"])
            vs_rss = _ratio(peak / base_rss) if base_rss else ""
            row += f" {_fmt(peak / 1024, 1)} | {_fmt(added / 1024, 1)} | {vs_rss} |"
            if name == "native" and base_rss:
                targets.append(
                    [
                        scenario.title.split(" ", 1)[0] + " embed peak RSS",
                        label,
                        "<= 0.25x boto3",
                        vs_rss,
                        _met(peak <= base_rss / 4),
                    ]
                )
        out.append(row)
        # Embedding targets are for the native API (the facade runs boto3's json.loads loop).
        targeted = name == "native" if embed else name in OURS
        if targeted and baseline in rates and scenario.target:
            targets.append(
                [
                    f"{scenario.title}",
                    label,
                    f">= {scenario.target}x {baseline}",
                    vs_base,
                    _met(value >= scenario.target * rates[baseline]),
                    _ratio(1 / floor_cost / rates[baseline]) if floor_cost else "",
                ]
            )
        if name in OURS and floor_cost:
            targets.append(
                [
                    f"{scenario.title}",
                    label,
                    "<= 1.5x floor cost",
                    vs_floor,
                    _met(1 / value <= 1.5 * floor_cost),
                ]
            )
    if any(m.error for m in measured.values() if m.runs):
        out.append("")
        out += [f"- {LABELS.get(n, n)}: {m.error}" for n, m in measured.items() if m.error]
    return out + [""]


def cpu_table(measured: dict[str, Measured], targets: list[list[str]]) -> list[str]:
    out = [
        "## 7. CPU cost per call (scenario 2: user+sys of the whole process)",
        "",
        "| contender | CPU µs/call | context switches/call | vs boto3 | vs floor |",
        "|---|---:|---:|---:|---:|",
    ]
    cost = {name: m.median(lambda r: r["cpu"] / r["ops"]) for name, m in measured.items() if m.runs}
    floor = min((cost[f] for f in FLOORS if f in cost), default=None)
    for name, m in measured.items():
        if name not in cost:
            continue
        label = LABELS.get(name, name)
        switches = m.median(lambda r: r["switches"] / r["ops"])
        vs_base = _ratio(cost[name] / cost["boto3"]) if "boto3" in cost else ""
        vs_floor = _ratio(cost[name] / floor) if floor else ""
        out.append(
            f"| {label} | {_fmt(cost[name] * 1e6, 1)} | {_fmt(switches, 2)} | "
            f"{vs_base} | {vs_floor} |"
        )
        if name in OURS and floor:
            targets.append(
                [
                    "7. CPU per call",
                    label,
                    "<= 1.5x floor",
                    vs_floor,
                    _met(cost[name] <= 1.5 * floor),
                ]
            )
    return out + [""]


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--floor", type=Path, help="the floor binary (bench/floor)")
    parser.add_argument("--smoke", action="store_true", help="tiny counts; checks it works")
    parser.add_argument("--out", type=Path, help="default: bench/RESULTS.md (stdout for --smoke)")
    parser.add_argument(
        "--only", help="comma-separated scenario keys (and/or 'cold', 'ray', 'payloads', 'quota')"
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

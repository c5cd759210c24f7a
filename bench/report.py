"""The suite's Markdown report: the machine, each scenario's table with its ratios, the CPU
table and the targets (bench/suite.py calls it with what it measured)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from scenarios import (
    BASELINES,
    BENCH,
    FLOORS,
    LABELS,
    LOAD_AT_START,
    OURS,
    ROOT,
    SCENARIOS,
    Measured,
    Scenario,
    Settings,
)


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

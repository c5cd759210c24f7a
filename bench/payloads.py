"""Big payloads and long answers: what a call costs the client when the request carries
megabytes or the answer is long (issue 18, scenarios 2-4).

Scenarios, each for boto3 and our facade, each measured in a fresh process:

- ``image``: Converse with a 3.75 MB image as bytes;
- ``document``: Converse with a 4.5 MB document as bytes;
- ``invoke10``: InvokeModel with a 10 MB JSON body;
- ``answer``: InvokeModel answering a ~2 MB body, read whole (``read()``);
- ``chunks``: the same answer read with ``iter_chunks()`` (botocore's 1 KiB default);
- ``deltas``: ConverseStream answering in 20,000 text deltas.

Per scenario and contender: client CPU per call (user+sys of the whole process), the
emulator's CPU per call and its share of one core while the client ran, the peak RSS the
call adds to the process (its high-water mark, reset with ``/proc/self/clear_refs`` just
before one call, minus the RSS then), the peak of Python allocations during one call
(tracemalloc), and both divided by the payload's size: the number of payload-sized copies
alive at once (native and Python allocations; tracemalloc sees only the latter).

    python bench/payloads.py [--smoke] [--calls 5] [--out FILE]

Prints a Markdown section (bench/suite.py includes it as ``payloads``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

from emulator_process import ENV, start_emulator
from probes import own_cpu, process_cpu, status_kib

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
#: Text deltas of the ~2 MB answer (the emulator's pieces average ~6 bytes).
ANSWER_DELTAS = 330_000
STREAM_DELTAS = 20_000
SIZES = {"image": 3_750_000, "document": 4_500_000, "invoke10": 10_000_000}
SCENARIOS = {
    "image": "Converse, 3.75 MB image as bytes",
    "document": "Converse, 4.5 MB document as bytes",
    "invoke10": "InvokeModel, 10 MB JSON body",
    "answer": "InvokeModel, ~2 MB answer, read()",
    "chunks": "InvokeModel, ~2 MB answer, iter_chunks()",
    "deltas": "ConverseStream, 20,000 deltas",
}
CONTENDERS = ("boto3", "bedrock_cris")


# -- the child: one contender, one scenario ---------------------------------------------------


def _client(contender: str, endpoint: str) -> Any:
    kwargs = {"region_name": "us-east-1", "endpoint_url": endpoint}
    if contender == "boto3":
        import boto3

        return boto3.client("bedrock-runtime", **kwargs)
    import bedrock_cris

    return bedrock_cris.client("bedrock-runtime", **kwargs)


def _anthropic_body(text: str) -> bytes:
    request = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1_000_000_000,
        "messages": [{"role": "user", "content": text}],
    }
    return json.dumps(request).encode()


def _call(scenario: str, client: Any, scale: float) -> tuple[Callable[[], int], int]:
    """The call to measure (returning the payload bytes it handled) and the payload's size."""
    if scenario in ("image", "document"):
        size = int(SIZES[scenario] * scale)
        data = os.urandom(size)
        block: dict[str, Any] = (
            {"image": {"format": "png", "source": {"bytes": data}}}
            if scenario == "image"
            else {"document": {"format": "pdf", "name": "report", "source": {"bytes": data}}}
        )
        messages = [{"role": "user", "content": [{"text": "Describe it."}, block]}]

        def converse() -> int:
            client.converse(modelId=MODEL, messages=messages)
            return size

        return converse, size
    if scenario == "invoke10":
        body = _anthropic_body("x" * int(SIZES["invoke10"] * scale))

        def invoke() -> int:
            client.invoke_model(modelId=MODEL, body=body)["body"].read()
            return len(body)

        return invoke, len(body)
    if scenario in ("answer", "chunks"):
        model = f"emulator.deltas.{max(1, int(ANSWER_DELTAS * scale))}.{MODEL}"
        body = _anthropic_body("hi")

        def answer() -> int:
            streaming = client.invoke_model(modelId=model, body=body)["body"]
            if scenario == "answer":
                return len(streaming.read())
            return sum(len(chunk) for chunk in streaming.iter_chunks())

        return answer, answer()
    if scenario == "deltas":
        model = f"emulator.deltas.{max(1, int(STREAM_DELTAS * scale))}.{MODEL}"
        messages = [{"role": "user", "content": [{"text": "hi"}]}]

        def stream() -> int:
            events = client.converse_stream(modelId=model, messages=messages)["stream"]
            return sum("contentBlockDelta" in event for event in events)

        return stream, stream()
    raise SystemExit(f"unknown scenario {scenario!r}")


def child(args: argparse.Namespace) -> None:
    client = _client(args.contender, args.endpoint)
    call, size = _call(args.scenario, client, args.scale)  # one warm-up call for the answers
    call()
    # Peak RSS of one call: the high-water mark reset to the RSS now ("5" to clear_refs).
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = status_kib("VmRSS")
    call()
    peak_rss = max(0, status_kib("VmHWM") - before)
    # Python allocations during one call.
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    call()
    peak_py = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    # CPU per call, the emulator's alongside.
    server0, cpu0, wall0 = process_cpu(args.server_pid), own_cpu(), time.perf_counter()
    for _ in range(args.calls):
        call()
    wall = time.perf_counter() - wall0
    cpu, server = own_cpu() - cpu0, process_cpu(args.server_pid) - server0
    result = {"size": size, "peak_rss_kib": peak_rss, "peak_py": peak_py, "calls": args.calls}
    result.update({"cpu": cpu, "wall": wall, "server_cpu": server, "rss": status_kib("VmRSS")})
    print(json.dumps(result))


# -- the parent: every scenario for every contender --------------------------------------------


def measure(scenario: str, contender: str, endpoint: str, pid: int, args: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", scenario, contender, "--endpoint", endpoint]
    command += ["--server-pid", str(pid), "--calls", str(args.calls), "--scale", str(args.scale)]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=600)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["failed"]
        return {"error": last[0]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(contender: str, m: dict[str, Any]) -> str:
    if "error" in m:
        return f"| {contender} | failed: {m['error']} | | | | | | |"
    calls, size = m["calls"], m["size"]
    unit = "event" if m.get("scenario") == "deltas" else "call"
    per = size if unit == "event" else 1
    cpu = m["cpu"] / calls / per * (1e6 if unit == "event" else 1e3)
    server = m["server_cpu"] / calls / per * (1e6 if unit == "event" else 1e3)
    share = m["server_cpu"] / m["wall"] if m["wall"] else 0.0
    cpu_unit = "µs/event" if unit == "event" else "ms/call"
    if unit == "event":
        copies = f"{m['peak_rss_kib']:,} KiB / {m['peak_py'] / 1024:,.0f} KiB"
    else:
        rss_copies = m["peak_rss_kib"] * 1024 / size
        py_copies = m["peak_py"] / size
        copies = f"{rss_copies:.2f} / {py_copies:.2f}"
    return (
        f"| {contender} | {cpu:.2f} {cpu_unit} | {server:.2f} {cpu_unit} | {share:.0%} "
        f"| {m['peak_rss_kib'] / 1024:,.1f} MiB | {m['peak_py'] / 2**20:,.1f} MiB | {copies} "
        f"| {m['rss'] / 1024:,.0f} MiB |"
    )


def report(results: dict[str, dict[str, dict[str, Any]]], args: Any) -> list[str]:
    out = ["## 9. Big payloads and long answers (bench/payloads.py)", ""]
    if args.smoke:
        out += ["Smoke run: payloads scaled down; the figures mean nothing.", ""]
    out += [
        f"{args.calls} timed calls per row after one warm-up, each row a fresh process. "
        "*Peak RSS added* is the process's high-water mark over one call minus its RSS just "
        "before (the payload itself already allocated); *Python peak* is tracemalloc's peak "
        "over one call; *copies* divides each by the payload (request body or answer) size: "
        "payload-sized buffers alive at once, native + Python / Python only. For the stream "
        "the columns are per event and the copies column shows the two peaks. The emulator "
        "runs in its own process on the same cores; its share is of one core while the "
        "client ran.",
        "",
    ]
    for scenario, title in SCENARIOS.items():
        ms = results.get(scenario)
        if not ms:
            continue
        any_ok = next((m for m in ms.values() if "size" in m), None)
        size = f" ({any_ok['size']:,} {'deltas' if scenario == 'deltas' else 'bytes'})"
        out += [f"### {title}{size if any_ok else ''}", ""]
        out += [
            "| contender | client CPU | emulator CPU | emulator share | peak RSS added "
            "| Python peak | copies (RSS / Python) | RSS after |",
            "|---|---|---|---|---|---|---|---|",
        ]
        out += [_row(name, {**m, "scenario": scenario}) for name, m in ms.items()]
        out.append("")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "CONTENDER"))
    parser.add_argument("--endpoint")
    parser.add_argument("--server-pid", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="payloads / 100, one call")
    parser.add_argument("--calls", type=int)
    parser.add_argument("--scale", type=float)
    parser.add_argument("--only", help="comma-separated scenarios")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.calls = args.calls or (1 if args.smoke else 5)
    args.scale = args.scale or (0.01 if args.smoke else 1.0)
    if args.child:
        args.scenario, args.contender = args.child
        child(args)
        return 0
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    emulator, endpoint = start_emulator(sys.executable, ENV)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        for scenario in SCENARIOS:
            if scenario in only:
                results[scenario] = {
                    name: measure(scenario, name, endpoint, emulator.pid, args)
                    for name in CONTENDERS
                }
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    text = "\n".join(report(results, args)) + "\n"
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    failed = [f"{s}/{n}" for s, ms in results.items() for n, m in ms.items() if "error" in m]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

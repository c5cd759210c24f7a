"""Ray scenario: 100,000 texts through ``bedrock_cris.ray.embed_dataset`` on a local Ray with 2
and 4 actors, against ``embed()`` in one process; texts/s and peak RSS (the whole process tree:
driver, raylet and actors).

    bench/.venv/bin/python bench/ray_embed.py            # needs bedrock-cris[ray] in that venv
    bench/.venv/bin/python bench/ray_embed.py --texts 2000 --smoke

Each measurement runs in a fresh process against one emulator process (fast mode). On a shared
2-core machine the figures are indicative: Ray's own processes compete with the emulator and
the pipeline for the same cores, so this measures overhead, not scale (docs/ray.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from emulator_process import ENV, start_emulator  # noqa: E402 - after the path setup

MODEL = "cohere.embed-v4:0"


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in kB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as status:
                kb = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
        rss[int(entry)] = kb
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_one(mode: str, endpoint: str, texts: int) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    import bedrock_cris

    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], tree_rss_kb(os.getpid()))

    client = bedrock_cris.Client("us-east-1", endpoint_url=endpoint)
    corpus = [f"document {i}: {'lorem ipsum ' * (i % 7)}" for i in range(texts)]
    threading.Thread(target=sample, daemon=True).start()
    if mode == "embed":
        client.embed(corpus[:96], model=MODEL)  # warm-up
        started = time.perf_counter()
        vectors = client.embed(corpus, model=MODEL).vectors
        elapsed = time.perf_counter() - started
        rows = len(vectors)
    else:
        import ray
        from bedrock_cris.ray import embed_dataset

        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        ds = ray.data.from_items([{"text": t} for t in corpus], override_num_blocks=16)
        ds = ds.materialize()  # the input in the object store: not part of the measurement
        started = time.perf_counter()
        out = embed_dataset(ds, "text", model=MODEL, client=client, concurrency=int(mode[3:]))
        rows = 0
        for batch in out.iter_batches(batch_size=4096, batch_format="numpy"):
            rows += len(batch["embedding"])
        elapsed = time.perf_counter() - started
        ray.shutdown()
    stop.set()
    if rows != texts:
        raise SystemExit(f"{mode}: {rows} rows for {texts} texts")
    return {"texts_per_s": texts / elapsed, "seconds": elapsed, "peak_rss_mb": peak[0] / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="embed() and 2 actors only")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # mode, in a child process
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.endpoint, args.texts)))
        return 0
    emulator, endpoint = start_emulator(sys.executable, ENV)
    try:
        print(f"{args.texts:,} texts, Cohere Embed v4 x 1,024, emulator at {endpoint}")
        print("| run | texts/s | seconds | peak RSS (process tree) |")
        print("|---|---|---|---|")
        for mode in ["embed", "ray2"] + ([] if args.smoke else ["ray4"]):
            command = [sys.executable, __file__, "--one", mode, "--endpoint", endpoint]
            done = subprocess.run(
                command + ["--texts", str(args.texts)],
                capture_output=True,
                text=True,
                env=ENV,
                timeout=900,
            )
            if done.returncode != 0:
                print(f"| {mode} | failed: {done.stderr.strip().splitlines()[-1:]} | | |")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            label = (
                "embed(), one process" if mode == "embed" else f"embed_dataset, {mode[3:]} actors"
            )
            print(
                f"| {label} | {result['texts_per_s']:,.0f} | {result['seconds']:.1f} | "
                f"{result['peak_rss_mb']:,.0f} MB |"
            )
    finally:
        emulator.kill()
        emulator.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The emulator in a process of its own for a benchmark: fast mode unless told otherwise,
recording nothing, its URL read from the first line it prints; and the environment every
benchmark child runs with."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

#: The environment of the emulator and every measured process: test keys, one Region, no
#: instance-metadata lookups, no bytecode writes.
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def start_emulator(
    python: str, env: dict[str, str], extra: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], str]:
    """Starts `python -m bedrock_cris.emulator` (with `extra` flags); its process and URL."""
    command = [python, "-m", "bedrock_cris.emulator", "--port", "0", "--record-limit", "0"]
    process = subprocess.Popen(
        [*command, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise SystemExit(f"the emulator did not start (said {url!r})")
    return process, url

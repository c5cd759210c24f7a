"""The emulator in a process of its own for a benchmark: fast mode unless told otherwise,
recording nothing, its URL read from the first line it prints."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence


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

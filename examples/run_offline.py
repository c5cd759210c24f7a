"""Runs every example script offline, against the bundled Bedrock emulator.

The scripts are the boto3 originals with only their imports changed; they are
pointed at the emulator the way any boto3 script can be, through the standard
environment variables (endpoint URL and test credentials), so their code stays
untouched. Usage: ``python examples/run_offline.py [script.py ...]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bedrock_cris.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parent


def example_scripts() -> list[Path]:
    """The runnable examples, in name order (this runner and helpers excluded)."""
    return sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith(("run_", "_")))


def offline_environment(endpoint_url: str) -> dict[str, str]:
    """The environment that points boto3 and bedrock_cris at the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=endpoint_url,
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def main(argv: list[str]) -> int:
    scripts = [Path(a).resolve() for a in argv] or example_scripts()
    failures = 0
    with Emulator() as emulator:
        env = offline_environment(emulator.endpoint_url)
        for script in scripts:
            print(f"=== {script.name} (emulator at {emulator.endpoint_url})", flush=True)
            completed = subprocess.run([sys.executable, str(script)], env=env, timeout=120)
            if completed.returncode != 0:
                failures += 1
                print(f"!!! {script.name} exited with {completed.returncode}", flush=True)
    print(f"{len(scripts) - failures} examples ran, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Every ```python block of README.md runs as pasted, against the emulator.

Each block is run as a script in a fresh interpreter (timeout: 60 s), with the environment a
user would have after pasting the emulator's ``export`` lines: AWS_ENDPOINT_URL_BEDROCK_RUNTIME
pointing at the test session's emulator, a region and credentials it accepts, and no AWS
profile files. A block that defines ``test_*`` functions is a pytest example: it is run by
pytest (with the package's plugin, as in a user's project) and must pass.

A block that cannot run here (it needs real AWS, say) must say so on its first line,
``# not run: <why>``; it is reported as skipped with that reason, never run silently.
``# needs: <module>`` marks a block of an optional extra (Ray): skipped, saying so, only when
that module is not installed.
The examples of ``help(bedrock_cris)`` (the package docstring) run the same way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import bedrock_cris
import pytest
from conftest import ACCESS_KEY, SECRET_KEY

README = Path(__file__).resolve().parent.parent / "README.md"
NOT_RUN = "# not run:"
NEEDS = "# needs:"
TIMEOUT = 60


def readme_blocks() -> list[tuple[int, str]]:
    """``(line, code)`` of every ```python block of README.md."""
    blocks = []
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            start = i + 1
            end = start
            while lines[end].strip() != "```":
                end += 1
            blocks.append((start + 1, "\n".join(lines[start:end]) + "\n"))
            i = end
        i += 1
    return blocks


def docstring_blocks() -> list[tuple[int, str]]:
    """The ``::`` literal blocks of ``bedrock_cris.__doc__``."""
    doc = bedrock_cris.__doc__ or ""
    blocks = []
    for match in re.finditer(r"::\n\n((?:(?: {4}.*)?\n)+)", doc + "\n"):
        line = doc[: match.start(1)].count("\n") + 1
        blocks.append((line, textwrap.dedent(match.group(1)).strip() + "\n"))
    return blocks


def user_env(emulator: Any) -> dict[str, str]:
    """The environment after pasting the emulator's export lines (the conftest already took
    the developer's AWS_* variables away)."""
    return {
        **os.environ,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.endpoint_url,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }


def run_block(code: str, emulator: Any, tmp_path: Path) -> None:
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    if first.startswith(NOT_RUN):
        reason = first[len(NOT_RUN) :].strip()
        assert reason, f"a {NOT_RUN!r} line must say why"
        pytest.skip(f"marked not runnable: {reason}")
    if first.startswith(NEEDS):  # an optional extra's block: CI installs it (the dev extra)
        module = first[len(NEEDS) :].strip()
        pytest.importorskip(module, reason=f"{module} is not installed")
    if re.search(r"^def test_", code, re.MULTILINE):
        # A pytest example: run it as a user's test module, with only the installed plugin.
        (tmp_path / "test_example.py").write_text(code, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    else:
        script = tmp_path / "snippet.py"
        script.write_text(code, encoding="utf-8")
        command = [sys.executable, str(script)]
        env = user_env(emulator)
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"


@pytest.mark.parametrize(
    "code", [code for _, code in readme_blocks()], ids=[f"line{n}" for n, _ in readme_blocks()]
)
def test_readme_python_block_runs(code: str, emulator: Any, tmp_path: Path) -> None:
    run_block(code, emulator, tmp_path)


@pytest.mark.parametrize(
    "code",
    [code for _, code in docstring_blocks()],
    ids=[f"line{n}" for n, _ in docstring_blocks()],
)
def test_help_example_runs(code: str, emulator: Any, tmp_path: Path) -> None:
    run_block(code, emulator, tmp_path)


def test_every_door_has_a_help_example() -> None:
    blocks = [code for _, code in docstring_blocks()]
    for door in [
        "import bedrock_cris as boto3",
        "bedrock_cris.converse(",
        "asyncio.run(",
        "Emulator(",
    ]:
        assert any(door in code for code in blocks), door


def test_blocks_are_found() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 6
    assert all(code.strip() for _, code in blocks)


def test_the_readme_shows_what_the_emulator_cli_prints() -> None:
    from bedrock_cris.emulator._cli import _export_lines

    class Listening:
        endpoint_url = "http://127.0.0.1:8000"
        ca_bundle = None

    shown = "\n".join(
        ["$ python -m bedrock_cris.emulator --port 8000", Listening.endpoint_url]
        + ["# Point AWS clients in another shell at this emulator:"]
        + _export_lines(Listening(), "us-east-1", {}, [])  # type: ignore[arg-type]
    )
    assert f"```bash\n{shown}\n```" in README.read_text(encoding="utf-8")

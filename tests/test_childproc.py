"""The Ctrl-C tests pass however the test run was started: with SIGINT blocked and ignored
by the parent (a CI runner, ``nohup``, a background job) as well as normally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from childproc import Child, sigint_script

TESTS = Path(__file__).resolve().parent

#: Re-executes the rest of its arguments with SIGINT blocked and ignored, as such a parent
#: leaves it (both survive exec).
BLOCKED_PARENT = """
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
signal.signal(signal.SIGINT, signal.SIG_IGN)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def test_a_child_restores_sigint_itself() -> None:
    script = sigint_script(
        """
        import time
        try:
            # Inside the try: a SIGINT right after "ready" is caught too.
            print("ready", flush=True)
            time.sleep(30)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    with Child([sys.executable, "-c", BLOCKED_PARENT, "-c", script]) as child:
        assert child.readline().strip() == "ready"
        child.interrupt()
        assert child.readline().strip() == "interrupted"
        assert child.wait() == 0


def test_the_ctrl_c_tests_pass_under_a_parent_that_blocks_sigint() -> None:
    files = ["test_timeouts.py", "test_streams.py", "test_facade.py", "test_embed.py"]
    files.append("test_emulator.py")
    command = [sys.executable, "-c", BLOCKED_PARENT, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += [str(TESTS / name) for name in files] + ["-k", "ctrl_c or cli_serves"]
    done = subprocess.run(
        command,
        cwd=TESTS.parent,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout, done.stdout

"""Child Python processes for tests, whatever the test run was started from.

A test run may inherit SIGINT blocked or ignored (a CI runner, ``nohup``, a shell's
background job, a parent that blocked it): a child that must see Ctrl-C then never would,
and a test that reads its output without a timeout hangs. So:

* :data:`SIGINT_READY` (or :func:`sigint_script`) goes first in any child script that is
  sent SIGINT: it unblocks SIGINT and restores Python's default handler itself;
* :class:`Child` reads the child's output lines with a timeout (a thread drains the pipe),
  and kills the child if the test fails.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import IO, Any

#: The first lines of a child script that must be interruptible by SIGINT.
SIGINT_READY = (
    "import signal as _signal\n"
    "_signal.pthread_sigmask(_signal.SIG_UNBLOCK, {_signal.SIGINT})\n"
    "_signal.signal(_signal.SIGINT, _signal.default_int_handler)\n"
)

#: Seconds any one read from a child may take before the test fails.
READ_TIMEOUT = 20.0


def sigint_script(source: str) -> str:
    """``source`` (dedented) with :data:`SIGINT_READY` before it."""
    return SIGINT_READY + textwrap.dedent(source)


def run_module_script(module: str) -> str:
    """A ``-c`` script that runs ``python -m module`` (its arguments follow) with SIGINT ready."""
    return (
        SIGINT_READY
        + f"import runpy\nrunpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    )


class Child:
    """A child process whose standard output is read line by line, each read with a timeout.

    Use it as a context manager: on leaving, a child still running is killed and reaped.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        stderr: int | IO[Any] | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            list(args), stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            self._lines.put(line)
        self._lines.put(None)

    def readline(self, timeout: float = READ_TIMEOUT) -> str:
        """The next line (with its newline), or ``""`` once the child closed its output.
        Fails the test if nothing comes within ``timeout`` seconds."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the child printed no line within {timeout} s") from None
        if line is None:
            self._lines.put(None)  # every later read sees the end too
            return ""
        return line

    def rest(self, timeout: float = READ_TIMEOUT) -> list[str]:
        """Every remaining line, up to the end of the output (within ``timeout`` in all)."""
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            line = self.readline(max(0.0, deadline - time.monotonic()))
            if not line:
                return lines
            lines.append(line)

    def interrupt(self) -> None:
        """Sends SIGINT (Ctrl-C)."""
        self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float = READ_TIMEOUT) -> int:
        """The exit status; fails the test if the child is still running after ``timeout``."""
        return self.process.wait(timeout=timeout)

    def __enter__(self) -> Child:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=READ_TIMEOUT)
        self._thread.join(timeout=READ_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()


def interrupt_when_waiting(script: str) -> tuple[float, list[str]]:
    """Runs ``script`` (:data:`SIGINT_READY` put first) in a child Python, sends SIGINT half
    a second after it printed "waiting", and returns how long the KeyboardInterrupt took to
    reach the child's "interrupted at <time.monotonic()>" line, and the lines it printed
    after that one. The child must then exit with status 0."""
    with Child([sys.executable, "-c", sigint_script(script)], env=dict(os.environ)) as child:
        assert child.readline().strip() == "waiting"
        time.sleep(0.5)  # let it block
        sent = time.monotonic()
        child.interrupt()
        interrupted = child.readline().split()
        rest = [line.strip() for line in child.rest()]
        assert child.wait() == 0
    assert interrupted[:2] == ["interrupted", "at"], interrupted
    return float(interrupted[-1]) - sent, rest

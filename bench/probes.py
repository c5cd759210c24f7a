"""What a benchmark process reads of itself and of the emulator, from /proc and getrusage."""

from __future__ import annotations

import os
import resource


def status_kib(key: str = "VmRSS", pid: int | str = "self") -> int:
    """A number line of /proc/<pid>/status: a size in KiB (``VmRSS``, ``VmHWM``, ...) or a
    count (``Threads``); 0 when absent or the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def own_cpu() -> float:
    """User+sys CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User+sys CPU seconds of process `pid` so far (0 when `pid` is 0: unknown)."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

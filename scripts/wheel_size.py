"""Prints a wheel's size and what takes the room in it: its largest files, as stored
(compressed) and installed. Usage: ``python scripts/wheel_size.py dist/NAME.whl``."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

SHOWN = 5


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def main(wheel: Path) -> int:
    with zipfile.ZipFile(wheel) as archive:
        members = sorted(archive.infolist(), key=lambda m: m.file_size, reverse=True)
    installed = sum(m.file_size for m in members)
    print(
        f"{wheel.name}: {mib(wheel.stat().st_size)} ({mib(installed)} installed, {len(members)} files)"
    )
    for member in members[:SHOWN]:
        print(
            f"  {mib(member.compress_size):>9} stored  {mib(member.file_size):>9} installed  {member.filename}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

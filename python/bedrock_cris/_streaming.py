"""``StreamingBody``: the ``body`` of an ``invoke_model`` answer, with botocore's API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

__all__ = ["StreamingBody"]


class StreamingBody(io.IOBase):
    """The model's answer body, read like botocore's ``StreamingBody``.

    The Rust SDK has already received the whole body when the call returns, so
    reading never blocks and never times out; ``read()`` with no argument
    returns the body itself without copying it.
    """

    _DEFAULT_CHUNK_SIZE = 1024

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    def readable(self) -> bool:
        return not self.closed

    def read(self, amt: int | None = None) -> bytes:
        """Read at most ``amt`` bytes; everything left when ``amt`` is None."""
        self._check_open()
        start = self._position
        if amt is None or amt < 0:
            self._position = len(self._data)
            return self._data if start == 0 else self._data[start:]
        end = min(start + amt, len(self._data))
        self._position = end
        return self._data[start:end]

    def readinto(self, b: Any) -> int:
        """Read into a pre-allocated writable buffer; returns the count read."""
        view = memoryview(b).cast("B")
        chunk = self.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)

    def readlines(self, hint: int = -1) -> list[bytes]:  # type: ignore[override]
        self._check_open()
        lines = self.read().splitlines(True)
        return lines

    def tell(self) -> int:
        return self._position

    def set_socket_timeout(self, timeout: float) -> None:
        """Accepted for botocore compatibility; the body is already in memory."""

    def __iter__(self) -> Iterator[bytes]:  # type: ignore[override]
        """Yield 1 KiB chunks, as botocore does."""
        return self.iter_chunks(self._DEFAULT_CHUNK_SIZE)

    def __next__(self) -> bytes:
        chunk = self.read(self._DEFAULT_CHUNK_SIZE)
        if chunk:
            return chunk
        raise StopIteration()

    next = __next__

    def iter_lines(
        self, chunk_size: int = _DEFAULT_CHUNK_SIZE, keepends: bool = False
    ) -> Iterator[bytes]:
        """Yield lines, split as botocore splits them."""
        pending = b""
        for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line.splitlines(keepends)[0]
            pending = lines[-1]
        if pending:
            yield pending.splitlines(keepends)[0]

    def iter_chunks(self, chunk_size: int = _DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Yield chunks of at most ``chunk_size`` bytes until the body is consumed."""
        while True:
            chunk = self.read(chunk_size)
            if chunk == b"":
                break
            yield chunk

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def __repr__(self) -> str:
        return f"<bedrock_cris.StreamingBody object, {len(self._data)} bytes>"

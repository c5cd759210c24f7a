"""A hostile HTTP server on raw sockets, for tests: each connection gets the answer its
mode describes (garbage instead of HTTP, huge headers, bad chunking, cut bodies, corrupt or
oversized event-stream frames, HTML error pages). It counts the requests it was sent."""

from __future__ import annotations

import binascii
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Answer = Callable[[socket.socket], None]


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """An event-stream message with string headers and correct checksums."""
    encoded = b""
    for name, value in headers.items():
        raw = value.encode()
        encoded += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    total = 16 + len(encoded) + len(payload)
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message))


def event(kind: str, payload: bytes) -> bytes:
    return frame(
        {":event-type": kind, ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def claiming_prelude(total: int, headers: int = 0) -> bytes:
    """A prelude (valid checksum) claiming a message of `total` bytes."""
    prelude = struct.pack(">II", total, headers)
    return prelude + struct.pack(">I", binascii.crc32(prelude))


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


STREAM_HEADERS = [
    ("Content-Type", "application/vnd.amazon.eventstream"),
    ("x-amzn-RequestId", "hostile-1"),
    ("Transfer-Encoding", "chunked"),
    ("Connection", "close"),
]


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def stream_of(*parts: bytes, flood: int = 0, end: bool = True) -> Answer:
    """A 200 event-stream answer carrying `parts`, then `flood` bytes of junk."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(_head("200 OK", STREAM_HEADERS))
        for part in parts:
            conn.sendall(_chunk(part))
        sent, block = 0, b"\xab" * 65536
        while sent < flood:
            conn.sendall(_chunk(block))
            sent += len(block)
        if end:
            conn.sendall(b"0\r\n\r\n")

    return answer


def raw(data: bytes) -> Answer:
    def answer(conn: socket.socket) -> None:
        conn.sendall(data)

    return answer


def response(status: str, body: bytes, headers: list[tuple[str, str]] | None = None) -> Answer:
    given = headers or [("Content-Type", "text/html")]
    # One answer per connection: a client must not send its retry down this one.
    given = [*given, ("Connection", "close"), ("Content-Length", str(len(body)))]
    return raw(_head(status, given) + body)


class HostileServer:
    """Serves `answer` on every connection after reading the request's head and body."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if not _read_request(conn):
                return
            with self._lock:
                self.requests += 1
            self.answer(conn)
            time.sleep(0.05)  # let the client read what was sent before the close
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._closed = True
        self._sock.close()


def _read_request(conn: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return False
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        more = conn.recv(65536)
        if not more:
            return False
        body += more
    return True


@contextmanager
def hostile(answer: Answer) -> Iterator[HostileServer]:
    server = HostileServer(answer)
    try:
        yield server
    finally:
        server.close()

"""A local Amazon Bedrock Runtime server for offline tests, examples and benchmarks.

The emulator speaks the real wire protocol (rest-json routes, ``x-amzn-*`` headers, modelled
errors, ``application/vnd.amazon.eventstream`` streams), so boto3, the AWS SDK for Rust and
``bedrock_cris`` all talk to it unchanged::

    from bedrock_cris.emulator import Emulator

    with Emulator() as emu:
        client = boto3.client("bedrock-runtime", region_name="ap-south-1",
                              endpoint_url=emu.endpoint_url,
                              aws_access_key_id="test", aws_secret_access_key="test")
        client.converse(modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0", messages=[...])

Answers are deterministic functions of the request's meaning (only ``x-amzn-RequestId`` and
``Date`` vary): JSON object key order in a request never changes the answer. The server runs
on its own thread in this process, with no artificial delay unless ``event_delay`` asks for
one.

Conventions that need no setup:

* model id ``emulator.error.<Code>`` always answers that error, e.g.
  ``emulator.error.ThrottlingException`` (HTTP 429);
* model id ``emulator.deltas.<N>.<model id>`` answers as ``<model id>`` with text long enough to
  stream in exactly ``N`` text deltas (the non-streaming operations return the same text);
* ApplyGuardrail intervenes when the text contains the word "blocked".

InvokeModelWithBidirectionalStream (which boto3 cannot call; the AWS SDK for Rust can) is
served to Nova Sonic model ids (``amazon.nova-sonic-v1:0``, ``amazon.nova-2-sonic-v1:0``) over
HTTP/1.1 chunked bodies and h2c, by an echo model: each input ``chunk`` whose bytes are JSON is
answered at once by a ``chunk`` whose bytes are ``{"index": i, "echo": <the JSON, keys
sorted>}``; a chunk ``{"text": "..."}`` also gets ``{"index": i, "delta": "..."}`` chunks and
``{"index": i, "stopReason": "end_turn", "usage": {...}}``; the end of the input is answered by
``{"end": {"inputChunks": n, "outputChunks": m}}`` and ends the response. Signed input
envelopes (``:chunk-signature``/``:date``) are unwrapped, not verified.

Run it in the foreground with ``python -m bedrock_cris.emulator --port 8080``.
"""

from __future__ import annotations

import argparse
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TypedDict, cast

from bedrock_cris._native import EmulatorServer

if TYPE_CHECKING:  # typing_extensions only for type checkers; Self is 3.11+ in typing
    from typing_extensions import Self

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Emulator", "RecordedRequest", "StreamFaultMode", "main"]

#: Request bodies larger than this are refused with HTTP 413 unless configured otherwise.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

#: How a faulted stream ends: an exception event, a dropped connection, or silence.
StreamFaultMode = Literal["exception", "cut", "stall"]


class RecordedRequest(TypedDict):
    """One request as the emulator received it."""

    method: str
    """HTTP method, e.g. ``"POST"``."""
    path: str
    """The path as received, percent-escapes included (``/model/x-v1%3A0/converse``)."""
    query: str
    """The raw query string without ``?`` (empty when there is none)."""
    headers: list[tuple[str, str]]
    """Headers in received order; names lower-case (HTTP parsing folds them)."""
    body: bytes
    """The request body."""


class Emulator:
    """A Bedrock Runtime emulator bound to ``host:port`` (port 0 picks a free port).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one (see :attr:`endpoint_url`).
        event_delay: Seconds to pause between stream events (0: as fast as possible).
        stream_deltas: Text deltas per streamed answer (0: about one per four tokens).
        record_limit: How many recent requests :attr:`requests` keeps (0: record nothing,
            for benchmarks).
        max_body_bytes: Larger request bodies are refused with HTTP 413.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        event_delay: float = 0.0,
        stream_deltas: int = 0,
        record_limit: int = 1000,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._host = host
        self._port = port
        self._event_delay = event_delay
        self._stream_deltas = stream_deltas
        self._initial_pacing = (event_delay, stream_deltas)
        self._record_limit = record_limit
        self._max_body_bytes = max_body_bytes
        self._server: EmulatorServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Binds and starts serving; returns ``self``. Raises ``OSError`` if binding fails."""
        if self._server is None or not self._server.is_running():
            self._server = EmulatorServer(
                self._host,
                self._port,
                event_delay=self._event_delay,
                stream_deltas=self._stream_deltas,
                record_limit=self._record_limit,
                max_body_bytes=self._max_body_bytes,
            )
        return self

    def stop(self) -> None:
        """Stops serving and drops open connections (idempotent)."""
        if self._server is not None:
            self._server.shutdown()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None and self._server.is_running()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _require(self) -> EmulatorServer:
        if self._server is None:
            raise RuntimeError("the emulator is not started; call start() or use `with Emulator()`")
        return self._server

    # -- where it listens --------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT``, to pass as a client's ``endpoint_url``."""
        return self._require().endpoint_url

    @property
    def host(self) -> str:
        """The host the server listens on."""
        return self._require().host

    @property
    def port(self) -> int:
        """The port the server listens on (the chosen one when started with port 0)."""
        return self._require().port

    # -- recorder ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """The most recent requests (up to ``record_limit``), oldest first."""
        return cast("list[RecordedRequest]", self._require().requests())

    @property
    def request_count(self) -> int:
        """How many requests arrived since start, recorded or not."""
        return self._require().request_count()

    def clear(self) -> None:
        """Forgets recorded requests."""
        self._require().clear_requests()

    # -- faults ------------------------------------------------------------------------------

    def fail(
        self,
        model_id: str,
        code: str,
        message: str | None = None,
        status: int | None = None,
        times: int | None = None,
        *,
        original_status_code: int | None = None,
        resource_name: str | None = None,
    ) -> None:
        """Makes requests for ``model_id`` answer the modelled error ``code``.

        Args:
            model_id: The model id as the client sends it, its bare foundation-model id
                (``anthropic.claude-haiku-4-5-20251001-v1:0``), or ``"*"`` for every request.
            code: Error code, e.g. ``"ThrottlingException"``.
            message: Error message (default: Bedrock's usual wording for the code).
            status: HTTP status (default: the one the service model gives the code).
            times: ``None`` for every request, else only the next ``times`` requests.
            original_status_code: ``originalStatusCode`` member (ModelErrorException).
            resource_name: ``resourceName`` member (ModelErrorException).
        """
        self._require().fail(
            model_id,
            code,
            message,
            status,
            times,
            original_status_code=original_status_code,
            resource_name=resource_name,
        )

    def fail_stream(
        self,
        model_id: str,
        after_events: int,
        mode: StreamFaultMode = "exception",
        code: str | None = None,
        message: str | None = None,
        times: int | None = None,
    ) -> None:
        """Breaks streamed answers for ``model_id``.

        Applies to ConverseStream, InvokeModelWithResponseStream and
        InvokeModelWithBidirectionalStream. The stream sends its first ``after_events`` events,
        then:

        * ``"exception"``: an exception event ``code`` (default ``ModelStreamErrorException``;
          boto3 raises it while iterating), then the response ends;
        * ``"cut"``: the connection is dropped mid-response;
        * ``"stall"``: nothing more is sent and the connection stays open until the client
          times out or the emulator stops.

        ``times`` works as in :meth:`fail`.
        """
        self._require().fail_stream(model_id, after_events, mode, code, message, times)

    def reset(self) -> None:
        """Removes every fault (recorded requests are kept; see :meth:`clear`)."""
        self._require().reset_faults()

    def reset_all(self) -> None:
        """Back to the state it started in, for a server shared between tests.

        Removes every fault, recorded request and async-invoke job, and restores the event
        delay and stream-delta count given to the constructor.
        """
        server = self._require()
        server.reset()
        event_delay, stream_deltas = self._initial_pacing
        self.set_event_delay(event_delay)
        self.set_stream_deltas(stream_deltas)

    # -- pacing ------------------------------------------------------------------------------

    def set_event_delay(self, seconds: float) -> None:
        """Sets the pause between stream events for later requests."""
        self._require().set_event_delay(seconds)
        self._event_delay = seconds

    def set_stream_deltas(self, deltas: int) -> None:
        """Sets how many text deltas later streamed answers have (0: natural)."""
        self._require().set_stream_deltas(deltas)
        self._stream_deltas = deltas

    def __repr__(self) -> str:
        where = self._server.endpoint_url if self.running and self._server else "stopped"
        return f"<Emulator {where}>"


def main(argv: list[str] | None = None) -> int:
    """``python -m bedrock_cris.emulator``: serve in the foreground until Ctrl-C.

    Prints the endpoint URL as the first line of standard output.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_cris.emulator",
        description="Run a local Amazon Bedrock Runtime emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free port)")
    parser.add_argument(
        "--event-delay", type=float, default=0.0, help="seconds between stream events"
    )
    parser.add_argument(
        "--stream-deltas", type=int, default=0, help="text deltas per streamed answer"
    )
    parser.add_argument(
        "--record-limit", type=int, default=0, help="recent requests to keep (none by default)"
    )
    args = parser.parse_args(argv)
    emulator = Emulator(
        args.host,
        args.port,
        event_delay=args.event_delay,
        stream_deltas=args.stream_deltas,
        record_limit=args.record_limit,
    )
    try:
        emulator.start()
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(emulator.endpoint_url, flush=True)
    print("Bedrock Runtime emulator running; press Ctrl-C to stop.", file=sys.stderr, flush=True)
    try:
        while emulator.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

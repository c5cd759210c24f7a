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
envelopes (``:chunk-signature``/``:date``) are unwrapped, and their signature chain verified
when authentication is on.

Authentication is off unless asked for: ``Emulator(credentials={access_key: secret_key},
bearer_tokens=[...])`` makes it recompute each request's SigV4 signature (and accept those
bearer tokens), refusing a wrong one with Bedrock's 403 errors (``UnrecognizedClientException``
for an unknown key or token, ``InvalidSignatureException`` for a signature that does not
match, ``MissingAuthenticationTokenException`` without credentials).

Faults: :meth:`Emulator.fail`, :meth:`~Emulator.throttle`, :meth:`~Emulator.reset_connection`,
:meth:`~Emulator.delay_first_byte`, :meth:`~Emulator.stall_body`, :meth:`~Emulator.fail_stream`
(exception, cut, stall, truncate, corrupt_crc), each per model id (or ``"*"``) for the next
``times`` requests and/or a seeded ``fraction`` of them; :meth:`~Emulator.set_concurrency_limit`
and :meth:`~Emulator.set_latency`. Every recorded request says which fault applied to it.
The same controls are served over HTTP as JSON under ``/_emulator/`` (:attr:`Emulator.control_url`):
``GET|POST|DELETE /_emulator/faults`` (the fault objects :meth:`Emulator.inject` takes),
``GET|DELETE /_emulator/requests``, ``POST /_emulator/reset``, ``GET|PUT /_emulator/latency``
(``{"time_to_first_token": s, "per_token": s}``), ``GET|PUT /_emulator/concurrency``
(``{"limit": n}``), ``PUT /_emulator/seed`` (``{"seed": n}``); ``PUT`` and ``POST`` are
interchangeable, and a method an endpoint does not take is answered 405 with ``Allow``.

Scripted answers: :meth:`Emulator.respond_next` and :meth:`~Emulator.respond_next_stream`
queue responses (status, headers, a body or event-stream events) that the next requests get
verbatim, in order, instead of the operation's own answer (the model-wide differential tests
serve random valid responses of the service model this way).

Run it in the foreground with ``python -m bedrock_cris.emulator --port 8080``: it prints its
URL and the ``export`` lines that point another shell's clients at it, records the last 1000
requests (``--record-limit``), and ``--help`` lists its options and the control API.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from bedrock_cris._native import EmulatorServer

if TYPE_CHECKING:  # typing_extensions only for type checkers; Self is 3.11+ in typing
    from typing_extensions import Self

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Emulator", "RecordedRequest", "StreamFaultMode", "main"]

#: Request bodies larger than this are refused with HTTP 413 unless configured otherwise.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

#: How a faulted stream ends: an exception event, a dropped connection, silence, the end of the
#: response inside a frame, or a frame with a wrong CRC.
StreamFaultMode = Literal["exception", "cut", "stall", "truncate", "corrupt_crc"]


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
    fault: str | None
    """The fault applied to it, e.g. ``"error:ThrottlingException"``, ``"reset"``,
    ``"delay:1.5"``, ``"stall_body:10"``, ``"stream:cut@3"``, ``"quota:ThrottlingException"``."""
    auth_error: str | None
    """The error code authentication refused it with (``"InvalidSignatureException"``...)."""


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
        credentials: Access key id to secret access key: turns on SigV4 verification with
            these keys.
        bearer_tokens: Accepted ``Authorization: Bearer`` tokens (Bedrock API keys): turns on
            verification too. With neither, any request is accepted unchecked.
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
        credentials: Mapping[str, str] | None = None,
        bearer_tokens: Sequence[str] | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._event_delay = event_delay
        self._stream_deltas = stream_deltas
        self._initial_pacing = (event_delay, stream_deltas)
        self._record_limit = record_limit
        self._max_body_bytes = max_body_bytes
        self._auth = (dict(credentials or {}), list(bearer_tokens or []))
        self._initial_auth = self._auth
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
                credentials=self._auth[0],
                bearer_tokens=self._auth[1],
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
    def control_url(self) -> str:
        """``http://HOST:PORT/_emulator``, the base of the JSON control API."""
        return self._require().control_url

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

    def inject(self, *faults: Mapping[str, Any]) -> None:
        """Adds faults in their JSON form, as ``POST /_emulator/faults`` takes them (all or none).

        Each is ``{"model_id": "*", "action": ..., "times": n, "fraction": p, ...}`` with
        ``action`` one of ``"error"`` (``code``, ``message``, ``status``), ``"reset"``,
        ``"delay"`` (``seconds``), ``"stall_body"`` (``after_bytes``) or ``"stream"``
        (``after_events``, ``end``: ``"exception"``, ``"cut"``, ``"stall"``, ``"truncate"``,
        ``"corrupt_crc"``). Raises ``ValueError`` for a spec it cannot use.
        """
        self._require().add_faults(json.dumps(list(faults)))

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The faults in force, in their JSON form (counted-down ``times`` included)."""
        return cast("list[dict[str, Any]]", json.loads(self._require().faults_json()))

    @staticmethod
    def _spec(
        action: str, model_id: str, times: int | None, fraction: float | None, **members: Any
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"model_id": model_id, "action": action}
        if times is not None:
            spec["times"] = times
        if fraction is not None:
            spec["fraction"] = fraction
        spec.update({k: v for k, v in members.items() if v is not None})
        return spec

    def fail(
        self,
        model_id: str,
        code: str,
        message: str | None = None,
        status: int | None = None,
        times: int | None = None,
        *,
        fraction: float | None = None,
        original_status_code: int | None = None,
        resource_name: str | None = None,
    ) -> None:
        """Makes requests for ``model_id`` answer the modelled error ``code``.

        Args:
            model_id: The model id as the client sends it, its bare foundation-model id
                (``anthropic.claude-haiku-4-5-20251001-v1:0``), or ``"*"`` for every request.
            code: Error code, e.g. ``"ThrottlingException"``.
            message: Error message (default: Bedrock's usual wording for the code).
            status: HTTP status (default: the one the service model gives the code), e.g. 500
                or 503 for server errors.
            times: ``None`` for every request, else only the next ``times`` requests.
            fraction: Apply to this fraction (0 to 1) of the matching requests, chosen by a
                deterministic function of the seed (:meth:`set_seed`).
            original_status_code: ``originalStatusCode`` member (ModelErrorException).
            resource_name: ``resourceName`` member (ModelErrorException).
        """
        self.inject(
            self._spec(
                "error",
                model_id,
                times,
                fraction,
                code=code,
                message=message,
                status=status,
                original_status_code=original_status_code,
                resource_name=resource_name,
            )
        )

    def throttle(
        self,
        model_id: str = "*",
        times: int | None = None,
        *,
        fraction: float | None = None,
        message: str | None = None,
    ) -> None:
        """Answers ``ThrottlingException`` (HTTP 429): the first ``times`` requests, a
        ``fraction`` of them, or all."""
        self.fail(model_id, "ThrottlingException", message, times=times, fraction=fraction)

    def reset_connection(
        self, model_id: str = "*", times: int | None = None, *, fraction: float | None = None
    ) -> None:
        """Closes the connection without answering (clients see a dropped connection)."""
        self.inject(self._spec("reset", model_id, times, fraction))

    def delay_first_byte(
        self,
        model_id: str,
        seconds: float,
        times: int | None = None,
        *,
        fraction: float | None = None,
    ) -> None:
        """Waits ``seconds`` before sending anything of the answer (status line included)."""
        self.inject(self._spec("delay", model_id, times, fraction, seconds=seconds))

    def stall_body(
        self,
        model_id: str,
        after_bytes: int = 0,
        times: int | None = None,
        *,
        fraction: float | None = None,
    ) -> None:
        """Non-streaming answers: sends the status, the headers (with the full
        ``Content-Length``) and the first ``after_bytes`` bytes of the body, then nothing more
        until the client gives up or the emulator stops. (Streams: :meth:`fail_stream`.)"""
        self.inject(self._spec("stall_body", model_id, times, fraction, after_bytes=after_bytes))

    def fail_stream(
        self,
        model_id: str,
        after_events: int,
        mode: StreamFaultMode = "exception",
        code: str | None = None,
        message: str | None = None,
        times: int | None = None,
        *,
        fraction: float | None = None,
    ) -> None:
        """Breaks streamed answers for ``model_id``.

        Applies to ConverseStream, InvokeModelWithResponseStream and
        InvokeModelWithBidirectionalStream. The stream sends its first ``after_events`` events,
        then:

        * ``"exception"``: an exception event ``code`` (default ``ModelStreamErrorException``;
          boto3 raises it while iterating), then the response ends;
        * ``"cut"``: the connection is dropped mid-response;
        * ``"stall"``: nothing more is sent and the connection stays open until the client
          times out or the emulator stops;
        * ``"truncate"``: the first half of the next event, then the response ends normally;
        * ``"corrupt_crc"``: the next event with a wrong message CRC (then the rest).

        ``times`` and ``fraction`` work as in :meth:`fail`.
        """
        end_members: dict[str, Any] = (
            {"code": code, "message": message} if mode == "exception" else {}
        )
        self.inject(
            self._spec(
                "stream",
                model_id,
                times,
                fraction,
                after_events=after_events,
                end=mode,
                **end_members,
            )
        )

    def set_seed(self, seed: int) -> None:
        """Sets the seed that decides which requests a ``fraction`` fault picks (default 0):
        the same seed and faults pick the same requests."""
        self._require().set_fault_seed(seed)

    def set_concurrency_limit(self, limit: int | None) -> None:
        """Throttles (``ThrottlingException``) every request beyond ``limit`` in flight at
        once; ``None`` removes the limit. A request is in flight from its arrival until its
        answer has been sent."""
        self._require().set_concurrency_limit(limit)

    @property
    def in_flight(self) -> int:
        """Requests being served right now."""
        return self._require().in_flight()

    def set_latency(self, time_to_first_token: float = 0.0, per_token: float = 0.0) -> None:
        """Simulated model latency for later requests, deterministic: a stream's first event
        waits ``time_to_first_token`` seconds and each later event ``per_token`` more (on top
        of the event delay); a non-streaming answer waits ``time_to_first_token + per_token *
        output tokens``."""
        self._require().set_latency(time_to_first_token, per_token)

    def set_auth(
        self,
        credentials: Mapping[str, str] | None = None,
        bearer_tokens: Sequence[str] | None = None,
    ) -> None:
        """Replaces who may call (with neither argument: anyone, unchecked)."""
        self._auth = (dict(credentials or {}), list(bearer_tokens or []))
        self._require().set_auth(self._auth[0], self._auth[1])

    def reset(self) -> None:
        """Removes every fault (recorded requests are kept; see :meth:`clear`)."""
        self._require().reset_faults()

    def reset_all(self) -> None:
        """Back to the state it started in, for a server shared between tests.

        Removes every fault (and the seed), recorded request, async-invoke job, latency,
        concurrency limit and scripted answer, and restores the event delay, stream-delta count and credentials
        given to the constructor.
        """
        server = self._require()
        server.reset()
        event_delay, stream_deltas = self._initial_pacing
        self.set_event_delay(event_delay)
        self.set_stream_deltas(stream_deltas)
        self.set_auth(*self._initial_auth)

    # -- scripted answers --------------------------------------------------------------------

    def respond_next(
        self,
        status: int = 200,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes = b"",
    ) -> None:
        """Queues a response that the next request gets verbatim instead of the operation's
        own answer (queued answers are taken in order, one per request, after authentication;
        :meth:`reset_all` drops those not taken). The emulator adds ``x-amzn-RequestId`` and
        ``Date`` unless ``headers`` has them; ``Content-Type`` comes only from ``headers``.
        Raises ``ValueError`` for a status or header HTTP cannot carry."""
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        self._require().respond_next(status, pairs, body=bytes(body))

    def respond_next_stream(
        self,
        events: Sequence[tuple[Sequence[tuple[str, str]] | Mapping[str, str], bytes]],
        status: int = 200,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    ) -> None:
        """Like :meth:`respond_next`, with a body of event-stream messages: each event is
        ``(headers, payload)`` with string-valued headers (``:message-type``, ``:event-type``
        or ``:exception-type``, ``:content-type``), framed as the service frames them."""
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        framed = [
            (list(h.items()) if isinstance(h, Mapping) else list(h), bytes(payload))
            for h, payload in events
        ]
        self._require().respond_next(status, pairs, events=framed)

    @property
    def scripted_pending(self) -> int:
        """Scripted answers not yet taken."""
        return self._require().scripted_pending()

    def clear_scripted(self) -> None:
        """Drops every scripted answer not yet taken."""
        self._require().clear_scripted()

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


#: ``--help``'s account of the control API (``Emulator.control_url``), method and body.
CONTROL_API_HELP = """\
control API (JSON; PUT and POST are interchangeable; errors are 400 {"message": ...}):
  GET    /_emulator/faults       -> {"faults": [fault, ...]}, the faults in force
  POST   /_emulator/faults       a fault or a list of them: {"model_id": "*" | ID,
                                   "action": "error" | "reset" | "delay" | "stall_body" |
                                   "stream", "times": N, "fraction": P, ...} with
                                   error: "code", "message", "status"; delay: "seconds";
                                   stall_body: "after_bytes"; stream: "after_events",
                                   "end": "exception" | "cut" | "stall" | "truncate" |
                                   "corrupt_crc"  -> {"added": N}
  DELETE /_emulator/faults       removes every fault
  GET    /_emulator/requests     -> {"requests": [{"method", "path", "query", "headers",
                                   "body_base64", "fault", "auth_error"}], "total": N}
                                   (the last --record-limit requests; total counts all)
  DELETE /_emulator/requests     forgets recorded requests
  POST   /_emulator/reset        no faults, recorded requests, jobs, latency or quota
  GET    /_emulator/latency      -> {"time_to_first_token": S, "per_token": S}
  PUT    /_emulator/latency      {"time_to_first_token": S, "per_token": S}
  GET    /_emulator/concurrency  -> {"limit": N | null, "in_flight": N}
  PUT    /_emulator/concurrency  {"limit": N} (null or 0: no limit)
  PUT    /_emulator/seed         {"seed": N}: which requests a "fraction" fault picks

example:
  curl -X POST http://127.0.0.1:8000/_emulator/faults \\
       -d '{"model_id": "*", "action": "error", "code": "ThrottlingException", "times": 2}'
"""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default and keeps the epilog's layout."""


def _export_lines(
    emulator: Emulator, region: str, credentials: Mapping[str, str], bearer_tokens: Sequence[str]
) -> list[str]:
    """The shell lines that point AWS SDKs and CLIs (boto3, bedrock_cris, the AWS CLI) at
    ``emulator`` with credentials it accepts."""
    import shlex  # deferred: only the command line needs it

    def export(name: str, value: str) -> str:
        return f"export {name}={shlex.quote(value)}"

    lines = [
        export("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint_url),
        export("AWS_REGION", region),
        export("AWS_DEFAULT_REGION", region),
    ]
    bearer = export("AWS_BEARER_TOKEN_BEDROCK", bearer_tokens[0]) if bearer_tokens else None
    if credentials or not bearer:
        key, secret = next(iter(credentials.items())) if credentials else ("test", "test")
        lines += [export("AWS_ACCESS_KEY_ID", key), export("AWS_SECRET_ACCESS_KEY", secret)]
        if bearer:  # boto3 sends bearer tokens only over HTTPS; bedrock_cris to loopback too
            lines.append(f"# bedrock_cris clients only, instead of the keys: {bearer}")
        # A shell's session token, profile or API key would be sent along or win: drop them.
        lines.append("unset AWS_SESSION_TOKEN AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK")
    else:
        lines.append("# bedrock_cris clients only (boto3 sends bearer tokens only over HTTPS):")
        lines.append(bearer)
        lines.append("unset AWS_SESSION_TOKEN AWS_PROFILE")
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m bedrock_cris.emulator``: serve in the foreground until Ctrl-C (or SIGTERM).

    Prints the endpoint URL as the first line of standard output, then the ``export`` lines
    that point a shell's AWS clients at it.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_cris.emulator",
        description=(
            "Run a local Amazon Bedrock Runtime emulator in the foreground until Ctrl-C.\n"
            "It prints its endpoint URL, then the shell lines to paste elsewhere\n"
            "(AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_REGION, credentials it accepts).\n"
            "Without --credentials or --bearer-token, any credentials are accepted and\n"
            "signatures are not checked."
        ),
        epilog=CONTROL_API_HELP,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument(
        "--event-delay", type=float, default=0.0, help="seconds between stream events"
    )
    parser.add_argument(
        "--stream-deltas",
        type=int,
        default=0,
        help="text deltas per streamed answer; 0: about one per four tokens",
    )
    parser.add_argument(
        "--record-limit",
        type=int,
        default=1000,
        help="how many recent requests GET /_emulator/requests keeps; 0 records none "
        "(for benchmarks)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help="larger request bodies are refused with HTTP 413",
    )
    parser.add_argument(
        "--credentials",
        action="append",
        default=argparse.SUPPRESS,
        metavar="ACCESS_KEY:SECRET_KEY",
        help="verify SigV4 signatures with these credentials (repeatable; default: none, "
        "signatures are not checked)",
    )
    parser.add_argument(
        "--bearer-token",
        action="append",
        default=argparse.SUPPRESS,
        metavar="TOKEN",
        help="accept this bearer token, a Bedrock API key (repeatable; default: none)",
    )
    parser.add_argument(
        "--region",
        default="us-east-1",
        help="the region the printed export lines name (requests for any region are served)",
    )
    args = parser.parse_args(argv)
    bearer_tokens: list[str] = getattr(args, "bearer_token", [])
    credentials = {}
    for pair in getattr(args, "credentials", []):
        key, sep, secret = pair.partition(":")
        if not sep or not key or not secret:
            parser.error(f"--credentials takes ACCESS_KEY:SECRET_KEY, got {pair!r}")
        credentials[key] = secret
    emulator = Emulator(
        args.host,
        args.port,
        event_delay=args.event_delay,
        stream_deltas=args.stream_deltas,
        record_limit=args.record_limit,
        max_body_bytes=args.max_body_bytes,
        credentials=credentials,
        bearer_tokens=bearer_tokens,
    )
    try:
        emulator.start()
    except (OSError, ValueError, OverflowError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(emulator.endpoint_url)
    print("# Point AWS clients in another shell at this emulator:")
    for line in _export_lines(emulator, args.region, credentials, bearer_tokens):
        print(line)
    sys.stdout.flush()
    print(
        f"Bedrock Runtime emulator running at {emulator.endpoint_url} (control API: "
        f"{emulator.control_url}, see --help); press Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    import signal  # deferred: only the command line needs it

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)  # `kill` stops it as cleanly as Ctrl-C
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

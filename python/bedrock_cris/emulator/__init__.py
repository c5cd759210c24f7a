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
(exception, cut, stall, truncate, corrupt_crc), each per model id (or ``"*"``) and ``region``
for the next ``times`` requests and/or a seeded ``fraction`` of them;
:meth:`~Emulator.set_concurrency_limit` and :meth:`~Emulator.set_latency`. Every recorded
request says which fault applied to it.

Regions and quotas: a request's source Region is its SigV4 credential scope's (bearer-token
and unsigned requests count toward ``default_region``), so one emulator serves clients of
every Region. :meth:`Emulator.set_quota` sets Bedrock's requests- and tokens-per-minute
quotas per Region and model id (or ``"*"``: each model its own), as continuously refilled
buckets answered with Bedrock's exact ``ThrottlingException`` messages ("Too many requests,
please wait before trying again." / "Too many tokens, please wait before trying again.");
``Emulator(time_scale=60)`` makes a quota minute last one second. :meth:`Emulator.usage`
counts requests, throttles, errors and tokens per Region and model id.
The same controls are served over HTTP as JSON under ``/_emulator/`` (:attr:`Emulator.control_url`):
``GET|POST|DELETE /_emulator/faults`` (the fault objects :meth:`Emulator.inject` takes),
``GET|DELETE /_emulator/requests``, ``POST /_emulator/reset``, ``GET|PUT /_emulator/latency``
(``{"time_to_first_token": s, "per_token": s}``), ``GET|PUT /_emulator/concurrency``
(``{"limit": n}``), ``PUT /_emulator/seed`` (``{"seed": n}``), ``GET|PUT|DELETE
/_emulator/quota`` (the quota objects :meth:`Emulator.set_quota` takes, ``time_scale``,
``default_region``), ``GET|DELETE /_emulator/usage``; ``PUT`` and ``POST`` are
interchangeable, and a method an endpoint does not take is answered 405 with ``Allow``.

Scripted answers: :meth:`Emulator.respond_next` and :meth:`~Emulator.respond_next_stream`
queue responses (status, headers, a body or event-stream events) that the next requests get
verbatim, in order, instead of the operation's own answer (the model-wide differential tests
serve random valid responses of the service model this way).

Run it in the foreground with ``python -m bedrock_cris.emulator --port 8080``: it prints its
URL and the ``export`` lines that point another shell's clients at it, records the last 1000
requests (``--record-limit``), takes ``--quota`` and ``--time-scale``, and ``--help`` lists its
options and the control API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TypedDict, cast

from bedrock_cris._native import EmulatorServer
from bedrock_cris.emulator._faults import Faults, StreamFaultMode
from bedrock_cris.emulator._quotas import Quotas, Usage

if TYPE_CHECKING:  # typing_extensions only for type checkers; Self is 3.11+ in typing
    from typing_extensions import Self

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_REGION",
    "Emulator",
    "RecordedRequest",
    "StreamFaultMode",
    "Usage",
    "main",
]

#: Request bodies larger than this are refused with HTTP 413 unless configured otherwise.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

#: The Region of requests whose credential scope names none (bearer tokens, unsigned requests).
DEFAULT_REGION = "us-east-1"


class RecordedRequest(TypedDict):
    """One request as the emulator received it."""

    method: str
    """HTTP method, e.g. ``"POST"``."""
    http_version: str
    """The HTTP version it came in: ``"HTTP/1.1"``, or ``"HTTP/2.0"`` (h2c, or ALPN's choice
    with ``tls=True``)."""
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


class Emulator(Faults, Quotas):
    """A Bedrock Runtime emulator bound to ``host:port`` (port 0 picks a free port).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one (see :attr:`endpoint_url`).
        event_delay: Seconds to pause between stream events (0: as fast as possible).
        stream_deltas: Text deltas per streamed answer (0: about one per four tokens).
        time_to_first_token: Seconds before a stream's first event (or a whole answer), as
            :meth:`set_latency` sets; streams are paced on one shared clock, so thousands
            of paced streams cost the emulator little.
        per_token: Seconds between stream events (on top of ``event_delay``) and per output
            token of a whole answer.
        record_limit: How many recent requests :attr:`requests` keeps (0: record nothing,
            for benchmarks).
        max_body_bytes: Larger request bodies are refused with HTTP 413.
        credentials: Access key id to secret access key: turns on SigV4 verification with
            these keys.
        bearer_tokens: Accepted ``Authorization: Bearer`` tokens (Bedrock API keys): turns on
            verification too. With neither, any request is accepted unchecked.
        time_scale: Quota minutes per real minute: at 60 a quota minute lasts one second.
        default_region: The Region of bearer-token and unsigned requests (SigV4 requests
            are in the Region of their credential scope).
        tls: Serve HTTPS, as the real endpoint does: a self-signed certificate made at each
            start (for ``127.0.0.1``, ``localhost`` and ``::1``) and ALPN offering ``h2`` then
            ``http/1.1``. Clients trust it through :attr:`ca_bundle` (``verify=emu.ca_bundle``
            or ``AWS_CA_BUNDLE``); verification stays on.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        event_delay: float = 0.0,
        stream_deltas: int = 0,
        time_to_first_token: float = 0.0,
        per_token: float = 0.0,
        record_limit: int = 1000,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        credentials: Mapping[str, str] | None = None,
        bearer_tokens: Sequence[str] | None = None,
        time_scale: float = 1.0,
        default_region: str = DEFAULT_REGION,
        tls: bool = False,
    ) -> None:
        self._host = host
        self._port = port
        self._event_delay = event_delay
        self._stream_deltas = stream_deltas
        self._initial_pacing = (event_delay, stream_deltas)
        self._initial_latency = (time_to_first_token, per_token)
        self._record_limit = record_limit
        self._max_body_bytes = max_body_bytes
        self._auth = (dict(credentials or {}), list(bearer_tokens or []))
        self._initial_auth = self._auth
        self._time_scale = time_scale
        self._default_region = default_region
        self._tls = tls
        self._ca_bundle: str | None = None
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
                time_scale=self._time_scale,
                default_region=self._default_region,
                tls=self._tls,
            )
            self._write_ca_bundle(self._server.certificate_pem)
            if any(self._initial_latency):
                self._server.set_latency(*self._initial_latency)
        return self

    def stop(self) -> None:
        """Stops serving and drops open connections (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
        self._write_ca_bundle(None)

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
        """``http://HOST:PORT`` (``https://`` with ``tls=True``), to pass as a client's
        ``endpoint_url``."""
        return self._require().endpoint_url

    @property
    def ca_bundle(self) -> str | None:
        """With ``tls=True``, the path of a PEM file holding the certificate the server
        presents (new at each start; removed by :meth:`stop`), for a client's ``verify=`` or
        ``AWS_CA_BUNDLE``; None without TLS."""
        self._require()
        return self._ca_bundle

    def _write_ca_bundle(self, pem: str | None) -> None:
        import os

        if self._ca_bundle is not None:
            try:
                os.unlink(self._ca_bundle)
            except FileNotFoundError:
                pass
            self._ca_bundle = None
        if pem is not None:
            import tempfile

            descriptor, path = tempfile.mkstemp(prefix="bedrock-emulator-", suffix=".pem")
            with os.fdopen(descriptor, "w") as f:
                f.write(pem)
            self._ca_bundle = path

    @property
    def connections_accepted(self) -> int:
        """Connections accepted since start (HTTP/2 carries many requests on one)."""
        return self._require().connections_accepted()

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

        Removes every fault (and the seed), recorded request, async-invoke job, concurrency
        limit, quota, usage count and scripted answer, and restores the event delay,
        stream-delta count, latency, credentials, time scale and default Region given to the
        constructor.
        """
        server = self._require()
        server.reset()
        self._set_quotas({"time_scale": self._time_scale, "default_region": self._default_region})
        event_delay, stream_deltas = self._initial_pacing
        self.set_event_delay(event_delay)
        self.set_stream_deltas(stream_deltas)
        self.set_latency(*self._initial_latency)
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


def main(argv: list[str] | None = None) -> int:
    """``python -m bedrock_cris.emulator``: serve in the foreground until Ctrl-C (or SIGTERM);
    see :mod:`bedrock_cris.emulator._cli`."""
    from bedrock_cris.emulator._cli import main as cli_main  # the command line's own imports

    return cli_main(argv)

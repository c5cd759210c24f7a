"""Type stubs for the native (Rust) module. Checked against the module by
``python -m mypy.stubtest bedrock_cris._native`` in the test suite."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, final

__all__ = [
    "__version__",
    "build_profile",
    "aws_sdk_version",
    "NativeClient",
    "_bridge_logging",
    "_quiesce",
    "_roundtrip",
    "_shape_manifest",
    "EmulatorServer",
    "EventStream",
    "embed",
    "embed_async",
    "embed_layout",
    "InputStream",
]
__version__: str
build_profile: str
aws_sdk_version: str

@final
class NativeClient:
    """One AWS SDK for Rust bedrock-runtime client (the facade wraps it)."""

    def __new__(cls, options: dict[str, Any]) -> NativeClient: ...
    @property
    def region_name(self) -> str: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def retry_mode(self) -> str: ...
    def call(self, operation: str, params: dict[str, Any]) -> Any: ...
    def call_async(self, operation: str, params: dict[str, Any]) -> Any: ...
    def call_with_headers(
        self,
        operation: str,
        params: dict[str, Any],
        signed: list[tuple[str, str]],
        unsigned: list[tuple[str, str]],
        asynchronous: bool = False,
    ) -> Any: ...
    def validate(self, operation: str, params: dict[str, Any]) -> None: ...

@final
class EventStream:
    """The events of a streamed answer, as botocore yields them."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...
    def __next__(self) -> dict[str, Any]: ...
    def _next_text(self) -> tuple[int, str] | dict[str, Any]: ...
    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...
    def __anext__(self) -> Any: ...
    def close(self) -> None: ...
    def __enter__(self) -> EventStream: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

@final
class InputStream:
    """The input side of a bidirectional stream."""

    def __new__(cls) -> InputStream: ...
    def send(self, event: dict[str, Any]) -> None: ...
    def send_async(self, event: dict[str, Any]) -> Any: ...
    def close(self) -> None: ...
    def __enter__(self) -> InputStream: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

@final
class EmulatorServer:
    """The emulator's server thread (wrapped by ``bedrock_cris.emulator.Emulator``)."""

    def __new__(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        event_delay: float = 0.0,
        stream_deltas: int = 0,
        record_limit: int = 1000,
        max_body_bytes: int = 33554432,
        credentials: dict[str, str] | None = None,
        bearer_tokens: list[str] | None = None,
        time_scale: float = 1.0,
        default_region: str | None = None,
        tls: bool = False,
    ) -> EmulatorServer: ...
    @property
    def certificate_pem(self) -> str | None: ...
    def connections_accepted(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def endpoint_url(self) -> str: ...
    @property
    def control_url(self) -> str: ...
    def is_running(self) -> bool: ...
    def shutdown(self) -> None: ...
    def requests(self) -> list[dict[str, Any]]: ...
    def request_count(self) -> int: ...
    def clear_requests(self) -> None: ...
    def add_faults(self, spec_json: str) -> int: ...
    def faults_json(self) -> str: ...
    def set_quotas(self, spec_json: str) -> int: ...
    def quotas_json(self) -> str: ...
    def clear_quotas(self) -> None: ...
    def usage_json(self) -> str: ...
    def clear_usage(self) -> None: ...
    def set_fault_seed(self, seed: int) -> None: ...
    def set_concurrency_limit(self, limit: int | None) -> None: ...
    def in_flight(self) -> int: ...
    def set_latency(self, time_to_first_token: float, per_token: float) -> None: ...
    def set_auth(
        self,
        credentials: dict[str, str] | None = None,
        bearer_tokens: list[str] | None = None,
    ) -> None: ...
    def reset_faults(self) -> None: ...
    def reset(self) -> None: ...
    def respond_next(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | None = None,
        events: list[tuple[list[tuple[str, str]], bytes]] | None = None,
    ) -> None: ...
    def scripted_pending(self) -> int: ...
    def clear_scripted(self) -> None: ...
    def set_event_delay(self, seconds: float) -> None: ...
    def set_stream_deltas(self, deltas: int) -> None: ...

def _bridge_logging() -> None: ...
def _quiesce(timeout: float) -> bool: ...
def _roundtrip(shape_name: str, value: Any, raw_json: str | None = None) -> Any: ...
def _shape_manifest() -> dict[str, list[str]]: ...
def embed(
    client: NativeClient,
    texts: Iterable[str],
    options: Mapping[str, Any],
    progress: Callable[[int], object] | None = None,
    out: tuple[int, int, Any] | None = None,
    trace: Any = None,
) -> tuple[bytearray | None, int, str, int]:
    """Embeds ``texts`` into one little-endian buffer (GIL released, Ctrl-C aware).

    ``options`` has every key of the Rust ``EmbedOptions``: ``model_id``, ``family``,
    ``embedding_type``, ``dimensions``, ``input_type``, ``truncate``, ``normalize``,
    ``batch_size``, ``max_concurrency``, ``max_retries`` and ``extra_body`` (JSON text or None).
    Returns ``(buffer, columns, dtype, input_tokens)``; ``buffer`` holds one row per text,
    or is ``None`` when ``out`` (the address and size in bytes of the caller's C-contiguous
    array, and the array, held until the job ends) received the rows. ``trace``
    (``bedrock_cris.otel``'s, while OpenTelemetry instruments clients) is told of each
    request: ``begin(body)`` before it is sent returns a token (None: not traced), and
    ``end(token, result, error)`` after it gets the facade's ``invoke_model`` result or
    exception, or neither when the job stopped first.
    """

def embed_async(
    client: NativeClient,
    texts: Iterable[str],
    options: Mapping[str, Any],
    progress: Callable[[int], object] | None = None,
    out: tuple[int, int, Any] | None = None,
    trace: Any = None,
) -> Awaitable[tuple[bytearray | None, int, str, int]]:
    """Awaitable :func:`embed`; cancelling it aborts every request in flight."""

def embed_layout(
    model_id: str,
    *,
    family: str | None = None,
    embedding_type: str = "float",
    dimensions: int = 1024,
) -> tuple[int, str, int]:
    """``(columns, dtype, texts per request)`` that ``embed`` would use; sends nothing."""

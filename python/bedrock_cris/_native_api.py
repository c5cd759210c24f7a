"""The native API: ``converse``, ``stream``, ``embed`` and their async twins, for new code and
notebooks.

    import bedrock_cris

    answer = bedrock_cris.converse("Explain cloud computing in 2 sentences.")
    print(answer.text, answer.usage.output_tokens)

    for delta in bedrock_cris.stream("Write a haiku about Mumbai."):
        print(delta, end="", flush=True)

    vectors = bedrock_cris.embed(["first text", "second text"])   # 2 x 1024 float32

The module-level functions share a default :class:`Client`, created on first use from the
standard AWS configuration (environment, profile, ...); ``region=`` picks another Region's
default client and ``client=`` any client, including a boto3-style facade client. Model ids
are passed through unchanged: no alias is guessed.
"""

from __future__ import annotations

import _thread
from collections.abc import Sequence

from bedrock_cris import _client, _tracing
from bedrock_cris._client import BedrockRuntime
from bedrock_cris._embed import Embeddings, aembed_with, embed_with
from bedrock_cris._native import NativeClient
from bedrock_cris._native_requests import ConverseRequest, EmbedRequest, check_optional_str
from bedrock_cris._results import ConverseResult, Usage
from bedrock_cris._text_stream import AsyncTextStream, TextStream
from bedrock_cris.aio import AsyncBedrockRuntime
from bedrock_cris.config import Config
from bedrock_cris.config import coerce as coerce_config

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Unpack  # Unpack is 3.11+ in typing

    from bedrock_cris._native_options import ConverseOptions, EmbedOptions
    from bedrock_cris._types import AnyClient, Message, Prompt
else:

    def __getattr__(name: str) -> object:
        # The public type aliases, loaded with typing when first asked for.
        if name in {"AnyClient", "Message", "Prompt"}:
            from bedrock_cris import _types

            return getattr(_types, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MODEL",
    "AsyncTextStream",
    "Client",
    "ConverseResult",
    "Message",
    "Prompt",
    "TextStream",
    "Usage",
    "aconverse",
    "aembed",
    "astream",
    "converse",
    "embed",
    "stream",
]

#: The model ``converse`` and ``stream`` use unless told otherwise: Claude Haiku 4.5 through
#: its Global cross-Region inference profile.
DEFAULT_MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


class Client:
    """A reusable client for the native API: one AWS SDK for Rust client, shared by all calls
    (and threads, and asyncio tasks).

    Args:
        region: The source Region (e.g. ``"ap-south-1"``); default from the AWS configuration.
        model: The model ``converse``/``stream`` use when a call names none
            (default :data:`DEFAULT_MODEL`).
        endpoint_url: Another endpoint (e.g. an emulator's ``endpoint_url``).
        profile: A named profile from the shared AWS config files.
        aws_access_key_id, aws_secret_access_key, aws_session_token: Explicit credentials.
        config: Timeouts, retries and the rest, as for the facade (``bedrock_cris.config.Config``).
        max_in_flight: Requests in flight per (Region, model id): a number, or ``"adaptive"``
            to find the quota's limit (``Config(max_in_flight=...)``; default: no limit).
        routes: Failover targets per model id (``Config(routes=...)``).
    """

    def __init__(
        self,
        region: str | None = None,
        *,
        model: str = DEFAULT_MODEL,
        endpoint_url: str | None = None,
        profile: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        config: Config | None = None,
        max_in_flight: int | str | None = None,
        routes: dict[str, list[str]] | None = None,
    ) -> None:
        if max_in_flight is not None or routes is not None:
            own = {"max_in_flight": max_in_flight, "routes": routes}
            given = Config(**{k: v for k, v in own.items() if v is not None})
            config = given if config is None else coerce_config(config).merge(given)
        for name, value in (
            ("region", region),
            ("endpoint_url", endpoint_url),
            ("profile", profile),
            ("aws_access_key_id", aws_access_key_id),
            ("aws_secret_access_key", aws_secret_access_key),
            ("aws_session_token", aws_session_token),
        ):
            check_optional_str(name, value)
        if not isinstance(model, str):
            raise TypeError(f"model must be a str, not {type(model).__name__}")
        session = _client.Session(profile_name=profile)
        native, meta = session._native_client(
            "bedrock-runtime",
            region_name=region,
            verify=None,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            config=config,
        )
        self._native = native
        self._meta = meta  # region, endpoint, service model (OpenTelemetry's spans read them)
        self._spec = meta._spec  # what a pickle carries (see _client.Session._native_client)
        self.region: str = meta.region_name
        self.model = model

    @classmethod
    def wrap(
        cls, client: BedrockRuntime | AsyncBedrockRuntime, *, model: str = DEFAULT_MODEL
    ) -> Client:
        """A native-API client sharing a facade client's connections and configuration."""
        self = cls.__new__(cls)
        self._native = client._native
        self._meta = client.meta
        self._spec = client.meta._spec
        self.region = client.meta.region_name
        self.model = model
        return self

    def __reduce__(self) -> Any:
        # Rebuilt from the arguments as given, with a new connection pool in the unpickling
        # process: credentials travel only if they were passed explicitly.
        return _rebuild_native_client, (self._spec, self.model)

    @property
    def native(self) -> NativeClient:
        """The underlying native client (what the boto3 facade wraps)."""
        return self._native

    def converse(
        self, prompt_or_messages: Prompt, **options: Unpack[ConverseOptions]
    ) -> ConverseResult:
        """Sends a prompt (one user message) or a list of messages; returns the whole answer.

        Args:
            prompt_or_messages: A string (one user message) or Converse messages, whose
                ``content`` may be a plain string.
            model: Model id or inference profile, passed through unchanged (default: the
                client's ``model``).
            system: A system prompt, or Converse system blocks.
            max_tokens, temperature, top_p: ``inferenceConfig`` members.
            stop: One stop sequence or several.
            tools: Tools the model may call: Converse ``{"toolSpec": ...}`` entries, or plain
                ``{"name", "description", "input_schema"}`` dicts.
            tool_choice: ``"auto"``, ``"any"``, the name of the tool to call, or a Converse
                ``toolChoice`` dict.
            **options: Other Converse arguments with boto3's names (``guardrailConfig``,
                ``additionalModelRequestFields``, ``toolConfig``, ...).

        Raises the facade's exceptions (``ClientError`` subclasses, ``ParamValidationError``,
        transport errors).
        """
        return self._converse(ConverseRequest(prompt_or_messages, options))

    def stream(self, prompt_or_messages: Prompt, **options: Unpack[ConverseOptions]) -> TextStream:
        """Like :meth:`converse`, but returns at once with a :class:`TextStream` of text deltas.

        The request is sent before this returns, so errors are raised here.
        """
        return self._stream(ConverseRequest(prompt_or_messages, options))

    async def aconverse(
        self, prompt_or_messages: Prompt, **options: Unpack[ConverseOptions]
    ) -> ConverseResult:
        """Awaitable :meth:`converse`; cancelling it cancels the request."""
        return await self._aconverse(ConverseRequest(prompt_or_messages, options))

    def astream(
        self, prompt_or_messages: Prompt, **options: Unpack[ConverseOptions]
    ) -> AsyncTextStream:
        """The async twin of :meth:`stream`: ``async for delta in client.astream(...)``.

        Not a coroutine: the request is sent when iteration starts.
        """
        return self._astream(ConverseRequest(prompt_or_messages, options))

    def embed(self, texts: str | Sequence[str], **options: Unpack[EmbedOptions]) -> Embeddings:
        """Embeds any number of texts; one row per text, in input order.

        Texts are sent in requests within the model's limit (96 per request for Cohere, one for
        Titan), ``max_concurrency`` at a time; a throttled request is retried with backoff
        (``max_retries`` times after the SDK's own retries), pausing the whole job meanwhile.
        The answers are parsed in Rust into one buffer; the result's ``vectors`` is a numpy
        array over it when numpy is installed (else a list of lists).

        Args:
            texts: The texts (a single string counts as one text).
            model: Cohere Embed v3/v4 or Titan Text Embeddings v2, by model id, inference
                profile or ARN (default :data:`DEFAULT_EMBED_MODEL`).
            input_type: Cohere's ``input_type``: ``search_document`` (the default) for what is
                searched, ``search_query`` for queries, ``classification`` or ``clustering``.
            dimensions: Vector size (Cohere v4: 256/512/1024/1536; v3: 1024; Titan: 256/512/1024;
                default 1024).
            embedding_type: ``float`` (float32, the default), ``int8``, ``uint8``, or packed
                sign bits ``binary`` (int8) / ``ubinary`` (uint8) with ``dimensions // 8``
                columns; Titan: ``float`` or ``binary`` (one 0/1 uint8 per dimension).
            truncate: Cohere's ``truncate`` (``NONE``, ``START``, ``END``); service default if None.
            normalize: Titan's ``normalize`` (default True).
            family: ``cohere-v3``, ``cohere-v4`` or ``titan-v2``, for an ARN that does not name
                the model.
            batch_size: Texts per request (at most the model's limit, the default).
            max_concurrency: Requests in flight at once (default 8).
            max_retries: Extra tries of a throttled request (default 8).
            progress: ``True`` for a progress bar (tqdm's, a notebook widget in Jupyter, when
                tqdm is installed), or a callable given each number of texts finished.
            extra_body: More members for every request body (e.g. Cohere v4's ``max_tokens``).
            out: A numpy array (or ``np.memmap``) to write the vectors into instead of a new
                buffer: C-contiguous, writeable, shape ``(len(texts), columns)`` and the dtype
                the result would have; checked before any request. The result's ``vectors``
                is then ``out`` itself.

        Raises:
            EmbeddingError: A request failed; ``failed`` names its texts and ``__cause__`` is
                the request's exception. Nothing is returned short.
            ValueError: An unknown model family or an unsupported type or size, or an ``out``
                of the wrong shape or dtype (before any request).
        """
        return embed_with(self, EmbedRequest(texts, options))

    async def aembed(
        self, texts: str | Sequence[str], **options: Unpack[EmbedOptions]
    ) -> Embeddings:
        """Awaitable :meth:`embed`; cancelling it cancels every request in flight."""
        return await aembed_with(self, EmbedRequest(texts, options))

    # -- sending a checked request (the module functions check before choosing a client)

    def _converse(self, request: ConverseRequest) -> ConverseResult:
        model = request.model or self.model
        params, call = request.params(model), self._native.call
        if _tracing.sync_wrapper is None:
            return ConverseResult(call("Converse", params), model)
        return ConverseResult(_tracing.traced(self._meta, call, "Converse", params), model)

    def _stream(self, request: ConverseRequest) -> TextStream:
        model = request.model or self.model
        params, call = request.params(model), self._native.call
        if _tracing.sync_wrapper is None:
            return TextStream(call("ConverseStream", params), model)
        return TextStream(_tracing.traced(self._meta, call, "ConverseStream", params), model)

    async def _aconverse(self, request: ConverseRequest) -> ConverseResult:
        model = request.model or self.model
        params, call = request.params(model), self._native.call_async
        if _tracing.async_wrapper is None:
            return ConverseResult(await call("Converse", params), model)
        return ConverseResult(
            await _tracing.traced_async(self._meta, call, "Converse", params), model
        )

    def _astream(self, request: ConverseRequest) -> AsyncTextStream:
        model = request.model or self.model
        params, call, meta = request.params(model), self._native.call_async, self._meta

        async def start() -> dict[str, Any]:
            if _tracing.async_wrapper is None:
                response: dict[str, Any] = await call("ConverseStream", params)
            else:
                response = await _tracing.traced_async(meta, call, "ConverseStream", params)
            return response

        return AsyncTextStream(start, model)

    def __repr__(self) -> str:
        return f"<bedrock_cris.Client region={self.region!r} model={self.model!r}>"


def _rebuild_native_client(spec: dict[str, Any], model: str) -> Client:
    """Unpickles a :class:`Client` (see ``Client.__reduce__``)."""
    return Client.wrap(_client._rebuild_client(BedrockRuntime, spec), model=model)


_DEFAULTS: dict[str | None, Client] = {}
_DEFAULTS_LOCK = _thread.allocate_lock()  # `threading` would cost start-up ~4 ms


def _resolve(client: AnyClient | None, region: str | None) -> Client:
    """The client a module-level call uses."""
    if client is not None:
        if region is not None:
            raise TypeError("pass region= or client=, not both")
        if isinstance(client, Client):
            return client
        if isinstance(client, (BedrockRuntime, AsyncBedrockRuntime)):
            return Client.wrap(client)
        raise TypeError(
            f"client must be a bedrock_cris.Client or a bedrock-runtime client, "
            f"not {type(client).__name__}"
        )
    with _DEFAULTS_LOCK:
        default = _DEFAULTS.get(region)
        if default is None:
            default = _DEFAULTS[region] = Client(region)
        return default


# The module functions: the arguments are checked first, then the client is chosen (``client``,
# else the default client for ``region``, created on first use from the AWS configuration).


def converse(
    prompt_or_messages: Prompt,
    *,
    region: str | None = None,
    client: AnyClient | None = None,
    **options: Unpack[ConverseOptions],
) -> ConverseResult:
    """Sends a prompt or messages and returns the whole answer (see :meth:`Client.converse`
    for the options).

    Uses ``client``, else the default client for ``region`` (created on first use from the
    AWS configuration). ``model`` defaults to :data:`DEFAULT_MODEL`, a Global profile.
    """
    request = ConverseRequest(prompt_or_messages, options, region)
    return _resolve(client, region)._converse(request)


def stream(
    prompt_or_messages: Prompt,
    *,
    region: str | None = None,
    client: AnyClient | None = None,
    **options: Unpack[ConverseOptions],
) -> TextStream:
    """Streams the answer's text deltas (see :meth:`Client.stream`)."""
    request = ConverseRequest(prompt_or_messages, options, region)
    return _resolve(client, region)._stream(request)


async def aconverse(
    prompt_or_messages: Prompt,
    *,
    region: str | None = None,
    client: AnyClient | None = None,
    **options: Unpack[ConverseOptions],
) -> ConverseResult:
    """Awaitable :func:`converse`."""
    request = ConverseRequest(prompt_or_messages, options, region)
    return await _resolve(client, region)._aconverse(request)


def astream(
    prompt_or_messages: Prompt,
    *,
    region: str | None = None,
    client: AnyClient | None = None,
    **options: Unpack[ConverseOptions],
) -> AsyncTextStream:
    """Async text deltas: ``async for delta in bedrock_cris.astream(...)``."""
    request = ConverseRequest(prompt_or_messages, options, region)
    return _resolve(client, region)._astream(request)


def embed(
    texts: str | Sequence[str],
    *,
    region: str | None = None,
    client: AnyClient | None = None,
    **options: Unpack[EmbedOptions],
) -> Embeddings:
    """Embeds any number of texts (see :meth:`Client.embed` for the options)."""
    request = EmbedRequest(texts, options, region)
    return embed_with(_resolve(client, region), request)


async def aembed(
    texts: str | Sequence[str],
    *,
    region: str | None = None,
    client: AnyClient | None = None,
    **options: Unpack[EmbedOptions],
) -> Embeddings:
    """Awaitable :func:`embed`; cancelling it cancels every request in flight."""
    request = EmbedRequest(texts, options, region)
    return await aembed_with(_resolve(client, region), request)

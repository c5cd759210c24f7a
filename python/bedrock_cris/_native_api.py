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
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from types import TracebackType

from bedrock_cris import _client, exceptions
from bedrock_cris._client import BedrockRuntime
from bedrock_cris._embed import DEFAULT_EMBED_MODEL, Embeddings, aembed_with, embed_with
from bedrock_cris._native import NativeClient
from bedrock_cris.aio import AsyncBedrockRuntime
from bedrock_cris.config import Config
from bedrock_cris.config import coerce as coerce_config

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from typing_extensions import Self  # Self is 3.11+ in typing

    from bedrock_cris._types import (
        AnyClient,
        EmbeddingType,
        InputType,
        Message,
        ModelFamily,
        Progress,
        Prompt,
    )
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

if TYPE_CHECKING:

    class _UsageFields(NamedTuple):
        input_tokens: int = 0
        output_tokens: int = 0
        total_tokens: int = 0
        cache_read_input_tokens: int = 0
        cache_write_input_tokens: int = 0

else:
    _UsageFields = namedtuple(
        "_UsageFields",
        [
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "cache_read_input_tokens",
            "cache_write_input_tokens",
        ],
        defaults=(0, 0, 0, 0, 0),
    )


class Usage(_UsageFields):
    """Tokens of one answer (Converse's ``usage``): a named tuple of ``input_tokens``,
    ``output_tokens``, ``total_tokens``, ``cache_read_input_tokens`` and
    ``cache_write_input_tokens`` (each 0 when the answer does not say)."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, usage: Mapping[str, Any] | None) -> Usage:
        """From Converse's ``usage`` dict (missing members count as 0)."""
        usage = usage or {}
        return cls(
            input_tokens=usage.get("inputTokens", 0),
            output_tokens=usage.get("outputTokens", 0),
            total_tokens=usage.get("totalTokens", 0),
            cache_read_input_tokens=usage.get("cacheReadInputTokens", 0),
            cache_write_input_tokens=usage.get("cacheWriteInputTokens", 0),
        )


def _text_of(message: Mapping[str, Any]) -> str:
    return "".join(block["text"] for block in message.get("content", ()) if "text" in block)


class ConverseResult:
    """A model's complete answer.

    ``str(result)`` is the answer's text; in Jupyter it renders as Markdown with a footer of
    stop reason, tokens and latency.

    Attributes:
        text: The text blocks of the answer, joined.
        message: The answer as a Converse message (``{"role": "assistant", "content": [...]}``),
            ready to append to the conversation.
        stop_reason: Why the model stopped (``end_turn``, ``max_tokens``, ``tool_use``, ...).
        usage: Input, output, total and cache tokens.
        latency_ms: The service's own latency figure, when it sent one.
        request_id: The ``x-amzn-RequestId`` of the call (for AWS support).
        model: The model id called.
        raw: The boto3-shaped response dict, exactly as ``client.converse`` returns it.
    """

    __slots__ = (
        "latency_ms",
        "message",
        "model",
        "raw",
        "request_id",
        "stop_reason",
        "text",
        "usage",
    )

    def __init__(self, raw: dict[str, Any], model: str) -> None:
        self.raw = raw
        self.model = model
        self.message: dict[str, Any] = raw.get("output", {}).get(
            "message", {"role": "assistant", "content": []}
        )
        self.text = _text_of(self.message)
        self.stop_reason: str | None = raw.get("stopReason")
        self.usage = Usage.from_dict(raw.get("usage"))
        self.latency_ms: int | None = raw.get("metrics", {}).get("latencyMs")
        self.request_id: str | None = raw.get("ResponseMetadata", {}).get("RequestId")

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        """The answer's tool calls: ``[{"toolUseId", "name", "input"}, ...]`` (may be empty)."""
        return [block["toolUse"] for block in self.message.get("content", ()) if "toolUse" in block]

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 80 else self.text[:79] + "…"
        return (
            f"ConverseResult(text={text!r}, stop_reason={self.stop_reason!r}, "
            f"usage=Usage(input={self.usage.input_tokens}, output={self.usage.output_tokens}), "
            f"latency_ms={self.latency_ms}, model={self.model!r})"
        )

    def _repr_markdown_(self) -> str:
        import json  # deferred, as everywhere: import time counts for scripts

        body = self.text
        for call in self.tool_uses:
            body += f"\n\n**tool call** `{call.get('name')}` `{json.dumps(call.get('input'))}`"
        latency = f" · {self.latency_ms} ms" if self.latency_ms is not None else ""
        footer = (
            f"*{self.stop_reason} · {self.usage.input_tokens} in / {self.usage.output_tokens} out "
            f"tokens{latency} · {self.model}*"
        )
        return f"{body}\n\n---\n{footer}"


class _StreamState:
    """What a ConverseStream has said so far, rebuilt into a Converse-shaped answer."""

    def __init__(self, model: str, response: Mapping[str, Any]) -> None:
        self.model = model
        self.metadata = response.get("ResponseMetadata", {})
        self.blocks: dict[int, dict[str, Any]] = {}
        self.role = "assistant"
        self.stop_reason: str | None = None
        self.extra: dict[str, Any] = {}
        self.usage: Usage | None = None
        self.latency_ms: int | None = None
        self.done = False

    def feed(self, event: Mapping[str, Any]) -> str:
        """Takes one event; returns its text delta ("" when it has none)."""
        part = event.get("contentBlockDelta")
        if part is not None:
            delta = part.get("delta", {})
            index = part.get("contentBlockIndex", 0)
            text = delta.get("text")
            if text is not None:
                self.add_text(index, text)
                return str(text)
            if "toolUse" in delta:
                tool = self.blocks.setdefault(index, {}).setdefault("toolUse", {})
                tool["_input"] = tool.get("_input", "") + delta["toolUse"].get("input", "")
        elif "contentBlockStart" in event:
            part = event["contentBlockStart"]
            start = part.get("start", {})
            if "toolUse" in start:
                block = self.blocks.setdefault(part.get("contentBlockIndex", 0), {})
                block["toolUse"] = {**start["toolUse"], "_input": ""}
        elif "messageStart" in event:
            self.role = event["messageStart"].get("role", "assistant")
        elif "messageStop" in event:
            stop = event["messageStop"]
            self.stop_reason = stop.get("stopReason")
            if "additionalModelResponseFields" in stop:
                self.extra["additionalModelResponseFields"] = stop["additionalModelResponseFields"]
        elif "metadata" in event:
            meta = event["metadata"]
            self.usage = Usage.from_dict(meta.get("usage"))
            self.latency_ms = meta.get("metrics", {}).get("latencyMs")
            if "usage" in meta:
                self.extra["usage"] = meta["usage"]
            if "metrics" in meta:
                self.extra["metrics"] = meta["metrics"]
        return ""

    def add_text(self, index: int, text: str) -> None:
        """Takes one text delta of block ``index``. Nearly every event is one:
        kept short, and text is collected as parts joined once (appending to a
        str would copy it for every delta)."""
        block = self.blocks.get(index)
        if block is None:
            block = self.blocks[index] = {}
        parts = block.get("text")
        if parts is None:
            block["text"] = [text]
        else:
            parts.append(text)

    def message(self) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        for _, block in sorted(self.blocks.items()):
            if "toolUse" in block:
                tool = dict(block["toolUse"])
                text = tool.pop("_input", "")
                if text:
                    import json

                    tool["input"] = json.loads(text)
                else:
                    tool["input"] = {}
                content.append({"toolUse": tool})
            elif "text" in block:
                content.append({"text": "".join(block["text"])})
        return {"role": self.role, "content": content}

    def text(self) -> str:
        return "".join("".join(block.get("text", ())) for _, block in sorted(self.blocks.items()))

    def result(self) -> ConverseResult:
        raw: dict[str, Any] = {
            "ResponseMetadata": self.metadata,
            "output": {"message": self.message()},
            "stopReason": self.stop_reason,
        }
        for key in ("usage", "metrics", "additionalModelResponseFields"):
            if key in self.extra:
                raw[key] = self.extra[key]
        return ConverseResult(raw, self.model)


class _StreamView:
    """Read-only views shared by the sync and async text streams."""

    _state: _StreamState

    @property
    def text(self) -> str:
        """All text received so far."""
        return self._state.text()

    @property
    def usage(self) -> Usage | None:
        """Tokens of the answer; ``None`` until the stream has ended."""
        return self._state.usage

    @property
    def stop_reason(self) -> str | None:
        """Why the model stopped; ``None`` until the stream has ended."""
        return self._state.stop_reason

    @property
    def latency_ms(self) -> int | None:
        """The service's latency figure; ``None`` until the stream has ended."""
        return self._state.latency_ms

    @property
    def request_id(self) -> str | None:
        """The ``x-amzn-RequestId`` of the call."""
        request_id: str | None = self._state.metadata.get("RequestId")
        return request_id

    @property
    def done(self) -> bool:
        """Whether every event has been read."""
        return self._state.done


class TextStream(_StreamView, Iterator[str]):
    """The text deltas of a streamed answer, as they arrive.

    Iterate it for the deltas; ``usage``, ``stop_reason`` and ``latency_ms`` are filled in when
    the stream ends, and :meth:`result` gives the whole answer as a :class:`ConverseResult`.
    Closing it (or leaving a ``with`` block) drops the connection.
    """

    def __init__(self, response: Mapping[str, Any], model: str) -> None:
        self._events = response["stream"]
        self._state = _StreamState(model, response)
        # Text deltas as (index, text) tuples rather than event dicts.
        self._next_item: Callable[[], Any] = self._events._next_text

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        state = self._state
        try:
            while True:
                item = self._next_item()
                if type(item) is tuple:
                    # state.add_text, inlined: this runs once per delta.
                    index, text = item
                    block = state.blocks.get(index)
                    if block is not None and "text" in block:
                        block["text"].append(text)
                    else:
                        state.add_text(index, text)
                    if text:
                        return str(text)
                    continue
                delta = state.feed(item)
                if delta:
                    return delta
        except StopIteration:
            state.done = True
            raise

    def result(self) -> ConverseResult:
        """Reads the rest of the stream and returns the complete answer."""
        for _ in self:
            pass
        return self._state.result()

    def close(self) -> None:
        """Stops reading and drops the connection (idempotent)."""
        self._events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TextStream model={self._state.model!r} done={self.done}>"


class AsyncTextStream(_StreamView, AsyncIterator[str]):
    """The async twin of :class:`TextStream`: ``async for delta in stream``.

    The request is sent when iteration starts (so ``astream(...)`` itself need not be
    awaited); errors are raised from the first ``__anext__``.
    """

    def __init__(self, start: Callable[[], Awaitable[dict[str, Any]]], model: str) -> None:
        self._start: Callable[[], Awaitable[dict[str, Any]]] | None = start
        self._events: Any = None
        self._state = _StreamState(model, {})

    def __aiter__(self) -> AsyncTextStream:
        return self

    async def __anext__(self) -> str:
        if self._start is not None:
            start, self._start = self._start, None
            response = await start()
            self._events = response["stream"]
            self._state.metadata = response.get("ResponseMetadata", {})
        if self._events is None:
            raise StopAsyncIteration
        while True:
            try:
                event = await self._events.__anext__()
            except StopAsyncIteration:
                self._state.done = True
                raise
            delta = self._state.feed(event)
            if delta:
                return delta

    async def result(self) -> ConverseResult:
        """Reads the rest of the stream and returns the complete answer."""
        async for _ in self:
            pass
        return self._state.result()

    async def aclose(self) -> None:
        """Stops reading and drops the connection (idempotent)."""
        self._start = None
        if self._events is not None:
            self._events.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncTextStream model={self._state.model!r} done={self.done}>"


# -- argument checks: before anything else (client, region, credentials), each naming the
# parameter and what it takes.


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {_type_name(value)}")


def _check_number(name: str, member: str, value: object, types: tuple[type, ...]) -> None:
    """Inference numbers: ParamValidationError in botocore's words, as the facade would raise
    for ``member`` (but naming this API's parameter)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, types):
        valid = ", ".join(str(t) for t in types)
        raise exceptions.ParamValidationError(
            report=f"Invalid type for parameter {name} ({member}), value: {value!r}, "
            f"type: {type(value)}, valid types: {valid}"
        )


def _check_prompt(prompt: object) -> None:
    if isinstance(prompt, str):
        return
    if isinstance(prompt, Mapping):
        raise TypeError(
            "prompt_or_messages is a single message: pass a list of messages "
            "([{'role': 'user', 'content': 'Hello'}]) or a string"
        )
    if not isinstance(prompt, Sequence) or isinstance(prompt, (bytes, bytearray)):
        raise TypeError(
            "prompt_or_messages must be a str (one user message) or a list of Converse "
            "messages like [{'role': 'user', 'content': 'Hello'}], "
            f"not {_type_name(prompt)}"
        )
    if not prompt:
        raise ValueError("prompt_or_messages is an empty list: pass at least one message")
    for i, message in enumerate(prompt):
        if not isinstance(message, Mapping):
            raise TypeError(
                f"messages[{i}] must be a dict like {{'role': 'user', 'content': ...}}, "
                f"not {_type_name(message)}"
            )


def _check_converse_args(
    prompt: object,
    model: object,
    system: object,
    max_tokens: object,
    temperature: object,
    top_p: object,
    stop: object,
    tools: object,
    tool_choice: object,
    region: object = None,
) -> None:
    _check_prompt(prompt)
    _check_optional_str("model", model)
    if system is not None and not isinstance(system, str):
        if not isinstance(system, Sequence) or not all(isinstance(b, Mapping) for b in system):
            raise TypeError(
                "system must be a str or a list of Converse system blocks "
                f"([{{'text': '...'}}]), not {_type_name(system)}"
            )
    _check_number("max_tokens", "inferenceConfig.maxTokens", max_tokens, (int,))
    if isinstance(max_tokens, int) and max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
    _check_number("temperature", "inferenceConfig.temperature", temperature, (float, int))
    _check_number("top_p", "inferenceConfig.topP", top_p, (float, int))
    if stop is not None and not isinstance(stop, str):
        if not isinstance(stop, Sequence) or not all(isinstance(s, str) for s in stop):
            raise TypeError(
                f"stop must be a str or a list of str (stop sequences), not {_type_name(stop)}"
            )
    if tools is not None:
        if isinstance(tools, (str, Mapping)) or not isinstance(tools, Sequence):
            raise TypeError(
                "tools must be a list of tools (Converse {'toolSpec': ...} entries or "
                f"{{'name', 'description', 'input_schema'}} dicts), not {_type_name(tools)}"
            )
        for i, tool in enumerate(tools):
            if not isinstance(tool, Mapping):
                raise TypeError(f"tools[{i}] must be a dict, not {_type_name(tool)}")
            if not ({"toolSpec", "cachePoint", "systemTool"} & set(tool)) and "name" not in tool:
                raise ValueError(
                    f"tools[{i}] has no 'name': give {{'name', 'description', 'input_schema'}} "
                    "or a Converse {'toolSpec': ...} entry"
                )
    if tool_choice is not None and not isinstance(tool_choice, (str, Mapping)):
        raise TypeError(
            "tool_choice must be 'auto', 'any', a tool's name or a Converse toolChoice dict, "
            f"not {_type_name(tool_choice)}"
        )
    _check_optional_str("region", region)


_EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
_FAMILIES = ("cohere-v3", "cohere-v4", "titan-v2")


def _check_int(name: str, value: object, minimum: int, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        what = "an int or None" if optional else "an int"
        raise TypeError(f"{name} must be {what}, not {_type_name(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def _check_embed_args(
    texts: object,
    model: object,
    input_type: object,
    dimensions: object,
    embedding_type: object,
    truncate: object,
    family: object,
    batch_size: object,
    max_concurrency: object,
    max_retries: object,
    progress: object,
    extra_body: object,
    region: object = None,
) -> None:
    if not isinstance(texts, str):
        if isinstance(texts, Mapping) or not isinstance(texts, Sequence):
            raise TypeError(f"texts must be a str or a list of str, not {_type_name(texts)}")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a str, not {_type_name(text)}")
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a str (a model id, profile or ARN), not {_type_name(model)}"
        )
    if not isinstance(input_type, str):
        raise TypeError(f"input_type must be a str, not {_type_name(input_type)}")
    _check_int("dimensions", dimensions, 1)
    if embedding_type not in _EMBEDDING_TYPES:
        raise ValueError(
            f"embedding_type must be one of {', '.join(_EMBEDDING_TYPES)}, not {embedding_type!r}"
        )
    _check_optional_str("truncate", truncate)
    if family is not None and family not in _FAMILIES:
        raise ValueError(f"family must be one of {', '.join(_FAMILIES)} or None, not {family!r}")
    _check_int("batch_size", batch_size, 1, optional=True)
    _check_int("max_concurrency", max_concurrency, 1)
    _check_int("max_retries", max_retries, 0)
    if not isinstance(progress, bool) and not callable(progress):
        raise TypeError(
            "progress must be True, False or a callable given each number of texts done, "
            f"not {_type_name(progress)}"
        )
    if extra_body is not None and not isinstance(extra_body, Mapping):
        raise TypeError(f"extra_body must be a dict or None, not {_type_name(extra_body)}")
    _check_optional_str("region", region)


def _messages(prompt: Prompt) -> list[dict[str, Any]]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": [{"text": prompt}]}]
    messages = []
    for i, message in enumerate(prompt):
        if not isinstance(message, Mapping):
            raise TypeError(
                f"messages[{i}] must be a dict like {{'role': 'user', 'content': ...}}, "
                f"not {type(message).__name__}"
            )
        message = dict(message)
        if isinstance(message.get("content"), str):
            message["content"] = [{"text": message["content"]}]
        messages.append(message)
    return messages


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A Converse tool entry from a ``toolSpec`` entry or a plain ``{"name", ...}`` spec."""
    if "toolSpec" in tool or "cachePoint" in tool or "systemTool" in tool:
        return dict(tool)
    spec: dict[str, Any] = {"name": tool["name"]}
    if "description" in tool:
        spec["description"] = tool["description"]
    schema = tool.get("input_schema", tool.get("inputSchema", tool.get("parameters")))
    if schema is None:
        schema = {"type": "object", "properties": {}}
    spec["inputSchema"] = schema if set(schema) == {"json"} else {"json": schema}
    return {"toolSpec": spec}


def _tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    """Converse's ``toolChoice`` from ``"auto"``, ``"any"``, a tool's name, or itself."""
    if isinstance(choice, str):
        return {choice: {}} if choice in ("auto", "any") else {"tool": {"name": choice}}
    return dict(choice)


def _converse_params(
    prompt: Prompt,
    *,
    model: str,
    system: str | Sequence[Mapping[str, Any]] | None,
    max_tokens: int | None,
    temperature: float | None,
    top_p: float | None,
    stop: str | Sequence[str] | None,
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: str | Mapping[str, Any] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    _check_converse_args(
        prompt, model, system, max_tokens, temperature, top_p, stop, tools, tool_choice
    )
    params: dict[str, Any] = {"modelId": model, "messages": _messages(prompt)}
    if system is not None:
        params["system"] = [{"text": system}] if isinstance(system, str) else list(system)
    inference: dict[str, Any] = {}
    if max_tokens is not None:
        inference["maxTokens"] = max_tokens
    if temperature is not None:
        inference["temperature"] = temperature
    if top_p is not None:
        inference["topP"] = top_p
    if stop is not None:
        inference["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if inference:
        params["inferenceConfig"] = inference
    if tools is not None:
        params["toolConfig"] = {"tools": [_tool(tool) for tool in tools]}
        if tool_choice is not None:
            params["toolConfig"]["toolChoice"] = _tool_choice(tool_choice)
    elif tool_choice is not None:
        raise TypeError("tool_choice= needs tools=")
    for key, value in extra.items():
        if key in params:
            raise TypeError(f"{key}= is already set by this call's other arguments")
        params[key] = value
    return params


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
            _check_optional_str(name, value)
        if not isinstance(model, str):
            raise TypeError(f"model must be a str, not {_type_name(model)}")
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
        self.region: str = meta.region_name
        self.model = model

    @classmethod
    def wrap(
        cls, client: BedrockRuntime | AsyncBedrockRuntime, *, model: str = DEFAULT_MODEL
    ) -> Client:
        """A native-API client sharing a facade client's connections and configuration."""
        self = cls.__new__(cls)
        self._native = client._native
        self.region = client.meta.region_name
        self.model = model
        return self

    @property
    def native(self) -> NativeClient:
        """The underlying native client (what the boto3 facade wraps)."""
        return self._native

    def converse(
        self,
        prompt_or_messages: Prompt,
        *,
        model: str | None = None,
        system: str | Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        **extra: Any,
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
            **extra: Other Converse arguments with boto3's names (``guardrailConfig``,
                ``additionalModelRequestFields``, ``toolConfig``, ...).

        Raises the facade's exceptions (``ClientError`` subclasses, ``ParamValidationError``,
        transport errors).
        """
        model = model or self.model
        params = _converse_params(
            prompt_or_messages,
            model=model,
            system=system,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            stop=stop,
            tools=tools,
            tool_choice=tool_choice,
            extra=extra,
        )
        return ConverseResult(self._native.converse(params), model)

    def stream(
        self,
        prompt_or_messages: Prompt,
        *,
        model: str | None = None,
        system: str | Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> TextStream:
        """Like :meth:`converse`, but returns at once with a :class:`TextStream` of text deltas.

        The request is sent before this returns, so errors are raised here.
        """
        model = model or self.model
        params = _converse_params(
            prompt_or_messages,
            model=model,
            system=system,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            stop=stop,
            tools=tools,
            tool_choice=tool_choice,
            extra=extra,
        )
        return TextStream(self._native.converse_stream(params), model)

    async def aconverse(
        self,
        prompt_or_messages: Prompt,
        *,
        model: str | None = None,
        system: str | Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> ConverseResult:
        """Awaitable :meth:`converse`; cancelling it cancels the request."""
        model = model or self.model
        params = _converse_params(
            prompt_or_messages,
            model=model,
            system=system,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            stop=stop,
            tools=tools,
            tool_choice=tool_choice,
            extra=extra,
        )
        return ConverseResult(await self._native.converse_async(params), model)

    def astream(
        self,
        prompt_or_messages: Prompt,
        *,
        model: str | None = None,
        system: str | Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> AsyncTextStream:
        """The async twin of :meth:`stream`: ``async for delta in client.astream(...)``.

        Not a coroutine: the request is sent when iteration starts.
        """
        model = model or self.model
        params = _converse_params(
            prompt_or_messages,
            model=model,
            system=system,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            stop=stop,
            tools=tools,
            tool_choice=tool_choice,
            extra=extra,
        )
        native = self._native

        async def start() -> dict[str, Any]:
            response: dict[str, Any] = await native.converse_stream_async(params)
            return response

        return AsyncTextStream(start, model)

    def embed(
        self,
        texts: str | Sequence[str],
        *,
        model: str = DEFAULT_EMBED_MODEL,
        input_type: InputType | str = "search_document",
        dimensions: int = 1024,
        embedding_type: EmbeddingType = "float",
        truncate: str | None = None,
        normalize: bool = True,
        family: ModelFamily | None = None,
        batch_size: int | None = None,
        max_concurrency: int = 8,
        max_retries: int = 8,
        progress: Progress = False,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Embeddings:
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
            input_type: Cohere's ``input_type``: ``search_document`` for what is searched,
                ``search_query`` for queries, ``classification`` or ``clustering``.
            dimensions: Vector size (Cohere v4: 256/512/1024/1536; v3: 1024; Titan: 256/512/1024).
            embedding_type: ``float`` (float32), ``int8``, ``uint8``, or packed sign bits
                ``binary`` (int8) / ``ubinary`` (uint8) with ``dimensions // 8`` columns;
                Titan: ``float`` or ``binary`` (one 0/1 uint8 per dimension).
            truncate: Cohere's ``truncate`` (``NONE``, ``START``, ``END``); service default if None.
            normalize: Titan's ``normalize``.
            family: ``cohere-v3``, ``cohere-v4`` or ``titan-v2``, for an ARN that does not name
                the model.
            batch_size: Texts per request (at most the model's limit, the default).
            max_concurrency: Requests in flight at once.
            max_retries: Extra tries of a throttled request.
            progress: ``True`` for a progress bar (tqdm's, a notebook widget in Jupyter, when
                tqdm is installed), or a callable given each number of texts finished.
            extra_body: More members for every request body (e.g. Cohere v4's ``max_tokens``).

        Raises:
            EmbeddingError: A request failed; ``failed`` names its texts and ``__cause__`` is
                the request's exception. Nothing is returned short.
            ValueError: An unknown model family or an unsupported type or size (before any
                request).
        """
        _check_embed_args(
            texts,
            model,
            input_type,
            dimensions,
            embedding_type,
            truncate,
            family,
            batch_size,
            max_concurrency,
            max_retries,
            progress,
            extra_body,
        )
        return embed_with(
            self._native,
            texts,
            model,
            progress,
            family=family,
            embedding_type=embedding_type,
            dimensions=dimensions,
            input_type=input_type,
            truncate=truncate,
            normalize=normalize,
            batch_size=batch_size,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
            extra_body=extra_body,
        )

    async def aembed(
        self,
        texts: str | Sequence[str],
        *,
        model: str = DEFAULT_EMBED_MODEL,
        input_type: InputType | str = "search_document",
        dimensions: int = 1024,
        embedding_type: EmbeddingType = "float",
        truncate: str | None = None,
        normalize: bool = True,
        family: ModelFamily | None = None,
        batch_size: int | None = None,
        max_concurrency: int = 8,
        max_retries: int = 8,
        progress: Progress = False,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Embeddings:
        """Awaitable :meth:`embed`; cancelling it cancels every request in flight."""
        _check_embed_args(
            texts,
            model,
            input_type,
            dimensions,
            embedding_type,
            truncate,
            family,
            batch_size,
            max_concurrency,
            max_retries,
            progress,
            extra_body,
        )
        return await aembed_with(
            self._native,
            texts,
            model,
            progress,
            family=family,
            embedding_type=embedding_type,
            dimensions=dimensions,
            input_type=input_type,
            truncate=truncate,
            normalize=normalize,
            batch_size=batch_size,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
            extra_body=extra_body,
        )

    def __repr__(self) -> str:
        return f"<bedrock_cris.Client region={self.region!r} model={self.model!r}>"


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


def converse(
    prompt_or_messages: Prompt,
    *,
    model: str | None = None,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: str | Mapping[str, Any] | None = None,
    region: str | None = None,
    client: AnyClient | None = None,
    **extra: Any,
) -> ConverseResult:
    """Sends a prompt or messages and returns the whole answer (see :meth:`Client.converse`).

    Uses ``client``, else the default client for ``region`` (created on first use from the
    AWS configuration). ``model`` defaults to :data:`DEFAULT_MODEL`, a Global profile.
    """
    _check_converse_args(
        prompt_or_messages,
        model,
        system,
        max_tokens,
        temperature,
        top_p,
        stop,
        tools,
        tool_choice,
        region,
    )
    return _resolve(client, region).converse(
        prompt_or_messages,
        model=model,
        system=system,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop=stop,
        tools=tools,
        tool_choice=tool_choice,
        **extra,
    )


def stream(
    prompt_or_messages: Prompt,
    *,
    model: str | None = None,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: str | Mapping[str, Any] | None = None,
    region: str | None = None,
    client: AnyClient | None = None,
    **extra: Any,
) -> TextStream:
    """Streams the answer's text deltas (see :meth:`Client.stream`)."""
    _check_converse_args(
        prompt_or_messages,
        model,
        system,
        max_tokens,
        temperature,
        top_p,
        stop,
        tools,
        tool_choice,
        region,
    )
    return _resolve(client, region).stream(
        prompt_or_messages,
        model=model,
        system=system,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop=stop,
        tools=tools,
        tool_choice=tool_choice,
        **extra,
    )


async def aconverse(
    prompt_or_messages: Prompt,
    *,
    model: str | None = None,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: str | Mapping[str, Any] | None = None,
    region: str | None = None,
    client: AnyClient | None = None,
    **extra: Any,
) -> ConverseResult:
    """Awaitable :func:`converse`."""
    _check_converse_args(
        prompt_or_messages,
        model,
        system,
        max_tokens,
        temperature,
        top_p,
        stop,
        tools,
        tool_choice,
        region,
    )
    return await _resolve(client, region).aconverse(
        prompt_or_messages,
        model=model,
        system=system,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop=stop,
        tools=tools,
        tool_choice=tool_choice,
        **extra,
    )


def astream(
    prompt_or_messages: Prompt,
    *,
    model: str | None = None,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: str | Mapping[str, Any] | None = None,
    region: str | None = None,
    client: AnyClient | None = None,
    **extra: Any,
) -> AsyncTextStream:
    """Async text deltas: ``async for delta in bedrock_cris.astream(...)``."""
    _check_converse_args(
        prompt_or_messages,
        model,
        system,
        max_tokens,
        temperature,
        top_p,
        stop,
        tools,
        tool_choice,
        region,
    )
    return _resolve(client, region).astream(
        prompt_or_messages,
        model=model,
        system=system,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop=stop,
        tools=tools,
        tool_choice=tool_choice,
        **extra,
    )


def embed(
    texts: str | Sequence[str],
    *,
    model: str = DEFAULT_EMBED_MODEL,
    input_type: InputType | str = "search_document",
    dimensions: int = 1024,
    embedding_type: EmbeddingType = "float",
    truncate: str | None = None,
    normalize: bool = True,
    family: ModelFamily | None = None,
    batch_size: int | None = None,
    max_concurrency: int = 8,
    max_retries: int = 8,
    progress: Progress = False,
    extra_body: Mapping[str, Any] | None = None,
    region: str | None = None,
    client: AnyClient | None = None,
) -> Embeddings:
    """Embeds any number of texts (see :meth:`Client.embed`)."""
    _check_embed_args(
        texts,
        model,
        input_type,
        dimensions,
        embedding_type,
        truncate,
        family,
        batch_size,
        max_concurrency,
        max_retries,
        progress,
        extra_body,
        region,
    )
    return _resolve(client, region).embed(
        texts,
        model=model,
        input_type=input_type,
        dimensions=dimensions,
        embedding_type=embedding_type,
        truncate=truncate,
        normalize=normalize,
        family=family,
        batch_size=batch_size,
        max_concurrency=max_concurrency,
        max_retries=max_retries,
        progress=progress,
        extra_body=extra_body,
    )


async def aembed(
    texts: str | Sequence[str],
    *,
    model: str = DEFAULT_EMBED_MODEL,
    input_type: InputType | str = "search_document",
    dimensions: int = 1024,
    embedding_type: EmbeddingType = "float",
    truncate: str | None = None,
    normalize: bool = True,
    family: ModelFamily | None = None,
    batch_size: int | None = None,
    max_concurrency: int = 8,
    max_retries: int = 8,
    progress: Progress = False,
    extra_body: Mapping[str, Any] | None = None,
    region: str | None = None,
    client: AnyClient | None = None,
) -> Embeddings:
    """Awaitable :func:`embed`; cancelling it cancels every request in flight."""
    _check_embed_args(
        texts,
        model,
        input_type,
        dimensions,
        embedding_type,
        truncate,
        family,
        batch_size,
        max_concurrency,
        max_retries,
        progress,
        extra_body,
        region,
    )
    return await _resolve(client, region).aembed(
        texts,
        model=model,
        input_type=input_type,
        dimensions=dimensions,
        embedding_type=embedding_type,
        truncate=truncate,
        normalize=normalize,
        family=family,
        batch_size=batch_size,
        max_concurrency=max_concurrency,
        max_retries=max_retries,
        progress=progress,
        extra_body=extra_body,
    )

"""Text streams of the native API: :class:`TextStream` and :class:`AsyncTextStream` hand out
a ConverseStream's text deltas and rebuild the whole answer (a :class:`ConverseResult`) as the
events go by."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import TracebackType

from bedrock_cris._results import ConverseResult, Usage

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Self  # Self is 3.11+ in typing

__all__ = ["AsyncTextStream", "TextStream"]


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
        # Text deltas as (index, text) tuples rather than event dicts; a traced stream (the
        # OpenTelemetry extension's wrapper, which must see every event) gives event dicts.
        next_text = getattr(self._events, "_next_text", None)
        self._next_item: Callable[[], Any] = (
            next_text if next_text is not None else iter(self._events).__next__
        )

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

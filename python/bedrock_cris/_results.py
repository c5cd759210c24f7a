"""What the native API returns for a whole answer: :class:`ConverseResult` and its :class:`Usage`."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any, NamedTuple

__all__ = ["ConverseResult", "Usage"]

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
        if not usage:
            return cls()
        get = usage.get
        # tuple.__new__ with the fields in order: a quarter of the cost of keyword arguments,
        # paid by every native call.
        return tuple.__new__(
            cls,
            (
                get("inputTokens", 0),
                get("outputTokens", 0),
                get("totalTokens", 0),
                get("cacheReadInputTokens", 0),
                get("cacheWriteInputTokens", 0),
            ),
        )


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content", ())
    if len(content) == 1:  # the usual answer: one text block, no join
        text = content[0].get("text")
        return "" if text is None else str(text)
    return "".join(block["text"] for block in content if "text" in block)


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

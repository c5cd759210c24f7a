"""The emulator's Claude compacts a long conversation as Bedrock documents threshold compaction,
and boto3 and our facade parse its answers identically.

Documented shapes used (Amazon Bedrock, "Compaction",
https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-compaction.html, and
Anthropic's "Compaction", https://platform.claude.com/docs/en/build-with-claude/compaction):

* Request (InvokeModel body): ``anthropic_beta: ["compact-2026-01-12"]`` and
  ``context_management: {"edits": [{"type": "compact_20260112", "trigger": {"type":
  "input_tokens", "value": n}, "pause_after_compaction": bool}]}``; the trigger defaults to
  150,000 input tokens and is at least 50,000. Compaction happens when the input exceeds it.
* Answer: the content starts with ``{"type": "compaction", "content": "<summary>"}``; with
  ``pause_after_compaction`` that block is the whole content and ``stop_reason`` is
  ``"compaction"``. ``usage.iterations`` lists ``{"type": "compaction", "input_tokens",
  "output_tokens"}`` then ``{"type": "message", ...}``, and is present only when the request
  compacted; the top-level ``input_tokens`` / ``output_tokens`` count the non-compaction
  iterations only.
* Later requests send the compaction block back; everything before it is dropped.
* Streaming: ``content_block_start`` with a ``compaction`` block (``content`` null, as in
  Anthropic's SDK types), one ``compaction_delta`` carrying the whole summary,
  ``content_block_stop``.
* Converse: Bedrock says compaction is not supported by the Converse API (InvokeModel only),
  so the emulator's Converse does not compact.
"""

from __future__ import annotations

import json
from typing import Any

from test_differential import assert_same, call_both, key_orders, stable

CLAUDE = "global.anthropic.claude-sonnet-4-6"
BETA = "compact-2026-01-12"
LONG = "alpha " * 60_000  # 60,000 tokens by the emulator's estimate (one a word)


def edit(**fields: Any) -> dict[str, Any]:
    return {"edits": [{"type": "compact_20260112", **fields}]}


TRIGGER = {"type": "input_tokens", "value": 50_000}


def body(
    history: str = LONG,
    context_management: dict[str, Any] | None = None,
    betas: list[str] | None = None,
    messages: list[dict[str, Any]] | None = None,
) -> bytes:
    request: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "anthropic_beta": [BETA] if betas is None else betas,
        "max_tokens": 1024,
        "context_management": context_management or edit(trigger=TRIGGER),
        "messages": messages
        or [
            {"role": "user", "content": history},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": "What did I say?"},
        ],
    }
    return json.dumps(request).encode()


def invoke_both(emulator: Any, ours: Any, boto: Any, payload: bytes) -> dict[str, Any]:
    """The answer and its token headers, identical through both clients."""
    mine, theirs = call_both(emulator, ours, boto, "invoke_model", modelId=CLAUDE, body=payload)
    mine, theirs = stable(mine), stable(theirs)
    assert mine == theirs and key_orders(mine) == key_orders(theirs)
    answer: dict[str, Any] = json.loads(mine["body"])
    headers = mine["ResponseMetadata"]["HTTPHeaders"]
    answer["_headers"] = (
        int(headers["x-amzn-bedrock-input-token-count"]),
        int(headers["x-amzn-bedrock-output-token-count"]),
    )
    return answer


def stream_both(emulator: Any, ours: Any, boto: Any, payload: bytes) -> list[dict[str, Any]]:
    """The native chunks of one streamed answer, identical through both clients."""
    params = dict(modelId=CLAUDE, body=payload)
    mine, theirs = call_both(emulator, ours, boto, "invoke_model_with_response_stream", **params)
    events = [list(mine.pop("body")), list(theirs.pop("body"))]
    assert events[0] == events[1] and key_orders(events[0]) == key_orders(events[1])
    assert_same(mine, theirs)
    return [json.loads(e["chunk"]["bytes"]) for e in events[0]]


def test_below_the_trigger_no_compaction(emulator: Any, ours: Any, boto: Any) -> None:
    answer = invoke_both(emulator, ours, boto, body(history="A short conversation."))
    assert [b["type"] for b in answer["content"]] == ["text"]
    assert "iterations" not in answer["usage"]
    assert answer["stop_reason"] == "end_turn"


def test_the_default_trigger_is_150000_tokens(emulator: Any, ours: Any, boto: Any) -> None:
    answer = invoke_both(emulator, ours, boto, body(context_management=edit()))
    assert [b["type"] for b in answer["content"]] == ["text"]
    assert answer["usage"]["input_tokens"] > 60_000


def test_no_compaction_without_the_beta(emulator: Any, ours: Any, boto: Any) -> None:
    answer = invoke_both(emulator, ours, boto, body(betas=[]))
    assert [b["type"] for b in answer["content"]] == ["text"]
    assert "iterations" not in answer["usage"]


def test_above_the_trigger_a_compaction_block_and_iterations(
    emulator: Any, ours: Any, boto: Any
) -> None:
    answer = invoke_both(emulator, ours, boto, body())
    compaction, text = answer["content"]
    assert list(compaction) == ["type", "content"] and compaction["type"] == "compaction"
    assert compaction["content"].startswith("Summary of the conversation: ")
    assert text["type"] == "text" and text["text"]
    assert answer["stop_reason"] == "end_turn"
    usage = answer["usage"]
    assert list(usage) == [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "iterations",
    ]
    first, message = usage["iterations"]
    assert list(first) == list(message) == ["type", "input_tokens", "output_tokens"]
    assert first["type"] == "compaction" and message["type"] == "message"
    assert first["input_tokens"] > 60_000 and first["output_tokens"] > 0
    # The top level counts the message iteration only, which read the summary, not the history.
    assert (usage["input_tokens"], usage["output_tokens"]) == (
        message["input_tokens"],
        message["output_tokens"],
    )
    assert usage["input_tokens"] < 1_000
    # What is billed (the token headers) is the sum over the iterations.
    assert answer["_headers"] == (
        sum(i["input_tokens"] for i in usage["iterations"]),
        sum(i["output_tokens"] for i in usage["iterations"]),
    )


def test_pause_after_compaction(emulator: Any, ours: Any, boto: Any) -> None:
    payload = body(context_management=edit(trigger=TRIGGER, pause_after_compaction=True))
    answer = invoke_both(emulator, ours, boto, payload)
    [compaction] = answer["content"]
    assert compaction["type"] == "compaction" and compaction["content"]
    assert answer["stop_reason"] == "compaction" and answer["stop_sequence"] is None
    usage = answer["usage"]
    [only] = usage["iterations"]
    assert only["type"] == "compaction"
    assert (usage["input_tokens"], usage["output_tokens"]) == (0, 0)
    assert answer["_headers"] == (only["input_tokens"], only["output_tokens"])
    # The same summary as without pausing: the caller can resume from it.
    assert compaction == invoke_both(emulator, ours, boto, body())["content"][0]


def test_the_compaction_block_sent_back_replaces_the_history(
    emulator: Any, ours: Any, boto: Any
) -> None:
    first = invoke_both(emulator, ours, boto, body())
    blocks = list(first["content"])
    messages = [
        {"role": "user", "content": LONG},
        {"role": "assistant", "content": blocks},
        {"role": "user", "content": "And now?"},
    ]
    answer = invoke_both(emulator, ours, boto, body(messages=messages))
    assert [b["type"] for b in answer["content"]] == ["text"]
    assert "iterations" not in answer["usage"]
    assert answer["usage"]["input_tokens"] < 1_000


def test_a_trigger_below_50000_is_refused(emulator: Any, ours: Any, boto: Any) -> None:
    low = {"type": "input_tokens", "value": 49_999}
    payload = body(context_management=edit(trigger=low))
    mine, theirs = call_both(emulator, ours, boto, "invoke_model", modelId=CLAUDE, body=payload)
    assert type(mine).__name__ == type(theirs).__name__ == "ValidationException"
    assert str(mine) == str(theirs)
    assert "50000" in str(mine)


def test_stream_compaction_block(emulator: Any, ours: Any, boto: Any) -> None:
    whole = invoke_both(emulator, ours, boto, body())
    events = stream_both(emulator, ours, boto, body())
    assert events[0]["type"] == "message_start"
    assert events[0]["message"]["usage"]["input_tokens"] == whole["usage"]["input_tokens"]
    assert events[1:4] == [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "compaction", "content": None},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "compaction_delta", "content": whole["content"][0]["content"]},
        },
        {"type": "content_block_stop", "index": 0},
    ]
    assert events[4] == {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "text", "text": ""},
    }
    text = "".join(e["delta"]["text"] for e in events if e.get("index") == 1 and "delta" in e)
    assert text == whole["content"][1]["text"]
    [delta] = [e for e in events if e["type"] == "message_delta"]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"] == {
        "output_tokens": whole["usage"]["output_tokens"],
        "iterations": whole["usage"]["iterations"],
    }
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == whole["_headers"]


def test_stream_pause_after_compaction(emulator: Any, ours: Any, boto: Any) -> None:
    payload = body(context_management=edit(trigger=TRIGGER, pause_after_compaction=True))
    events = stream_both(emulator, ours, boto, payload)
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[2]["delta"]["type"] == "compaction_delta"
    assert events[4]["delta"] == {"stop_reason": "compaction", "stop_sequence": None}
    assert [i["type"] for i in events[4]["usage"]["iterations"]] == ["compaction"]

"""The emulator's Claude answers extended and adaptive thinking requests in the documented
shapes, and boto3 and our facade parse them identically.

Documented shapes compared against:

* Anthropic Messages (InvokeModel bodies): ``thinking: {"type": "enabled", "budget_tokens":
  n}`` or ``{"type": "adaptive"}`` (optionally ``"display": "omitted"``); the answer's content
  starts with ``{"type": "thinking", "thinking": "...", "signature": "..."}``; streamed as
  ``content_block_start`` with ``{"type": "thinking", "thinking": "", "signature": ""}``,
  ``thinking_delta`` deltas, one ``signature_delta``, ``content_block_stop`` (with
  ``display: "omitted"``: the signature only, no ``thinking_delta``).
* Bedrock Converse: ``additionalModelRequestFields.thinking`` (or ``reasoning_config``, as
  Bedrock's Claude 3.7 examples name it, or ``reasoningConfig``); the message content starts
  with ``{"reasoningContent": {"reasoningText": {"text", "signature"}}}`` (ReasoningContentBlock,
  ReasoningTextBlock); ConverseStream sends ``contentBlockDelta`` events whose ``delta`` is
  ``{"reasoningContent": {"text": ...}}`` and then ``{"reasoningContent": {"signature": ...}}``
  (ReasoningContentBlockDelta), then ``contentBlockStop``, before the text block.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_differential import assert_same, call_both, key_orders, stable

CLAUDE = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
PROMPT = "Is 1071 divisible by 21? Think it through."
MESSAGES = [{"role": "user", "content": [{"text": PROMPT}]}]

THINKING = {
    "enabled": {"type": "enabled", "budget_tokens": 1024},
    "adaptive": {"type": "adaptive"},
}


def anthropic_body(thinking: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 2048,
            "thinking": thinking,
            "messages": [{"role": "user", "content": PROMPT}],
        }
    ).encode()


def invoke_both(emulator: Any, ours: Any, boto: Any, body: bytes) -> dict[str, Any]:
    mine, theirs = call_both(emulator, ours, boto, "invoke_model", modelId=CLAUDE, body=body)
    mine, theirs = stable(mine), stable(theirs)
    assert mine == theirs and key_orders(mine) == key_orders(theirs)
    answer: dict[str, Any] = json.loads(mine["body"])
    return answer


def stream_both(emulator: Any, ours: Any, boto: Any, method: str, **params: Any) -> list[Any]:
    """The events of one streamed answer, identical through both clients."""
    mine, theirs = call_both(emulator, ours, boto, method, **params)
    key = "stream" if method == "converse_stream" else "body"
    events = [list(mine.pop(key)), list(theirs.pop(key))]
    assert events[0] == events[1]
    assert key_orders(events[0]) == key_orders(events[1])
    assert_same(mine, theirs)
    return events[0]


def chunks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(e["chunk"]["bytes"]) for e in events]


@pytest.mark.parametrize("mode", ["enabled", "adaptive"])
def test_invoke_model_thinking_block(emulator: Any, ours: Any, boto: Any, mode: str) -> None:
    answer = invoke_both(emulator, ours, boto, anthropic_body(THINKING[mode]))
    thinking, text = answer["content"]
    assert list(thinking) == ["type", "thinking", "signature"]
    assert thinking["type"] == "thinking"
    assert thinking["thinking"] and thinking["signature"]
    assert list(text) == ["type", "text"] and text["type"] == "text"
    assert answer["stop_reason"] == "end_turn"


def test_invoke_model_stream_thinking_deltas(emulator: Any, ours: Any, boto: Any) -> None:
    body = anthropic_body(THINKING["enabled"])
    whole = invoke_both(emulator, ours, boto, body)
    events = chunks(
        stream_both(
            emulator, ours, boto, "invoke_model_with_response_stream", modelId=CLAUDE, body=body
        )
    )
    assert events[0]["type"] == "message_start"
    assert events[1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    }
    block = [e for e in events if e.get("index") == 0]
    deltas = [e["delta"] for e in block if e["type"] == "content_block_delta"]
    kinds = [d["type"] for d in deltas]
    assert kinds == ["thinking_delta"] * (len(kinds) - 1) + ["signature_delta"]
    assert len(kinds) >= 2
    assert all(list(d) == ["type", "thinking"] for d in deltas[:-1])
    assert "".join(d["thinking"] for d in deltas[:-1]) == whole["content"][0]["thinking"]
    assert deltas[-1] == {"type": "signature_delta", "signature": whole["content"][0]["signature"]}
    assert block[-1] == {"type": "content_block_stop", "index": 0}
    assert [e["type"] for e in events if e.get("index") == 1][0] == "content_block_start"
    assert events[-1]["type"] == "message_stop"


def test_omitted_display_sends_the_signature_only(emulator: Any, ours: Any, boto: Any) -> None:
    body = anthropic_body({"type": "adaptive", "display": "omitted"})
    thinking = invoke_both(emulator, ours, boto, body)["content"][0]
    assert thinking["type"] == "thinking" and thinking["thinking"] == ""
    assert thinking["signature"]
    events = chunks(
        stream_both(
            emulator, ours, boto, "invoke_model_with_response_stream", modelId=CLAUDE, body=body
        )
    )
    assert [e["type"] for e in events if e.get("index") == 0] == [
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    ]
    assert events[2]["delta"] == {"type": "signature_delta", "signature": thinking["signature"]}


def test_no_thinking_without_the_request_or_when_disabled(
    emulator: Any, ours: Any, boto: Any
) -> None:
    answer = invoke_both(emulator, ours, boto, anthropic_body({"type": "disabled"}))
    assert [block["type"] for block in answer["content"]] == ["text"]
    plain = ours.converse(modelId=CLAUDE, messages=MESSAGES)
    assert ["reasoningContent" in b for b in plain["output"]["message"]["content"]] == [False]


@pytest.mark.parametrize(
    "fields",
    [
        {"thinking": THINKING["enabled"]},
        {"thinking": THINKING["adaptive"]},
        {"reasoning_config": THINKING["enabled"]},
        {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}},
    ],
    ids=["thinking", "adaptive", "reasoning_config", "reasoningConfig"],
)
def test_converse_reasoning_content(
    emulator: Any, ours: Any, boto: Any, fields: dict[str, Any]
) -> None:
    params = dict(modelId=CLAUDE, messages=MESSAGES, additionalModelRequestFields=fields)
    mine, theirs = call_both(emulator, ours, boto, "converse", **params)
    assert_same(mine, theirs)
    reasoning, text = mine["output"]["message"]["content"]
    assert list(reasoning) == ["reasoningContent"]
    assert list(reasoning["reasoningContent"]) == ["reasoningText"]
    block = reasoning["reasoningContent"]["reasoningText"]
    assert list(block) == ["text", "signature"]
    assert block["text"] and block["signature"]
    assert list(text) == ["text"]


def test_converse_stream_reasoning_deltas(emulator: Any, ours: Any, boto: Any) -> None:
    params = dict(
        modelId=CLAUDE,
        messages=MESSAGES,
        additionalModelRequestFields={"thinking": THINKING["enabled"]},
    )
    whole = ours.converse(**params)["output"]["message"]["content"][0]["reasoningContent"]
    events = stream_both(emulator, ours, boto, "converse_stream", **params)
    assert events[0] == {"messageStart": {"role": "assistant"}}
    block = [
        e
        for e in events
        if next(iter(e.values())).get("contentBlockIndex") == 0 and "contentBlockStart" not in e
    ]
    deltas = [e["contentBlockDelta"]["delta"] for e in block[:-1]]
    assert all(list(d) == ["reasoningContent"] for d in deltas)
    parts = [d["reasoningContent"] for d in deltas]
    assert [list(p) for p in parts] == [["text"]] * (len(parts) - 1) + [["signature"]]
    assert "".join(p["text"] for p in parts[:-1]) == whole["reasoningText"]["text"]
    assert parts[-1]["signature"] == whole["reasoningText"]["signature"]
    assert block[-1] == {"contentBlockStop": {"contentBlockIndex": 0}}
    assert any(
        e.get("contentBlockDelta", {}).get("contentBlockIndex") == 1
        and "text" in e["contentBlockDelta"]["delta"]
        for e in events
    )

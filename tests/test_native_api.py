"""The native API's converse and stream (and their async twins): the same requests and answers
as the facade, result objects, default clients, errors, and the typed usage example."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris import _native_api, exceptions
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY
from test_differential import stable

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
PROMPT = "Explain cloud computing in 2 sentences."
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
def native(emulator: Any) -> bedrock_cris.Client:
    return bedrock_cris.Client(
        REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}),
    )


def last_body(emulator: Any) -> Any:
    return json.loads(emulator.requests[-1]["body"])


def without_request_id(response: dict[str, Any]) -> dict[str, Any]:
    return stable(response)


# (native call kwargs, the facade kwargs it must equal)
CASES = {
    "prompt": (
        {"prompt_or_messages": PROMPT, "model": CLAUDE},
        {"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": PROMPT}]}]},
    ),
    "options": (
        {
            "prompt_or_messages": [{"role": "user", "content": PROMPT}],
            "model": NOVA,
            "system": "Be brief.",
            "max_tokens": 64,
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
        },
        {
            "modelId": NOVA,
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {
                "maxTokens": 64,
                "temperature": 0.5,
                "topP": 0.9,
                "stopSequences": ["END"],
            },
        },
    ),
    "max-tokens": (
        {"prompt_or_messages": PROMPT, "model": NOVA, "max_tokens": 4, "stop": ["a", "b"]},
        {
            "modelId": NOVA,
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "inferenceConfig": {"maxTokens": 4, "stopSequences": ["a", "b"]},
        },
    ),
    "tools": (
        {
            "prompt_or_messages": "Weather in Mumbai?",
            "model": CLAUDE,
            "tools": [WEATHER_TOOL],
            "tool_choice": "get_weather",
        },
        {
            "modelId": CLAUDE,
            "messages": [{"role": "user", "content": [{"text": "Weather in Mumbai?"}]}],
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": "get_weather",
                            "description": "Weather for a city",
                            "inputSchema": {"json": WEATHER_TOOL["input_schema"]},
                        }
                    }
                ],
                "toolChoice": {"tool": {"name": "get_weather"}},
            },
        },
    ),
    "extra": (
        {
            "prompt_or_messages": PROMPT,
            "model": CLAUDE,
            "additionalModelRequestFields": {"top_k": 5},
            "requestMetadata": {"team": "search"},
        },
        {
            "modelId": CLAUDE,
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "additionalModelRequestFields": {"top_k": 5},
            "requestMetadata": {"team": "search"},
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_converse_sends_and_returns_what_the_facade_does(
    case: str, native: bedrock_cris.Client, ours: Any, emulator: Any
) -> None:
    kwargs, facade_kwargs = CASES[case]
    result = bedrock_cris.converse(client=native, **kwargs)
    sent = last_body(emulator)
    expected = ours.converse(**facade_kwargs)
    assert last_body(emulator) == sent
    assert without_request_id(result.raw) == without_request_id(expected)
    message = expected["output"]["message"]
    assert result.message == message
    assert result.text == "".join(b["text"] for b in message["content"] if "text" in b)
    assert result.stop_reason == expected["stopReason"]
    usage = expected["usage"]
    assert result.usage.input_tokens == usage["inputTokens"]
    assert result.usage.output_tokens == usage["outputTokens"]
    assert result.usage.total_tokens == usage["totalTokens"]
    assert result.latency_ms == expected["metrics"]["latencyMs"]
    assert result.request_id == result.raw["ResponseMetadata"]["RequestId"]
    assert result.request_id and result.request_id != expected["ResponseMetadata"]["RequestId"]
    assert result.model == kwargs["model"]


def test_result_object(native: bedrock_cris.Client) -> None:
    result = native.converse(PROMPT, model=CLAUDE)
    assert result.text and str(result) == result.text
    text = repr(result)
    assert text.startswith("ConverseResult(text=")
    assert f"stop_reason='{result.stop_reason}'" in text
    assert f"input={result.usage.input_tokens}" in text and CLAUDE in text
    markdown = result._repr_markdown_()
    assert markdown.startswith(result.text)
    assert f"{result.usage.input_tokens} in / {result.usage.output_tokens} out tokens" in markdown
    assert result.usage.cache_read_input_tokens == 0
    assert result.usage == bedrock_cris.Usage(
        result.usage.input_tokens,
        result.usage.output_tokens,
        result.usage.input_tokens + result.usage.output_tokens,
    )
    assert result.tool_uses == []


def test_tool_calls_and_conversation(native: bedrock_cris.Client) -> None:
    result = native.converse(
        "Weather in Mumbai?", model=CLAUDE, tools=[WEATHER_TOOL], tool_choice="any"
    )
    assert result.stop_reason == "tool_use"
    [call] = result.tool_uses
    assert call["name"] == "get_weather" and "toolUseId" in call
    assert "tool call" in result._repr_markdown_()
    # The answer's message goes straight back into the conversation.
    follow_up = native.converse(
        [
            {"role": "user", "content": "Weather in Mumbai?"},
            result.message,
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": call["toolUseId"], "content": [{"text": "31 C"}]}}
                ],
            },
        ],
        model=CLAUDE,
        tools=[WEATHER_TOOL],
    )
    assert follow_up.text


@pytest.mark.parametrize("model", [CLAUDE, NOVA, f"emulator.deltas.40.{CLAUDE}"])
def test_stream_yields_the_converse_text(model: str, native: bedrock_cris.Client) -> None:
    whole = native.converse(PROMPT, model=model)
    stream = native.stream(PROMPT, model=model)
    assert stream.usage is None and not stream.done
    deltas = list(stream)
    assert all(isinstance(d, str) and d for d in deltas)
    if model.startswith("emulator.deltas.40."):
        assert len(deltas) == 40
    assert "".join(deltas) == whole.text == stream.text
    assert stream.done
    assert stream.usage == whole.usage
    assert stream.stop_reason == whole.stop_reason
    assert stream.latency_ms is not None
    assert stream.request_id
    result = stream.result()
    assert result.message == whole.message
    assert result.usage == whole.usage


def test_stream_of_a_tool_call_rebuilds_it(native: bedrock_cris.Client) -> None:
    whole = native.converse(
        "Weather in Mumbai?", model=CLAUDE, tools=[WEATHER_TOOL], tool_choice="any"
    )
    with native.stream(
        "Weather in Mumbai?", model=CLAUDE, tools=[WEATHER_TOOL], tool_choice="any"
    ) as stream:
        result = stream.result()
    assert result.tool_uses == whole.tool_uses
    assert result.message == whole.message
    assert result.stop_reason == "tool_use"


def test_stream_close_stops_it(native: bedrock_cris.Client) -> None:
    stream = native.stream(PROMPT, model=f"emulator.deltas.200.{CLAUDE}")
    first = next(stream)
    stream.close()
    assert first
    assert list(stream) == []
    assert not stream.done or stream.usage is None


def test_async_twins(native: bedrock_cris.Client, ours: Any) -> None:
    async def main() -> tuple[Any, list[str], Any, Any]:
        result = await bedrock_cris.aconverse(PROMPT, model=CLAUDE, client=native)
        stream = bedrock_cris.astream(PROMPT, model=f"emulator.deltas.25.{CLAUDE}", client=native)
        deltas = [d async for d in stream]
        async with native.astream(PROMPT, model=NOVA, max_tokens=8) as other:
            whole = await other.result()
        return result, deltas, stream, whole

    result, deltas, stream, whole = asyncio.run(main())
    expected = ours.converse(
        modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": PROMPT}]}]
    )
    assert without_request_id(result.raw) == without_request_id(expected)
    assert len(deltas) == 25
    assert "".join(deltas) == native.converse(PROMPT, model=f"emulator.deltas.25.{CLAUDE}").text
    assert stream.done and stream.usage is not None
    assert whole.stop_reason == "max_tokens"
    assert whole.text == native.converse(PROMPT, model=NOVA, max_tokens=8).text


def test_errors_are_the_facades(native: bedrock_cris.Client) -> None:
    with pytest.raises(exceptions.ValidationException) as info:
        native.converse(PROMPT, model="emulator.error.ValidationException")
    assert info.value.operation_name == "Converse"
    with pytest.raises(exceptions.ThrottlingException):
        native.stream(PROMPT, model="emulator.error.ThrottlingException")

    async def first_delta() -> str:
        return await native.astream(
            PROMPT, model="emulator.error.AccessDeniedException"
        ).__anext__()

    with pytest.raises(exceptions.AccessDeniedException):
        asyncio.run(first_delta())
    with pytest.raises(exceptions.ParamValidationError):
        native.converse(PROMPT, model=CLAUDE, max_tokens="many")  # type: ignore[arg-type]


def test_argument_errors(native: bedrock_cris.Client) -> None:
    with pytest.raises(TypeError, match="inferenceConfig= is already set"):
        native.converse(PROMPT, max_tokens=5, inferenceConfig={"maxTokens": 6})
    with pytest.raises(TypeError, match=r"messages\[0\] must be a dict"):
        native.converse(["hello"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="tool_choice= needs tools="):
        native.converse(PROMPT, tool_choice="auto")
    with pytest.raises(TypeError, match="not both"):
        bedrock_cris.converse(PROMPT, client=native, region=REGION)
    with pytest.raises(TypeError, match="client must be"):
        bedrock_cris.converse(PROMPT, client="mine")  # type: ignore[arg-type]


def test_the_default_model_is_a_global_profile(native: bedrock_cris.Client, emulator: Any) -> None:
    assert bedrock_cris.DEFAULT_MODEL.startswith("global.")
    assert native.model == bedrock_cris.DEFAULT_MODEL
    native.converse(PROMPT)
    assert emulator.requests[-1]["path"].startswith("/model/global.anthropic.claude-haiku-4-5")


def test_module_functions_use_a_lazy_default_client(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint_url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setattr(_native_api, "_DEFAULTS", {})
    first = bedrock_cris.converse(PROMPT)
    assert list(_native_api._DEFAULTS) == [None]
    default = _native_api._DEFAULTS[None]
    assert default.region == REGION
    assert "".join(bedrock_cris.stream(PROMPT)) == first.text
    assert _native_api._DEFAULTS == {None: default}
    bedrock_cris.converse(PROMPT, region="eu-west-1")
    assert _native_api._DEFAULTS["eu-west-1"].region == "eu-west-1"
    assert "region='eu-west-1'" in repr(_native_api._DEFAULTS["eu-west-1"])


def test_a_facade_client_can_be_used(ours: Any, emulator: Any) -> None:
    result = bedrock_cris.converse(PROMPT, model=CLAUDE, client=ours)
    wrapped = bedrock_cris.Client.wrap(ours)
    assert wrapped.native is ours._native
    assert wrapped.region == REGION
    assert wrapped.converse(PROMPT, model=CLAUDE).text == result.text


TYPED_USAGE = Path(__file__).resolve().parent / "typed_usage.py"


def test_typed_usage_passes_mypy_strict() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(TYPED_USAGE)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_usage_runs(emulator: Any) -> None:
    result = subprocess.run(
        [sys.executable, str(TYPED_USAGE), emulator.endpoint_url],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "typed usage ok"

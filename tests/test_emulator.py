"""The emulator, tested through boto3 (the reference client) and raw HTTP.
Tests share the session's emulator through conftest's ``emulator`` fixture, which hands it over
fresh (no faults, recorded requests or async-invoke jobs; no pacing); tests of the server's own
lifecycle and configuration start their own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import boto3
import pytest
from _emulator_boto3 import (
    COHERE_V4,
    HAIKU,
    MODELLED_ERRORS,
    NOVA,
    PROMPT,
    SONNET,
    WEATHER_TOOL,
    client,
    make_client,
    raw,
    user,
)
from bedrock_cris.emulator import Emulator
from botocore.config import Config
from botocore.exceptions import ClientError
from childproc import Child, run_module_script

__all__ = ["client"]


# -- Converse -----------------------------------------------------------------------------------


def test_converse_answer_shape_and_headers(client):
    r = client.converse(modelId=HAIKU, messages=user(PROMPT))
    assert list(r) == ["ResponseMetadata", "output", "stopReason", "usage", "metrics"]
    message = r["output"]["message"]
    assert message["role"] == "assistant"
    text = message["content"][0]["text"]
    assert text and text.endswith(".")
    assert r["stopReason"] == "end_turn"
    usage = r["usage"]
    assert list(usage) == ["inputTokens", "outputTokens", "totalTokens"]
    assert usage["inputTokens"] == 7  # 6 words and a full stop
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(r["metrics"]["latencyMs"], int)
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) > 0
    assert "date" in headers
    assert r["ResponseMetadata"]["RequestId"] == headers["x-amzn-requestid"]


def test_converse_is_deterministic_but_request_ids_differ(client):
    a = client.converse(modelId=HAIKU, messages=user(PROMPT))
    b = client.converse(modelId=HAIKU, messages=user(PROMPT))
    assert a["output"] == b["output"] and a["usage"] == b["usage"]
    assert a["ResponseMetadata"]["RequestId"] != b["ResponseMetadata"]["RequestId"]
    other = client.converse(modelId=SONNET, messages=user(PROMPT))
    assert other["output"] != a["output"]
    longer = client.converse(modelId=HAIKU, messages=user(" ".join(["word"] * 400)))
    assert longer["usage"]["outputTokens"] > a["usage"]["outputTokens"]


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "eu.amazon.nova-pro-v1:0",
        "apac.amazon.nova-micro-v1:0",
        "meta.llama3-8b-instruct-v1:0",
        "mistral.mistral-large-2402-v1:0",
        "arn:aws:bedrock:ap-south-1:123456789012:inference-profile/" + HAIKU,
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    ],
)
def test_converse_accepts_prefixes_and_arns(client, model_id):
    r = client.converse(modelId=model_id, messages=user("hello"))
    assert r["stopReason"] == "end_turn"


def test_max_tokens_truncates(client):
    r = client.converse(modelId=HAIKU, messages=user(PROMPT), inferenceConfig={"maxTokens": 3})
    assert r["stopReason"] == "max_tokens"
    assert r["usage"]["outputTokens"] == 3


def test_stop_sequences_cut_the_answer(client):
    full = client.converse(modelId=HAIKU, messages=user(PROMPT))["output"]["message"]
    words = full["content"][0]["text"].split(" ")
    stop = " " + words[3]
    r = client.converse(
        modelId=HAIKU, messages=user(PROMPT), inferenceConfig={"stopSequences": [stop]}
    )
    assert r["stopReason"] == "stop_sequence"
    cut = r["output"]["message"]["content"][0]["text"]
    assert full["content"][0]["text"].startswith(cut) and stop not in cut


def test_tool_use_when_tool_choice_is_any(client):
    r = client.converse(
        modelId=HAIKU,
        messages=user("What is it like in Mumbai?"),
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"any": {}}},
    )
    assert r["stopReason"] == "tool_use"
    (block,) = r["output"]["message"]["content"]
    tool_use = block["toolUse"]
    assert list(tool_use) == ["toolUseId", "name", "input"]
    assert tool_use["toolUseId"].startswith("tooluse_")
    assert tool_use["name"] == "get_weather"
    assert tool_use["input"] == {"city": "Seattle", "unit": "celsius"}


def test_tool_use_when_prompt_names_the_tool_then_text_after_result(client):
    config = {"tools": [WEATHER_TOOL]}
    messages = user("Call get_weather for Mumbai please.")
    r = client.converse(modelId=HAIKU, messages=messages, toolConfig=config)
    assert r["stopReason"] == "tool_use"
    content = r["output"]["message"]["content"]
    assert "text" in content[0] and "toolUse" in content[1]
    tool_use = content[1]["toolUse"]
    messages.append(r["output"]["message"])
    messages.append(
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": tool_use["toolUseId"],
                        "content": [{"json": {"temperature": 31}}],
                    }
                }
            ],
        }
    )
    r2 = client.converse(modelId=HAIKU, messages=messages, toolConfig=config)
    assert r2["stopReason"] == "end_turn"
    assert "text" in r2["output"]["message"]["content"][0]


def reversed_keys(value):
    """``value`` with the keys of every dict in reverse order (lists keep theirs)."""
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def test_answers_do_not_depend_on_request_key_order(emulator, client):
    # The AWS SDK for Rust sends documents in HashMap order, boto3 in the caller's: the answer
    # must be the same bytes either way (tool input: `required` order, then names sorted).
    tool = {
        "toolSpec": {
            "name": "get_weather",
            "description": "Weather by city",
            "inputSchema": {
                "json": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string"},
                        "options": {"type": "object", "default": {"verbose": True, "days": 3}},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    },
                    "required": ["unit", "city", "options"],
                }
            },
        }
    }
    request = {
        "modelId": HAIKU,
        "messages": user("Weather in Mumbai? Use get_weather."),
        "toolConfig": {"tools": [tool], "toolChoice": {"any": {}}},
        "additionalModelRequestFields": {"thinking": {"type": "enabled"}, "top_k": 3},
        "inferenceConfig": {"maxTokens": 500, "temperature": 0.2},
    }
    client.converse(**request)
    client.converse(**reversed_keys(request))
    first, second = emulator.requests
    assert first["body"] != second["body"]  # really sent in another order
    bodies = [
        raw(emulator, "POST", f"/model/{HAIKU.replace(':', '%3A')}/converse", r["body"])[2]
        for r in (first, second)
    ]
    assert bodies[0] == bodies[1]
    tool_use = json.loads(bodies[0])["output"]["message"]["content"][-1]["toolUse"]
    assert list(tool_use["input"]) == ["unit", "city", "options"]
    assert list(tool_use["input"]["options"]) == ["days", "verbose"]


def test_reasoning_block_when_thinking_is_enabled(client):
    r = client.converse(
        modelId=SONNET,
        messages=user(PROMPT),
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    content = r["output"]["message"]["content"]
    reasoning = content[0]["reasoningContent"]["reasoningText"]
    assert reasoning["text"] and reasoning["signature"]
    assert "text" in content[1]


@pytest.mark.parametrize(
    "messages, message",
    [
        (
            [{"role": "assistant", "content": [{"text": "hi"}]}],
            "A conversation must start with a user message.",
        ),
        (
            [
                {"role": "user", "content": [{"text": "a"}]},
                {"role": "user", "content": [{"text": "b"}]},
            ],
            "A conversation must alternate between user and assistant roles.",
        ),
        (
            [{"role": "user", "content": []}],
            "The content field in the Message object at messages.0 is empty.",
        ),
    ],
)
def test_converse_validation_errors(client, messages, message):
    with pytest.raises(ClientError) as info:
        client.converse(modelId=HAIKU, messages=messages)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["Error"]["Message"].startswith(message)


def test_invalid_model_id(client):
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.converse(modelId="not-a-model", messages=user("hi"))
    assert info.value.response["Error"]["Message"] == "The provided model identifier is invalid."
    text = str(info.value)
    assert text.startswith("An error occurred (ValidationException) when calling the Converse")
    assert text.endswith(": The provided model identifier is invalid.")


def test_converse_rejects_embedding_models(client):
    with pytest.raises(client.exceptions.ValidationException):
        client.converse(modelId=COHERE_V4, messages=user("hi"))


# -- errors and faults --------------------------------------------------------------------------


@pytest.mark.parametrize("code, status", sorted(MODELLED_ERRORS.items()))
def test_error_convention_for_every_modelled_code(client, code, status):
    with pytest.raises(ClientError) as info:
        client.converse(modelId=f"emulator.error.{code}", messages=user("hi"))
    response = info.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"].startswith(code + ":")
    assert info.value.operation_name == "Converse"


def test_fail_times_then_recovers(emulator, client):
    emulator.fail(HAIKU, "ThrottlingException", "Rate exceeded", times=2)
    for _ in range(2):
        with pytest.raises(client.exceptions.ThrottlingException) as info:
            client.converse(modelId=HAIKU, messages=user("hi"))
        assert info.value.response["Error"]["Message"] == "Rate exceeded"
    assert client.converse(modelId=HAIKU, messages=user("hi"))["stopReason"] == "end_turn"


def test_fail_matches_bare_model_id_and_wildcard(emulator, client):
    emulator.fail("anthropic.claude-haiku-4-5-20251001-v1:0", "AccessDeniedException")
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.converse(modelId=HAIKU, messages=user("hi"))
    client.converse(modelId=SONNET, messages=user("hi"))
    emulator.reset()
    emulator.fail("*", "ServiceUnavailableException", status=503, times=1)
    with pytest.raises(client.exceptions.ServiceUnavailableException):
        client.converse(modelId=SONNET, messages=user("hi"))
    client.converse(modelId=SONNET, messages=user("hi"))


def test_boto3_retries_injected_throttling(emulator):
    emulator.fail(HAIKU, "ThrottlingException", times=2)
    c = boto3.client(
        "bedrock-runtime",
        region_name="ap-south-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    r = c.converse(modelId=HAIKU, messages=user("hi"))
    assert r["ResponseMetadata"]["RetryAttempts"] == 2


def test_model_error_members(emulator):
    emulator.fail(
        HAIKU, "ModelErrorException", "boom", original_status_code=500, resource_name="claude"
    )
    status, headers, body = raw(
        emulator,
        "POST",
        "/model/" + HAIKU.replace(":", "%3A") + "/converse",
        json.dumps({"messages": user("hi")}),
    )
    assert status == 424
    assert json.loads(body) == {
        "message": "boom",
        "originalStatusCode": 500,
        "resourceName": "claude",
    }
    assert headers["x-amzn-errortype"] == (
        "ModelErrorException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )


def test_fail_rejects_bad_arguments(emulator):
    with pytest.raises(ValueError):
        emulator.fail(HAIKU, "Bad Code\r\n")
    with pytest.raises(ValueError):
        emulator.fail(HAIKU, "ThrottlingException", status=42)
    with pytest.raises(ValueError):
        emulator.fail_stream(HAIKU, 1, mode="explode")


# -- raw HTTP ------------------------------------------------------------------------------------


def test_raw_errors_unknown_route_and_malformed_json(emulator):
    status, headers, body = raw(emulator, "GET", "/nope")
    assert status == 404
    assert headers["x-amzn-errortype"].startswith("UnknownOperationException:")
    assert "message" in json.loads(body)
    assert headers["x-amzn-requestid"]

    status, headers, body = raw(emulator, "POST", "/model/" + HAIKU + "/converse", b"{not json")
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("SerializationException:")

    status, _, body = raw(emulator, "POST", "/model/" + HAIKU + "/invoke", b"{not json")
    assert status == 400
    assert json.loads(body)["message"].startswith("Malformed input request")


def test_oversized_body_is_refused():
    small = Emulator(max_body_bytes=1024).start()
    try:
        status, headers, _ = raw(small, "POST", "/model/" + HAIKU + "/converse", b"x" * 4096)
        assert status == 413
        assert headers["x-amzn-errortype"].startswith("ValidationException:")
    finally:
        small.stop()


def test_garbage_on_the_socket_does_not_hurt_the_server(emulator, client):
    for junk in [
        b"\x00\xff garbage\r\n\r\n",
        b"POST /model/x/converse HTTP/1.1\r\nContent-Length: zz\r\n\r\n",
    ]:
        with socket.create_connection((emulator.host, emulator.port), timeout=5) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            s.recv(4096)
    assert client.converse(modelId=HAIKU, messages=user("hi"))["stopReason"] == "end_turn"


# -- recorder ------------------------------------------------------------------------------------


def test_recorder_keeps_raw_path_headers_and_body(emulator, client):
    client.converse(modelId=HAIKU, messages=user("hi"))
    (req,) = emulator.requests
    assert req["method"] == "POST"
    assert req["path"] == "/model/global.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"
    assert req["query"] == ""
    names = [name for name, _ in req["headers"]]
    assert "authorization" in names and "content-type" in names
    assert json.loads(req["body"]) == {"messages": user("hi")}
    assert emulator.request_count >= 1
    emulator.clear()
    assert emulator.requests == []


# -- lifecycle and CLI ------------------------------------------------------------------------------


def test_start_stop_and_port_reuse():
    emulator = Emulator()
    with pytest.raises(RuntimeError):
        _ = emulator.endpoint_url
    emulator.start()
    port = emulator.port
    assert emulator.endpoint_url == f"http://127.0.0.1:{port}"
    assert emulator.running
    emulator.stop()
    emulator.stop()
    assert not emulator.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        raise OSError("still listening")  # pragma: no cover - only if the port stayed open
    with Emulator(port=port) as again:
        assert again.port == port


def test_reset_all_restores_the_started_state():
    with Emulator(stream_deltas=3) as emulator:
        client = make_client(emulator)
        output = {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}}
        client.start_async_invoke(modelId=NOVA, modelInput={}, outputDataConfig=output)
        emulator.fail("*", "ThrottlingException")
        emulator.set_event_delay(0.5)
        emulator.set_stream_deltas(40)
        emulator.reset_all()
        assert emulator.requests == []
        assert client.list_async_invokes()["asyncInvokeSummaries"] == []
        started = time.monotonic()
        r = client.converse_stream(modelId=HAIKU, messages=user("hi"))
        assert sum("contentBlockDelta" in e for e in r["stream"]) == 3
        assert time.monotonic() - started < 1.5  # at least 3 s with the 0.5 s delay


def test_cli_serves_until_interrupted():
    # `python -m bedrock_cris.emulator`, with SIGINT unblocked and handled by default
    # whatever this test run inherited.
    with Child(
        [sys.executable, "-c", run_module_script("bedrock_cris.emulator"), "--port", "0"],
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    ) as proc:
        url = proc.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        c = boto3.client(
            "bedrock-runtime",
            region_name="ap-south-1",
            endpoint_url=url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        assert c.converse(modelId=HAIKU, messages=user("hi"))["stopReason"] == "end_turn"
        proc.interrupt()
        assert proc.wait(timeout=10) == 0

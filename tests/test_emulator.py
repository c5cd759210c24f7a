"""The emulator, tested through boto3 (the reference client) and raw HTTP.

Tests share the session's emulator through conftest's ``emulator`` fixture, which hands it over
fresh (no faults, recorded requests or async-invoke jobs; no pacing); tests of the server's own
lifecycle and configuration start their own.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import zlib

import boto3
import pytest
import urllib3
from bedrock_cris.emulator import Emulator
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError
from childproc import Child, run_module_script

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
COHERE_V4 = "global.cohere.embed-v4:0"
COHERE_V3 = "cohere.embed-english-v3"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
PROMPT = "Explain cloud computing in 2 sentences."
MODELLED_ERRORS = {
    "AccessDeniedException": 403,
    "ConflictException": 400,
    "InternalServerException": 500,
    "ModelErrorException": 424,
    "ModelNotReadyException": 429,
    "ModelStreamErrorException": 424,
    "ModelTimeoutException": 408,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "ThrottlingException": 429,
    "ValidationException": 400,
}


def make_client(emulator, **config):
    return boto3.client(
        "bedrock-runtime",
        region_name="ap-south-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # total_max_attempts counts the first try; max_attempts would allow one retry.
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
def client(emulator):
    return make_client(emulator)


def user(text):
    return [{"role": "user", "content": [{"text": text}]}]


def raw(emulator, method, path, body=b"", headers=None):
    """An unsigned HTTP request: signature checks are off for the rest of the test."""
    emulator.set_auth()
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


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


WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer"},
                },
                "required": ["city", "unit"],
            }
        },
    }
}


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


# -- InvokeModel ----------------------------------------------------------------------------------


def test_seed_example_cohere_embed_v4(client):
    body = json.dumps(
        {
            "texts": ["Global cross-Region inference"],
            "input_type": "search_document",
            "embedding_types": ["float"],
            "output_dimension": 1024,
        }
    )
    r = client.invoke_model(modelId=COHERE_V4, body=body, contentType="application/json")
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    # Global, cross, -, Region, inference
    assert int(headers.get("x-amzn-bedrock-input-token-count", 0)) == 5
    assert "x-amzn-bedrock-output-token-count" in headers
    assert "x-amzn-bedrock-invocation-latency" in headers
    assert r["contentType"] == "application/json"
    answer = json.loads(r["body"].read())
    assert list(answer) == ["id", "embeddings", "texts", "response_type"]
    assert answer["response_type"] == "embeddings_by_type"
    assert answer["texts"] == ["Global cross-Region inference"]
    vector = answer["embeddings"]["float"][0]
    assert len(vector) == 1024 and type(vector[0]).__name__ == "float"
    assert abs(sum(x * x for x in vector) - 1.0) < 1e-3


def test_embeddings_depend_on_the_text_alone(client):
    def embed(texts, **extra):
        body = {"texts": texts, "input_type": "search_query", **extra}
        r = client.invoke_model(modelId=COHERE_V3, body=json.dumps(body))
        return json.loads(r["body"].read())

    one = embed(["alpha"])
    assert one["response_type"] == "embeddings_floats"
    assert len(one["embeddings"][0]) == 1024
    batch = embed(["beta", "alpha"])
    assert batch["embeddings"][1] == one["embeddings"][0]
    assert batch["embeddings"][0] != one["embeddings"][0]


def test_quantised_embedding_types(client):
    body = {
        "texts": ["quantise me"],
        "input_type": "clustering",
        "embedding_types": ["float", "int8", "uint8", "binary", "ubinary"],
        "output_dimension": 256,
    }
    answer = json.loads(
        client.invoke_model(modelId=COHERE_V4, body=json.dumps(body))["body"].read()
    )
    e = answer["embeddings"]
    assert list(e) == ["float", "int8", "uint8", "binary", "ubinary"]
    f, i8, u8 = e["float"][0], e["int8"][0], e["uint8"][0]
    assert len(f) == len(i8) == len(u8) == 256
    assert all(-128 <= x <= 127 for x in i8) and all(0 <= x <= 255 for x in u8)
    assert [x + 128 for x in i8] == u8
    assert all((q > 0) == (v > 0) for q, v in zip(i8, f) if q != 0)
    assert len(e["binary"][0]) == len(e["ubinary"][0]) == 32
    assert [b + 128 for b in e["binary"][0]] == e["ubinary"][0]
    assert (e["ubinary"][0][0] >> 7) == (1 if f[0] > 0 else 0)


@pytest.mark.parametrize(
    "model_id, body, message",
    [
        (
            COHERE_V4,
            {"texts": ["x"] * 97, "input_type": "search_document"},
            "expected maximum item count: 96",
        ),
        (COHERE_V4, {"texts": ["x"]}, "required key [input_type] not found"),
        (
            COHERE_V4,
            {"texts": ["x"], "input_type": "search_document", "output_dimension": 300},
            "output_dimension",
        ),
        (
            COHERE_V3,
            {"texts": ["x"], "input_type": "search_document", "output_dimension": 256},
            "extraneous key",
        ),
        (COHERE_V4, {"images": ["data:image/png;base64,AA=="], "input_type": "image"}, "image"),
        (TITAN_V2, {"inputText": "x", "dimensions": 100}, "dimensions"),
        (
            HAIKU,
            {"anthropic_version": "bedrock-2023-05-31", "messages": user("x")},
            "required key [max_tokens]",
        ),
    ],
)
def test_invoke_model_validation(client, model_id, body, message):
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.invoke_model(modelId=model_id, body=json.dumps(body))
    assert message in info.value.response["Error"]["Message"]


def test_titan_embeddings_v2(client):
    body = {"inputText": "hello world", "dimensions": 256, "normalize": True}
    r = client.invoke_model(modelId=TITAN_V2, body=json.dumps(body))
    answer = json.loads(r["body"].read())
    assert list(answer) == ["embedding", "inputTextTokenCount"]
    assert len(answer["embedding"]) == 256
    assert answer["inputTextTokenCount"] == 2
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"] == "2"


def test_invoke_anthropic_messages(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    r = client.invoke_model(modelId=HAIKU, body=json.dumps(body))
    answer = json.loads(r["body"].read())
    assert list(answer) == [
        "id",
        "type",
        "role",
        "model",
        "content",
        "stop_reason",
        "stop_sequence",
        "usage",
    ]
    assert answer["type"] == "message" and answer["role"] == "assistant"
    assert answer["model"] == "claude-haiku-4-5-20251001"
    assert answer["content"][0]["type"] == "text"
    assert answer["stop_reason"] == "end_turn" and answer["stop_sequence"] is None
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) == answer["usage"]["input_tokens"] == 7
    assert int(headers["x-amzn-bedrock-output-token-count"]) == answer["usage"]["output_tokens"]
    # Converse and the native API give the same text for the same prompt.
    converse = client.converse(modelId=HAIKU, messages=user(PROMPT))
    assert converse["output"]["message"]["content"][0]["text"] == answer["content"][0]["text"]


def test_invoke_anthropic_tool_use(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [
            {"name": "get_weather", "input_schema": WEATHER_TOOL["toolSpec"]["inputSchema"]["json"]}
        ],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    }
    answer = json.loads(client.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    assert answer["stop_reason"] == "tool_use"
    (block,) = answer["content"]
    assert block["type"] == "tool_use" and block["id"].startswith("toolu_bdrk_")
    assert block["input"] == {"city": "Seattle", "unit": "celsius"}


def test_invoke_nova(client):
    body = {
        "schemaVersion": "messages-v1",
        "messages": user(PROMPT),
        "inferenceConfig": {"max_new_tokens": 5},
    }
    answer = json.loads(client.invoke_model(modelId=NOVA, body=json.dumps(body))["body"].read())
    assert list(answer) == ["output", "stopReason", "usage"]
    assert answer["stopReason"] == "max_tokens"
    assert answer["usage"]["outputTokens"] == 5
    assert answer["output"]["message"]["role"] == "assistant"


# -- streams --------------------------------------------------------------------------------------


def test_converse_stream_matches_converse(client):
    r = client.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    assert (
        r["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    )
    events = list(r["stream"])
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart" and names[-2:] == ["messageStop", "metadata"]
    assert names[-3] == "contentBlockStop"
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    plain = client.converse(modelId=HAIKU, messages=user(PROMPT))
    assert text == plain["output"]["message"]["content"][0]["text"]
    assert events[-1]["metadata"]["usage"] == plain["usage"]
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"


def test_delta_count_knobs(emulator, client):
    r = client.converse_stream(modelId="emulator.deltas.500." + HAIKU, messages=user("hi"))
    deltas = [e for e in r["stream"] if "contentBlockDelta" in e]
    assert len(deltas) == 500
    emulator.set_stream_deltas(40)
    r = client.converse_stream(modelId=HAIKU, messages=user("hi"))
    assert sum("contentBlockDelta" in e for e in r["stream"]) == 40


def test_converse_stream_tool_use(client):
    r = client.converse_stream(
        modelId=HAIKU,
        messages=user("weather?"),
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"tool": {"name": "get_weather"}}},
    )
    events = list(r["stream"])
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_weather"
    partial = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "contentBlockDelta" in e
    )
    assert json.loads(partial) == {"city": "Seattle", "unit": "celsius"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


def test_invoke_stream_anthropic_chunks(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    r = client.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(body))
    assert r["contentType"] == "application/json"
    chunks = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    types = [c["type"] for c in chunks]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == 7
    text = "".join(c["delta"]["text"] for c in chunks if c["type"] == "content_block_delta")
    plain = json.loads(client.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    assert text == plain["content"][0]["text"]


def test_invoke_stream_nova_chunks(client):
    body = {"messages": user(PROMPT)}
    r = client.invoke_model_with_response_stream(modelId=NOVA, body=json.dumps(body))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    assert next(iter(chunks[0])) == "messageStart"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


def test_stream_exception_after_n_events(emulator, client):
    emulator.fail_stream(HAIKU, 3, code="ThrottlingException", message="slow down", times=1)
    r = client.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    seen = []
    with pytest.raises(EventStreamError) as info:
        for event in r["stream"]:
            seen.append(event)
    assert len(seen) == 3
    assert info.value.response["Error"] == {"Code": "throttlingException", "Message": "slow down"}
    # times=1: the next stream is whole.
    assert (
        "metadata" in list(client.converse_stream(modelId=HAIKU, messages=user("x"))["stream"])[-1]
    )


def test_stream_cut_mid_response(emulator, client):
    emulator.fail_stream(HAIKU, 2, mode="cut")
    r = client.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    seen = []
    with pytest.raises((urllib3.exceptions.ProtocolError, ConnectionError)):
        for event in r["stream"]:
            seen.append(event)
    assert len(seen) == 2


def test_stream_stall_hits_the_read_timeout(emulator):
    emulator.fail_stream(HAIKU, 1, mode="stall")
    c = make_client(emulator, read_timeout=0.5)
    r = c.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    started = time.monotonic()
    seen = []
    # botocore does not wrap errors raised while reading a stream: urllib3's own timeout.
    with pytest.raises((ReadTimeoutError, urllib3.exceptions.ReadTimeoutError)):
        for event in r["stream"]:
            seen.append(event)
    assert seen == [{"messageStart": {"role": "assistant"}}]
    assert time.monotonic() - started < 5


def test_event_delay_paces_the_stream(emulator, client):
    emulator.set_event_delay(0.02)
    started = time.monotonic()
    r = client.converse_stream(modelId="emulator.deltas.20." + HAIKU, messages=user("hi"))
    stamps = [time.monotonic() for _ in r["stream"]]
    assert stamps[-1] - started >= 0.02 * 20
    assert stamps[-1] - stamps[0] >= 0.02 * 15


def test_embedding_models_do_not_stream(client):
    with pytest.raises(client.exceptions.ValidationException):
        client.invoke_model_with_response_stream(
            modelId=COHERE_V4, body=json.dumps({"texts": ["x"], "input_type": "search_document"})
        )


def event_message(headers, payload):
    """One event-stream message with string headers (prelude, headers, payload, CRCs)."""
    encoded = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        encoded += bytes([len(n)]) + n + b"\x07" + len(v).to_bytes(2, "big") + v
    prelude = (12 + len(encoded) + len(payload) + 4).to_bytes(4, "big")
    prelude += len(encoded).to_bytes(4, "big")
    message = prelude + zlib.crc32(prelude).to_bytes(4, "big") + encoded + payload
    return message + zlib.crc32(message).to_bytes(4, "big")


def input_chunk(document):
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(document).encode()).decode()})
    headers = {":message-type": "event", ":event-type": "chunk"}
    return event_message(headers, payload.encode())


def test_bidirectional_stream_over_http1_chunked(emulator):
    # boto3 cannot call InvokeModelWithBidirectionalStream: raw HTTP/1.1, one HTTP chunk per
    # input event, each answered before the next is sent. Unsigned: checks off for this test.
    emulator.set_auth()
    path = "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream"
    sock = socket.create_connection((emulator.host, emulator.port), timeout=10)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: emulator\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/vnd.amazon.eventstream\r\n\r\n".encode()
        )

        def send(data):
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))

        send(input_chunk({"b": 1, "a": [True]}))
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200
        assert response.getheader("content-type") == "application/vnd.amazon.eventstream"
        buffer = EventStreamBuffer()

        def answers():
            while True:
                for message in buffer:
                    if message.headers[":message-type"] != "event":
                        return [message.headers, json.loads(message.payload)]
                    assert message.headers[":event-type"] == "chunk"
                    return json.loads(base64.b64decode(json.loads(message.payload)["bytes"]))
                data = response.read1(65536)
                if not data:
                    return None
                buffer.add_data(data)

        assert json.dumps(answers()) == '{"index": 0, "echo": {"a": [true], "b": 1}}'
        send(input_chunk({"text": PROMPT}))
        assert answers()["echo"] == {"text": PROMPT}
        text, count = "", 3  # two echoes, and the stop chunk
        while "delta" in (answer := answers()):
            text += answer["delta"]
            count += 1
        assert text.endswith(".") and answer["stopReason"] == "end_turn"
        assert answer["usage"]["inputTokens"] == 7
        sock.sendall(b"0\r\n\r\n")
        assert answers() == {"end": {"inputChunks": 2, "outputChunks": count}}
        assert answers() is None
    finally:
        sock.close()
    (recorded,) = emulator.requests
    assert recorded["path"] == path and recorded["body"].startswith(b"\x00")


def test_bidirectional_stream_rejects_other_models(emulator):
    path = f"/model/{HAIKU.replace(':', '%3A')}/invoke-with-bidirectional-stream"
    status, headers, body = raw(emulator, "POST", path, input_chunk({}))
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("ValidationException:")
    assert "doesn't support InvokeModelWithBidirectionalStream" in json.loads(body)["message"]


# -- CountTokens, ApplyGuardrail, async invoke -----------------------------------------------------


def test_count_tokens_matches_converse(client):
    r = client.count_tokens(
        modelId="anthropic.claude-haiku-4-5-20251001-v1:0",
        input={"converse": {"messages": user(PROMPT)}},
    )
    assert r["inputTokens"] == 7
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": PROMPT}],
        }
    ).encode()
    r = client.count_tokens(
        modelId="anthropic.claude-haiku-4-5-20251001-v1:0", input={"invokeModel": {"body": body}}
    )
    assert r["inputTokens"] == 7


def test_apply_guardrail(client):
    ok = client.apply_guardrail(
        guardrailIdentifier="gr-1",
        guardrailVersion="1",
        source="INPUT",
        content=[{"text": {"text": "Tell me about clouds"}}],
    )
    assert ok["action"] == "NONE" and ok["outputs"] == []
    assert ok["guardrailCoverage"]["textCharacters"] == {"guarded": 20, "total": 20}
    blocked = client.apply_guardrail(
        guardrailIdentifier="gr-1",
        guardrailVersion="DRAFT",
        source="OUTPUT",
        content=[{"text": {"text": "This should be BLOCKED."}}],
    )
    assert blocked["action"] == "GUARDRAIL_INTERVENED"
    assert blocked["outputs"][0]["text"]
    assert blocked["assessments"][0]["wordPolicy"]["customWords"][0]["action"] == "BLOCKED"


def test_async_invoke_lifecycle(emulator, client):
    emulator.reset()
    output = {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}}
    arn = client.start_async_invoke(
        modelId="amazon.nova-reel-v1:0" if False else NOVA,
        modelInput={"messages": user("hi")},
        outputDataConfig=output,
        clientRequestToken="token-1",
    )["invocationArn"]
    assert arn.startswith("arn:aws:bedrock:ap-south-1:")
    again = client.start_async_invoke(
        modelId=NOVA,
        modelInput={"messages": user("hi")},
        outputDataConfig=output,
        clientRequestToken="token-1",
    )
    assert again["invocationArn"] == arn
    job = client.get_async_invoke(invocationArn=arn)
    assert job["status"] == "Completed"
    assert job["outputDataConfig"] == output
    assert job["submitTime"].tzinfo is not None
    client.start_async_invoke(modelId=NOVA, modelInput={}, outputDataConfig=output)
    listed = client.list_async_invokes(maxResults=1)
    assert len(listed["asyncInvokeSummaries"]) == 1 and "nextToken" in listed
    rest = client.list_async_invokes(maxResults=1, nextToken=listed["nextToken"])
    assert rest["asyncInvokeSummaries"][0]["invocationArn"] == arn
    with pytest.raises(client.exceptions.ValidationException):
        client.get_async_invoke(invocationArn="arn:aws:bedrock:ap-south-1:1:async-invoke/nope")


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

"""The emulator's InvokeModel (embeddings, Anthropic, Nova), CountTokens, ApplyGuardrail and async
invoke, through boto3 (see test_emulator.py)."""

from __future__ import annotations

import json

import pytest
from _emulator_boto3 import (
    COHERE_V3,
    COHERE_V4,
    HAIKU,
    NOVA,
    PROMPT,
    TITAN_V2,
    WEATHER_TOOL,
    client,
    user,
)

__all__ = ["client"]


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

"""The same calls through boto3 and through the facade, against the same
emulator: equal results (request ids and dates aside), equal errors, and
equal requests on the wire."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
COHERE_V4 = "global.cohere.embed-v4:0"
COHERE_V3 = "cohere.embed-english-v3"
TITAN = "amazon.titan-embed-text-v2:0"

VOLATILE_HEADERS = ("x-amzn-requestid", "date")


def stable(response: dict[str, Any]) -> dict[str, Any]:
    """The response without what differs between two identical calls."""
    result = dict(response)
    metadata = dict(result["ResponseMetadata"])
    metadata.pop("RequestId", None)
    metadata["HTTPHeaders"] = {
        k: v for k, v in metadata["HTTPHeaders"].items() if k not in VOLATILE_HEADERS
    }
    result["ResponseMetadata"] = metadata
    if "body" in result and hasattr(result["body"], "read"):
        result["body"] = result["body"].read()
    if isinstance(result.get("Error"), dict):
        result["Error"] = dict(result["Error"])
    return result


def key_orders(value: Any) -> Any:
    """Every dict's key order, recursively, so order differences fail too."""
    if isinstance(value, dict):
        return [(k, key_orders(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_orders(v) for v in value]
    return None


def assert_same(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    ours, theirs = stable(ours), stable(theirs)
    assert ours == theirs
    assert key_orders(ours) == key_orders(theirs)
    assert repr(ours) == repr(theirs)


def f32(value: Any) -> Any:
    """Floats as the Rust SDK sends them (f32 members widened to f64)."""
    if isinstance(value, float):
        return round(struct.unpack("f", struct.pack("f", value))[0], 6)
    if isinstance(value, dict):
        return {k: f32(v) for k, v in value.items()}
    if isinstance(value, list):
        return [f32(v) for v in value]
    return value


def wire(request: dict[str, Any]) -> dict[str, Any]:
    """What must match on the wire: method, path, content headers, JSON body."""
    headers = {k.lower(): v for k, v in request["headers"]}
    body = request["body"]
    try:
        parsed: Any = f32(json.loads(body)) if body else None
    except ValueError:
        parsed = body
    return {
        "method": request["method"],
        "path": request["path"],
        "content-type": headers.get("content-type"),
        "accept": headers.get("accept"),
        "body": parsed,
    }


def call_both(emulator: Any, ours: Any, boto: Any, method: str, **params: Any) -> tuple[Any, Any]:
    """Calls `method` through both clients; returns (ours, boto3's) result or exception."""
    results = []
    for client in (ours, boto):
        emulator.clear()
        try:
            results.append(getattr(client, method)(**params))
        except Exception as error:
            results.append(error)
        results.append(list(emulator.requests))
    ours_result, ours_requests, boto_result, boto_requests = results
    assert [wire(r) for r in ours_requests] == [wire(r) for r in boto_requests]
    return ours_result, boto_result


CONVERSE_CASES = {
    "seed": dict(
        modelId=CLAUDE,
        messages=[
            {"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}
        ],
    ),
    "system-and-config": dict(
        modelId=SONNET,
        system=[{"text": "You are terse."}],
        messages=[
            {"role": "user", "content": [{"text": "Name three rivers."}]},
            {"role": "assistant", "content": [{"text": "Ganges, Nile, Amazon."}]},
            {"role": "user", "content": [{"text": "And three mountains, in one long sentence?"}]},
        ],
        inferenceConfig={"maxTokens": 5, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
    ),
    "nova": dict(
        modelId=NOVA,
        messages=[{"role": "user", "content": [{"text": "Hello Nova"}]}],
        additionalModelRequestFields={"inferenceConfig": {"topK": 20}},
    ),
    "tool-use": dict(
        modelId=CLAUDE,
        messages=[{"role": "user", "content": [{"text": "What is the weather in Mumbai?"}]}],
        toolConfig={
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "description": "Current weather for a city",
                        "inputSchema": {
                            "json": {
                                "type": "object",
                                "properties": {
                                    "city": {"type": "string"},
                                    "unit": {"type": "string", "enum": ["C", "F"]},
                                },
                                "required": ["city", "unit"],
                            }
                        },
                    }
                }
            ],
            "toolChoice": {"any": {}},
        },
    ),
    "image-bytes": dict(
        modelId=CLAUDE,
        messages=[
            {
                "role": "user",
                "content": [
                    {"text": "Describe this picture."},
                    {"image": {"format": "png", "source": {"bytes": b"\x89PNG\r\n\x1a\n0000"}}},
                ],
            }
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CONVERSE_CASES))
def test_converse_matches_boto3(emulator: Any, ours: Any, boto: Any, case: str) -> None:
    mine, theirs = call_both(emulator, ours, boto, "converse", **CONVERSE_CASES[case])
    assert not isinstance(theirs, Exception), theirs
    assert_same(mine, theirs)


INVOKE_CASES = {
    "cohere-v4-float": (
        COHERE_V4,
        {
            "texts": ["Global CRIS routes requests."],
            "input_type": "search_document",
            "embedding_types": ["float"],
            "output_dimension": 1024,
        },
    ),
    "cohere-v4-all-types": (
        COHERE_V4,
        {
            "texts": ["one", "two", "three"],
            "input_type": "search_query",
            "embedding_types": ["float", "int8", "uint8", "binary", "ubinary"],
            "output_dimension": 256,
        },
    ),
    "cohere-v3-floats": (COHERE_V3, {"texts": ["plain list"], "input_type": "search_document"}),
    "titan-v2": (TITAN, {"inputText": "Titan text", "dimensions": 512, "normalize": True}),
    "anthropic-messages": (
        CLAUDE,
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "Say hello"}],
        },
    ),
    "nova-native": (
        NOVA,
        {
            "schemaVersion": "messages-v1",
            "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            "inferenceConfig": {"maxTokens": 32},
        },
    ),
}


@pytest.mark.parametrize("case", sorted(INVOKE_CASES))
def test_invoke_model_matches_boto3(emulator: Any, ours: Any, boto: Any, case: str) -> None:
    model_id, body = INVOKE_CASES[case]
    mine, theirs = call_both(
        emulator,
        ours,
        boto,
        "invoke_model",
        modelId=model_id,
        body=json.dumps(body),
        contentType="application/json",
        accept="application/json",
    )
    assert not isinstance(theirs, Exception), theirs
    assert_same(mine, theirs)


def test_invoke_model_body_variants(emulator: Any, ours: Any, boto: Any) -> None:
    """bytes, bytearray and file-like bodies are sent as boto3 sends them."""
    import io

    payload = json.dumps({"inputText": "bytes body"}).encode()
    for body in (payload, bytearray(payload)):
        mine, theirs = call_both(emulator, ours, boto, "invoke_model", modelId=TITAN, body=body)
        assert_same(mine, theirs)
    # A file-like body is read by the call, so each client gets its own.
    mine = ours.invoke_model(modelId=TITAN, body=io.BytesIO(payload))
    theirs = boto.invoke_model(modelId=TITAN, body=io.BytesIO(payload))
    assert_same(mine, theirs)
    sent = [wire(r) for r in emulator.requests]
    assert sent[0] == sent[1] and sent[0]["body"] == {"inputText": "bytes body"}


ERROR_CODES = [
    "AccessDeniedException",
    "ResourceNotFoundException",
    "ThrottlingException",
    "ModelTimeoutException",
    "InternalServerException",
    "ServiceUnavailableException",
    "ValidationException",
    "ModelNotReadyException",
    "ModelErrorException",
    "ServiceQuotaExceededException",
]


@pytest.mark.parametrize("code", ERROR_CODES)
@pytest.mark.parametrize("method", ["converse", "invoke_model"])
def test_service_errors_match_boto3(
    emulator: Any, ours: Any, boto: Any, code: str, method: str
) -> None:
    import bedrock_cris

    model_id = f"emulator.error.{code}"
    if method == "converse":
        params: dict[str, Any] = {
            "modelId": model_id,
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        }
    else:
        params = {"modelId": model_id, "body": b"{}"}
    mine, theirs = call_both(emulator, ours, boto, method, **params)
    assert type(theirs).__name__ == code
    assert type(mine).__name__ == code
    assert isinstance(mine, bedrock_cris.exceptions.ClientError)
    assert isinstance(mine, getattr(ours.exceptions, code))
    assert str(mine) == str(theirs)
    assert mine.operation_name == theirs.operation_name
    assert_same(mine.response, theirs.response)


def test_max_retries_message_matches_boto3(emulator: Any) -> None:
    """Retries that run out read "(reached max retries: N)" in both clients."""
    import bedrock_cris
    import boto3
    from bedrock_cris.config import Config
    from botocore.config import Config as BotoConfig
    from conftest import client_kwargs

    retries = {"max_attempts": 1, "mode": "standard"}
    ours = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=Config(retries=retries))
    )
    boto = boto3.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=BotoConfig(retries=retries)),
    )
    params = {
        "modelId": "emulator.error.InternalServerException",
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
    }
    mine, theirs = call_both(emulator, ours, boto, "converse", **params)
    assert "(reached max retries: 1)" in str(theirs)
    assert str(mine) == str(theirs)
    assert_same(mine.response, theirs.response)


BAD_PARAMS = {
    "missing-all": {},
    "missing-nested": {"modelId": CLAUDE, "messages": [{"role": "user"}]},
    "unknown-top": {"modelId": CLAUDE, "messages": [], "bogus": 1},
    "unknown-nested": {
        "modelId": CLAUDE,
        "messages": [{"role": "user", "content": [{"text": "x", "extra": 2}]}],
    },
    "wrong-type": {"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": 1}]}]},
    "none-value": {"modelId": CLAUDE, "messages": None},
    "union-two-keys": {
        "modelId": CLAUDE,
        "messages": [{"role": "user", "content": [{"text": "x", "image": {}}]}],
    },
    "union-empty": {"modelId": CLAUDE, "messages": [{"role": "user", "content": [{}]}]},
    "min-length": {"modelId": "", "messages": []},
    "min-value": {
        "modelId": CLAUDE,
        "messages": [],
        "inferenceConfig": {"maxTokens": 0, "temperature": "hot"},
    },
    "several": {"modelId": 5, "messages": "x", "system": [{"text": None}], "other": True},
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_param_validation_matches_boto3(emulator: Any, ours: Any, boto: Any, case: str) -> None:
    import bedrock_cris
    import botocore.exceptions

    mine, theirs = call_both(emulator, ours, boto, "converse", **BAD_PARAMS[case])
    assert isinstance(theirs, botocore.exceptions.ParamValidationError)
    assert isinstance(mine, bedrock_cris.exceptions.ParamValidationError)
    assert str(mine) == str(theirs)
    assert emulator.requests == []  # rejected before any network call


def test_invoke_model_param_validation(emulator: Any, ours: Any, boto: Any) -> None:
    for params in ({"modelId": TITAN}, {"modelId": TITAN, "body": 5}, {"body": b"{}", "trace": 1}):
        mine, theirs = call_both(emulator, ours, boto, "invoke_model", **params)
        assert str(mine) == str(theirs)

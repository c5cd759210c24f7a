"""Members of the service model newer than the Rust SDK (codegen's BRIDGED_MEMBERS):
validated as botocore validates them and put on the wire where the model says, signed,
byte for byte what boto3 sends; and a check that fails the day the SDK has the member."""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import pytest
from bedrock_cris import _model, exceptions
from test_differential import call_both

CLAUDE = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
CLAUDE_BODY = json.dumps(
    {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": MESSAGES}
)
PROJECT = "arn:aws:bedrock:ap-south-1:123456789012:project/batch_jobs-2"
HEADER = "x-amzn-bedrock-projectidentifier"

CALLS = {
    "converse": dict(modelId=CLAUDE, messages=MESSAGES),
    "converse_stream": dict(modelId=CLAUDE, messages=MESSAGES),
    "invoke_model": dict(modelId=CLAUDE, body=CLAUDE_BODY, contentType="application/json"),
    "invoke_model_with_response_stream": dict(modelId=CLAUDE, body=CLAUDE_BODY),
}


def consumed(result: Any) -> Any:
    """Reads a streamed answer to its end, so the whole exchange has happened."""
    if isinstance(result, dict):
        for key in ("stream", "body"):
            value = result.get(key)
            if hasattr(value, "read"):
                value.read()
            elif value is not None and hasattr(value, "__iter__"):
                list(value)
    return result


def codegen(module: str) -> Any:
    """A module of codegen's package (``codegen/bedrock_codegen``), from the checkout."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "codegen")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(f"bedrock_codegen.{module}")


def test_the_bridge_covers_what_the_model_has_and_the_sdk_lacks() -> None:
    assert _model.BRIDGED_MEMBERS == {
        "ConverseRequest": ("projectIdentifier",),
        "ConverseStreamRequest": ("projectIdentifier",),
        "InvokeModelRequest": ("projectIdentifier",),
        "InvokeModelWithResponseStreamRequest": ("projectIdentifier",),
    }


def test_bridged_members_are_still_missing_from_the_sdk() -> None:
    """Fails the day aws-sdk-bedrockruntime has the member: delete its BRIDGED_MEMBERS entry
    in codegen/bedrock_codegen/tables.py and regenerate (generation itself then fails too)."""
    sdk, names, tables = codegen("sdk"), codegen("names"), codegen("tables")
    parsed = sdk.parse_sdk(sdk.sdk_dir(sdk.locked_sdk_version()))
    for (shape, member), _why in tables.BRIDGED_MEMBERS.items():
        operation = shape.removesuffix("Request")
        path = f"crate::operation::{names.snake(operation)}::{operation}Input"
        fields = {names.norm(name) for name, _type in parsed[path].fields}
        assert names.norm(member) not in fields, (
            f"{tables.SDK_CRATE} now has {shape}.{member}: delete its BRIDGED_MEMBERS entry"
        )


@pytest.mark.parametrize("method", list(CALLS))
def test_bridged_member_goes_on_the_wire_like_boto3(
    emulator: Any, ours: Any, boto: Any, method: str
) -> None:
    params = dict(CALLS[method], projectIdentifier=PROJECT)
    emulator.clear()
    consumed(getattr(ours, method)(**params))
    (sent,) = emulator.requests
    headers = {name.lower(): value for name, value in sent["headers"]}
    if method.startswith("converse"):
        body = json.loads(sent["body"])
        assert body["projectIdentifier"] == PROJECT
        assert int(headers["content-length"]) == len(sent["body"])
        assert HEADER not in headers
    else:
        assert headers[HEADER] == PROJECT
        # The emulator verified the signature; the header must be one it covers.
        assert HEADER in headers["authorization"].lower()
        assert sent["body"] == CLAUDE_BODY.encode()
    # Method, path, content headers and (f32-normalised) JSON body equal boto3's.
    ours_result, boto_result = call_both(emulator, ours, boto, method, **params)
    consumed(ours_result)
    consumed(boto_result)


@pytest.mark.parametrize("method", list(CALLS))
@pytest.mark.parametrize("value", [7, "", None, ["p"]])
def test_bridged_member_is_validated_like_boto3(
    emulator: Any, ours: Any, boto: Any, method: str, value: Any
) -> None:
    params = dict(CALLS[method], projectIdentifier=value)
    errors = []
    for client in (ours, boto):
        emulator.clear()
        with pytest.raises(Exception) as caught:
            getattr(client, method)(**params)
        errors.append((type(caught.value).__name__, str(caught.value)))
        assert emulator.requests == []
    assert errors[0] == errors[1]
    assert errors[0][0] == "ParamValidationError"


def test_header_values_that_cannot_be_sent_are_refused_before_sending(
    emulator: Any, ours: Any
) -> None:
    emulator.clear()
    with pytest.raises(exceptions.ParamValidationError, match="projectIdentifier"):
        ours.invoke_model(**CALLS["invoke_model"], projectIdentifier="a\r\nX-Injected: 1")
    assert emulator.requests == []


def test_without_bridged_members_nothing_is_added(emulator: Any, ours: Any) -> None:
    emulator.clear()
    ours.invoke_model(**CALLS["invoke_model"])
    ours.converse(**CALLS["converse"])
    invoke, converse = emulator.requests
    assert HEADER not in {name.lower() for name, _ in invoke["headers"]}
    assert "projectIdentifier" not in json.loads(converse["body"])

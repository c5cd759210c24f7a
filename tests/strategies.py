"""Hypothesis strategies driven by the pinned bedrock-runtime service model.

- :func:`request_params` draws valid parameters for an operation, as a caller passes them to
  ``client.<operation>(**params)``: every required member, optional members at random, unions
  with exactly one member, lengths, sizes and ranges within the model's ``min``/``max``, enum
  values, documents, blobs, timestamps, nested lists and maps. Structures list their members
  in the model's order (so a JSON body's key order is comparable between clients).
- :func:`scripted_response` draws a valid response of an operation as the service sends it
  (status, headers, and a JSON or blob body, or event-stream events), or one of the
  operation's modelled errors, for ``Emulator.respond_next`` / ``respond_next_stream``.
- :func:`normalize_body` reduces a JSON request body to what both clients must agree on,
  guided by the input shape (float32 members rounded to float32, documents compared
  regardless of object key order).
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape
from hypothesis import strategies as st

MODEL_PATH = (
    Path(__file__).parent.parent / "codegen" / "bedrock-runtime-2023-09-30.service-2.json.gz"
)

#: Nesting beyond which structures keep only required members, unions take their shallowest
#: member and lists their minimum size: keeps recursive shapes (documents, tool results)
#: finite and cases fast.
MAX_DEPTH = 5
#: Longest list, map, string or blob drawn above the model's minimum.
EXTRA_ITEMS = 3
EXTRA_CHARS = 12
EXTRA_BYTES = 16

I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    with gzip.open(MODEL_PATH) as f:
        return ServiceModel(json.load(f), service_name="bedrock-runtime")


def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


def python_name(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)


#: Every operation both clients can call (boto3 has no InvokeModelWithBidirectionalStream).
OPERATIONS = [
    n for n in service_model().operation_names if n != "InvokeModelWithBidirectionalStream"
]


# -- helpers -------------------------------------------------------------------------------


def _is_document(shape: Shape) -> bool:
    return bool(shape.type_name == "structure" and shape.metadata.get("document"))


def _is_union(shape: Shape) -> bool:
    return bool(shape.type_name == "structure" and shape.metadata.get("union"))


def _is_exception(shape: Shape) -> bool:
    return bool(shape.metadata.get("exception"))


@cache
def _min_depth(shape_name: str) -> int:
    """Nesting needed to draw the smallest valid value of a shape (cycles count as deep)."""
    return _min_depth_of(service_model().shape_for(shape_name), frozenset())


def _min_depth_of(shape: Shape, seen: frozenset[str]) -> int:
    if shape.name in seen:
        return 1000
    seen = seen | {shape.name}
    if shape.type_name == "structure" and not _is_document(shape):
        members = shape.members
        if _is_union(shape):
            return 1 + min((_min_depth_of(m, seen) for m in members.values()), default=0)
        required = shape.required_members
        return 1 + max((_min_depth_of(members[r], seen) for r in required), default=0)
    if shape.type_name == "list":
        if shape.metadata.get("min", 0) > 0:
            return 1 + _min_depth_of(shape.member, seen)
        return 1
    if shape.type_name == "map":
        if shape.metadata.get("min", 0) > 0:
            return 1 + _min_depth_of(shape.value, seen)
        return 1
    return 0


def _size(shape: Shape, extra: int, depth: int) -> tuple[int, int]:
    low = int(shape.metadata.get("min", 0))
    high = int(shape.metadata.get("max", low + extra))
    high = min(high, low + (extra if depth < MAX_DEPTH else 0))
    return low, high


def f32(value: float) -> float:
    """`value` rounded to the nearest float32, as a Python float."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


# -- leaf values -----------------------------------------------------------------------------

#: Characters of label, query and header strings: exercise percent-encoding (`:`, `/`, `%`,
#: spaces, reserved and non-ASCII characters) where the value goes into a URI.
URI_ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\x00"
)
#: Header values: visible ASCII (boto3 and the Rust SDK both refuse or fold other bytes).
HEADER_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


def _strings(shape: Shape, location: str | None, depth: int) -> st.SearchStrategy[str]:
    enum = shape.metadata.get("enum")
    if enum:
        return st.sampled_from(enum)
    low, high = _size(shape, EXTRA_CHARS, depth)
    low = max(low, 1) if location == "uri" else low
    high = max(high, low)
    if location == "header":
        return st.text(HEADER_ALPHABET, min_size=low, max_size=high)
    if location == "uri":
        # A label "." or "..": the Rust SDK's signer removes the dot segment from the path it
        # signs, the emulator's verifier does not (InvalidSignatureException; boto3 passes).
        return st.text(URI_ALPHABET, min_size=low, max_size=high).filter(
            lambda v: v not in (".", "..")
        )
    if location == "querystring":
        return st.text(URI_ALPHABET, min_size=low, max_size=high)
    return st.text(min_size=low, max_size=high)


def _integers(shape: Shape, bits: tuple[int, int]) -> st.SearchStrategy[int]:
    low = int(shape.metadata.get("min", bits[0]))
    high = int(shape.metadata.get("max", bits[1]))
    return st.integers(max(low, bits[0]), min(high, bits[1]))


def _floats(shape: Shape) -> st.SearchStrategy[float]:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    width = 32 if shape.type_name == "float" else 64
    return st.floats(
        min_value=None if low is None else float(low),
        max_value=None if high is None else float(high),
        allow_nan=False,
        allow_infinity=False,
        width=width,
    )


def _timestamps() -> st.SearchStrategy[datetime]:
    return st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.just(timezone.utc),
    )


def documents(depth: int = 0, null: bool = True) -> st.SearchStrategy[Any]:
    """JSON values a document may hold: finite floats, 64-bit integers, nested arrays and
    objects (`null` at the top only if `null`: a union member's value is never null)."""
    if not null:
        return documents(depth).filter(lambda v: v is not None)
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(*I64)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=EXTRA_CHARS)
    )
    if depth >= MAX_DEPTH:
        return leaves
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=EXTRA_ITEMS)
            | st.dictionaries(st.text(max_size=8), inner, max_size=EXTRA_ITEMS)
        ),
        max_leaves=8,
    )


# -- requests ------------------------------------------------------------------------------


@st.composite
def _input_value(draw: st.DrawFn, shape: Shape, depth: int, location: str | None = None) -> Any:
    kind = shape.type_name
    if _is_document(shape):
        return draw(documents(depth))
    if kind == "structure":
        return draw(_input_structure(shape, depth))
    if kind == "list":
        low, high = _size(shape, EXTRA_ITEMS, depth)
        return [
            draw(_input_value(shape.member, depth + 1)) for _ in range(draw(st.integers(low, high)))
        ]
    if kind == "map":
        low, high = _size(shape, EXTRA_ITEMS, depth)
        keys = draw(
            st.lists(_strings(shape.key, None, depth), min_size=low, max_size=high, unique=True)
        )
        return {k: draw(_input_value(shape.value, depth + 1)) for k in keys}
    if kind == "string":
        return draw(_strings(shape, location, depth))
    if kind == "integer":
        return draw(_integers(shape, I32))
    if kind == "long":
        return draw(_integers(shape, I64))
    if kind in ("float", "double"):
        return draw(_floats(shape))
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "blob":
        low, high = _size(shape, EXTRA_BYTES, depth)
        return draw(st.binary(min_size=low, max_size=high))
    if kind == "timestamp":
        return draw(_timestamps())
    raise NotImplementedError(kind)


@st.composite
def _input_structure(draw: st.DrawFn, shape: Shape, depth: int) -> dict[str, Any]:
    members = shape.members
    if _is_union(shape):
        names = list(members)
        if depth >= MAX_DEPTH:
            shallow = min(_min_depth(members[n].name) for n in names)
            names = [n for n in names if _min_depth(members[n].name) == shallow]
        name = draw(st.sampled_from(names))
        return {name: draw(_input_value(members[name], depth + 1))}
    required = set(shape.required_members)
    value: dict[str, Any] = {}
    for name, member in members.items():
        if member.metadata.get("eventstream") or member.serialization.get("eventstream"):
            continue
        token = member.metadata.get("idempotencyToken")
        # An absent idempotency token is filled with a random UUID by each client: always send one.
        if name in required or token or (depth < MAX_DEPTH and draw(st.booleans())):
            value[name] = draw(
                _input_value(member, depth + 1, member.serialization.get("location"))
            )
    return value


def request_params(operation_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid parameters for ``client.<operation>(**params)``."""
    return _input_structure(operation(operation_name).input_shape, 0)


# -- request bodies on the wire -------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A document's JSON, compared regardless of object key order (the Rust SDK keeps
    document objects in a HashMap)."""

    canonical: str

    @classmethod
    def of(cls, value: Any) -> Document:
        return cls(json.dumps(value, sort_keys=True))


#: Members the AWS SDK for Rust always sends, with the Smithy model's default when the caller
#: gave none (its builders fill them; botocore's model has no defaults, so boto3 omits them).
#: From aws-sdk-bedrockruntime 1.153.0's `types/*.rs` builders.
RUST_SDK_DEFAULTS: dict[str, dict[str, Any]] = {
    "PerformanceConfiguration": {"latency": "standard"},
    "GuardrailConfiguration": {
        "guardrailIdentifier": "",
        "guardrailVersion": "",
        "trace": "disabled",
    },
    "GuardrailStreamConfiguration": {
        "guardrailIdentifier": "",
        "guardrailVersion": "",
        "trace": "disabled",
        "streamProcessingMode": "sync",
    },
    "DocumentBlock": {"format": "txt"},
}


def normalize_body(value: Any, shape: Shape | None) -> Any:
    """A parsed JSON body reduced to what both clients must send alike: float members as
    float32, documents key-order-free, the Rust SDK's filled-in defaults
    (:data:`RUST_SDK_DEFAULTS`) filled in; anything else as parsed."""
    if shape is None:
        return value
    if _is_document(shape):
        return Document.of(value)
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        value = {**RUST_SDK_DEFAULTS.get(shape.name, {}), **value}
        return {k: normalize_body(v, members.get(k)) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [normalize_body(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: normalize_body(v, shape.value) for k, v in value.items()}
    if kind == "float" and isinstance(value, (int, float)):
        return f32(float(value))
    return value


# -- responses -----------------------------------------------------------------------------


@dataclass
class ScriptedResponse:
    """A response for the emulator to send verbatim."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | None = None
    events: list[tuple[list[tuple[str, str]], bytes]] | None = None
    #: What it is, for failure messages.
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def serve(self, emulator: Any) -> None:
        if self.events is None:
            emulator.respond_next(self.status, self.headers, self.body or b"")
        else:
            emulator.respond_next_stream(self.events, self.status, self.headers)


def _iso8601(value: datetime, digits: int) -> str:
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{value.microsecond:06d}"[:digits]
    return text + "Z"


@st.composite
def _output_timestamp(draw: st.DrawFn, shape: Shape) -> Any:
    value = draw(_timestamps())
    fmt = shape.serialization.get("timestampFormat") or shape.metadata.get("timestampFormat")
    if fmt == "iso8601":
        return _iso8601(value, draw(st.sampled_from([0, 3, 6])))
    # rest-json's default in a body: epoch seconds, whole or with milliseconds.
    seconds = value.replace(microsecond=0).timestamp()
    return int(seconds) if draw(st.booleans()) else seconds + draw(st.integers(0, 999)) / 1000


@st.composite
def _output_value(draw: st.DrawFn, shape: Shape, depth: int) -> Any:
    """A JSON-ready value of `shape` as the service sends it in a body."""
    kind = shape.type_name
    if _is_document(shape):
        return draw(documents(depth))
    if kind == "structure":
        return draw(_output_structure(shape, depth))
    if kind == "list":
        low, high = _size(shape, EXTRA_ITEMS, depth)
        return [
            draw(_output_value(shape.member, depth + 1))
            for _ in range(draw(st.integers(low, high)))
        ]
    if kind == "map":
        low, high = _size(shape, EXTRA_ITEMS, depth)
        keys = draw(
            st.lists(_strings(shape.key, None, depth), min_size=low, max_size=high, unique=True)
        )
        return {k: draw(_output_value(shape.value, depth + 1)) for k in keys}
    if kind == "string":
        return draw(_strings(shape, None, depth))
    if kind == "integer":
        return draw(_integers(shape, I32))
    if kind == "long":
        return draw(_integers(shape, I64))
    if kind in ("float", "double"):
        # Float members: float32 values, which both clients print alike.
        return draw(_floats(shape))
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "blob":
        low, high = _size(shape, EXTRA_BYTES, depth)
        return base64.b64encode(draw(st.binary(min_size=low, max_size=high))).decode()
    if kind == "timestamp":
        return draw(_output_timestamp(shape))
    raise NotImplementedError(kind)


@st.composite
def _output_structure(draw: st.DrawFn, shape: Shape, depth: int) -> dict[str, Any]:
    members = shape.members
    if _is_union(shape):
        names = [n for n in members if not _is_exception(members[n])]
        if depth >= MAX_DEPTH:
            shallow = min(_min_depth(members[n].name) for n in names)
            names = [n for n in names if _min_depth(members[n].name) == shallow]
        name = draw(st.sampled_from(names))
        member = members[name]
        if _is_document(member):
            return {name: draw(documents(depth + 1, null=False))}
        return {name: draw(_output_value(member, depth + 1))}
    required = set(shape.required_members)
    value: dict[str, Any] = {}
    for name, member in members.items():
        if member.serialization.get("location"):
            continue
        if name in required or (depth < MAX_DEPTH and draw(st.booleans())):
            value[member.serialization.get("name", name)] = draw(_output_value(member, depth + 1))
    return value


def _header_value(shape: Shape) -> st.SearchStrategy[str]:
    enum = shape.metadata.get("enum")
    if enum:
        return st.sampled_from(enum)
    low, high = _size(shape, EXTRA_CHARS, 0)
    return st.text(HEADER_ALPHABET, min_size=max(low, 1), max_size=max(high, 1))


@st.composite
def _error_response(draw: st.DrawFn, op: OperationModel) -> ScriptedResponse:
    error = draw(st.sampled_from(op.error_shapes))
    code = error.metadata.get("error", {}).get("code", error.name)
    status = error.metadata.get("error", {}).get("httpStatusCode", 400)
    body = draw(_output_structure(error, 1))
    error_type = draw(
        st.sampled_from([code, f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"])
    )
    headers = [("content-type", "application/json"), ("x-amzn-ErrorType", error_type)]
    return ScriptedResponse(status, headers, json.dumps(body).encode(), summary=f"error {code}")


@st.composite
def _events(draw: st.DrawFn, stream: Shape) -> list[tuple[list[tuple[str, str]], bytes]]:
    members = stream.members
    kinds = [n for n in members if not _is_exception(members[n])]
    exceptions = [n for n in members if _is_exception(members[n])]
    events: list[tuple[list[tuple[str, str]], bytes]] = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(kinds))
        payload = draw(_output_structure(members[name], 1))
        headers = [
            (":event-type", name),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ]
        events.append((headers, json.dumps(payload).encode()))
    if exceptions and draw(st.integers(0, 4)) == 0:
        name = draw(st.sampled_from(exceptions))
        payload = draw(_output_structure(members[name], 1))
        headers = [
            (":exception-type", name),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ]
        events.append((headers, json.dumps(payload).encode()))
    return events


@st.composite
def _success_response(draw: st.DrawFn, op: OperationModel) -> ScriptedResponse:
    shape = op.output_shape
    headers: list[tuple[str, str]] = []
    required = set(shape.required_members)
    payload_name = shape.serialization.get("payload")
    for name, member in shape.members.items():
        if member.serialization.get("location") == "header" and (
            name in required or draw(st.booleans())
        ):
            headers.append((member.serialization["name"], draw(_header_value(member))))
    payload = shape.members.get(payload_name) if payload_name else None
    if payload is not None and payload.serialization.get("eventstream"):
        headers.insert(0, ("content-type", "application/vnd.amazon.eventstream"))
        events = draw(_events(payload))
        return ScriptedResponse(200, headers, events=events, summary=f"{len(events)} events")
    if payload is not None and payload.type_name == "blob":
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("content-type", "application/octet-stream"))
        body = draw(st.binary(max_size=64))
        return ScriptedResponse(200, headers, body, summary="blob")
    headers.insert(0, ("content-type", "application/json"))
    body = draw(_output_structure(shape, 0))
    return ScriptedResponse(200, headers, json.dumps(body).encode(), summary="json")


def scripted_response(operation_name: str) -> st.SearchStrategy[ScriptedResponse]:
    """A valid response of the operation (four in five) or one of its modelled errors."""
    op = operation(operation_name)
    return st.one_of(
        _success_response(op),
        _success_response(op),
        _success_response(op),
        _success_response(op),
        _error_response(op),
    )


def is_float32(value: float) -> bool:
    return math.isfinite(value) and f32(value) == value


__all__ = [
    "OPERATIONS",
    "Document",
    "ScriptedResponse",
    "documents",
    "f32",
    "normalize_body",
    "operation",
    "python_name",
    "request_params",
    "scripted_response",
    "service_model",
]

_ = timedelta  # re-exported for tests that shift timestamps

"""The hand-kept facts: the pinned inputs, the known divergences between the botocore model
and the Rust SDK, and the facade's per-operation facts that are not in the model. Everything
else is generated from the model; an entry that has gone stale makes generation fail."""

import os

#: codegen/, where the pinned inputs are, and the checkout's root.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
MODEL_PATH = os.path.join(HERE, "bedrock-runtime-2023-09-30.service-2.json.gz")
PAGINATORS_PATH = os.path.join(HERE, "bedrock-runtime-2023-09-30.paginators-1.json")
BOTOCORE_VERSION = "1.44.8"
SDK_CRATE = "aws-sdk-bedrockruntime"

# ---------------------------------------------------------------------------------------------
# Known divergences between the botocore model and the Rust SDK. Anything not listed here that
# differs makes generation fail, so an SDK or model bump cannot silently drop a member.
# ---------------------------------------------------------------------------------------------
# (shape, member): why the member has no counterpart in the SDK type.
MEMBER_OVERRIDES = {
    # Event-stream unions: smithy-rs models the exception events as the stream's error type
    # (e.g. ConverseStreamOutputError), not as variants. The caller maps them to exceptions.
    **{
        (es, m): "exception event: surfaced as the SDK stream error"
        for es, ms in {
            "ConverseStreamOutput": [
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "serviceUnavailableException",
            ],
            "ResponseStream": [
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "modelTimeoutException",
                "serviceUnavailableException",
            ],
            "InvokeModelWithBidirectionalStreamOutput": [
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "modelTimeoutException",
                "serviceUnavailableException",
            ],
        }.items()
        for m in ms
    },
}
# (shape, SDK field/variant): SDK members newer than the botocore model. Never set on input; on
# output a union variant of this kind is reported like botocore reports an unknown member.
# Empty: the model has every SDK member. Stale entries make generation fail.
SDK_EXTRA = {}
# (request shape, member): model members newer than the SDK. They are validated like any other
# member and put on the wire where the model says (header, query string or JSON body member) by
# `crate::bridge`'s interceptor before signing. Only scalar members of request shapes can be
# bridged. An entry the SDK has caught up with makes generation fail: delete it then.
BRIDGED_MEMBERS = {
    (shape, "projectIdentifier"): "botocore 1.44.8; not yet in aws-sdk-bedrockruntime 1.153.0"
    for shape in (
        "ConverseRequest",
        "ConverseStreamRequest",
        "InvokeModelRequest",
        "InvokeModelWithResponseStreamRequest",
    )
}
BRIDGEABLE_KINDS = ("string", "integer", "long", "boolean")
# SDK operations the botocore model does not have (ignored, listed for the record). Empty: an SDK
# operation missing from the model, or a listed one present in it, makes generation fail.
SDK_ONLY_OPERATIONS = set()

# ---------------------------------------------------------------------------------------------
# The facade's per-operation facts that are not in the model. Everything else about an operation
# (its Rust table entry, its blocking and asyncio methods, their docstrings and signatures, its
# errors) is generated from the model, so an operation the model and the SDK both have needs no
# hand edit outside these tables.
# ---------------------------------------------------------------------------------------------
# OperationName -> its `crate::ops::Operation` written by hand (module::Type under src/ops/): the
# operations whose request or answer streams, or whose answer's payload is a blob. Every other
# operation's answer is one JSON document, and `json_operation!` (src/ops/json.rs) implements it
# from the generated converters. A streaming operation not listed, a listed one the model lacks
# and a type src/ops/ does not define make generation fail.
HAND_WRITTEN_OPERATIONS = {
    "ConverseStream": "streaming::ConverseStream",
    "InvokeModel": "invoke::InvokeModel",
    "InvokeModelWithBidirectionalStream": "bidirectional::InvokeModelWithBidirectionalStream",
    "InvokeModelWithResponseStream": "streaming::InvokeModelWithResponseStream",
}
# OperationName -> (blocking, asyncio): what the facade's method docstring says beyond the model's
# documentation (what the result streams and how to read it). A stale entry fails generation.
FACADE_NOTES = {
    "ConverseStream": (
        'Iterate ``response["stream"]`` for the answer\'s events, one dict at a time, as they'
        " arrive (``{'contentBlockDelta': {'delta': {'text': ...}, 'contentBlockIndex': 0}}``).",
        'Iterate ``response["stream"]`` with ``async for`` for the answer\'s events, one dict at'
        " a time, as they arrive.",
    ),
    "InvokeModel": (
        '``response["body"]`` is a ``StreamingBody``: ``read()``, ``read(n)``, ``iter_chunks()``,'
        " ``iter_lines()``, ``close()``, ``with``.",
        '``response["body"]`` is a ``StreamingBody``: ``read()``, ``read(n)``, ``iter_chunks()``,'
        " ``iter_lines()``, ``close()``, ``with``.",
    ),
    "InvokeModelWithBidirectionalStream": (
        "Duplex stream (boto3 cannot do it): ``body`` is an :class:`InputStream` to ``send()``"
        " into, or an iterable of input events (``{'chunk': {'bytes': b'...'}}``); iterate"
        ' ``response["body"]`` for the output events as they arrive.',
        "Awaitable duplex stream: ``await body.send_async(event)`` on the :class:`InputStream`,"
        ' ``async for`` over ``response["body"]``.',
    ),
    "InvokeModelWithResponseStream": (
        'Like ``invoke_model``; iterating ``response["body"]`` yields'
        " ``{'chunk': {'bytes': ...}}`` events as they arrive.",
        'Like ``invoke_model``; ``async for`` over ``response["body"]`` yields'
        " ``{'chunk': {'bytes': ...}}`` events as they arrive.",
    ),
}
# How deep the request syntax in a method's docstring shows nested structures (boto3's docs show
# every level; deeper ones are ``{...}`` here).
DOC_SYNTAX_DEPTH = 3

"""Exceptions, shaped and worded exactly like botocore's.

``from bedrock_cris.exceptions import ClientError`` replaces
``from botocore.exceptions import ClientError``. Service errors are
``ClientError`` subclasses named by their error code (``ThrottlingException``
...), also reachable as ``client.exceptions.<Name>``; transport failures
(``EndpointConnectionError``, ``ReadTimeoutError`` ...) are not ``ClientError``.

In a program that has imported botocore, every exception made here is also an instance
of botocore's class of the same name, so ``except botocore.exceptions.ClientError:`` (or
``except boto3_client.exceptions.ThrottlingException:``) catches it too; see
``_botocore_bridge``. Without botocore, they are plain and botocore is never imported.
"""

from __future__ import annotations

import sys

from bedrock_cris import _model

TYPE_CHECKING = False  # typing costs ~10 ms of import time; only checkers need it
if TYPE_CHECKING:
    from typing import Any, TypeVar

    _T = TypeVar("_T")

__all__ = [
    "BotoCoreError",
    "ClientError",
    "ParamValidationError",
    "NoCredentialsError",
    "PartialCredentialsError",
    "InvalidEndpointConfigurationError",
    "OperationNotPageableError",
    "NoRegionError",
    "InvalidRegionError",
    "UnknownServiceError",
    "HTTPClientError",
    "ConnectionError",
    "EndpointConnectionError",
    "SSLError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ResponseStreamingError",
    "ResponseParserError",
    "EventStreamError",
    "ParserError",
    "InvalidHeadersLength",
    "InvalidPayloadLength",
    "ChecksumMismatch",
    *_model.ERROR_SHAPES,
]


def _exception_from_packed_args(
    exception_cls: type, args: tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None
) -> BaseException:
    return exception_cls(*(args or ()), **(kwargs or {}))


def _instance_class(cls: type[_T]) -> type[_T]:
    """The class an exception of ``cls`` is made as: ``cls``, or (botocore loaded) one that
    is botocore's class of that name too."""
    if "botocore.exceptions" not in sys.modules:
        return cls
    from bedrock_cris import _botocore_bridge  # deferred: only programs with botocore

    return _botocore_bridge.instance_class(cls)


def _public_class(cls: type) -> type:
    """What an exception pickles as: this module's class, never a combined subclass made
    with botocore's (that one unpickles bridged again wherever botocore is loaded)."""
    public: type = cls.__dict__.get("_bridged_from", cls)
    return public


class BotoCoreError(Exception):
    """Base of the errors that are not the service's answer (botocore's name)."""

    fmt = "An unspecified error occurred"

    def __new__(cls, *args: Any, **kwargs: Any) -> BotoCoreError:
        made = _instance_class(cls)
        # super() from `made`: a combined OSError subclass needs OSError's __new__.
        return super(BotoCoreError, made).__new__(made)

    def __init__(self, **kwargs: Any) -> None:
        msg = self.fmt.format(**kwargs)
        Exception.__init__(self, msg)
        self.kwargs = kwargs

    def __reduce__(self) -> Any:
        return _exception_from_packed_args, (_public_class(self.__class__), None, self.kwargs)


class ParamValidationError(BotoCoreError):
    """The parameters do not match the service model; raised before any request."""

    fmt = "Parameter validation failed:\n{report}"


class NoCredentialsError(BotoCoreError):
    """No credentials could be found in the standard AWS chain."""

    fmt = "Unable to locate credentials"


class PartialCredentialsError(BotoCoreError):
    """Only part of a credential pair was given."""

    fmt = "Partial credentials found in {provider}, missing: {cred_var}"


class NoRegionError(BotoCoreError):
    """No region was given and none is configured."""

    fmt = "You must specify a region."


class InvalidRegionError(BotoCoreError, ValueError):
    """The region name is not a valid host label (e.g. ``"us east 1"``); raised when the
    client is built, as botocore raises it."""

    fmt = "Provided region_name '{region_name}' doesn't match a supported format."


class InvalidEndpointConfigurationError(BotoCoreError):
    """The endpoint cannot be used as configured, e.g. a bearer token (Bedrock API key)
    for a plain-HTTP endpoint that is not on this machine."""

    fmt = "Invalid endpoint configuration: {msg}"


class OperationNotPageableError(BotoCoreError):
    """``get_paginator`` was asked for an operation that has no paginator."""

    fmt = "Operation cannot be paginated: {operation_name}"


class DataNotFoundError(BotoCoreError):
    fmt = "Unable to load data for: {data_path}"


class UnknownServiceError(DataNotFoundError):
    """The service name is not one this package serves."""

    fmt = "Unknown service: '{service_name}'. Valid service names are: {known_service_names}"


class HTTPClientError(BotoCoreError):
    """The HTTP layer failed (base of the transport errors, as in botocore)."""

    fmt = "An HTTP Client raised an unhandled exception: {error}"

    def __init__(self, request: Any = None, response: Any = None, **kwargs: Any) -> None:
        self.request = request
        self.response = response
        super().__init__(**kwargs)

    def __reduce__(self) -> Any:
        return _exception_from_packed_args, (
            _public_class(self.__class__),
            (self.request, self.response),
            self.kwargs,
        )


class ConnectionError(BotoCoreError):
    fmt = "An HTTP Client failed to establish a connection: {error}"


class EndpointConnectionError(ConnectionError):
    """The endpoint could not be reached (refused, unresolvable, unreachable)."""

    fmt = 'Could not connect to the endpoint URL: "{endpoint_url}"'


class SSLError(ConnectionError, OSError):
    """The TLS handshake failed, e.g. the server's certificate is not trusted."""

    fmt = "SSL validation failed for {endpoint_url} {error}"


class ConnectTimeoutError(ConnectionError, OSError):
    """No connection within ``Config(connect_timeout=...)``."""

    fmt = 'Connect timeout on endpoint URL: "{endpoint_url}"'


class ReadTimeoutError(HTTPClientError, OSError):
    """No answer (or no next stream event) within ``Config(read_timeout=...)``."""

    fmt = 'Read timeout on endpoint URL: "{endpoint_url}"'


class ConnectionClosedError(HTTPClientError):
    """The connection closed before a complete answer arrived."""

    fmt = (
        "Connection was closed before we received a valid response "
        'from endpoint URL: "{endpoint_url}".'
    )


class ResponseStreamingError(HTTPClientError):
    """Reading a streamed answer failed (dropped connection, corrupt frame)."""

    fmt = "An error occurred while reading from response stream: {error}"


class ResponseParserError(BotoCoreError):
    """A success status whose body is not the operation's output (botocore hands back
    whatever it made of such a body; this package says so instead)."""

    fmt = "Unable to parse the {operation_name} response (HTTP {status}): {error}"
    _no_botocore_counterpart = True  # botocore raises nothing here


class ParserError(Exception):
    """An event-stream frame could not be parsed (botocore.eventstream's base class);
    the subclasses below are raised while iterating a stream, as botocore raises them."""

    def __new__(cls, *args: Any, **kwargs: Any) -> ParserError:
        made = _instance_class(cls)
        return super(ParserError, made).__new__(made)

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self._init_args: tuple[Any, ...] = (message,)

    def __reduce__(self) -> Any:
        return _exception_from_packed_args, (_public_class(self.__class__), self._init_args)


class InvalidHeadersLength(ParserError):
    """A frame's prelude claims more than 128 KiB of headers; refused before reading them."""

    def __init__(self, length: int) -> None:
        super().__init__(f"Header length of {length} exceeded the maximum of {128 * 1024}")
        self._init_args = (length,)


class InvalidPayloadLength(ParserError):
    """A frame's prelude claims more than 24 MiB of payload; refused before reading it."""

    def __init__(self, length: int) -> None:
        super().__init__(f"Payload length of {length} exceeded the maximum of {24 * 1024 * 1024}")
        self._init_args = (length,)


class ChecksumMismatch(ParserError):
    """A frame's prelude or message checksum (CRC32) is wrong."""

    def __init__(self, expected: int, calculated: int) -> None:
        super().__init__(
            f"Checksum mismatch: expected 0x{expected:08x}, calculated 0x{calculated:08x}"
        )
        self._init_args = (expected, calculated)


class ClientError(Exception):
    """The service answered with an error; ``response`` holds it as botocore shapes it."""

    MSG_TEMPLATE = (
        "An error occurred ({error_code}) when calling the {operation_name} "
        "operation{retry_info}: {error_message}"
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> ClientError:
        made = _instance_class(cls)
        return super(ClientError, made).__new__(made)

    def __init__(self, error_response: dict[str, Any], operation_name: str) -> None:
        retry_info = self._get_retry_info(error_response)
        error = error_response.get("Error", {})
        msg = self.MSG_TEMPLATE.format(
            error_code=error.get("Code", "Unknown"),
            error_message=error.get("Message", "Unknown"),
            operation_name=operation_name,
            retry_info=retry_info,
        )
        # Not super(): with botocore loaded, botocore's ClientError follows in the MRO.
        Exception.__init__(self, msg)
        self.response = error_response
        self.operation_name = operation_name

    @staticmethod
    def _get_retry_info(response: dict[str, Any]) -> str:
        metadata = response.get("ResponseMetadata", {})
        if metadata.get("MaxAttemptsReached", False) and "RetryAttempts" in metadata:
            return f" (reached max retries: {metadata['RetryAttempts']})"
        return ""

    def __reduce__(self) -> Any:
        return _public_class(self.__class__), (self.response, self.operation_name)


class EventStreamError(ClientError):
    """An error event arrived in the middle of a stream."""


# The modelled classes (``ThrottlingException`` ...): one class statement per error shape of the
# model, generated by codegen/generate.py into _modeled_errors, defined as this module's.
from bedrock_cris._modeled_errors import *  # noqa: E402, F403
from bedrock_cris._modeled_errors import MODELED as _MODELED  # noqa: E402


def from_code(error_code: str) -> type[ClientError]:
    """The exception class botocore raises for ``error_code`` (ClientError when unmodelled)."""
    return _MODELED.get(error_code, ClientError)


# botocore's standard retry mode counts these as retryable (the Rust SDK's
# classifier uses the same lists); they decide whether ``MaxAttemptsReached``
# is reported for an error that reached the last allowed attempt.
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})


def _json_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    import json  # deferred: only error bodies need it

    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"message": text}
    return parsed if isinstance(parsed, dict) else {}


def _error_code(status: int, headers: dict[str, str], body: dict[str, Any]) -> str:
    # botocore's rest-json order: x-amzn-errortype, then body code/Code, then
    # body __type, then the status code.
    code: Any = body.get("__type", str(status))
    if isinstance(code, str):
        if ":" in code:
            code = code.split(":", 1)[0]
        if "#" in code:
            code = code.rsplit("#", 1)[1]
    if "x-amzn-errortype" in headers:
        code = headers["x-amzn-errortype"]
    elif "code" in body or "Code" in body:
        code = body.get("code", body.get("Code", ""))
    if isinstance(code, str):
        code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return code


def _modeled_fields(code: str, body: dict[str, Any]) -> dict[str, Any]:
    members = _model.ERROR_MEMBERS.get(code)
    if members is None:
        return {}
    fields: dict[str, Any] = {}
    for name, type_name in members:
        value = body.get(name)
        if value is not None:
            fields[name] = int(value) if type_name in ("integer", "long") else value
    return fields


def _service_error(
    operation_name: str,
    status: int,
    headers: dict[str, str],
    body: bytes,
    attempts: int,
    reached_if_retryable: bool,
    reached_anyway: bool,
) -> ClientError:
    """Builds the exception botocore raises for an error answer (called from Rust, which
    gives the headers as botocore shows them and whether the call reached its last attempt:
    ``reached_anyway`` in botocore's standard and adaptive modes, else only when retryable)."""
    stripped = body.strip()
    if status >= 500 and (not stripped or stripped.startswith(b"<html>")):
        import http.client

        code = str(status)
        error = {"Code": code, "Message": http.client.responses.get(status, "")}
        modeled: dict[str, Any] = {}
    else:
        parsed = _json_body(body)
        code = _error_code(status, headers, parsed)
        error = {"Message": parsed.get("message", parsed.get("Message", "")), "Code": code}
        modeled = _modeled_fields(code, parsed)
    metadata: dict[str, Any] = {}
    if "x-amzn-requestid" in headers:
        metadata["RequestId"] = headers["x-amzn-requestid"]
    metadata["HTTPStatusCode"] = status
    metadata["HTTPHeaders"] = headers
    if reached_anyway or (reached_if_retryable and _retryable(code, status)):
        metadata["MaxAttemptsReached"] = True
    metadata["RetryAttempts"] = attempts - 1
    response: dict[str, Any] = {"Error": error, "ResponseMetadata": metadata}
    response.update(modeled)
    return from_code(code)(response, operation_name)


def _retryable(code: str, status: int) -> bool:
    return (
        code in _THROTTLING_CODES
        or code in _TRANSIENT_CODES
        or status in _TRANSIENT_STATUS
        or bool(_model.ERROR_INFO.get(code, {}).get("retryable", False))
    )


class _ModeledEventStreamError(EventStreamError):
    """An exception event of a stream: botocore raises ``EventStreamError``;
    this also subclasses the modelled class so ``except
    client.exceptions.ThrottlingException`` catches it mid-stream too."""

    def __reduce__(self) -> Any:
        return EventStreamError, (self.response, self.operation_name)


_STREAM_ERROR_CLASSES: dict[str, type[EventStreamError]] = {}


def _stream_error_class(shape_name: str) -> type[EventStreamError]:
    cls = _STREAM_ERROR_CLASSES.get(shape_name)
    if cls is None:
        cls = type(
            "EventStreamError",
            (_ModeledEventStreamError, _MODELED[shape_name]),
            {"__module__": __name__, "__qualname__": "EventStreamError"},
        )
        _STREAM_ERROR_CLASSES[shape_name] = cls
    return cls


def _event_stream_error(
    operation_name: str,
    exception_type: str,
    payload: bytes,
    error_code: str,
    error_message: str,
) -> EventStreamError:
    """Builds what botocore raises for an exception event in a stream (called from Rust)."""
    members = _model.EVENT_STREAM_ERRORS.get(_model.STREAM_SHAPES.get(operation_name, ""), {})
    shape_name = members.get(exception_type)
    if shape_name is None:
        response = {"Error": {"Code": error_code, "Message": error_message}}
        return EventStreamError(response, operation_name)
    body = _json_body(payload)
    message = body.get("Message", body.get("message", ""))
    response = {"Error": {"Code": exception_type, "Message": message}}
    return _stream_error_class(shape_name)(response, operation_name)

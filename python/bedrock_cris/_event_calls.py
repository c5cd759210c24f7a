"""Calls made while ``client.meta.events`` has handlers: botocore's events, in its order.

``provide-client-params`` (a handler may return new params), ``before-parameter-build``, then
the params are validated (``ParamValidationError`` before anything else, as botocore's
serializer raises it), ``before-call`` with the request dict (a ``(http_response, parsed)``
answer short-circuits the call, which is how ``botocore.stub.Stubber`` works),
``request-created`` and ``before-sign`` with the request, ``before-send`` with the prepared
request (an ``AWSResponse`` answer is parsed instead of sending), then ``after-call`` with the
HTTP response and the parsed answer, or ``after-call-error`` with a transport exception.

Headers set by handlers go on the wire: those set by ``before-call``, ``request-created`` and
``before-sign`` handlers before signing (so they are signed), those set by ``before-send``
handlers after it. The SDK for Rust signs, retries and sends the request itself, so changes to
the URL or the body, and a removed header, are not applied, and ``needs-retry`` is not emitted
(its retry loop has no hook for Python).
"""

from __future__ import annotations

from bedrock_cris import __version__ as _version
from bedrock_cris import _request_dict, _tracing, exceptions
from bedrock_cris._events import first_non_none_response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["call", "call_async"]

SERVICE_ID = "bedrock-runtime"


class _Prepared:
    """What both doors share: the operation model, the context and the request dict."""

    def __init__(self, client: Any, operation: str) -> None:
        meta = client.meta
        self.operation = operation
        self.model = meta.service_model.operation_model(operation)
        self.context: dict[str, Any] = {
            "client_region": meta.region_name,
            "client_config": meta.config,
            "has_streaming_input": self.model.has_streaming_input,
            "auth_type": getattr(self.model, "resolved_auth_type", "v4"),
            "unsigned_payload": getattr(self.model, "unsigned_payload", None),
            "auth_options": meta.service_model.metadata.get("auth"),
        }
        self.suffix = f"{SERVICE_ID}.{operation}"

    def request_dict(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        if not self.model.has_event_stream_input:
            # (an input stream is checked when the call starts: checking it consumes it)
            client._native.validate(self.operation, params)
        return _request_dict.build(
            self.operation,
            params,
            client.meta.endpoint_url,
            client.meta._user_agent(f"bedrock-cris/{_version}"),
            self.context,
        )


def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
    """The blocking client's call of ``operation``: traced when OpenTelemetry instruments
    clients (``bedrock_cris.otel``), through the events when handlers are registered."""
    wrapper = _tracing.sync_wrapper
    if wrapper is None:
        return _call(client, operation, params)
    return wrapper(lambda op, kw: _call(client, op, kw), client, (operation, params), {})


async def call_async(client: Any, operation: str, params: dict[str, Any]) -> Any:
    """The asyncio client's call of ``operation`` (see :func:`call`)."""
    wrapper = _tracing.async_wrapper
    if wrapper is None:
        return await _call_async(client, operation, params)

    async def traced(op: str, kw: dict[str, Any]) -> Any:
        return await _call_async(client, op, kw)

    return await wrapper(traced, client, (operation, params), {})


def _call(client: Any, operation: str, params: dict[str, Any]) -> Any:
    events = client.meta._events
    if events is None or not events._active:
        return client._native.call(operation, params)
    prepared = _Prepared(client, operation)
    kwargs = {"model": prepared.model, "context": prepared.context}
    responses = events.emit(f"provide-client-params.{prepared.suffix}", params=params, **kwargs)
    params = first_non_none_response(responses, default=params)
    events.emit(f"before-parameter-build.{prepared.suffix}", params=params, **kwargs)
    request_dict = prepared.request_dict(client, params)
    baseline = dict(request_dict["headers"])
    _, answer = events.emit_until_response(
        f"before-call.{prepared.suffix}", params=request_dict, request_signer=None, **kwargs
    )
    error = None
    if answer is not None:
        http, parsed = answer
    else:
        request = _request(request_dict)
        events.emit(f"request-created.{prepared.suffix}", request=request, operation_name=operation)
        events.emit(f"before-sign.{prepared.suffix}", **_sign_kwargs(client, request, operation))
        signed = _changed(baseline, request.headers)
        sent = _prepare(request)
        before_send = dict(sent.headers)
        _, response = events.emit_until_response(f"before-send.{prepared.suffix}", request=sent)
        if response is not None:
            http, parsed = response, _parse(response, prepared.model)
        else:
            unsigned = _changed(before_send, sent.headers)
            try:
                if signed or unsigned:
                    parsed = client._native.call_with_headers(operation, params, signed, unsigned)
                else:
                    parsed = client._native.call(operation, params)
            except exceptions.ClientError as e:
                error, parsed = e, e.response
            except exceptions.ParamValidationError:
                raise
            except Exception as e:
                events.emit(
                    f"after-call-error.{prepared.suffix}", exception=e, context=prepared.context
                )
                raise
            http = _http_response(request_dict["url"], parsed)
    events.emit(f"after-call.{prepared.suffix}", http_response=http, parsed=parsed, **kwargs)
    return _result(client, operation, http, parsed, error)


async def _call_async(client: Any, operation: str, params: dict[str, Any]) -> Any:
    """The same events; a handler's awaitable answer is awaited."""
    events = client.meta._events
    if events is None or not events._active:
        return await client._native.call_async(operation, params)
    prepared = _Prepared(client, operation)
    kwargs = {"model": prepared.model, "context": prepared.context}
    emit = events._emit_async
    responses = await emit(f"provide-client-params.{prepared.suffix}", {"params": params, **kwargs})
    params = first_non_none_response(responses, default=params)
    await emit(f"before-parameter-build.{prepared.suffix}", {"params": params, **kwargs})
    request_dict = prepared.request_dict(client, params)
    baseline = dict(request_dict["headers"])
    responses = await emit(
        f"before-call.{prepared.suffix}",
        {"params": request_dict, "request_signer": None, **kwargs},
        stop_on_response=True,
    )
    answer = responses[-1][1] if responses else None
    error = None
    if answer is not None:
        http, parsed = answer
    else:
        request = _request(request_dict)
        await emit(
            f"request-created.{prepared.suffix}", {"request": request, "operation_name": operation}
        )
        await emit(f"before-sign.{prepared.suffix}", _sign_kwargs(client, request, operation))
        signed = _changed(baseline, request.headers)
        sent = _prepare(request)
        before_send = dict(sent.headers)
        responses = await emit(
            f"before-send.{prepared.suffix}", {"request": sent}, stop_on_response=True
        )
        response = responses[-1][1] if responses else None
        if response is not None:
            http, parsed = response, _parse(response, prepared.model)
        else:
            unsigned = _changed(before_send, sent.headers)
            try:
                parsed = await client._native.call_with_headers(
                    operation, params, signed, unsigned, asynchronous=True
                )
            except exceptions.ClientError as e:
                error, parsed = e, e.response
            except exceptions.ParamValidationError:
                raise
            except Exception as e:
                await emit(
                    f"after-call-error.{prepared.suffix}",
                    {"exception": e, "context": prepared.context},
                )
                raise
            http = _http_response(request_dict["url"], parsed)
    await emit(f"after-call.{prepared.suffix}", {"http_response": http, "parsed": parsed, **kwargs})
    return _result(client, operation, http, parsed, error)


def _sign_kwargs(client: Any, request: Any, operation: str) -> dict[str, Any]:
    return {
        "request": request,
        "signing_name": "bedrock",
        "region_name": client.meta.region_name,
        "signature_version": "v4",
        "request_signer": None,
        "operation_name": operation,
    }


def _result(client: Any, operation: str, http: Any, parsed: Any, error: Any) -> Any:
    if http.status_code >= 300:
        if error is not None and parsed is error.response:
            raise error
        code = (parsed.get("Error") or {}).get("Code")
        raise client.exceptions.from_code(code)(parsed, operation)
    return parsed


def _changed(before: dict[str, str], after: Any) -> list[tuple[str, str]]:
    """Headers a handler added or changed (names as given, values as str)."""
    return [(str(name), str(value)) for name, value in after.items() if before.get(name) != value]


# -- request and response objects: botocore's when it is importable -----------------------


def _request(request_dict: dict[str, Any]) -> Any:
    try:
        from botocore.awsrequest import AWSRequest
    except ImportError:
        return Request(request_dict)
    request = AWSRequest(
        method=request_dict["method"],
        url=request_dict["url"],
        data=request_dict["body"],
        headers=request_dict["headers"],
    )
    request.context = request_dict["context"]
    return request


def _prepare(request: Any) -> Any:
    return request.prepare()


def _http_response(url: str, parsed: dict[str, Any]) -> Any:
    metadata = parsed.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode", 200)
    headers = metadata.get("HTTPHeaders", {})
    try:
        from botocore.awsrequest import AWSResponse
    except ImportError:
        return Response(url, status, headers, None)
    return AWSResponse(url, status, headers, None)


def _parse(response: Any, model: Any) -> Any:
    """The answer in a response a ``before-send`` handler returned, parsed as botocore parses
    it (botocore's parser: only botocore makes such response objects)."""
    try:
        from botocore.endpoint import convert_to_response_dict
        from botocore.parsers import create_parser
    except ImportError:
        raise TypeError(
            "a before-send handler returned a response; parsing it needs botocore installed"
        ) from None
    response_dict = convert_to_response_dict(response, model)
    parsed = create_parser(model.metadata["protocol"]).parse(response_dict, model.output_shape)
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return parsed


class Request:
    """botocore's ``AWSRequest`` and ``AWSPreparedRequest`` without botocore: ``method``,
    ``url``, ``headers``, ``body`` (also ``data``), ``context``."""

    def __init__(self, request_dict: dict[str, Any]) -> None:
        self.method = request_dict["method"]
        self.url = request_dict["url"]
        self.headers: dict[str, str] = dict(request_dict["headers"])
        self.body = request_dict["body"]
        self.context = request_dict["context"]
        self.stream_output = False

    @property
    def data(self) -> Any:
        return self.body

    def prepare(self) -> Request:
        return self

    def __repr__(self) -> str:
        return f"<Request method={self.method}, url={self.url}>"


class Response:
    """botocore's ``AWSResponse`` without botocore: ``url``, ``status_code``, ``headers``,
    ``raw``."""

    def __init__(self, url: str, status_code: int, headers: dict[str, str], raw: Any) -> None:
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.raw = raw
        self.content = b""

"""OpenTelemetry for bedrock_cris clients: ``pip install 'bedrock-cris[otel]'``, then

    from bedrock_cris.otel import BedrockCrisInstrumentor
    BedrockCrisInstrumentor().instrument()

or run ``opentelemetry-instrument python app.py`` (the ``opentelemetry_instrumentor`` entry
point ``bedrock_cris``). Each facade call then gets the span and GenAI metrics that
opentelemetry-instrumentation-botocore gives a boto3 client for the same call: the blocking
client through that package's own Bedrock extension (``chat <model>`` spans with the
``gen_ai.*`` attributes, streams ending their span when the stream ends,
``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``), the asyncio client as
it instruments aiobotocore (which has no Bedrock extension: ``rpc.*``, ``cloud.region``,
``aws.request_id``, ``server.*``, ``retry_attempts``). The calls are wrapped with that package's
call wrapper, so spans match it by construction; the versions that match are pinned by the
``otel`` extra.

Embed jobs (``bedrock_cris.embed`` / ``aembed``, ``Client.embed``, the Ray ``Embedder``) get one
span ``embeddings <model>`` for the job, and under it, for each InvokeModel request the job
sends (a throttled request retried by the job is a new request), the span and metrics that
package gives boto3's ``invoke_model`` of the same request: its call wrapper's steps with its
Bedrock extension, run as the request starts and ends in the Rust pipeline.

The native API's ``converse``/``stream`` (``aconverse``/``astream``) are traced as the facade's
``converse``/``converse_stream`` with the same arguments (``_tracing.traced``).

Until ``instrument()`` nothing of OpenTelemetry is imported and calls check one flag.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator
from types import SimpleNamespace, TracebackType
from typing import Any

from botocore.eventstream import EventStream as BotocoreEventStream
from botocore.exceptions import ClientError
from botocore.response import StreamingBody as BotocoreStreamingBody
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.botocore import (
    AiobotocoreInstrumentor,
    BotocoreInstrumentor,
    _apply_response_attributes,
)
from opentelemetry.instrumentation.botocore.extensions import (
    _AIOBOTOCORE_EXTENSIONS,
    _BOTOCORE_EXTENSIONS,
)
from opentelemetry.instrumentation.botocore.extensions.registry import ExtensionRegistry
from opentelemetry.instrumentation.botocore.extensions.types import (
    _AwsSdkCallContext,
    _BotocoreInstrumentorContext,
)
from opentelemetry.instrumentation.botocore.utils import _safe_invoke, get_server_attributes
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import (
    http_status_to_status_code,
    is_instrumentation_enabled,
)
from opentelemetry.trace import SpanKind, StatusCode

from bedrock_cris import __version__, _tracing

__all__ = ["BedrockCrisInstrumentor"]

#: The instrumentation scope of the spans and metrics.
SCOPE = "bedrock_cris.otel"


def _call_wrapper(kind: type[Any], extensions: Any, options: dict[str, Any]) -> Any:
    """``kind`` configured as its ``instrument(**options)`` configures it, without patching
    botocore (the instrumentor classes are singletons: not instantiated); its
    ``_patched_api_call`` wraps one call."""
    wrapper = object.__new__(kind)
    wrapper.request_hook = options.get("request_hook")
    wrapper.response_hook = options.get("response_hook")
    wrapper.extension_registry = ExtensionRegistry(
        SCOPE,
        extensions,
        options.get("tracer_provider"),
        options.get("logger_provider"),
        options.get("meter_provider"),
    )
    return wrapper


class _EventStream(BotocoreEventStream):  # type: ignore[misc]
    """Our stream as botocore's class, which the Bedrock extension wraps to end the span when
    the stream ends (it checks the class); iteration and closing are ours."""

    def __init__(self, stream: Any) -> None:  # botocore's __init__ would parse a raw stream
        self._stream = stream

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._stream)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> _EventStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _botocore_shaped(result: Any) -> Any:
    """``result`` with its stream or body in the botocore classes the Bedrock extension
    recognizes (it replaces an InvokeModel body with botocore's ``StreamingBody`` itself)."""
    if isinstance(result, dict):
        for key in ("stream", "body"):
            value = result.get(key)
            if value is None:
                continue
            if hasattr(value, "read"):  # InvokeModel's body (checked first: it iterates too)
                if not isinstance(value, BotocoreStreamingBody):
                    data = value.read()
                    result[key] = BotocoreStreamingBody(io.BytesIO(data), len(data))
            elif hasattr(value, "__next__") and hasattr(value, "close"):
                result[key] = _EventStream(value)
    return result


def _traced(patched_api_call: Any) -> Any:
    """``_tracing.sync_wrapper``: the botocore instrumentation's wrapper around a call whose
    result it can read as it reads boto3's."""

    def wrapper(call: Any, client: Any, args: Any, kwargs: Any) -> Any:
        def shaped(operation: str, params: dict[str, Any]) -> Any:
            return _botocore_shaped(call(operation, params))

        return patched_api_call(shaped, client, args, kwargs)

    return wrapper


class _EmbedJob:
    """One embed job's tracing: its span, current while the job runs (``with``), and the
    tracer the native pipeline tells of each InvokeModel request (``begin`` before it is sent,
    ``end`` after). Those two are the botocore instrumentation's ``_patched_api_call`` cut in
    two, step for step, because the request runs in Rust: the same call context, extension
    callbacks, hooks, response attributes, status and exception event, so each request's span
    and metrics are those of boto3's ``invoke_model`` with the same arguments. ``begin`` and
    ``end`` run on the pipeline's threads: the job's context is passed, not looked up."""

    def __init__(self, calls: Any, tracer: Any, meta: Any, request: Any) -> None:
        self._calls = calls  # the configured BotocoreInstrumentor: registry and hooks
        self._tracer = tracer
        self._client = SimpleNamespace(meta=meta)  # what the call context reads
        self._request = request
        self._span: Any = None
        self._context: Any = None
        self._token: Any = None

    # -- the job's span

    def __enter__(self) -> _EmbedJob:
        if not is_instrumentation_enabled():
            return self
        options = self._request.options
        model, meta = options["model"], self._client.meta
        attributes = {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.system": "aws.bedrock",
            "gen_ai.request.model": model,
            "gen_ai.request.encoding_formats": [options["embedding_type"]],
            "gen_ai.embeddings.dimension.count": options["dimensions"],
            "cloud.region": meta.region_name,
            **get_server_attributes(meta.endpoint_url),
            "bedrock_cris.embed.texts": len(self._request.texts),
        }
        self._span = self._tracer.start_span(
            f"embeddings {model}", kind=SpanKind.INTERNAL, attributes=attributes
        )
        self._context = trace.set_span_in_context(self._span)
        self._token = otel_context.attach(self._context)
        return self

    def done(self, outcome: tuple[Any, int, str, int]) -> tuple[Any, int, str, int]:
        """Records the job's result (the native pipeline's outcome, returned as it is)."""
        if self._span is not None and self._span.is_recording():
            self._span.set_attribute("gen_ai.usage.input_tokens", outcome[3])
        return outcome

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        span = self._span
        if span is None:
            return
        otel_context.detach(self._token)
        if error is not None:
            if span.is_recording():
                cause = error.__cause__ or error
                span.set_attribute("error.type", type(cause).__qualname__)
                span.record_exception(error)
            span.set_status(StatusCode.ERROR, f"{type(error).__name__}: {error}")
        span.end()

    # -- each request, told by the native pipeline

    def begin(self, body: bytes) -> Any:
        """Opens a request's span (``_patched_api_call`` up to the call)."""
        if self._span is None:
            return None
        calls = self._calls
        params = {
            "modelId": self._request.options["model"],
            "contentType": "application/json",
            "accept": "application/json",
            "body": body,
        }
        call_context = _AwsSdkCallContext(self._client, ("InvokeModel", params))
        extension = calls.extension_registry.get_extension(call_context)
        if not extension.should_trace_service_call():
            return None
        attributes = {
            "rpc.system": "aws-api",
            "rpc.service": call_context.service_id,
            "rpc.method": call_context.operation,
            "cloud.region": call_context.region,
            **get_server_attributes(self._client.meta.endpoint_url),  # call_context.endpoint_url
        }
        _safe_invoke(extension.extract_attributes, attributes)
        tracer = calls.extension_registry.get_tracer(extension)
        instrumentor_context = _BotocoreInstrumentorContext(
            logger=calls.extension_registry.get_logger(extension),
            metrics=calls.extension_registry.get_metrics(extension),
        )
        span = tracer.start_span(
            call_context.span_name,
            context=self._context,
            kind=call_context.span_kind,
            attributes=attributes,
        )
        token = otel_context.attach(trace.set_span_in_context(span, self._context))
        try:
            _safe_invoke(extension.before_service_call, span, instrumentor_context)
            calls._call_request_hook(span, call_context)
        finally:
            otel_context.detach(token)
        return span, extension, instrumentor_context, call_context

    def end(self, call: Any, result: Any, error: BaseException | None) -> None:
        """Ends a request's span (``_patched_api_call`` from the call on): with the result,
        or the exception, or neither when the job stopped before the request ended."""
        span, extension, instrumentor_context, call_context = call
        token = otel_context.attach(trace.set_span_in_context(span, self._context))
        try:
            if error is None and result is None:
                pass  # abandoned: as botocore's call interrupted by a BaseException
            elif error is None:
                result = _botocore_shaped(result)
                _apply_response_attributes(span, result)
                _safe_invoke(extension.on_success, span, result, instrumentor_context)
            elif isinstance(error, ClientError):
                result = getattr(error, "response", None)
                _apply_response_attributes(span, result)
                metadata = (result or {}).get("ResponseMetadata", {})
                if http_status_to_status_code(metadata.get("HTTPStatusCode", 0)) is (
                    StatusCode.ERROR
                ):
                    span.set_status(StatusCode.ERROR, str(error))
                    _safe_invoke(extension.on_error, span, error, instrumentor_context)
                else:
                    _safe_invoke(extension.on_success, span, result, instrumentor_context)
            else:
                span.set_status(StatusCode.ERROR, str(error))
            _safe_invoke(extension.after_service_call, instrumentor_context)
            self._calls._call_response_hook(span, call_context, result)
            if error is not None and span.is_recording():
                span.record_exception(error)  # as leaving start_as_current_span does
        finally:
            otel_context.detach(token)
            if extension.should_end_span_on_exit():
                span.end()


class BedrockCrisInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces the calls of bedrock_cris's facade clients (see the module docs). Takes
    ``tracer_provider``, ``meter_provider``, ``logger_provider``, ``request_hook`` and
    ``response_hook``, as ``BotocoreInstrumentor`` does."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        calls = _call_wrapper(BotocoreInstrumentor, _BOTOCORE_EXTENSIONS, kwargs)
        jobs = trace.get_tracer(SCOPE, __version__, kwargs.get("tracer_provider"))
        _tracing.sync_wrapper = _traced(calls._patched_api_call)
        _tracing.async_wrapper = _call_wrapper(
            AiobotocoreInstrumentor, _AIOBOTOCORE_EXTENSIONS, kwargs
        )._patched_api_call
        _tracing.embed_job = lambda meta, request: _EmbedJob(calls, jobs, meta, request)
        _tracing.instrumented = True
        _tracing.refresh_all()

    def _uninstrument(self, **kwargs: Any) -> None:
        _tracing.instrumented = False
        _tracing.refresh_all()
        _tracing.sync_wrapper = None
        _tracing.async_wrapper = None
        _tracing.embed_job = None

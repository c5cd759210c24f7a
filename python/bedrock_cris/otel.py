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

Until ``instrument()`` nothing of OpenTelemetry is imported and calls check one flag.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator
from typing import Any

from botocore.eventstream import EventStream as BotocoreEventStream
from botocore.response import StreamingBody as BotocoreStreamingBody
from opentelemetry.instrumentation.botocore import (
    AiobotocoreInstrumentor,
    BotocoreInstrumentor,
)
from opentelemetry.instrumentation.botocore.extensions import (
    _AIOBOTOCORE_EXTENSIONS,
    _BOTOCORE_EXTENSIONS,
)
from opentelemetry.instrumentation.botocore.extensions.registry import ExtensionRegistry
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from bedrock_cris import _tracing

__all__ = ["BedrockCrisInstrumentor"]

#: The instrumentation scope of the spans and metrics.
SCOPE = "bedrock_cris.otel"


def _call_wrapper(kind: type[Any], extensions: Any, options: dict[str, Any]) -> Any:
    """``kind``'s per-call wrapper, configured as its ``instrument(**options)`` configures it,
    without patching botocore (the instrumentor classes are singletons: not instantiated)."""
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
    return wrapper._patched_api_call


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


class BedrockCrisInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces the calls of bedrock_cris's facade clients (see the module docs). Takes
    ``tracer_provider``, ``meter_provider``, ``logger_provider``, ``request_hook`` and
    ``response_hook``, as ``BotocoreInstrumentor`` does."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        _tracing.sync_wrapper = _traced(
            _call_wrapper(BotocoreInstrumentor, _BOTOCORE_EXTENSIONS, kwargs)
        )
        _tracing.async_wrapper = _call_wrapper(
            AiobotocoreInstrumentor, _AIOBOTOCORE_EXTENSIONS, kwargs
        )
        _tracing.instrumented = True
        _tracing.refresh_all()

    def _uninstrument(self, **kwargs: Any) -> None:
        _tracing.instrumented = False
        _tracing.refresh_all()
        _tracing.sync_wrapper = None
        _tracing.async_wrapper = None

"""OpenTelemetry: ``BedrockCrisInstrumentor`` on our client gives the spans and GenAI metrics
that opentelemetry-instrumentation-botocore gives boto3's for the same calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from _frameworks import clients, require

require("opentelemetry.instrumentation.botocore", "opentelemetry-instrumentation-botocore")
from bedrock_cris.otel import BedrockCrisInstrumentor  # noqa: E402
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

__all__ = ["clients"]

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]
#: Differs per request, not per client.
PER_REQUEST = {"aws.request_id"}


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metrics])

    def span_facts(self) -> list[Any]:
        return [
            (
                span.name,
                span.kind,
                {k: v for k, v in span.attributes.items() if k not in PER_REQUEST},
                span.status.status_code,
                [event.name for event in span.events],
            )
            for span in self.spans.get_finished_spans()
        ]

    def metric_facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        data = self.metrics.get_metrics_data()
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    points = []
                    for point in metric.data.data_points:
                        attributes = dict(point.attributes)
                        # Durations are measured, so only their count is compared.
                        value = point.count if "duration" in metric.name else point.sum
                        points.append((sorted(attributes.items()), value))
                    facts[metric.name] = sorted(points)
        return facts


@pytest.fixture
def telemetry() -> Iterator[tuple[Telemetry, Telemetry]]:
    theirs, ours = Telemetry(), Telemetry()
    BotocoreInstrumentor().instrument(
        tracer_provider=theirs.tracer_provider, meter_provider=theirs.meter_provider
    )
    BedrockCrisInstrumentor().instrument(
        tracer_provider=ours.tracer_provider, meter_provider=ours.meter_provider
    )
    yield theirs, ours
    BotocoreInstrumentor().uninstrument()
    BedrockCrisInstrumentor().uninstrument()


def calls(client: Any, emulator: Any) -> None:
    config = {"maxTokens": 50, "temperature": 0.5, "topP": 0.9}
    client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=config)
    stream = client.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig=config)
    for _ in stream["stream"]:
        pass
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": MESSAGES}
    answer = client.invoke_model(modelId=MODEL, body=json.dumps(body))
    assert json.loads(answer["body"].read())["stop_reason"] == "max_tokens"
    streamed = client.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(body))
    assert [list(event) for event in streamed["body"]][0] == ["chunk"]
    emulator.fail(MODEL, "ThrottlingException", message="Too many requests", times=1)
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=MODEL, messages=MESSAGES)


def test_spans_and_metrics_equal_the_botocore_instrumentations(
    clients: dict[str, Any], emulator: Any, telemetry: tuple[Telemetry, Telemetry]
) -> None:
    theirs, ours = telemetry
    calls(clients["boto3"], emulator)
    calls(clients["bedrock_cris"], emulator)
    expected = theirs.span_facts()
    assert [name for name, *_ in expected] == [f"chat {MODEL}"] * 5
    assert ours.span_facts() == expected
    assert ours.metric_facts() == theirs.metric_facts()
    assert "gen_ai.client.token.usage" in theirs.metric_facts()


def test_asyncio_calls_get_aiobotocores_spans(emulator: Any) -> None:
    import asyncio

    import bedrock_cris
    from conftest import client_kwargs

    telemetry = Telemetry()
    BedrockCrisInstrumentor().instrument(tracer_provider=telemetry.tracer_provider)

    async def main() -> None:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:
            await client.converse(modelId=MODEL, messages=MESSAGES)

    try:
        asyncio.run(main())
    finally:
        BedrockCrisInstrumentor().uninstrument()
    ((name, kind, attributes, _, _),) = telemetry.span_facts()
    # aiobotocore's instrumentation has no Bedrock extension: the generic AWS span.
    assert name == "Bedrock Runtime.Converse"
    assert attributes["rpc.method"] == "Converse" and attributes["http.status_code"] == 200


def test_uninstrumented_clients_make_no_spans(clients: dict[str, Any]) -> None:
    telemetry = Telemetry()
    instrumentor = BedrockCrisInstrumentor()
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    instrumentor.uninstrument()
    clients["bedrock_cris"].converse(modelId=MODEL, messages=MESSAGES)
    assert telemetry.spans.get_finished_spans() == ()
    assert clients["bedrock_cris"]._hooked is False


def test_opentelemetry_instrument_finds_the_instrumentor() -> None:
    from importlib.metadata import entry_points

    (entry,) = [
        e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "bedrock_cris"
    ]
    assert entry.load() is BedrockCrisInstrumentor

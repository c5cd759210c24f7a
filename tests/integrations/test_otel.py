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


def native_calls(client: Any) -> None:
    """The first two of :func:`calls`, through the native API on the same client."""
    import bedrock_cris

    native = bedrock_cris.Client.wrap(client, model=MODEL)
    prompt = MESSAGES[0]["content"][0]["text"]
    options: dict[str, Any] = {"max_tokens": 50, "temperature": 0.5, "top_p": 0.9}
    native.converse(prompt, **options)
    with native.stream(prompt, **options) as stream:
        assert stream.result().stop_reason == "end_turn"


def facade_calls(client: Any) -> None:
    config = {"maxTokens": 50, "temperature": 0.5, "topP": 0.9}
    client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=config)
    stream = client.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig=config)
    for _ in stream["stream"]:
        pass
    stream["stream"].close()  # as leaving the native stream's `with` does


def test_native_api_calls_get_the_facades_spans(
    clients: dict[str, Any], telemetry: tuple[Telemetry, Telemetry]
) -> None:
    theirs, ours = telemetry
    facade_calls(clients["boto3"])
    native_calls(clients["bedrock_cris"])
    expected = theirs.span_facts()
    assert [name for name, *_ in expected] == [f"chat {MODEL}"] * 2
    assert expected[1][2]["gen_ai.usage.output_tokens"] > 0  # the stream's span saw its end
    assert ours.span_facts() == expected
    assert ours.metric_facts() == theirs.metric_facts()


def test_native_asyncio_calls_get_the_asyncio_facades_spans(emulator: Any) -> None:
    import asyncio

    import bedrock_cris
    from conftest import client_kwargs

    telemetry = Telemetry()
    BedrockCrisInstrumentor().instrument(tracer_provider=telemetry.tracer_provider)

    async def main() -> list[str]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:
            native = bedrock_cris.Client.wrap(client, model=MODEL)
            await native.aconverse("Hello")
            return [delta async for delta in native.astream("Hello")]

    try:
        deltas = asyncio.run(main())
    finally:
        BedrockCrisInstrumentor().uninstrument()
    assert deltas
    facts = telemetry.span_facts()
    assert [(name, attributes["rpc.method"]) for name, _, attributes, _, _ in facts] == [
        ("Bedrock Runtime.Converse", "Converse"),
        ("Bedrock Runtime.ConverseStream", "ConverseStream"),
    ]


COHERE = "global.cohere.embed-v4:0"
TITAN = "amazon.titan-embed-text-v2:0"
ERRORS = {
    "ThrottlingException": "Too many requests",
    "ValidationException": "Input is too long for requested model.",
}


def embed_jobs(client: Any, emulator: Any) -> None:
    """Embed jobs making, in order: 3 requests (5 texts, 2 a request), a throttled request the
    job retries, a request that fails the job, a Titan request."""
    import bedrock_cris

    native = bedrock_cris.Client.wrap(client)
    native.embed([f"text {i}" for i in range(5)], model=COHERE, batch_size=2, max_concurrency=1)
    emulator.fail(COHERE, "ThrottlingException", message=ERRORS["ThrottlingException"], times=1)
    native.embed(["one"], model=COHERE, max_retries=1)
    emulator.fail(COHERE, "ValidationException", message=ERRORS["ValidationException"], times=1)
    with pytest.raises(bedrock_cris.EmbeddingError):
        native.embed(["two"], model=COHERE)
    native.embed(["three"], model=TITAN)


def same_requests_with_boto3(client: Any, requests: list[Any], emulator: Any) -> None:
    """Each request an embed job sent, sent again by boto3's ``invoke_model`` (its fault too)."""
    from urllib.parse import unquote

    for request in requests:
        model = unquote(request["path"].split("/")[2])
        fault = request["fault"]
        kwargs = {"contentType": "application/json", "accept": "application/json"}
        if fault is None:
            client.invoke_model(modelId=model, body=request["body"], **kwargs)
            continue
        code = fault.removeprefix("error:")
        emulator.fail(model, code, message=ERRORS[code], times=1)
        with pytest.raises(client.exceptions.ClientError):
            client.invoke_model(modelId=model, body=request["body"], **kwargs)


def test_embed_requests_get_the_spans_of_boto3s_invoke_model(
    clients: dict[str, Any], emulator: Any, telemetry: tuple[Telemetry, Telemetry]
) -> None:
    from opentelemetry.trace import SpanKind, StatusCode

    theirs, ours = telemetry
    embed_jobs(clients["bedrock_cris"], emulator)
    requests = emulator.requests
    assert len(requests) == 7
    same_requests_with_boto3(clients["boto3"], requests, emulator)
    expected = theirs.span_facts()
    assert [name for name, *_ in expected] == [f"chat {COHERE}"] * 6 + [f"text_completion {TITAN}"]
    assert [status for _, _, _, status, _ in expected].count(StatusCode.ERROR) == 2
    ours_requests = [fact for fact in ours.span_facts() if fact[1] is SpanKind.CLIENT]
    assert ours_requests == expected
    assert ours.metric_facts() == theirs.metric_facts()
    assert "gen_ai.client.operation.duration" in theirs.metric_facts()  # the errors'

    # One span per job, the parent of its requests' spans.
    spans = ours.spans.get_finished_spans()
    jobs = [span for span in spans if span.kind is SpanKind.INTERNAL]
    assert [span.name for span in jobs] == [f"embeddings {COHERE}"] * 3 + [f"embeddings {TITAN}"]
    children = [
        sum(1 for s in spans if s.parent is not None and s.parent.span_id == job.context.span_id)
        for job in jobs
    ]
    assert children == [3, 2, 1, 1]
    first, _, failed, _ = jobs
    assert first.attributes["gen_ai.operation.name"] == "embeddings"
    assert first.attributes["gen_ai.usage.input_tokens"] > 0
    assert first.attributes["bedrock_cris.embed.texts"] == 5
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes["error.type"] == "ValidationException"


def test_aembed_and_its_requests_are_traced_alike(
    clients: dict[str, Any], emulator: Any, telemetry: tuple[Telemetry, Telemetry]
) -> None:
    import asyncio

    import bedrock_cris

    theirs, ours = telemetry
    native = bedrock_cris.Client.wrap(clients["bedrock_cris"])
    asyncio.run(native.aembed(["one", "two", "three"], model=COHERE, batch_size=2))
    same_requests_with_boto3(clients["boto3"], emulator.requests, emulator)
    requests = sorted(f for f in ours.span_facts() if f[1].name == "CLIENT")
    assert requests == sorted(theirs.span_facts()) and len(requests) == 2
    assert [name for name, *_ in ours.span_facts()][-1] == f"embeddings {COHERE}"


def test_uninstrumented_embed_jobs_pass_no_tracer(
    clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bedrock_cris
    from bedrock_cris import _native

    traces = []
    real = _native.embed

    def spy(*args: Any) -> Any:
        traces.append(args[5] if len(args) > 5 else None)
        return real(*args)

    monkeypatch.setattr(_native, "embed", spy)
    native = bedrock_cris.Client.wrap(clients["bedrock_cris"])
    instrumentor = BedrockCrisInstrumentor()
    instrumentor.instrument(tracer_provider=Telemetry().tracer_provider)
    native.embed(["traced"], model=COHERE)
    instrumentor.uninstrument()
    native.embed(["not traced"], model=COHERE)
    assert traces[0] is not None and traces[1:] == [None]


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
    import bedrock_cris

    bedrock_cris.Client.wrap(clients["bedrock_cris"], model=MODEL).stream("Hello").result()
    assert telemetry.spans.get_finished_spans() == ()
    assert clients["bedrock_cris"]._hooked is False


def test_opentelemetry_instrument_finds_the_instrumentor() -> None:
    from importlib.metadata import entry_points

    (entry,) = [
        e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "bedrock_cris"
    ]
    assert entry.load() is BedrockCrisInstrumentor

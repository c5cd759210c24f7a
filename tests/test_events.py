"""``client.meta.events``: botocore's emitter semantics (side by side with botocore's own
``HierarchicalEmitter``), the events a call emits and their arguments (against boto3's),
headers set by handlers on the wire (signed or not, as in botocore), short-circuits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris._events import HierarchicalEmitter
from botocore.awsrequest import AWSResponse
from botocore.hooks import HierarchicalEmitter as BotocoreEmitter
from conftest import REGION, client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
CALL_EVENTS = [
    "provide-client-params",
    "before-parameter-build",
    "before-call",
    "request-created",
    "before-sign",
    "before-send",
    "after-call",
]


def _orders(emitter: Any) -> dict[str, list[str]]:
    """Registers a fixed mix of handlers and returns which run, in order, per event."""
    calls: list[str] = []

    def handler(label: str) -> Any:
        def handle(**kwargs: Any) -> None:
            calls.append(label)

        handle.__name__ = label
        return handle

    handlers = {label: handler(label) for label in "abcdefghij"}
    emitter.register("before-call", handlers["a"])
    emitter.register("before-call.bedrock-runtime", handlers["b"])
    emitter.register_last("before-call.bedrock-runtime.Converse", handlers["c"])
    emitter.register("before-call.bedrock-runtime.Converse", handlers["d"])
    emitter.register_first("before-call.bedrock-runtime.Converse", handlers["e"])
    emitter.register("before-call.*.Converse", handlers["f"])
    emitter.register_first("before-call.*.*", handlers["g"])
    emitter.register("before-call.bedrock-runtime.*", handlers["h"], unique_id="once")
    emitter.register("before-call.bedrock-runtime.*", handlers["i"], unique_id="once")
    emitter.register("after-call.*", handlers["j"])
    emitter.register("before-send.bedrock-runtime.Converse", handlers["a"])
    emitter.unregister("before-send.bedrock-runtime.Converse", handlers["a"])
    emitter.unregister("before-call.bedrock-runtime", handlers["a"])  # not there: ignored
    orders = {}
    for name in (
        "before-call.bedrock-runtime.Converse",
        "before-call.bedrock-runtime.ConverseStream",
        "before-call.other.Converse",
        "before-call",
        "after-call.bedrock-runtime.Converse",
        "before-send.bedrock-runtime.Converse",
    ):
        calls.clear()
        emitter.emit(name)
        orders[name] = list(calls)
    emitter.unregister("before-call.bedrock-runtime.*", unique_id="once")
    calls.clear()
    emitter.emit("before-call.bedrock-runtime.Converse")
    orders["after unregistering by unique id"] = list(calls)
    return orders


def test_handlers_run_in_botocores_order() -> None:
    assert _orders(HierarchicalEmitter()) == _orders(BotocoreEmitter())


def test_emit_until_response_and_counted_unique_ids_match_botocore() -> None:
    for emitter in (HierarchicalEmitter(), BotocoreEmitter()):
        emitter.register("x.y", lambda **kw: None)
        emitter.register("x.y", lambda **kw: "answer")
        emitter.register("x.y", lambda **kw: "never")
        handler, response = emitter.emit_until_response("x.y.z")
        assert response == "answer"
        assert emitter.emit_until_response("nothing") == (None, None)
        emitter.register("c", lambda **kw: 1, unique_id="u", unique_id_uses_count=True)
        emitter.register("c", lambda **kw: 2, unique_id="u", unique_id_uses_count=True)
        with pytest.raises(ValueError):
            emitter.register("c", lambda **kw: 3, unique_id="u")
        emitter.unregister("c", unique_id="u", unique_id_uses_count=True)
        assert [r for _, r in emitter.emit("c")] == [1]
        emitter.unregister("c", unique_id="u", unique_id_uses_count=True)
        assert emitter.emit("c") == []
        with pytest.raises(ValueError, match="must accept keyword arguments"):
            emitter.register("c", lambda request: None)
        with pytest.raises(ValueError, match="must be callable"):
            emitter.register("c", "not callable")


def test_no_handler_means_the_plain_path(ours: Any) -> None:
    assert ours._hooked is False

    def handler(**kwargs: Any) -> None:
        pass

    ours.meta.events.register("before-send.bedrock-runtime.*", handler)
    assert ours._hooked is True
    ours.meta.events.unregister("before-send.bedrock-runtime.*", handler)
    assert ours._hooked is False


def _record_events(client: Any) -> list[tuple[str, list[str]]]:
    seen: list[tuple[str, list[str]]] = []

    def record(event_name: str, **kwargs: Any) -> None:
        seen.append((event_name, sorted(["event_name", *kwargs])))

    for event in CALL_EVENTS:
        client.meta.events.register(f"{event}.bedrock-runtime.Converse", record)
    return seen


def test_a_call_emits_botocores_events_with_its_arguments(ours: Any, boto: Any) -> None:
    theirs, mine = _record_events(boto), _record_events(ours)
    expected = boto.converse(modelId=MODEL, messages=MESSAGES)
    answer = ours.converse(modelId=MODEL, messages=MESSAGES)
    assert answer["output"] == expected["output"]
    assert mine == theirs
    assert [name for name, _ in mine] == [f"{e}.bedrock-runtime.Converse" for e in CALL_EVENTS]


def test_the_request_dict_matches_botocores(ours: Any, boto: Any) -> None:
    seen: dict[str, dict[str, Any]] = {}

    def keep(label: str) -> Any:
        def handler(params: dict[str, Any], **kwargs: Any) -> None:
            seen[label] = {k: v for k, v in params.items() if k != "context"}

        return handler

    boto.meta.events.register("before-call.bedrock-runtime.*", keep("boto"))
    ours.meta.events.register("before-call.bedrock-runtime.*", keep("ours"))
    params = {
        "modelId": MODEL,
        "body": json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 9,
            }
        ),
        "trace": "ENABLED",
    }
    boto.invoke_model(**params)
    ours.invoke_model(**params)
    for label in ("boto", "ours"):
        seen[label]["headers"].pop("User-Agent")
    assert seen["ours"] == seen["boto"]
    converse = {"modelId": MODEL, "messages": MESSAGES, "inferenceConfig": {"maxTokens": 5}}
    boto.converse(**converse)
    ours.converse(**converse)
    for label in ("boto", "ours"):
        seen[label]["headers"].pop("User-Agent")
    assert seen["ours"] == seen["boto"]


def _signed_headers(request: dict[str, Any]) -> list[str]:
    authorization = dict(request["headers"])["authorization"]
    return authorization.split("SignedHeaders=")[1].split(",")[0].split(";")


@pytest.mark.parametrize("which", ["boto", "ours"])
def test_headers_set_by_handlers_go_on_the_wire(
    which: str, ours: Any, boto: Any, emulator: Any
) -> None:
    client = ours if which == "ours" else boto

    def before_call(params: dict[str, Any], **kwargs: Any) -> None:
        params["headers"]["X-Before-Call"] = "signed-1"

    def before_sign(request: Any, **kwargs: Any) -> None:
        request.headers["X-Before-Sign"] = "signed-2"

    def before_send(request: Any, **kwargs: Any) -> None:
        request.headers["X-Before-Send"] = "unsigned"

    client.meta.events.register("before-call.bedrock-runtime.Converse", before_call)
    client.meta.events.register("before-sign.bedrock-runtime.Converse", before_sign)
    client.meta.events.register("before-send.bedrock-runtime.Converse", before_send)
    client.converse(modelId=MODEL, messages=MESSAGES)
    (request,) = emulator.requests
    assert request["auth_error"] is None
    headers = dict(request["headers"])
    assert headers["x-before-call"] == "signed-1"
    assert headers["x-before-sign"] == "signed-2"
    assert headers["x-before-send"] == "unsigned"
    signed = _signed_headers(request)
    assert "x-before-call" in signed and "x-before-sign" in signed
    assert "x-before-send" not in signed


def test_provide_client_params_may_replace_the_params(ours: Any, boto: Any) -> None:
    def shorter(params: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**params, "inferenceConfig": {"maxTokens": 3}}

    results = []
    for client in (boto, ours):
        client.meta.events.register("provide-client-params.bedrock-runtime.Converse", shorter)
        results.append(client.converse(modelId=MODEL, messages=MESSAGES)["stopReason"])
    assert results[0] == results[1] == "max_tokens"


def test_bad_params_raise_before_before_call(ours: Any, emulator: Any) -> None:
    called = []
    ours.meta.events.register("before-call", lambda **kw: called.append(1))
    with pytest.raises(bedrock_cris.exceptions.ParamValidationError):
        ours.converse(modelId=MODEL, messages="not a list")
    assert called == [] and emulator.requests == []


@pytest.mark.parametrize("which", ["boto", "ours"])
def test_errors_pass_through_after_call(which: str, ours: Any, boto: Any, emulator: Any) -> None:
    client = ours if which == "ours" else boto
    seen = []

    def after_call(http_response: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        seen.append((http_response.status_code, parsed["Error"]["Code"]))

    client.meta.events.register("after-call.bedrock-runtime.Converse", after_call)
    emulator.fail(MODEL, "ValidationException", message="Input is too long", times=1)
    with pytest.raises(client.exceptions.ValidationException, match="Input is too long"):
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert seen == [(400, "ValidationException")]


@pytest.mark.parametrize("which", ["boto", "ours"])
def test_a_before_send_response_is_parsed_instead_of_sending(
    which: str, ours: Any, boto: Any, emulator: Any
) -> None:
    client = ours if which == "ours" else boto
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": "canned"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
        "metrics": {"latencyMs": 4},
    }

    class Raw:
        def stream(self, **kwargs: Any) -> Any:
            yield json.dumps(body).encode()

    def canned(request: Any, **kwargs: Any) -> Any:
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "canned-id"}, Raw())

    client.meta.events.register("before-send.bedrock-runtime.Converse", canned)
    answer = client.converse(modelId=MODEL, messages=MESSAGES)
    assert answer["output"]["message"]["content"][0]["text"] == "canned"
    assert answer["ResponseMetadata"]["RequestId"] == "canned-id"
    assert emulator.requests == []


def test_after_call_error_for_transport_faults(emulator: Any) -> None:
    from bedrock_cris.config import Config

    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(
            "http://127.0.0.1:9", config=Config(retries={"max_attempts": 0}, connect_timeout=1)
        ),
    )
    seen = []
    client.meta.events.register(
        "after-call-error.bedrock-runtime.Converse",
        lambda exception, **kw: seen.append(type(exception).__name__),
    )
    with pytest.raises(bedrock_cris.exceptions.EndpointConnectionError):
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert seen == ["EndpointConnectionError"]


def test_the_asyncio_client_emits_the_same_events_and_awaits_handlers(
    ours: Any, emulator: Any
) -> None:
    blocking = _record_events(ours)
    ours.converse(modelId=MODEL, messages=MESSAGES)
    emulator.clear()

    async def main() -> list[tuple[str, list[str]]]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:
            seen = _record_events(client)

            async def before_send(request: Any, **kwargs: Any) -> None:
                await asyncio.sleep(0)
                request.headers["X-Async"] = "yes"

            client.meta.events.register("before-send.bedrock-runtime.Converse", before_send)
            await client.converse(modelId=MODEL, messages=MESSAGES)
            return seen

    assert asyncio.run(main()) == blocking
    assert dict(emulator.requests[0]["headers"])["x-async"] == "yes"


def test_streams_through_events(ours: Any, boto: Any) -> None:
    for client in (boto, ours):
        client.meta.events.register(
            "before-call.bedrock-runtime.ConverseStream",
            lambda params, **kw: params["headers"].update({"X-Stream": "1"}),
        )
    expected = [e for e in boto.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]]
    got = [e for e in ours.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]]
    assert [list(e) for e in got] == [list(e) for e in expected]
    assert ours.meta.region_name == REGION


def test_bidirectional_streams_through_events(ours: Any, emulator: Any) -> None:
    ours.meta.events.register(
        "before-send.bedrock-runtime.InvokeModelWithBidirectionalStream",
        lambda request, **kw: request.headers.update({"X-Duplex": "1"}),
    )
    turn = {"chunk": {"bytes": json.dumps({"text": "hello there"}).encode()}}
    response = ours.invoke_model_with_bidirectional_stream(
        modelId="amazon.nova-sonic-v1:0", body=iter([turn])
    )
    events = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    assert events[-1]["end"]["inputChunks"] == 1
    assert dict(emulator.requests[0]["headers"])["x-duplex"] == "1"

"""InvokeModelWithBidirectionalStream: input events go up while output events
come down (the emulator's Nova Sonic id answers each input chunk at once)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris import InputStream, exceptions
from conftest import client_kwargs

SONIC = "amazon.nova-sonic-v1:0"


def chunk(payload: Any) -> dict[str, Any]:
    return {"chunk": {"bytes": json.dumps(payload).encode()}}


def decoded(event: dict[str, Any]) -> Any:
    assert set(event) == {"chunk"}, event
    return json.loads(event["chunk"]["bytes"])


def test_each_answer_arrives_before_the_next_input(emulator: Any, ours: Any) -> None:
    with InputStream() as body:
        response = ours.invoke_model_with_bidirectional_stream(modelId=SONIC, body=body)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        output = iter(response["body"])
        for i in range(3):
            body.send(chunk({"turn": i}))
            answer = decoded(next(output))
            assert answer == {"index": i, "echo": {"turn": i}}
    rest = [decoded(e) for e in output]  # input closed: the model says goodbye
    assert rest[-1] == {"end": {"inputChunks": 3, "outputChunks": 3}}


def test_iterable_body_and_text_deltas(emulator: Any, ours: Any) -> None:
    def turns() -> Iterator[dict[str, Any]]:
        yield chunk({"text": "hello there"})
        yield chunk({"text": "second turn"})

    response = ours.invoke_model_with_bidirectional_stream(
        modelId=f"emulator.deltas.4.{SONIC}", body=turns()
    )
    events = [decoded(e) for e in response["body"]]
    assert [e["index"] for e in events if "delta" in e] == [0] * 4 + [1] * 4
    assert sum("stopReason" in e for e in events) == 2
    assert events[-1]["end"]["inputChunks"] == 2


def test_async_duplex(emulator: Any) -> None:
    async def main() -> list[Any]:
        client = bedrock_cris.aio.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
        body = InputStream()
        response = await client.invoke_model_with_bidirectional_stream(modelId=SONIC, body=body)
        output = response["body"].__aiter__()
        answers = []
        for i in range(2):
            await body.send_async(chunk({"n": i}))
            answers.append(decoded(await output.__anext__()))
        body.close()
        answers.extend([decoded(e) async for e in output])
        return answers

    answers = asyncio.run(main())
    assert answers[:2] == [{"index": 0, "echo": {"n": 0}}, {"index": 1, "echo": {"n": 1}}]
    assert answers[-1]["end"]["inputChunks"] == 2


def test_bad_input_events_are_rejected_before_sending(emulator: Any, ours: Any) -> None:
    with InputStream() as body:
        ours.invoke_model_with_bidirectional_stream(modelId=SONIC, body=body)
        with pytest.raises(exceptions.ParamValidationError) as info:
            body.send({"chunk": {"bytes": 5}})
        assert "Invalid type for parameter" in str(info.value)
    with pytest.raises(TypeError):
        ours.invoke_model_with_bidirectional_stream(modelId=SONIC, body={"chunk": {}})


def test_an_error_from_the_input_iterable_surfaces_on_the_output(emulator: Any, ours: Any) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield chunk({"ok": 1})
        raise RuntimeError("microphone unplugged")

    response = ours.invoke_model_with_bidirectional_stream(modelId=SONIC, body=broken())
    with pytest.raises(RuntimeError, match="microphone unplugged"):
        for _event in response["body"]:
            pass


def test_service_errors(emulator: Any, ours: Any) -> None:
    with pytest.raises(ours.exceptions.ValidationException):
        ours.invoke_model_with_bidirectional_stream(modelId="amazon.titan-embed-text-v2:0", body=[])
    emulator.fail_stream(SONIC, after_events=1, mode="exception", code="ThrottlingException")
    with InputStream() as body:
        response = ours.invoke_model_with_bidirectional_stream(modelId=SONIC, body=body)
        output = iter(response["body"])
        body.send(chunk({"a": 1}))
        assert decoded(next(output)) == {"index": 0, "echo": {"a": 1}}
        with pytest.raises(ours.exceptions.ThrottlingException):
            next(output)

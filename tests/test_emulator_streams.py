"""The emulator's streams: ConverseStream, InvokeModelWithResponseStream (faults, pacing knobs,
cuts, stalls) and the bidirectional stream over HTTP/1 chunked, through boto3 and raw HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
import zlib

import pytest
import urllib3
from _emulator_boto3 import (
    COHERE_V4,
    HAIKU,
    NOVA,
    PROMPT,
    WEATHER_TOOL,
    client,
    make_client,
    raw,
    user,
)
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError, ReadTimeoutError

__all__ = ["client"]


# -- streams --------------------------------------------------------------------------------------


def test_converse_stream_matches_converse(client):
    r = client.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    assert (
        r["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    )
    events = list(r["stream"])
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart" and names[-2:] == ["messageStop", "metadata"]
    assert names[-3] == "contentBlockStop"
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    plain = client.converse(modelId=HAIKU, messages=user(PROMPT))
    assert text == plain["output"]["message"]["content"][0]["text"]
    assert events[-1]["metadata"]["usage"] == plain["usage"]
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"


def test_delta_count_knobs(emulator, client):
    r = client.converse_stream(modelId="emulator.deltas.500." + HAIKU, messages=user("hi"))
    deltas = [e for e in r["stream"] if "contentBlockDelta" in e]
    assert len(deltas) == 500
    emulator.set_stream_deltas(40)
    r = client.converse_stream(modelId=HAIKU, messages=user("hi"))
    assert sum("contentBlockDelta" in e for e in r["stream"]) == 40


def test_converse_stream_tool_use(client):
    r = client.converse_stream(
        modelId=HAIKU,
        messages=user("weather?"),
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"tool": {"name": "get_weather"}}},
    )
    events = list(r["stream"])
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_weather"
    partial = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "contentBlockDelta" in e
    )
    assert json.loads(partial) == {"city": "Seattle", "unit": "celsius"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


def test_invoke_stream_anthropic_chunks(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    r = client.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(body))
    assert r["contentType"] == "application/json"
    chunks = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    types = [c["type"] for c in chunks]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == 7
    text = "".join(c["delta"]["text"] for c in chunks if c["type"] == "content_block_delta")
    plain = json.loads(client.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    assert text == plain["content"][0]["text"]


def test_invoke_stream_nova_chunks(client):
    body = {"messages": user(PROMPT)}
    r = client.invoke_model_with_response_stream(modelId=NOVA, body=json.dumps(body))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    assert next(iter(chunks[0])) == "messageStart"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


def test_stream_exception_after_n_events(emulator, client):
    emulator.fail_stream(HAIKU, 3, code="ThrottlingException", message="slow down", times=1)
    r = client.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    seen = []
    with pytest.raises(EventStreamError) as info:
        for event in r["stream"]:
            seen.append(event)
    assert len(seen) == 3
    assert info.value.response["Error"] == {"Code": "throttlingException", "Message": "slow down"}
    # times=1: the next stream is whole.
    assert (
        "metadata" in list(client.converse_stream(modelId=HAIKU, messages=user("x"))["stream"])[-1]
    )


def test_stream_cut_mid_response(emulator, client):
    emulator.fail_stream(HAIKU, 2, mode="cut")
    r = client.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    seen = []
    with pytest.raises((urllib3.exceptions.ProtocolError, ConnectionError)):
        for event in r["stream"]:
            seen.append(event)
    assert len(seen) == 2


def test_stream_stall_hits_the_read_timeout(emulator):
    emulator.fail_stream(HAIKU, 1, mode="stall")
    c = make_client(emulator, read_timeout=0.5)
    r = c.converse_stream(modelId=HAIKU, messages=user(PROMPT))
    started = time.monotonic()
    seen = []
    # botocore does not wrap errors raised while reading a stream: urllib3's own timeout.
    with pytest.raises((ReadTimeoutError, urllib3.exceptions.ReadTimeoutError)):
        for event in r["stream"]:
            seen.append(event)
    assert seen == [{"messageStart": {"role": "assistant"}}]
    assert time.monotonic() - started < 5


def test_event_delay_paces_the_stream(emulator, client):
    emulator.set_event_delay(0.02)
    started = time.monotonic()
    r = client.converse_stream(modelId="emulator.deltas.20." + HAIKU, messages=user("hi"))
    stamps = [time.monotonic() for _ in r["stream"]]
    assert stamps[-1] - started >= 0.02 * 20
    assert stamps[-1] - stamps[0] >= 0.02 * 15


def test_embedding_models_do_not_stream(client):
    with pytest.raises(client.exceptions.ValidationException):
        client.invoke_model_with_response_stream(
            modelId=COHERE_V4, body=json.dumps({"texts": ["x"], "input_type": "search_document"})
        )


def event_message(headers, payload):
    """One event-stream message with string headers (prelude, headers, payload, CRCs)."""
    encoded = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        encoded += bytes([len(n)]) + n + b"\x07" + len(v).to_bytes(2, "big") + v
    prelude = (12 + len(encoded) + len(payload) + 4).to_bytes(4, "big")
    prelude += len(encoded).to_bytes(4, "big")
    message = prelude + zlib.crc32(prelude).to_bytes(4, "big") + encoded + payload
    return message + zlib.crc32(message).to_bytes(4, "big")


def input_chunk(document):
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(document).encode()).decode()})
    headers = {":message-type": "event", ":event-type": "chunk"}
    return event_message(headers, payload.encode())


def test_bidirectional_stream_over_http1_chunked(emulator):
    # boto3 cannot call InvokeModelWithBidirectionalStream: raw HTTP/1.1, one HTTP chunk per
    # input event, each answered before the next is sent. Unsigned: checks off for this test.
    emulator.set_auth()
    path = "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream"
    sock = socket.create_connection((emulator.host, emulator.port), timeout=10)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: emulator\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/vnd.amazon.eventstream\r\n\r\n".encode()
        )

        def send(data):
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))

        send(input_chunk({"b": 1, "a": [True]}))
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200
        assert response.getheader("content-type") == "application/vnd.amazon.eventstream"
        buffer = EventStreamBuffer()

        def answers():
            while True:
                for message in buffer:
                    if message.headers[":message-type"] != "event":
                        return [message.headers, json.loads(message.payload)]
                    assert message.headers[":event-type"] == "chunk"
                    return json.loads(base64.b64decode(json.loads(message.payload)["bytes"]))
                data = response.read1(65536)
                if not data:
                    return None
                buffer.add_data(data)

        assert json.dumps(answers()) == '{"index": 0, "echo": {"a": [true], "b": 1}}'
        send(input_chunk({"text": PROMPT}))
        assert answers()["echo"] == {"text": PROMPT}
        text, count = "", 3  # two echoes, and the stop chunk
        while "delta" in (answer := answers()):
            text += answer["delta"]
            count += 1
        assert text.endswith(".") and answer["stopReason"] == "end_turn"
        assert answer["usage"]["inputTokens"] == 7
        sock.sendall(b"0\r\n\r\n")
        assert answers() == {"end": {"inputChunks": 2, "outputChunks": count}}
        assert answers() is None
    finally:
        sock.close()
    (recorded,) = emulator.requests
    assert recorded["path"] == path and recorded["body"].startswith(b"\x00")


def test_bidirectional_stream_rejects_other_models(emulator):
    path = f"/model/{HAIKU.replace(':', '%3A')}/invoke-with-bidirectional-stream"
    status, headers, body = raw(emulator, "POST", path, input_chunk({}))
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("ValidationException:")
    assert "doesn't support InvokeModelWithBidirectionalStream" in json.loads(body)["message"]

"""converse_stream and invoke_model_with_response_stream: the same events as
boto3, errors mid-stream, dropped and stalled connections, early close, Ctrl-C."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.exceptions
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from childproc import Child, sigint_script
from conftest import REGION, client_kwargs
from test_differential import assert_same, call_both, key_orders, stable

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]


def events_of(response: dict[str, Any], key: str) -> list[Any]:
    return list(response[key])


def head(response: dict[str, Any], key: str) -> dict[str, Any]:
    """The response without its stream, for comparing the rest."""
    return stable({k: v for k, v in response.items() if k != key})


CONVERSE_STREAM_CASES = {
    "text": dict(modelId=CLAUDE, messages=MESSAGES),
    "many-deltas": dict(modelId=f"emulator.deltas.50.{CLAUDE}", messages=MESSAGES),
    "max-tokens": dict(modelId=NOVA, messages=MESSAGES, inferenceConfig={"maxTokens": 4}),
    "tool-use": dict(
        modelId=CLAUDE,
        messages=[{"role": "user", "content": [{"text": "Weather in Mumbai?"}]}],
        toolConfig={
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "inputSchema": {
                            "json": {
                                "type": "object",
                                "properties": {"city": {"type": "string"}},
                                "required": ["city"],
                            }
                        },
                    }
                }
            ],
            "toolChoice": {"tool": {"name": "get_weather"}},
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CONVERSE_STREAM_CASES))
def test_converse_stream_events_match_boto3(emulator: Any, ours: Any, boto: Any, case: str) -> None:
    params = CONVERSE_STREAM_CASES[case]
    mine = ours.converse_stream(**params)
    theirs = boto.converse_stream(**params)
    assert head(mine, "stream") == head(theirs, "stream")
    my_events, their_events = events_of(mine, "stream"), events_of(theirs, "stream")
    assert len(my_events) > 3
    assert my_events == their_events
    assert [key_orders(e) for e in my_events] == [key_orders(e) for e in their_events]
    # The request on the wire was the same too.
    bodies = [json.loads(r["body"]) for r in emulator.requests]
    assert bodies[0] == bodies[1]


INVOKE_STREAM_CASES = {
    "anthropic": (
        CLAUDE,
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 200,
            "messages": [{"role": "user", "content": "Tell me about CRIS"}],
        },
    ),
    "nova": (NOVA, {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}),
}


@pytest.mark.parametrize("case", sorted(INVOKE_STREAM_CASES))
def test_invoke_model_with_response_stream_matches_boto3(
    emulator: Any, ours: Any, boto: Any, case: str
) -> None:
    model_id, body = INVOKE_STREAM_CASES[case]
    params = dict(modelId=model_id, body=json.dumps(body), contentType="application/json")
    mine = ours.invoke_model_with_response_stream(**params)
    theirs = boto.invoke_model_with_response_stream(**params)
    assert head(mine, "body") == head(theirs, "body")
    assert list(mine) == list(theirs)  # same keys, same order
    my_events, their_events = list(mine["body"]), list(theirs["body"])
    assert my_events == their_events
    assert all(set(e) == {"chunk"} for e in my_events)
    assert json.loads(my_events[0]["chunk"]["bytes"])  # model-native JSON


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ModelStreamErrorException", "ValidationException"]
)
def test_exception_event_mid_stream_matches_boto3(
    emulator: Any, ours: Any, boto: Any, code: str
) -> None:
    emulator.fail_stream(
        CLAUDE, after_events=3, mode="exception", code=code, message="stream broke"
    )
    received = {}
    raised = {}
    for name, client, cls in (
        ("ours", ours, exceptions.EventStreamError),
        ("boto", boto, botocore.exceptions.EventStreamError),
    ):
        stream = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
        got = []
        with pytest.raises(cls) as info:
            for event in stream:
                got.append(event)
        received[name], raised[name] = got, info.value
    assert received["ours"] == received["boto"]
    assert len(received["ours"]) == 3
    assert str(raised["ours"]) == str(raised["boto"])
    assert raised["ours"].response == raised["boto"].response
    assert type(raised["ours"]).__name__ == type(raised["boto"]).__name__ == "EventStreamError"
    # Also catchable as the modelled exception, and as ClientError.
    assert isinstance(raised["ours"], getattr(ours.exceptions, code))
    assert isinstance(raised["ours"], exceptions.ClientError)


def test_dropped_connection_raises_promptly(emulator: Any, ours: Any) -> None:
    emulator.fail_stream(CLAUDE, after_events=2, mode="cut")
    stream = ours.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    started = time.monotonic()
    with pytest.raises(exceptions.ResponseStreamingError):
        for _ in stream:
            pass
    assert time.monotonic() - started < 5
    assert list(stream) == []  # the stream stays ended


def test_stalled_stream_times_out(emulator: Any) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(
            emulator.endpoint_url, config=Config(read_timeout=0.5, retries={"max_attempts": 0})
        ),
    )
    emulator.fail_stream(CLAUDE, after_events=2, mode="stall")
    stream = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    started = time.monotonic()
    got = []
    with pytest.raises(exceptions.ReadTimeoutError) as info:
        for event in stream:
            got.append(event)
    elapsed = time.monotonic() - started
    assert len(got) == 2
    assert 0.4 < elapsed < 5, elapsed
    assert emulator.endpoint_url in str(info.value)


def test_slow_events_do_not_trip_the_timeouts(emulator: Any) -> None:
    """A stream slower in total than read_timeout is fine while events keep coming."""
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=Config(read_timeout=0.5))
    )
    emulator.set_event_delay(0.1)
    try:
        events = list(
            client.converse_stream(modelId=f"emulator.deltas.10.{CLAUDE}", messages=MESSAGES)[
                "stream"
            ]
        )
    finally:
        emulator.set_event_delay(0.0)
    assert sum("contentBlockDelta" in e for e in events) == 10


def test_close_and_break_release_the_stream(emulator: Any, ours: Any) -> None:
    emulator.set_event_delay(0.01)
    try:
        for _ in range(20):
            response = ours.converse_stream(
                modelId=f"emulator.deltas.200.{CLAUDE}", messages=MESSAGES
            )
            stream = response["stream"]
            for i, _event in enumerate(stream):
                if i == 2:
                    break
            stream.close()
            assert list(stream) == []
        with ours.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"] as stream:
            first = next(iter(stream))
        assert "messageStart" in first
        # The client still works normally afterwards.
        assert ours.converse(modelId=CLAUDE, messages=MESSAGES)["stopReason"] == "end_turn"
    finally:
        emulator.set_event_delay(0.0)


def test_stream_param_validation_matches_boto3(emulator: Any, ours: Any, boto: Any) -> None:
    mine, theirs = call_both(
        emulator, ours, boto, "converse_stream", modelId=CLAUDE, messages=[{"role": 1}]
    )
    assert isinstance(mine, exceptions.ParamValidationError)
    assert str(mine) == str(theirs)


def test_stream_service_error_matches_boto3(emulator: Any, ours: Any, boto: Any) -> None:
    mine, theirs = call_both(
        emulator,
        ours,
        boto,
        "converse_stream",
        modelId="emulator.error.AccessDeniedException",
        messages=MESSAGES,
    )
    assert type(mine).__name__ == "AccessDeniedException"
    assert str(mine) == str(theirs)
    assert_same(mine.response, theirs.response)


def test_ctrl_c_interrupts_a_stalled_stream(emulator: Any) -> None:
    emulator.fail_stream(CLAUDE, after_events=1, mode="stall")
    script = sigint_script(
        f"""
        import sys, time
        import bedrock_cris
        client = bedrock_cris.client("bedrock-runtime", region_name="{REGION}",
            endpoint_url="{emulator.endpoint_url}", aws_access_key_id="a", aws_secret_access_key="b")
        stream = client.converse_stream(modelId="{CLAUDE}",
            messages=[{{"role": "user", "content": [{{"text": "hi"}}]}}])["stream"]
        print("streaming", next(iter(stream)), flush=True)
        try:
            for event in stream:
                pass
        except KeyboardInterrupt:
            print("interrupted at", time.monotonic(), flush=True)
            # Still usable afterwards.
            client.converse(modelId="{CLAUDE}", messages=[{{"role": "user", "content": [{{"text": "again"}}]}}])
            print("usable", flush=True)
            sys.exit(0)
        """
    )
    with Child([sys.executable, "-c", script], env=dict(os.environ)) as child:
        assert child.readline().startswith("streaming")
        time.sleep(0.5)
        sent = time.monotonic()
        child.interrupt()
        line = child.readline()
        assert child.readline().strip() == "usable"
        assert child.wait(timeout=10) == 0
    assert float(line.split()[-1]) - sent < 0.3


def test_boto3_config_timeouts_are_comparable(emulator: Any) -> None:
    """Sanity: boto3 under the same stall gives a read timeout too (the contract we mirror)."""
    client = boto3.client(
        "bedrock-runtime",
        **client_kwargs(
            emulator.endpoint_url,
            config=botocore.config.Config(read_timeout=0.5, retries={"max_attempts": 0}),
        ),
    )
    emulator.fail_stream(CLAUDE, after_events=2, mode="stall")
    stream = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    with pytest.raises(Exception) as info:
        for _ in stream:
            pass
    assert "timeout" in type(info.value).__name__.lower() or "timed out" in str(info.value).lower()


def open_sockets() -> int:
    """Sockets this process holds open (Linux)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def test_abandoned_streams_release_their_connections(emulator: Any, ours: Any) -> None:
    import gc

    emulator.set_event_delay(0.005)
    try:
        ours.converse(modelId=CLAUDE, messages=MESSAGES)  # warm the pool
        before = open_sockets()
        for _ in range(40):
            stream = ours.converse_stream(
                modelId=f"emulator.deltas.300.{CLAUDE}", messages=MESSAGES
            )["stream"]
            next(iter(stream))
            del stream  # neither closed nor exhausted: garbage collection must release it
        gc.collect()
        time.sleep(0.3)
        after = open_sockets()
    finally:
        emulator.set_event_delay(0.0)
    assert after - before < 5, (before, after)


def test_corrupt_frame_raises_a_clear_error() -> None:
    """A frame whose CRC does not match ends the stream with botocore's ChecksumMismatch."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            frame = bytearray(b"\x00\x00\x00\x20\x00\x00\x00\x00" + b"\x00" * 24)  # bad CRCs
            conn.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n"
                b"x-amzn-requestid: r-1\r\ncontent-length: %d\r\n\r\n" % len(frame) + bytes(frame)
            )
            time.sleep(0.5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(
            f"http://127.0.0.1:{server.getsockname()[1]}",
            config=Config(retries={"max_attempts": 0}),
        ),
    )
    stream = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    with pytest.raises(exceptions.ChecksumMismatch) as info:
        list(stream)
    assert str(info.value).startswith("Checksum mismatch: expected 0x00000000, calculated 0x")
    server.close()


def test_events_keep_what_their_frames_left_out_like_boto3(emulator: Any) -> None:
    """A text delta whose frame has no contentBlockIndex (the SDK would say 0) and one that
    has it, next to a metadata event with a map in wire order: the same events as boto3."""
    import boto3

    frames = [
        ({":event-type": "contentBlockDelta"}, b'{"delta":{"text":"a"}}'),
        ({":event-type": "contentBlockDelta"}, b'{"delta":{"text":"b"},"contentBlockIndex":2}'),
        (
            {":event-type": "metadata"},
            b'{"usage":{"outputTokens":2,"inputTokens":1,"totalTokens":3},"metrics":{}}',
        ),
    ]
    headers = {":message-type": "event", ":content-type": "application/json"}
    events = {}
    for name, module in (("boto3", boto3), ("ours", bedrock_cris)):
        client = module.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
        emulator.respond_next_stream([({**headers, **h}, body) for h, body in frames])
        answer = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
        events[name] = list(answer["stream"])
    assert events["ours"] == events["boto3"]
    assert repr(events["ours"]) == repr(events["boto3"])
    assert events["ours"][0] == {"contentBlockDelta": {"delta": {"text": "a"}}}

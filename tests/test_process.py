"""Clients across processes: fork (raw and multiprocessing), spawn, pickling."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from typing import Any

import bedrock_cris
import pytest
from conftest import ACCESS_KEY, REGION, SECRET_KEY, client_kwargs

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def stop_reason(client: Any) -> str:
    return client.converse(modelId=CLAUDE, messages=MESSAGES)["stopReason"]


def test_client_made_before_fork_works_in_the_child(emulator: Any, ours: Any) -> None:
    assert stop_reason(ours) == "end_turn"  # the parent has pooled connections now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        signal.alarm(20)  # never hang the test run
        try:
            result = stop_reason(ours)
            stream = ours.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
            result += "+" + str(len(list(stream)))
        except BaseException as error:
            result = f"error {error!r}"
        os.write(write, result.encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    output = os.read(read, 4096).decode()
    os.close(read)
    assert status == 0
    assert output.startswith("end_turn+"), output
    assert stop_reason(ours) == "end_turn"  # and the parent is unaffected


def _call_in_child(client: Any) -> str:
    return stop_reason(client)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_start_methods(emulator: Any, method: str) -> None:
    client = bedrock_cris.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    stop_reason(client)
    context = multiprocessing.get_context(method)
    with context.Pool(2) as pool:
        results = pool.map_async(_call_in_child, [client] * 4).get(timeout=60)
    assert results == ["end_turn"] * 4


def test_client_pickles_by_configuration(emulator: Any) -> None:
    client = bedrock_cris.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    copy = pickle.loads(pickle.dumps(client))
    assert copy.meta.region_name == REGION
    assert copy.meta.endpoint_url == emulator.endpoint_url
    assert stop_reason(copy) == "end_turn"


def test_pickle_holds_no_secrets_unless_passed_explicitly(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    from_env = bedrock_cris.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=emulator.endpoint_url
    )
    data = pickle.dumps(from_env)
    assert SECRET_KEY.encode() not in data and ACCESS_KEY.encode() not in data
    assert stop_reason(pickle.loads(data)) == "end_turn"  # resolves its own credentials

    explicit = bedrock_cris.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    assert SECRET_KEY.encode() in pickle.dumps(explicit)


def test_async_client_pickles(emulator: Any) -> None:
    client = bedrock_cris.aio.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    copy = pickle.loads(pickle.dumps(client))
    assert type(copy) is bedrock_cris.aio.AsyncBedrockRuntime
    assert copy.meta.endpoint_url == emulator.endpoint_url

"""Model-wide differential tests: random valid requests and responses of every operation,
drawn from the pinned service model (tests/strategies.py), through boto3 and through the
facade against the emulator.

Each case draws an operation's parameters and a response (a valid success, event streams
included, or a modelled error), has the emulator serve that response verbatim to each client
in turn (``Emulator.respond_next`` / ``respond_next_stream``), and checks that

- both clients sent the same request: method, raw path (its percent-escapes), raw query,
  the headers the model binds plus every ``x-amzn-bedrock-*`` header, and the body (blob
  payloads byte for byte; JSON parsed, float32 members compared as float32; object key order
  is not compared: boto3 keeps the caller's order, the Rust SDK writes members in its Smithy
  model's order and documents in HashMap order);
- both returned equal results (same keys, key order, types and reprs; bodies read, streams
  iterated) or raised equal exceptions (same class name, message and ``response``).

``BEDROCK_CRIS_PROPERTY_EXAMPLES=N`` runs N random cases per operation instead of the fixed,
derandomized CI set.
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import client_kwargs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    OPERATIONS,
    ScriptedResponse,
    normalize_body,
    operation,
    python_name,
    request_params,
    scripted_response,
)
from test_differential import assert_same, key_orders

#: Cases per operation in CI (the whole file stays well under a minute on two cores).
CI_EXAMPLES = 50
EXAMPLES = int(os.environ.get("BEDROCK_CRIS_PROPERTY_EXAMPLES") or 0)

#: Cases run per operation in this session, and how many of them got an error response or
#: a stream (printed with ``-s``; see ``test_cases_ran``).
CASES: dict[str, Counter[str]] = {}

SETTINGS = settings(
    max_examples=EXAMPLES or CI_EXAMPLES,
    derandomize=not EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def clients(emulator_server: Any) -> Iterator[tuple[Any, Any]]:
    """(ours, boto3's) clients without retries: one request per call."""
    import bedrock_cris
    import boto3
    from bedrock_cris.config import Config
    from botocore.config import Config as BotoConfig

    retries = {"max_attempts": 0}
    kwargs = client_kwargs(emulator_server.endpoint_url)
    ours = bedrock_cris.client("bedrock-runtime", **kwargs, config=Config(retries=retries))
    boto = boto3.client("bedrock-runtime", **kwargs, config=BotoConfig(retries=retries))
    yield ours, boto


# -- what is compared ----------------------------------------------------------------------


def sent(request: dict[str, Any], operation_name: str) -> dict[str, Any]:
    """What both clients must send alike (see the module docstring)."""
    op = operation(operation_name)
    shape = op.input_shape
    headers = [(k.lower(), v) for k, v in request["headers"]]
    bound = {"content-type"} | {
        m.serialization["name"].lower()
        for m in shape.members.values()
        if m.serialization.get("location") == "header"
    }
    relevant = sorted((k, v) for k, v in headers if k in bound or k.startswith("x-amzn-bedrock"))
    raw = request["body"]
    payload = shape.serialization.get("payload")
    body: Any
    if payload and shape.members[payload].type_name == "blob":
        body = raw
    elif raw:
        body = normalize_body(json.loads(raw), shape)
    else:
        body = None
    return {
        "method": request["method"],
        "path": request["path"],
        "query": query(request["query"], shape),
        "headers": relevant,
        "body": body,
    }


def query(raw: str, shape: Any) -> list[tuple[str, Any]]:
    """The query's pairs as sent (percent-escapes included), timestamps parsed: boto3 writes
    microseconds in full (`.000090Z`), the Rust SDK without trailing zeros (`.00009Z`)."""
    timestamps = {
        m.serialization["name"]
        for m in shape.members.values()
        if m.serialization.get("location") == "querystring" and m.type_name == "timestamp"
    }
    pairs: list[tuple[str, Any]] = []
    for pair in filter(None, raw.split("&")):
        key, _, value = pair.partition("=")
        if unquote(key) in timestamps:
            pairs.append((key, datetime.fromisoformat(unquote(value).replace("Z", "+00:00"))))
        else:
            pairs.append((key, value))
    return pairs


def materialize(result: Any) -> Any:
    """A result with its body read and its event stream iterated (to a list of events, and
    the exception that ended it, if one did)."""
    if isinstance(result, Exception):
        return result
    result = dict(result)
    for key in ("stream", "body"):
        value = result.get(key)
        if value is None or isinstance(value, (bytes, str)):
            continue
        if hasattr(value, "read"):
            result[key] = value.read()
            continue
        events: list[Any] = []
        try:
            events.extend(value)  # keeps the events read before an error
        except Exception as error:
            events.append(error)
        finally:
            value.close()
        result[key] = events
    return result


def same_error(mine: BaseException, theirs: BaseException) -> None:
    assert type(mine).__name__ == type(theirs).__name__, (mine, theirs)
    assert str(mine) == str(theirs)
    if hasattr(theirs, "response"):
        assert getattr(mine, "operation_name", None) == getattr(theirs, "operation_name", None)
        mine_response, their_response = dict(mine.response), dict(theirs.response)  # type: ignore[attr-defined]
        if "ResponseMetadata" in their_response:
            assert_same(mine_response, their_response)
        else:  # an exception event: no HTTP response of its own
            assert mine_response == their_response
            assert repr(mine_response) == repr(their_response)


def same_result(mine: Any, theirs: Any) -> None:
    if isinstance(theirs, BaseException) or isinstance(mine, BaseException):
        assert isinstance(mine, BaseException) and isinstance(theirs, BaseException), (mine, theirs)
        same_error(mine, theirs)
        return
    mine, theirs = dict(mine), dict(theirs)
    for key in ("stream", "body"):
        if isinstance(theirs.get(key), list):
            mine_events, their_events = mine.pop(key), theirs.pop(key)
            assert len(mine_events) == len(their_events), (mine_events, their_events)
            for a, b in zip(mine_events, their_events):
                if isinstance(b, BaseException):
                    same_result(a, b)
                else:
                    _same_event(a, b)
    assert_same(mine, theirs)


def _same_event(mine: Any, theirs: Any) -> None:
    """Equal events: each converted against its own frame, as botocore parses it (no member
    the wire did not carry, maps and documents in wire order)."""
    assert not isinstance(mine, BaseException), (mine, theirs)
    assert mine == theirs
    assert key_orders(mine) == key_orders(theirs)
    assert repr(mine) == repr(theirs)


# -- the property --------------------------------------------------------------------------


def call(
    client: Any,
    emulator: Any,
    operation_name: str,
    params: dict[str, Any],
    response: ScriptedResponse,
) -> tuple[Any, list[Any], int]:
    emulator.clear()
    emulator.clear_scripted()
    response.serve(emulator)
    try:
        result = materialize(getattr(client, python_name(operation_name))(**copy.deepcopy(params)))
    except Exception as error:
        result = error
    return result, list(emulator.requests), emulator.scripted_pending


@pytest.mark.parametrize("operation_name", OPERATIONS)
def test_random_requests_and_responses_match_boto3(
    emulator_server: Any, clients: tuple[Any, Any], operation_name: str
) -> None:
    ours, boto = clients
    emulator_server.reset_all()

    @SETTINGS
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        params = data.draw(request_params(operation_name), label="params")
        response = data.draw(scripted_response(operation_name), label="response")
        mine, mine_requests, mine_left = call(
            ours, emulator_server, operation_name, params, response
        )
        theirs, their_requests, their_left = call(
            boto, emulator_server, operation_name, params, response
        )
        assert [sent(r, operation_name) for r in mine_requests] == [
            sent(r, operation_name) for r in their_requests
        ]
        assert len(their_requests) == 1, theirs
        assert mine_left == their_left == 0
        same_result(mine, theirs)
        tally = CASES.setdefault(operation_name, Counter())
        tally["cases"] += 1
        tally["error responses" if response.status >= 300 else "ok responses"] += 1
        if response.events is not None:
            tally["stream events"] += len(response.events)

    case()
    ran = CASES.get(operation_name, Counter())["cases"]
    print(f"{operation_name}: {dict(CASES[operation_name])}")
    assert ran >= SETTINGS.max_examples // 2, ran


def test_scripted_answers_queue(emulator: Any, boto: Any) -> None:
    """Scripted answers go to the next requests in order, after which the emulator answers
    for itself; what HTTP cannot carry is refused; reset_all drops what is left."""
    params = {"modelId": "amazon.titan-embed-text-v2:0", "body": b'{"inputText": "hi"}'}
    emulator.respond_next(200, {"content-type": "text/plain", "x-custom": "1"}, b"first")
    emulator.respond_next(503, [("x-amzn-ErrorType", "ServiceUnavailableException")], b"{}")
    assert emulator.scripted_pending == 2
    first = boto.invoke_model(**params)
    assert first["body"].read() == b"first"
    assert first["contentType"] == "text/plain"
    assert first["ResponseMetadata"]["HTTPHeaders"]["x-custom"] == "1"
    with pytest.raises(boto.exceptions.ServiceUnavailableException):
        boto.invoke_model(**params)
    assert "embedding" in json.loads(boto.invoke_model(**params)["body"].read())
    with pytest.raises(ValueError, match="status"):
        emulator.respond_next(42)
    with pytest.raises(ValueError, match="header"):
        emulator.respond_next(200, {"bad header": "x"})
    emulator.respond_next_stream([({":message-type": "event"}, b"{}")])
    emulator.reset_all()
    assert emulator.scripted_pending == 0

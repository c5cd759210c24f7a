"""Arbitrary Python values at every parameter of every facade operation.

For each operation the facade has, hypothesis builds requests from botocore's
service model (the shapes, with any node swapped for junk: None, bools, huge
ints, nan/inf, odd unicode, bytes, nested lists/tuples/sets/dicts, arbitrary and
hostile objects, recursive and deeply nested structures) and sends each through
the blocking and the asyncio client to the emulator. The outcome must be a
result, ``ParamValidationError``/``TypeError``, or a ``ClientError`` answered by
the emulator, each with a message (or, for a string holding a lone surrogate,
the ``UnicodeEncodeError`` boto3 raises too); never another exception, a panic
(``PanicException``), a hang or an abort.

Each operation is fuzzed in a child process (this file run as a script) under a
watchdog, so an abort or hang fails the test instead of killing pytest. CI runs a
fixed, derandomized number of examples; ``BEDROCK_CRIS_FUZZ_EXAMPLES=5000`` runs
more, with fresh randomness.
"""

from __future__ import annotations

import asyncio
import decimal
import faulthandler
import io
import itertools
import math
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
CI_EXAMPLES = 120
CALL_TIMEOUT = 20  # seconds one call may take before the child dumps its stacks and dies


def facade_operations() -> list[str]:
    from bedrock_cris import _model
    from bedrock_cris._client import BedrockRuntime

    return sorted(
        name for name in _model.OPERATIONS if callable(getattr(BedrockRuntime, name, None))
    )


@pytest.mark.parametrize("operation", facade_operations())
def test_arbitrary_values_never_crash(emulator: Any, operation: str) -> None:
    examples = int(os.environ.get("BEDROCK_CRIS_FUZZ_EXAMPLES", CI_EXAMPLES))
    budget = 60 + examples * 2
    try:
        child = subprocess.run(
            [sys.executable, __file__, operation, emulator.endpoint_url, str(examples)],
            capture_output=True,
            text=True,
            timeout=budget,
            check=False,
            env=dict(os.environ),
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"{operation}: the fuzzer hung for {budget}s\n{hung.stdout}\n{hung.stderr}")
    report = f"{operation}: exit {child.returncode}\n--- stdout\n{child.stdout[-8000:]}\n--- stderr\n{child.stderr[-8000:]}"
    assert child.returncode == 0, report
    assert f"fuzzed {operation}:" in child.stdout, report


def test_values_the_sdk_refuses_are_parameter_errors(emulator: Any) -> None:
    """Values the SDK will not put on the wire fail validation, before any request."""
    import bedrock_cris
    from bedrock_cris import exceptions
    from conftest import client_kwargs

    client = bedrock_cris.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    cases = [
        (
            lambda: client.apply_guardrail(
                guardrailIdentifier="", guardrailVersion="1", source="INPUT", content=[]
            ),
            "Invalid length for parameter guardrailIdentifier, value: 0, valid min length: 1",
        ),
        (
            lambda: client.invoke_model(modelId=CLAUDE, body=b"{}", trace="\x1f"),
            "Invalid value for parameter trace: ",
        ),
        (
            lambda: client.invoke_model(modelId=CLAUDE, body=b"{}", guardrailIdentifier="g\n"),
            "Invalid value for parameter guardrailIdentifier: ",
        ),
    ]
    for call, message in cases:
        with pytest.raises(exceptions.ParamValidationError) as info:
            call()
        assert str(info.value).startswith(f"Parameter validation failed:\n{message}"), str(
            info.value
        )
    assert emulator.requests == []


def test_self_referencing_documents_fail_validation(emulator: Any) -> None:
    """A document that contains itself is refused at once, not walked to the depth limit."""
    import time

    import bedrock_cris
    from bedrock_cris import exceptions
    from conftest import client_kwargs

    client = bedrock_cris.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    shared = [1, 2]
    client.converse(  # a value seen twice is not a cycle
        modelId=CLAUDE, messages=messages, additionalModelRequestFields={"a": shared, "b": shared}
    )
    for document in (recursive_dict(), recursive_list(), {"a": [{"b": recursive_list()}]}):
        started = time.monotonic()
        with pytest.raises(exceptions.ParamValidationError, match="circular reference detected"):
            client.converse(
                modelId=CLAUDE, messages=messages, additionalModelRequestFields=document
            )
        assert time.monotonic() - started < 2


# -- the child: values, requests and the check ----------------------------------------------


class Hostile:
    """An object whose every conversion fails."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:  # kept working so a failing example can be shown
        return "<Hostile>"

    def __len__(self) -> int:
        raise RuntimeError("no len")

    def __iter__(self) -> Any:
        raise RuntimeError("no iter")

    def __index__(self) -> int:
        raise RuntimeError("no index")

    def __float__(self) -> float:
        raise RuntimeError("no float")

    def __bool__(self) -> bool:
        raise RuntimeError("no bool")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    __hash__ = object.__hash__


class Anything:
    """A mock-like object that claims every attribute."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: Anything()


class StrSub(str):
    pass


class IntSub(int):
    pass


class DictSub(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        raise KeyError(key)


class ListSub(list):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        raise RuntimeError("no iter")


class BadFile:
    """File-like bodies that misbehave."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def read(self, *args: Any) -> Any:
        if isinstance(self.data, Exception):
            raise self.data
        return self.data

    def seek(self, *args: Any) -> int:
        return 0

    def tell(self) -> int:
        return 0


def recursive_list() -> list[Any]:
    value: list[Any] = []
    value.append(value)
    return value


def recursive_dict() -> dict[str, Any]:
    value: dict[str, Any] = {"text": "x"}
    value["content"] = [value]
    value["self"] = value
    return value


class DeepList(list):  # type: ignore[type-arg]
    """A list nested `depth` levels deep, with a short repr."""

    def __repr__(self) -> str:
        return "<list nested deep>"


class DeepDict(dict):  # type: ignore[type-arg]
    def __repr__(self) -> str:
        return "<dict nested deep>"


def deep(depth: int, kind: str) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = {"a": value} if kind == "dict" else [value]
    return DeepDict(a=value) if kind == "dict" else DeepList([value])


ODD_STRINGS = [
    "",
    "\x00",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "a\udfffb",
    "\u202e\u200b\ufeff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🤖👍🏽",
    "e\u0301" * 50,
    "\U0010ffff",
    "x" * 20_000,
    "global.anthropic.claude-haiku-4-5-20251001-v1:0\x00",
    "../../etc/passwd",
    "%s%n{0}{}",
    "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc",
]


# Factories: each example gets fresh objects (iterators are used up, files read).
ODD_OBJECTS: list[Any] = [
    object,
    Hostile,
    Anything,
    lambda: StrSub("text"),
    lambda: IntSub(5),
    lambda: DictSub(text="x"),
    lambda: ListSub([1]),
    lambda: BadFile(b'{"a": 1}'),
    lambda: BadFile("text instead of bytes"),
    lambda: BadFile(12),
    lambda: BadFile(None),
    lambda: BadFile(OSError("disk on fire")),
    lambda: io.BytesIO(b'{"prompt": "hi"}'),
    lambda: io.StringIO("text io"),
    recursive_list,
    recursive_dict,
    lambda: deep(1_500, "list"),
    lambda: deep(1_500, "dict"),
    lambda: deep(100_000, "list"),
    lambda: deep(100_000, "dict"),
    lambda: iter([1, 2, 3]),
    itertools.count,
    lambda: (x for x in range(3)),
    lambda: range(10**12),
    lambda: decimal.Decimal("NaN"),
    lambda: decimal.Decimal("1e999999"),
    lambda: complex(1, 2),
    lambda: math.nan,
    lambda: -math.inf,
    lambda: 2**64,
    lambda: -(2**63) - 1,
    lambda: 10**400,
    lambda: Ellipsis,
    lambda: NotImplemented,
    lambda: type,
    lambda: print,
    lambda: sys,
    lambda: b"\xff\xfe\x00",
    lambda: bytearray(b"\x00" * 10),
    lambda: memoryview(b"abc"),
]


def strategies(operation: str) -> Any:
    """The hypothesis strategy of keyword arguments for `operation`."""
    import botocore.session
    from bedrock_cris import _model
    from hypothesis import strategies as st

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model(_model.OPERATIONS[operation]).input_shape

    hashable = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.binary(max_size=5),
    )
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from(ODD_STRINGS),
        st.binary(max_size=20),
        st.builds(bytearray, st.binary(max_size=8)),
        st.decimals(),
        st.complex_numbers(),
        st.datetimes(),
        st.sampled_from(ODD_OBJECTS).map(lambda make: make()),
    )
    junk = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.tuples(children, children),
            st.sets(hashable, max_size=3),
            st.frozensets(hashable, max_size=3),
            st.dictionaries(
                st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans()),
                children,
                max_size=4,
            ),
        ),
        max_leaves=12,
    )

    def maybe_junk(strategy: Any) -> Any:
        """Mostly the shape's value, sometimes junk in its place."""
        return st.integers(0, 7).flatmap(lambda n: junk if n == 0 else strategy)

    def of(shape: Any, depth: int) -> Any:
        kind = shape.type_name
        if depth > 6:
            return junk
        if kind == "structure":
            members = {name: of(member, depth + 1) for name, member in shape.members.items()}
            if shape.metadata.get("union") or getattr(shape, "is_tagged_union", False):
                return st.sampled_from(sorted(members)).flatmap(
                    lambda k: st.fixed_dictionaries({k: members[k]})
                )
            required = {k: v for k, v in members.items() if k in shape.required_members}
            optional = {k: v for k, v in members.items() if k not in shape.required_members}
            return st.fixed_dictionaries(required, optional=optional)
        if kind == "list":
            return st.lists(maybe_junk(of(shape.member, depth + 1)), max_size=3)
        if kind == "map":
            key = st.integers(0, 7).flatmap(
                lambda n: hashable if n == 0 else of(shape.key, depth + 1)
            )
            return st.dictionaries(key, maybe_junk(of(shape.value, depth + 1)), max_size=3)
        if kind == "string":
            if shape.enum:
                return st.one_of(st.sampled_from(shape.enum), st.text(max_size=10))
            return st.one_of(st.text(max_size=30), st.just(CLAUDE), st.sampled_from(ODD_STRINGS))
        if kind in ("integer", "long"):
            return st.integers(min_value=-(2**40), max_value=2**40)
        if kind in ("float", "double"):
            return st.floats()
        if kind == "boolean":
            return st.booleans()
        if kind == "blob":
            return st.one_of(
                st.binary(max_size=40),
                st.just(b'{"prompt": "hi", "max_tokens": 5}'),
                st.text(max_size=10),
            )
        if kind == "timestamp":
            return st.one_of(st.datetimes(), st.integers(), st.text(max_size=25))
        return junk  # documents and anything else: any JSON-ish value, or not

    members = {name: maybe_junk(of(member, 1)) for name, member in shape.members.items()}
    required = {k: v for k, v in members.items() if k in shape.required_members}
    optional = {k: v for k, v in members.items() if k not in shape.required_members}
    extra = st.dictionaries(
        st.sampled_from(["bogus", "modelid", "Body", "ResponseMetadata"]), junk, max_size=1
    )
    return st.tuples(
        st.integers(0, 9).flatmap(
            lambda n: (
                st.fixed_dictionaries({}, optional=members)
                if n == 0
                else st.fixed_dictionaries(required, optional=optional)
            )
        ),
        extra,
    ).map(lambda pair: {**pair[0], **pair[1]})


def consume(result: Any) -> None:
    """Reads whatever a result streams."""
    assert isinstance(result, dict) and "ResponseMetadata" in result, type(result)
    for key in ("stream", "body"):
        value = result.get(key)
        if value is None or isinstance(value, (bytes, str)):
            continue
        if hasattr(value, "read"):
            value.read()
        elif hasattr(value, "__iter__"):
            for _ in value:
                pass


async def aconsume(result: Any) -> None:
    assert isinstance(result, dict) and "ResponseMetadata" in result, type(result)
    for key in ("stream", "body"):
        value = result.get(key)
        if value is None or isinstance(value, (bytes, str)):
            continue
        if hasattr(value, "__aiter__"):
            async for _ in value:
                pass
        elif hasattr(value, "read"):
            data = value.read()
            if asyncio.iscoroutine(data):
                await data


def check(outcome: BaseException | None, call: str) -> str:
    """Accepts a result or an allowed exception with a message; returns its kind."""
    from bedrock_cris import exceptions

    if outcome is None:
        return "result"
    if isinstance(outcome, (exceptions.ParamValidationError, TypeError)):
        message = str(outcome)
        assert message.strip(), f"{call}: {type(outcome).__name__} without a message"
        assert "panick" not in message.lower(), f"{call}: {message}"
        return type(outcome).__name__
    if isinstance(outcome, exceptions.ClientError):
        # The emulator's answer: a modelled class, or (for an operation it does not
        # serve) botocore's base ClientError, as boto3 raises for the same answer.
        code = outcome.response["Error"]["Code"]
        status = outcome.response["ResponseMetadata"].get("HTTPStatusCode", 0)
        assert code and status >= 400, f"{call}: {outcome!r}"
        assert str(outcome).strip()
        return f"ClientError:{code}"
    if isinstance(outcome, UnicodeEncodeError) and "surrogates not allowed" in str(outcome):
        # A lone surrogate cannot be sent as UTF-8: boto3 raises the same error.
        return "UnicodeEncodeError"
    raise AssertionError(
        f"{call}: unexpected {type(outcome).__module__}.{type(outcome).__name__}: {outcome!r}"
    ) from outcome


def fuzz(operation: str, endpoint_url: str, examples: int) -> None:
    import bedrock_cris
    from bedrock_cris.config import Config
    from hypothesis import HealthCheck, given, settings

    sys.setrecursionlimit(10_000)
    faulthandler.enable()
    credentials = {
        "region_name": "us-east-1",
        "endpoint_url": endpoint_url,
        "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "config": Config(retries={"max_attempts": 0}, read_timeout=10, connect_timeout=5),
    }
    client = bedrock_cris.client("bedrock-runtime", **credentials)
    aio_client = bedrock_cris.aio.client("bedrock-runtime", **credentials)
    loop = asyncio.new_event_loop()
    kinds: dict[str, int] = {}
    more = "BEDROCK_CRIS_FUZZ_EXAMPLES" in os.environ

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not more,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(strategies(operation))
    def run(kwargs: dict[str, Any]) -> None:
        def hung() -> None:
            try:
                shown = repr(kwargs)[:4000]
            except Exception as error:
                shown = f"<unprintable: {error!r}>"
            sys.stderr.write(f"hung for {CALL_TIMEOUT}s on {operation}(**{shown})\n")
            faulthandler.dump_traceback(all_threads=True)
            os._exit(3)

        watchdog = threading.Timer(CALL_TIMEOUT, hung)
        watchdog.daemon = True
        watchdog.start()
        try:
            outcome: BaseException | None = None
            try:
                consume(getattr(client, operation)(**kwargs))
            except BaseException as error:
                if isinstance(error, KeyboardInterrupt):
                    raise
                outcome = error
            kind = check(outcome, f"{operation}(sync)")
            kinds[kind] = kinds.get(kind, 0) + 1

            async def call_async() -> None:
                await aconsume(await getattr(aio_client, operation)(**kwargs))

            outcome = None
            if callable(getattr(aio_client, operation, None)):
                try:
                    loop.run_until_complete(call_async())
                except BaseException as error:
                    if isinstance(error, KeyboardInterrupt):
                        raise
                    outcome = error
                check(outcome, f"{operation}(async)")
        finally:
            watchdog.cancel()

    run()
    # The client still works after everything it was thrown.
    if operation == "converse":
        assert client.converse(
            modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )["output"]
    print(
        f"fuzzed {operation}: {examples} examples, outcomes {dict(sorted(kinds.items()))}",
        flush=True,
    )


if __name__ == "__main__":
    fuzz(sys.argv[1], sys.argv[2], int(sys.argv[3]))

"""Errors that explain: a bad region name is botocore's InvalidRegionError when the client is
built, and the native API checks its arguments before anything else (before a client, a
region or credentials are looked for), naming the parameter and what it takes."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Callable

import bedrock_cris
import boto3
import botocore.exceptions
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config

KEYS = {"aws_access_key_id": "a", "aws_secret_access_key": "b"}
NAMES = [
    "us east 1",
    "123",
    "-us-east-1",
    "us-east-1-",
    "a" * 64,
    "a" * 63,
    "us_east_1",
    "ûs-east-1",
    "us-east-1",
    "eu-west-2",
    "1a",
    "local",
]


def outcome(make: Callable[[], Any]) -> str:
    try:
        make()
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return "ok"


@pytest.mark.parametrize("name", NAMES)
def test_region_names_are_checked_as_botocore_checks_them(name: str) -> None:
    theirs = outcome(lambda: boto3.client("bedrock-runtime", region_name=name, **KEYS))
    ours = outcome(lambda: bedrock_cris.client("bedrock-runtime", region_name=name, **KEYS))
    assert ours == theirs
    if theirs != "ok":
        assert theirs == (
            f"InvalidRegionError: Provided region_name '{name}' doesn't match a supported format."
        )


def test_invalid_region_error_is_botocores_and_a_value_error() -> None:
    with pytest.raises(exceptions.InvalidRegionError) as info:
        bedrock_cris.client("bedrock-runtime", region_name="us east 1", **KEYS)
    assert isinstance(info.value, botocore.exceptions.InvalidRegionError)
    assert isinstance(info.value, ValueError)
    assert info.value.kwargs == {"region_name": "us east 1"}


@pytest.mark.parametrize(
    "make",
    [
        lambda: bedrock_cris.Session(region_name="us east 1").client("bedrock-runtime", **KEYS),
        lambda: bedrock_cris.client(
            "bedrock-runtime", config=Config(region_name="us east 1"), **KEYS
        ),
        lambda: bedrock_cris.aio.client("bedrock-runtime", region_name="us east 1", **KEYS),
        lambda: bedrock_cris.Client("us east 1", **KEYS),
    ],
    ids=["session", "config", "aio", "native"],
)
def test_every_way_to_a_client_checks_the_region(make: Callable[[], Any]) -> None:
    with pytest.raises(exceptions.InvalidRegionError, match="'us east 1'"):
        make()


def test_a_configured_region_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(variable, "bad region")
    with pytest.raises(exceptions.InvalidRegionError, match="'bad region'"):
        bedrock_cris.client("bedrock-runtime", **KEYS)
    with pytest.raises(botocore.exceptions.InvalidRegionError, match="'bad region'"):
        boto3.client("bedrock-runtime", **KEYS)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# (call, exception, message): none of them gets as far as resolving a region (there is none
# configured in the test run: NoRegionError would show it did).
NATIVE_CASES: dict[str, tuple[Callable[[], Any], type[BaseException], str]] = {
    "converse-None": (
        lambda: bedrock_cris.converse(None),  # type: ignore[arg-type]
        TypeError,
        "prompt_or_messages must be a str (one user message) or a list of Converse messages "
        "like [{'role': 'user', 'content': 'Hello'}], not NoneType",
    ),
    "converse-one-message": (
        lambda: bedrock_cris.converse({"role": "user", "content": "hi"}),  # type: ignore[arg-type]
        TypeError,
        "prompt_or_messages is a single message: pass a list of messages",
    ),
    "converse-empty": (
        lambda: bedrock_cris.converse([]),
        ValueError,
        "prompt_or_messages is an empty list",
    ),
    "converse-bytes": (
        lambda: bedrock_cris.converse(b"hi"),  # type: ignore[arg-type]
        TypeError,
        "not bytes",
    ),
    "message-not-a-dict": (
        lambda: bedrock_cris.converse(["hello"]),  # type: ignore[list-item]
        TypeError,
        r"messages[0] must be a dict",
    ),
    "model": (
        lambda: bedrock_cris.converse("hi", model=3),  # type: ignore[arg-type]
        TypeError,
        "model must be a str or None, not int",
    ),
    "max_tokens": (
        lambda: bedrock_cris.converse("hi", max_tokens="many"),  # type: ignore[arg-type]
        exceptions.ParamValidationError,
        "Invalid type for parameter max_tokens (inferenceConfig.maxTokens), value: 'many'",
    ),
    "max_tokens-zero": (
        lambda: bedrock_cris.converse("hi", max_tokens=0),
        ValueError,
        "max_tokens must be at least 1, not 0",
    ),
    "temperature": (
        lambda: bedrock_cris.stream("hi", temperature="hot"),  # type: ignore[arg-type]
        exceptions.ParamValidationError,
        "Invalid type for parameter temperature (inferenceConfig.temperature)",
    ),
    "stop": (
        lambda: bedrock_cris.stream("hi", stop=[1]),  # type: ignore[list-item]
        TypeError,
        "stop must be a str or a list of str",
    ),
    "system": (
        lambda: bedrock_cris.converse("hi", system=5),  # type: ignore[arg-type]
        TypeError,
        "system must be a str or a list of Converse system blocks",
    ),
    "tools": (
        lambda: bedrock_cris.converse("hi", tools={"name": "x"}),  # type: ignore[arg-type]
        TypeError,
        "tools must be a list of tools",
    ),
    "tool-without-name": (
        lambda: bedrock_cris.converse("hi", tools=[{"description": "x"}]),
        ValueError,
        "tools[0] has no 'name'",
    ),
    "tool_choice": (
        lambda: bedrock_cris.converse("hi", tools=[{"name": "x"}], tool_choice=1),  # type: ignore[arg-type]
        TypeError,
        "tool_choice must be 'auto', 'any', a tool's name or a Converse toolChoice dict",
    ),
    "region": (
        lambda: bedrock_cris.converse("hi", region=1),  # type: ignore[arg-type]
        TypeError,
        "region must be a str or None, not int",
    ),
    "aconverse": (
        lambda: run(bedrock_cris.aconverse(None)),  # type: ignore[arg-type]
        TypeError,
        "prompt_or_messages must be a str",
    ),
    "astream": (
        lambda: bedrock_cris.astream(42),  # type: ignore[arg-type]
        TypeError,
        "prompt_or_messages must be a str",
    ),
    "embed-None": (
        lambda: bedrock_cris.embed(None),  # type: ignore[arg-type]
        TypeError,
        "texts must be a str or a list of str, not NoneType",
    ),
    "embed-item": (
        lambda: bedrock_cris.embed(["a", 3]),  # type: ignore[list-item]
        TypeError,
        "texts[1] must be a str, not int",
    ),
    "embed-dimensions": (
        lambda: bedrock_cris.embed("a", dimensions="big"),  # type: ignore[arg-type]
        TypeError,
        "dimensions must be an int, not str",
    ),
    "embed-type": (
        lambda: bedrock_cris.embed("a", embedding_type="double"),  # type: ignore[arg-type]
        ValueError,
        "embedding_type must be one of float, int8, uint8, binary, ubinary, not 'double'",
    ),
    "embed-concurrency": (
        lambda: bedrock_cris.embed("a", max_concurrency=0),
        ValueError,
        "max_concurrency must be at least 1, not 0",
    ),
    "aembed": (
        lambda: run(bedrock_cris.aembed("a", progress="yes")),  # type: ignore[arg-type]
        TypeError,
        "progress must be True, False or a callable",
    ),
    "Client-region": (
        lambda: bedrock_cris.Client(region=5),  # type: ignore[arg-type]
        TypeError,
        "region must be a str or None, not int",
    ),
    "Client-endpoint": (
        lambda: bedrock_cris.Client(endpoint_url=8000),  # type: ignore[arg-type]
        TypeError,
        "endpoint_url must be a str or None, not int",
    ),
}


@pytest.mark.parametrize("case", list(NATIVE_CASES))
def test_native_arguments_are_checked_first(case: str) -> None:
    call, error, message = NATIVE_CASES[case]
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_without_a_region_the_first_error_is_still_the_missing_region() -> None:
    with pytest.raises(exceptions.NoRegionError):
        bedrock_cris.converse("hi")


def test_client_methods_check_the_same_way(emulator: Any) -> None:
    client = bedrock_cris.Client("ap-south-1", endpoint_url=emulator.endpoint_url, **KEYS)
    with pytest.raises(TypeError, match="prompt_or_messages must be a str"):
        client.converse(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("texts[0] must be a str, not bytes")):
        client.embed([b"x"])  # type: ignore[list-item]

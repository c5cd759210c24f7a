"""Input boto3 sends and the service cannot take: ours refuses it before any request, with a
message naming the parameter (README, "Bad input"). boto3's requests for the same input are
refused by the service (here the emulator's JSON parser) with SerializationException."""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def nested(levels: int) -> dict[str, Any]:
    return functools.reduce(lambda inner, _: {"k": inner}, range(levels), {})


CASES = {
    "lone surrogate": (
        dict(messages=[{"role": "user", "content": [{"text": "a\udc80b"}]}]),
        UnicodeEncodeError,
        "surrogates not allowed",
    ),
    "infinity in a document": (
        dict(
            messages=[{"role": "user", "content": [{"text": "x"}]}],
            additionalModelRequestFields={"x": math.inf},
        ),
        Exception,
        "Invalid document parameter x: inf is not a JSON number",
    ),
    "document nested 300 levels": (
        dict(
            messages=[{"role": "user", "content": [{"text": "x"}]}],
            additionalModelRequestFields=nested(300),
        ),
        Exception,
        "nested more than 256 levels deep",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refused_before_sending_where_the_service_refuses_boto3(
    emulator: Any, ours: Any, boto: Any, case: str
) -> None:
    params, error_class, message = CASES[case]
    emulator.clear()
    with pytest.raises(error_class) as info:
        ours.converse(modelId=CLAUDE, **params)
    assert message in str(info.value)
    if error_class is Exception:
        assert type(info.value).__name__ == "ParamValidationError"
    assert emulator.requests == []
    with pytest.raises(Exception) as theirs:
        boto.converse(modelId=CLAUDE, **params)
    assert theirs.value.response["Error"]["Code"] == "SerializationException"  # type: ignore[attr-defined]
    assert len(emulator.requests) == 1

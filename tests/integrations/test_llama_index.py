"""llama-index (``BedrockConverse(client=...)``) on our client and on boto3's, against the
emulator with signature checking on: the same results and the same errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _frameworks import clients, require

require("llama_index.llms.bedrock_converse", "llama-index-llms-bedrock-converse")
from llama_index.core.llms import ChatMessage  # noqa: E402
from llama_index.core.tools import FunctionTool  # noqa: E402
from llama_index.llms.bedrock_converse import BedrockConverse  # noqa: E402
from pydantic import BaseModel  # noqa: E402

__all__ = ["clients"]

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


class Weather(BaseModel):
    city: str
    temperature: int


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def llm(client: Any) -> BedrockConverse:
    return BedrockConverse(model=MODEL, client=client, region_name="ap-south-1", max_retries=1)


def scenarios(client: Any) -> dict[str, Any]:
    model = llm(client)
    hello = [ChatMessage(role="user", content="Explain cloud computing in 2 sentences.")]
    results: dict[str, Any] = {}
    results["chat"] = str(model.chat(hello))
    results["stream"] = [r.delta for r in model.stream_chat(hello)]
    weather = FunctionTool.from_defaults(fn=get_weather)
    answer = model.chat_with_tools([weather], user_msg="Use get_weather for Paris.")
    results["tools"] = [
        (c.tool_name, c.tool_kwargs) for c in model.get_tool_calls_from_response(answer)
    ]
    results["structured"] = model.as_structured_llm(Weather).complete("Weather in Oslo?").raw
    results["async"] = str(asyncio.run(model.achat(hello)))
    return results


def test_same_results_on_both_clients(clients: dict[str, Any]) -> None:
    expected = scenarios(clients["boto3"])
    assert scenarios(clients["bedrock_cris"]) == expected
    assert expected["tools"][0][0] == "get_weather"


def errors(client: Any, emulator: Any) -> list[Any]:
    model = llm(client)
    hello = [ChatMessage(role="user", content="Hello")]
    found = []
    for code, message in (
        ("ThrottlingException", "Too many requests"),
        ("ValidationException", "Input is too long for requested model."),
    ):
        emulator.fail(MODEL, code, message=message, times=1)
        with pytest.raises(client.exceptions.ClientError) as caught:
            model.chat(hello)
        found.append((caught.value.response["Error"]["Code"], str(caught.value)))
    return found


def test_errors_are_the_same(clients: dict[str, Any], emulator: Any) -> None:
    expected = errors(clients["boto3"], emulator)
    assert errors(clients["bedrock_cris"], emulator) == expected


@pytest.fixture
def no_retry_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """llama-index waits 4 s and more before a retry; the tests need not."""
    import tenacity
    from llama_index.llms.bedrock_converse import utils

    monkeypatch.setattr(utils, "wait_exponential", lambda **_: tenacity.wait_none())


def test_throttles_are_retried_alike(
    clients: dict[str, Any], emulator: Any, no_retry_wait: None
) -> None:
    hello = [ChatMessage(role="user", content="Hello")]
    answers = {}
    for name, client in clients.items():
        emulator.fail(MODEL, "ThrottlingException", message="Too many requests", times=1)
        model = BedrockConverse(model=MODEL, client=client, region_name="ap-south-1", max_retries=2)
        answers[name] = str(model.chat(hello))
        assert [r["fault"] for r in emulator.requests] == ["error:ThrottlingException", None]
        emulator.clear()
    assert answers["bedrock_cris"] == answers["boto3"]


def test_the_aioboto3_path_retries_our_asyncio_clients_throttles(
    clients: dict[str, Any], emulator: Any, no_retry_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With aioboto3 installed llama-index calls `async_client` and retries what its
    # `isinstance(e, botocore.exceptions.ClientError)` check accepts. aioboto3 itself cannot
    # be installed beside these pins (it holds botocore below 1.41), so its presence is
    # simulated: the path taken with our asyncio client is the same.
    import bedrock_cris
    from conftest import client_kwargs
    from llama_index.llms.bedrock_converse import base, utils

    hello = [ChatMessage(role="user", content="Hello")]
    expected = str(llm(clients["boto3"]).chat(hello))
    emulator.clear()

    async def main() -> str:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:
            model = BedrockConverse(
                model=MODEL, async_client=client, region_name="ap-south-1", max_retries=2
            )
            # Made as without aioboto3; from here on, calls take aioboto3's path. Its session
            # is not used when a client is given.
            monkeypatch.setattr(base, "HAS_AIOBOTO3", True)
            monkeypatch.setattr(utils, "HAS_AIOBOTO3", True)
            model._asession = object()
            emulator.fail(MODEL, "ThrottlingException", message="Too many requests", times=1)
            return str(await model.achat(hello))

    assert asyncio.run(main()) == expected
    assert [r["fault"] for r in emulator.requests] == ["error:ThrottlingException", None]

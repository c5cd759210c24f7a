"""langchain-aws (ChatBedrockConverse, ChatBedrock) on our client and on boto3's, against the
emulator with signature checking on: the same results and the same errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _frameworks import clients, require

require("langchain_aws", "langchain-aws")
from langchain_aws import ChatBedrock, ChatBedrockConverse  # noqa: E402
from langchain_core.exceptions import ContextOverflowError  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from pydantic import BaseModel  # noqa: E402

__all__ = ["clients"]

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Weather(BaseModel):
    city: str
    temperature: int


def converse_model(client: Any, **kwargs: Any) -> Any:
    return ChatBedrockConverse(client=client, model=MODEL, region_name="ap-south-1", **kwargs)


def message_facts(message: Any) -> dict[str, Any]:
    return {
        "content": message.content,
        "tool_calls": [(c["name"], c["args"]) for c in getattr(message, "tool_calls", [])],
        "usage": message.usage_metadata,
        "stop": message.response_metadata.get("stopReason"),
    }


def run_scenarios(client: Any) -> dict[str, Any]:
    llm = converse_model(client)
    results: dict[str, Any] = {}
    results["chat"] = message_facts(llm.invoke("Explain cloud computing in 2 sentences."))
    results["stream"] = [chunk.content for chunk in llm.stream("Write a haiku about Mumbai.")]
    results["tools"] = message_facts(
        llm.bind_tools([get_weather]).invoke("Use get_weather for Paris.")
    )
    results["structured"] = llm.with_structured_output(Weather).invoke("Weather in Oslo?")
    results["async"] = message_facts(asyncio.run(llm.ainvoke("Hello")))
    return results


def test_same_results_on_both_clients(clients: dict[str, Any]) -> None:
    expected = run_scenarios(clients["boto3"])
    assert run_scenarios(clients["bedrock_cris"]) == expected
    assert expected["tools"]["tool_calls"][0][0] == "get_weather"


@pytest.mark.parametrize("name", ["boto3", "bedrock_cris"])
def test_default_headers_go_on_the_wire(name: str, clients: dict[str, Any], emulator: Any) -> None:
    llm = converse_model(clients[name], default_headers={"X-Team": "search"})
    llm.invoke("Hello")
    list(llm.stream("Hello"))
    assert [dict(r["headers"]).get("x-team") for r in emulator.requests] == ["search", "search"]
    assert all(r["auth_error"] is None for r in emulator.requests)


def errors(client: Any, emulator: Any) -> list[Any]:
    llm = converse_model(client)
    found = []
    emulator.fail(MODEL, "ThrottlingException", message="Too many requests", times=1)
    with pytest.raises(Exception) as throttled:
        llm.invoke("Hello")
    found.append((type(throttled.value).__name__, str(throttled.value)))
    emulator.fail(
        MODEL, "ValidationException", message="Input is too long for requested model.", times=1
    )
    with pytest.raises(ContextOverflowError) as overflow:
        llm.invoke("Hello")
    found.append((type(overflow.value).__name__, str(overflow.value)))
    return found


def test_throttling_and_context_overflow_are_translated_alike(
    clients: dict[str, Any], emulator: Any
) -> None:
    expected = errors(clients["boto3"], emulator)
    assert errors(clients["bedrock_cris"], emulator) == expected
    assert expected[0][0] == "ThrottlingException"


def chat_bedrock(client: Any) -> dict[str, Any]:
    llm = ChatBedrock(client=client, model_id=MODEL, provider="anthropic", region_name="ap-south-1")
    return {
        "chat": llm.invoke("Explain cloud computing in 2 sentences.").content,
        "stream": [chunk.content for chunk in llm.stream("Write a haiku about Mumbai.")],
    }


def test_chat_bedrock_on_invoke_model(clients: dict[str, Any]) -> None:
    assert chat_bedrock(clients["bedrock_cris"]) == chat_bedrock(clients["boto3"])

"""pydantic-ai (``BedrockProvider(bedrock_client=...)``) on our client and on boto3's, against
the emulator with signature checking on: the same results and the same errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _frameworks import clients, require

require("pydantic_ai", "pydantic-ai-slim[bedrock]")
from pydantic import BaseModel  # noqa: E402
from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.exceptions import ModelHTTPError  # noqa: E402
from pydantic_ai.models.bedrock import BedrockConverseModel  # noqa: E402
from pydantic_ai.providers.bedrock import BedrockProvider  # noqa: E402
from pydantic_ai.settings import ModelSettings  # noqa: E402

__all__ = ["clients"]

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


class Weather(BaseModel):
    city: str
    temperature: int


def model(client: Any) -> BedrockConverseModel:
    return BedrockConverseModel(MODEL, provider=BedrockProvider(bedrock_client=client))


def usage(result: Any) -> tuple[int, int]:
    used = result.usage()
    return used.input_tokens, used.output_tokens


async def scenarios(client: Any) -> dict[str, Any]:
    agent = Agent(model(client))
    results: dict[str, Any] = {}
    chat = await agent.run("Explain cloud computing in 2 sentences.")
    results["chat"] = (chat.output, usage(chat))
    async with agent.run_stream("Write a haiku about Mumbai.") as streamed:
        results["stream"] = [text async for text in streamed.stream_text(delta=True)]
    tools = Agent(model(client))

    @tools.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    answer = await tools.run("Use get_weather for Paris.")
    results["tools"] = [
        (part.part_kind, getattr(part, "tool_name", None))
        for message in answer.all_messages()
        for part in message.parts
    ]
    structured = await Agent(model(client), output_type=Weather).run("Weather in Oslo?")
    results["structured"] = structured.output
    return results


def run_all(client: Any) -> dict[str, Any]:
    results = asyncio.run(scenarios(client))
    results["sync"] = Agent(model(client)).run_sync("Hello").output
    return results


def test_same_results_on_both_clients(clients: dict[str, Any]) -> None:
    expected = run_all(clients["boto3"])
    assert run_all(clients["bedrock_cris"]) == expected
    assert ("tool-call", "get_weather") in expected["tools"]


@pytest.mark.parametrize("name", ["boto3", "bedrock_cris"])
def test_extra_headers_go_on_the_wire(name: str, clients: dict[str, Any], emulator: Any) -> None:
    agent = Agent(model(clients[name]))
    agent.run_sync("Hello", model_settings=ModelSettings(extra_headers={"X-Team": "search"}))
    (request,) = emulator.requests
    assert dict(request["headers"])["x-team"] == "search"
    assert request["auth_error"] is None
    signed = dict(request["headers"])["authorization"].split("SignedHeaders=")[1]
    assert "x-team" in signed.split(",")[0].split(";")


def errors(client: Any, emulator: Any) -> list[Any]:
    agent = Agent(model(client))
    found = []
    for code, message in (
        ("ThrottlingException", "Too many requests"),
        ("ValidationException", "Input is too long for requested model."),
    ):
        emulator.fail(MODEL, code, message=message, times=1)
        with pytest.raises(ModelHTTPError) as caught:
            agent.run_sync("Hello")
        error = caught.value
        # The body is the botocore-shaped error response (its request id differs per call).
        found.append((type(error).__name__, error.status_code, error.body["Error"]))
    return found


def test_throttling_and_context_overflow_are_translated_alike(
    clients: dict[str, Any], emulator: Any
) -> None:
    expected = errors(clients["boto3"], emulator)
    assert errors(clients["bedrock_cris"], emulator) == expected
    # pydantic-ai's own categories of ModelHTTPError.
    assert [(kind, status) for kind, status, _ in expected] == [
        ("ModelRateLimitError", 429),
        ("ModelContextWindowExceededError", 400),
    ]

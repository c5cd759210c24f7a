"""strands-agents (``BedrockModel(boto_session=bedrock_cris.Session(...))``) on our session and
on boto3's, against the emulator with signature checking on: the same results and errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _frameworks import require
from conftest import ACCESS_KEY, REGION, SECRET_KEY

require("strands", "strands-agents")
import bedrock_cris  # noqa: E402
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from strands import Agent, tool  # noqa: E402
from strands.models.bedrock import BedrockModel  # noqa: E402
from strands.types.exceptions import (  # noqa: E402
    ContextWindowOverflowException,
    ModelThrottledException,
)

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
SESSIONS = {"boto3": boto3.Session, "bedrock_cris": bedrock_cris.Session}


class Weather(BaseModel):
    city: str
    temperature: int


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def bedrock_model(name: str, emulator: Any, **kwargs: Any) -> BedrockModel:
    session = SESSIONS[name](
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return BedrockModel(
        boto_session=session,
        boto_client_config=Config(retries={"max_attempts": 0}),
        endpoint_url=emulator.endpoint_url,
        model_id=MODEL,
        **kwargs,
    )


def without_run_facts(value: Any) -> Any:
    """``value`` without what differs from run to run: strands' random message tracking ids and
    its own time-to-first-byte measurement (left out when under a millisecond)."""
    if isinstance(value, dict):
        return {
            k: without_run_facts(v)
            for k, v in value.items()
            if k not in ("tracking_id", "timeToFirstByteMs")
        }
    if isinstance(value, (list, tuple)):
        return [without_run_facts(v) for v in value]
    return value


def scenarios(name: str, emulator: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    chat = Agent(model=bedrock_model(name, emulator), callback_handler=None)(
        "Explain cloud computing in 2 sentences."
    )
    results["chat"] = (chat.message, chat.stop_reason)
    unstreamed = Agent(model=bedrock_model(name, emulator, streaming=False), callback_handler=None)
    results["unstreamed"] = unstreamed("Hello").message
    tools = Agent(model=bedrock_model(name, emulator), tools=[get_weather], callback_handler=None)
    tools("Use get_weather for Paris.")
    results["tools"] = tools.messages
    structured = Agent(model=bedrock_model(name, emulator), callback_handler=None)
    results["structured"] = structured.structured_output(Weather, "Weather in Oslo?")

    async def streamed() -> list[str]:
        agent = Agent(model=bedrock_model(name, emulator), callback_handler=None)
        return [e["data"] async for e in agent.stream_async("Write a haiku.") if "data" in e]

    results["async stream"] = asyncio.run(streamed())
    return without_run_facts(results)


def test_same_results_on_both_sessions(emulator: Any) -> None:
    expected = scenarios("boto3", emulator)
    assert scenarios("bedrock_cris", emulator) == expected


@pytest.mark.parametrize("name", ["boto3", "bedrock_cris"])
def test_user_agent_extra_reaches_the_wire(name: str, emulator: Any) -> None:
    Agent(model=bedrock_model(name, emulator), callback_handler=None)("Hello")
    (request,) = emulator.requests
    # strands appends its name to user_agent_extra (other frameworks imported in this process
    # may append theirs after it).
    assert "strands-agents" in dict(request["headers"])["user-agent"].split()


def errors(name: str, emulator: Any) -> list[Any]:
    model = bedrock_model(name, emulator)
    messages = [{"role": "user", "content": [{"text": "Hello"}]}]

    async def drain() -> None:
        async for _ in model.stream(messages):
            pass

    found = []
    emulator.fail(MODEL, "ThrottlingException", message="Too many requests", times=1)
    with pytest.raises(ModelThrottledException) as throttled:
        asyncio.run(drain())
    found.append(str(throttled.value))
    emulator.fail(
        MODEL, "ValidationException", message="Input is too long for requested model.", times=1
    )
    with pytest.raises(ContextWindowOverflowException) as overflow:
        asyncio.run(drain())
    found.append(str(overflow.value))
    return found


def test_throttling_and_context_overflow_are_translated_alike(emulator: Any) -> None:
    assert errors("bedrock_cris", emulator) == errors("boto3", emulator)

"""``botocore.stub.Stubber`` on our clients: unit tests written for a boto3 client pass
unchanged on ours (run here on both), with nothing sent."""

from __future__ import annotations

import asyncio
from typing import Any

import bedrock_cris
import pytest
from botocore.exceptions import (
    ClientError,
    ParamValidationError,
    StubResponseError,
    UnStubbedResponseError,
)
from botocore.stub import ANY, StubAssertionError, Stubber
from conftest import client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "stubbed"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
    "metrics": {"latencyMs": 5},
}


def summarize(client: Any) -> str:
    """Application code under test: what a user's unit test exercises."""
    try:
        answer = client.converse(modelId=MODEL, messages=MESSAGES)
    except client.exceptions.ThrottlingException:
        return "throttled"
    return answer["output"]["message"]["content"][0]["text"]


@pytest.fixture(params=["boto", "ours"])
def client(request: Any, ours: Any, boto: Any) -> Any:
    return ours if request.param == "ours" else boto


def test_stubbed_responses_and_errors(client: Any, emulator: Any) -> None:
    with Stubber(client) as stubber:
        stubber.add_response("converse", ANSWER, {"modelId": MODEL, "messages": MESSAGES})
        stubber.add_client_error(
            "converse", service_error_code="ThrottlingException", http_status_code=429
        )
        assert summarize(client) == "stubbed"
        assert summarize(client) == "throttled"
        stubber.assert_no_pending_responses()
    assert emulator.requests == []


def test_unexpected_params_and_calls_fail_the_test(client: Any) -> None:
    stubber = Stubber(client)
    stubber.add_response("converse", ANSWER, {"modelId": "other-model", "messages": ANY})
    stubber.activate()
    with pytest.raises(StubAssertionError, match="Expected parameters"):
        client.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(StubResponseError, match="Operation mismatch: found response for Converse"):
        client.count_tokens(modelId=MODEL, input={"converse": {"messages": MESSAGES}})
    client.converse(modelId="other-model", messages=[])
    with pytest.raises(UnStubbedResponseError, match="Unexpected API Call"):
        client.converse(modelId=MODEL, messages=MESSAGES)
    stubber.deactivate()


def test_invalid_stubbed_responses_and_params_are_refused(client: Any) -> None:
    stubber = Stubber(client)
    with pytest.raises(ParamValidationError):
        stubber.add_response("converse", {"stopReason": 7})
    stubber.add_response("converse", ANSWER)
    with stubber, pytest.raises(ParamValidationError):
        client.converse(modelId=MODEL, messages="not a list")


def test_client_error_details(client: Any) -> None:
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "converse",
            service_error_code="ValidationException",
            service_message="Input is too long for requested model.",
            http_status_code=400,
        )
        with pytest.raises(ClientError) as caught:
            client.converse(modelId=MODEL, messages=MESSAGES)
    error = caught.value
    assert isinstance(error, client.exceptions.ValidationException)
    assert error.response["Error"]["Message"] == "Input is too long for requested model."
    assert str(error) == (
        "An error occurred (ValidationException) when calling the Converse operation: "
        "Input is too long for requested model."
    )


def test_stubber_on_the_asyncio_client(emulator: Any) -> None:
    async def main() -> Any:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:
            with Stubber(client) as stubber:
                stubber.add_response("converse", ANSWER)
                return await client.converse(modelId=MODEL, messages=MESSAGES)

    assert asyncio.run(main())["output"] == ANSWER["output"]
    assert emulator.requests == []

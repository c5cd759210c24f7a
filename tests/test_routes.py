"""``routes``: failover to another Region or inference profile when a target is throttled or
down, circuit breakers, errors that never fail over, and a throttle that arrives as a stream's
first event, retried before any event reaches the caller."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, SECRET_KEY, client_kwargs

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
APAC = "apac.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
HOME, AWAY = "ap-south-1", "ap-southeast-1"  # conftest's clients sign for HOME
ROUTES = {MODEL: [APAC, f"{AWAY}/*"], "*": [f"{AWAY}/*"]}


def facade(emulator: Any, routes: Any = ROUTES, **config: Any) -> Any:
    config.setdefault("retries", {"total_max_attempts": 1})
    return bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=Config(routes=routes, **config)),
    )


def regions_asked(emulator: Any) -> list[str]:
    """The Region each recorded request was signed for."""
    regions = []
    for request in emulator.requests:
        auth = dict(request["headers"])["authorization"]
        regions.append(auth.split("Credential=")[1].split("/")[2])
    return regions


#: Known bug: a stream refused by every target raises the last refusal without the earlier
#: targets' errors chained (routed::finish drops them for an Ok, refused, stream, and the
#: stream, src/stream.rs, has no way to carry them yet).
def aio_facade(emulator: Any, routes: Any = ROUTES, **config: Any) -> Any:
    config.setdefault("retries", {"total_max_attempts": 1})
    return bedrock_cris.aio.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=Config(routes=routes, **config)),
    )


def errors_chained(error: BaseException | None) -> list[BaseException]:
    """``error`` and the errors chained to it by ``__cause__``, outermost first."""
    errors = []
    while error is not None:
        errors.append(error)
        error = error.__cause__
    return errors


def chain_of(error: BaseException | None) -> list[str]:
    """The type names of :func:`errors_chained`."""
    return [type(e).__name__ for e in errors_chained(error)]


def test_throttled_region_fails_over_to_another(emulator: Any) -> None:
    emulator.throttle(region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]})
    response = ours.converse(modelId=MODEL, messages=MESSAGES)
    metadata = response["ResponseMetadata"]
    assert metadata["Route"] == {"region": AWAY, "modelId": MODEL, "targetsTried": 2}
    assert metadata["RetryAttempts"] == 0
    assert regions_asked(emulator) == [HOME, AWAY]
    # The endpoint URL stays: the request is only signed for the new Region.
    assert {r["path"] for r in emulator.requests} == {
        f"/model/{MODEL.replace(':', '%3A')}/converse"
    }


def test_quota_exhausted_profile_fails_over_to_a_geographic_one(emulator: Any) -> None:
    emulator.set_quota(MODEL, region=HOME, requests_per_minute=1)
    ours = facade(emulator)
    first = ours.converse(modelId=MODEL, messages=MESSAGES)
    second = ours.converse(modelId=MODEL, messages=MESSAGES)
    assert first["ResponseMetadata"]["Route"] == {
        "region": HOME,
        "modelId": MODEL,
        "targetsTried": 1,
    }
    assert second["ResponseMetadata"]["Route"]["modelId"] == APAC
    usage = emulator.usage()[HOME]
    assert usage[MODEL]["throttled"] == 1 and usage[APAC]["requests"] == 1


@pytest.mark.parametrize(
    "code", ["ServiceUnavailableException", "ModelNotReadyException", "InternalServerException"]
)
def test_down_targets_fail_over(emulator: Any, code: str) -> None:
    emulator.fail(MODEL, code, region=HOME)
    response = facade(emulator).converse(modelId=MODEL, messages=MESSAGES)
    assert response["ResponseMetadata"]["Route"]["modelId"] == APAC


def test_invoke_model_and_its_stream_fail_over(emulator: Any) -> None:
    emulator.throttle(region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]})
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": MESSAGES}
    )
    answer = ours.invoke_model(modelId=MODEL, body=body)
    assert answer["ResponseMetadata"]["Route"]["region"] == AWAY
    assert json.loads(answer["body"].read())["type"] == "message"
    stream = ours.invoke_model_with_response_stream(modelId=MODEL, body=body)
    assert stream["ResponseMetadata"]["Route"]["region"] == AWAY
    assert list(stream["body"])


@pytest.mark.parametrize("code", ["ValidationException", "AccessDeniedException"])
def test_non_retryable_errors_never_fail_over(emulator: Any, code: str) -> None:
    emulator.fail("*", code, region=HOME)
    ours = facade(emulator)
    with pytest.raises(exceptions.ClientError) as raised:
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.__cause__ is None
    assert regions_asked(emulator) == [HOME]


def test_an_exhausted_route_list_raises_the_last_error_with_the_others_chained(
    emulator: Any,
) -> None:
    emulator.throttle()
    ours = facade(emulator)
    with pytest.raises(exceptions.ClientError) as raised:
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert chain_of(raised.value) == ["ThrottlingException"] * 3
    assert regions_asked(emulator) == [HOME, HOME, AWAY]
    assert "ResponseMetadata" in raised.value.response


def test_each_target_retries_before_failing_over(emulator: Any) -> None:
    emulator.throttle(region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]}, retries={"total_max_attempts": 2})
    response = ours.converse(modelId=MODEL, messages=MESSAGES)
    assert regions_asked(emulator) == [HOME, HOME, AWAY]
    assert response["ResponseMetadata"]["RetryAttempts"] == 0  # of the target that answered


def test_a_circuit_breaker_opens_cools_down_and_closes(emulator: Any) -> None:
    emulator.fail("*", "ServiceUnavailableException", region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]}, route_cooldown=0.5)
    for _ in range(3):  # three failures in a row open HOME's breaker
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert regions_asked(emulator) == [HOME, AWAY] * 3
    emulator.clear()
    response = ours.converse(modelId=MODEL, messages=MESSAGES)
    assert regions_asked(emulator) == [AWAY]  # skipped while open
    assert response["ResponseMetadata"]["Route"]["targetsTried"] == 1
    emulator.reset()  # HOME recovers
    time.sleep(0.6)
    emulator.clear()
    probe = ours.converse(modelId=MODEL, messages=MESSAGES)
    assert probe["ResponseMetadata"]["Route"]["region"] == HOME  # the probe, which succeeds
    ours.converse(modelId=MODEL, messages=MESSAGES)
    assert regions_asked(emulator) == [HOME, HOME]  # closed again


def test_a_failed_probe_reopens_the_breaker(emulator: Any) -> None:
    emulator.fail("*", "ServiceUnavailableException", region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]}, route_cooldown=0.3)
    for _ in range(3):
        ours.converse(modelId=MODEL, messages=MESSAGES)
    time.sleep(0.4)
    emulator.clear()
    ours.converse(modelId=MODEL, messages=MESSAGES)  # the probe fails: open again
    ours.converse(modelId=MODEL, messages=MESSAGES)
    assert regions_asked(emulator) == [HOME, AWAY, AWAY]


def test_with_a_limiter_a_full_lane_spills_over_to_a_free_one(emulator: Any) -> None:
    import threading

    emulator.set_latency(time_to_first_token=0.3)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]}, max_in_flight=1)
    routes: list[Any] = []
    calls = [
        threading.Thread(
            target=lambda: routes.append(
                ours.converse(modelId=MODEL, messages=MESSAGES)["ResponseMetadata"]["Route"]
            )
        )
        for _ in range(2)
    ]
    for call in calls:
        call.start()
        time.sleep(0.05)
    for call in calls:
        call.join()
    # The second call found HOME's one place taken and AWAY's free: nothing failed.
    assert sorted(r["region"] for r in routes) == [HOME, AWAY]
    assert all(r["targetsTried"] == 1 for r in routes)


def test_a_throttle_as_the_first_stream_event_is_retried_invisibly(emulator: Any) -> None:
    emulator.fail_stream(MODEL, 0, code="ThrottlingException", times=1)
    ours = facade(emulator, routes=None, retries={"total_max_attempts": 3})
    response = ours.converse_stream(modelId=MODEL, messages=MESSAGES)
    events = list(response["stream"])
    assert "messageStart" in events[0] and "metadata" in events[-1]
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert "Route" not in response["ResponseMetadata"]  # no routes configured


def test_a_stream_throttled_in_every_attempt_fails_over(emulator: Any) -> None:
    emulator.fail_stream(MODEL, 0, code="ThrottlingException", region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]})
    response = ours.converse_stream(modelId=MODEL, messages=MESSAGES)
    assert response["ResponseMetadata"]["Route"]["region"] == AWAY
    assert "metadata" in list(response["stream"])[-1]


def test_a_throttle_after_content_is_raised_as_before(emulator: Any) -> None:
    emulator.fail_stream(MODEL, 2, code="ThrottlingException")
    ours = facade(emulator, retries={"total_max_attempts": 3})
    stream = ours.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
    with pytest.raises(exceptions.EventStreamError, match="throttlingException"):
        list(stream)
    assert len(emulator.requests) == 1


def test_retries_exhausted_on_a_refused_stream_raise_while_iterating(emulator: Any) -> None:
    emulator.fail_stream(MODEL, 0, code="ServiceUnavailableException")
    ours = facade(emulator, routes=None, retries={"total_max_attempts": 2})
    response = ours.converse_stream(modelId=MODEL, messages=MESSAGES)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    with pytest.raises(exceptions.EventStreamError, match="serviceUnavailableException"):
        list(response["stream"])
    assert len(emulator.requests) == 2


def test_asyncio_fails_over(emulator: Any) -> None:
    emulator.throttle(region=HOME)

    async def main() -> dict[str, Any]:
        async with bedrock_cris.aio.client(
            "bedrock-runtime",
            **client_kwargs(
                emulator.endpoint_url,
                config=Config(routes=ROUTES, retries={"total_max_attempts": 1}),
            ),
        ) as client:
            response = await client.converse_stream(modelId=MODEL, messages=MESSAGES)
            events = [event async for event in response["stream"]]
            assert "metadata" in events[-1]
            return dict(response["ResponseMetadata"]["Route"])

    assert asyncio.run(main()) == {"region": AWAY, "modelId": MODEL, "targetsTried": 3}


def test_the_native_api_takes_routes(emulator: Any) -> None:
    emulator.throttle(region=HOME)
    client = bedrock_cris.Client(
        HOME,
        model=MODEL,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        routes={"*": [f"{AWAY}/*"]},
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert client.converse("hi").text
    assert "".join(client.stream("hi"))
    assert regions_asked(emulator) == [HOME, AWAY, HOME, AWAY]


def test_a_circuit_breaker_opens_and_closes_for_asyncio_calls(emulator: Any) -> None:
    emulator.fail("*", "ServiceUnavailableException", region=HOME)

    async def main() -> None:
        routes = {"*": [f"{AWAY}/*"]}
        async with aio_facade(emulator, routes=routes, route_cooldown=0.5) as client:
            for _ in range(3):  # three failures in a row open HOME's breaker
                await client.converse(modelId=MODEL, messages=MESSAGES)
            assert regions_asked(emulator) == [HOME, AWAY] * 3
            emulator.clear()
            response = await client.converse(modelId=MODEL, messages=MESSAGES)
            assert regions_asked(emulator) == [AWAY]  # skipped while open
            assert response["ResponseMetadata"]["Route"]["targetsTried"] == 1
            emulator.reset()  # HOME recovers
            await asyncio.sleep(0.6)
            emulator.clear()
            probe = await client.converse(modelId=MODEL, messages=MESSAGES)
            assert probe["ResponseMetadata"]["Route"]["region"] == HOME
            await client.converse(modelId=MODEL, messages=MESSAGES)
            assert regions_asked(emulator) == [HOME, HOME]  # closed again

    asyncio.run(main())


def test_a_circuit_breaker_opens_and_closes_for_streams(emulator: Any) -> None:
    # HOME refuses every stream with its first event: the breaker counts those as failures.
    emulator.fail_stream("*", 0, code="ServiceUnavailableException", region=HOME)
    ours = facade(emulator, routes={"*": [f"{AWAY}/*"]}, route_cooldown=0.5)

    def stream() -> dict[str, Any]:
        response = ours.converse_stream(modelId=MODEL, messages=MESSAGES)
        assert "metadata" in list(response["stream"])[-1]
        return dict(response["ResponseMetadata"]["Route"])

    for _ in range(3):
        assert stream()["region"] == AWAY
    assert regions_asked(emulator) == [HOME, AWAY] * 3
    emulator.clear()
    assert stream() == {"region": AWAY, "modelId": MODEL, "targetsTried": 1}
    assert regions_asked(emulator) == [AWAY]  # skipped while open
    emulator.reset()
    time.sleep(0.6)
    emulator.clear()
    assert stream()["region"] == HOME  # the probe, which succeeds
    assert stream()["region"] == HOME
    assert regions_asked(emulator) == [HOME, HOME]


def test_an_exhausted_route_list_chains_every_error_in_asyncio(emulator: Any) -> None:
    emulator.throttle()

    async def main() -> Any:
        async with aio_facade(emulator) as client:
            with pytest.raises(exceptions.ClientError) as raised:
                await client.converse(modelId=MODEL, messages=MESSAGES)
            return raised.value

    error = asyncio.run(main())
    assert chain_of(error) == ["ThrottlingException"] * 3
    assert regions_asked(emulator) == [HOME, HOME, AWAY]
    assert error.response["Error"]["Code"] == "ThrottlingException"


def test_an_exhausted_route_list_chains_every_error_for_a_refused_stream(emulator: Any) -> None:
    emulator.throttle()
    with pytest.raises(exceptions.ClientError) as raised:
        facade(emulator).converse_stream(modelId=MODEL, messages=MESSAGES)
    assert chain_of(raised.value) == ["ThrottlingException"] * 3
    assert regions_asked(emulator) == [HOME, HOME, AWAY]


def test_an_exhausted_route_list_chains_every_error_for_streams_refused_by_their_first_event(
    emulator: Any,
) -> None:
    # Every target's stream opens with a throttle: the last is raised while iterating (as
    # boto3 raises an exception event), the earlier targets' refusals chained to it.
    emulator.fail_stream("*", 0, code="ThrottlingException")
    response = facade(emulator).converse_stream(modelId=MODEL, messages=MESSAGES)
    assert response["ResponseMetadata"]["Route"] == {
        "region": AWAY,
        "modelId": MODEL,
        "targetsTried": 3,
    }
    with pytest.raises(exceptions.EventStreamError, match="throttlingException") as raised:
        list(response["stream"])
    chain = chain_of(raised.value)
    assert len(chain) == 3, chain
    assert all("throttlingException" in str(e) for e in errors_chained(raised.value)[1:])
    assert regions_asked(emulator) == [HOME, HOME, AWAY]


def test_an_asyncio_stream_exhausting_its_routes_chains_every_error(emulator: Any) -> None:
    emulator.fail_stream("*", 0, code="ThrottlingException")

    async def main() -> BaseException:
        async with aio_facade(emulator) as client:
            response = await client.converse_stream(modelId=MODEL, messages=MESSAGES)
            with pytest.raises(exceptions.EventStreamError) as raised:
                async for _event in response["stream"]:
                    pass
            return raised.value

    assert len(chain_of(asyncio.run(main()))) == 3
    assert regions_asked(emulator) == [HOME, HOME, AWAY]


def test_routes_are_checked() -> None:
    with pytest.raises(TypeError):
        Config(routes=["x"])
    with pytest.raises(ValueError, match="routes"):
        Config(routes={"*": "ap-south-1/*"})
    with pytest.raises(ValueError, match="route_cooldown"):
        Config(route_cooldown=-1)

"""The rest of the bedrock-runtime API through the facade and its async twin,
compared with boto3 on the same emulator: token counting, guardrails, async
invocations and their paginator, and client niceties (meta, close, with)."""

from __future__ import annotations

import asyncio
from typing import Any

import bedrock_cris
import pytest
from conftest import client_kwargs
from test_differential import assert_same, call_both

CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1:0"
NOVA = "amazon.nova-lite-v1:0"


def start_job(client: Any, i: int) -> dict[str, Any]:
    return client.start_async_invoke(
        modelId=NOVA,
        modelInput={"prompt": f"video {i}"},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://bucket/out/{i}"}},
        tags=[{"key": "n", "value": str(i)}],
    )


CASES = {
    "count_tokens-converse": (
        "count_tokens",
        dict(
            modelId=CLAUDE,
            input={
                "converse": {"messages": [{"role": "user", "content": [{"text": "hello there"}]}]}
            },
        ),
    ),
    "count_tokens-invoke": (
        "count_tokens",
        dict(modelId=CLAUDE, input={"invokeModel": {"body": b'{"messages": []}'}}),
    ),
    "apply_guardrail-pass": (
        "apply_guardrail",
        dict(
            guardrailIdentifier="gr-123",
            guardrailVersion="1",
            source="INPUT",
            content=[{"text": {"text": "a friendly question"}}],
        ),
    ),
    "apply_guardrail-blocked": (
        "apply_guardrail",
        dict(
            guardrailIdentifier="gr-123",
            guardrailVersion="DRAFT",
            source="OUTPUT",
            content=[{"text": {"text": "this must be blocked", "qualifiers": ["guard_content"]}}],
            outputScope="FULL",
        ),
    ),
    "invoke_guardrail_checks": (
        "invoke_guardrail_checks",
        dict(messages=[{"role": "user", "content": [{"text": "check me"}]}], checks={}),
    ),
    "get_async_invoke-missing": (
        "get_async_invoke",
        dict(invocationArn="arn:aws:bedrock:ap-south-1:123456789012:async-invoke/nope"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_operation_matches_boto3(emulator: Any, ours: Any, boto: Any, case: str) -> None:
    method, params = CASES[case]
    mine, theirs = call_both(emulator, ours, boto, method, **params)
    if isinstance(theirs, Exception):
        assert type(mine).__name__ == type(theirs).__name__
        assert str(mine) == str(theirs)
    else:
        assert_same(mine, theirs)


def test_async_invoke_lifecycle_matches_boto3(emulator: Any, ours: Any, boto: Any) -> None:
    for i in range(5):
        start_job(boto, i)
    started = start_job(ours, 5)
    assert started["invocationArn"].startswith("arn:aws:bedrock:")
    mine, theirs = call_both(
        emulator, ours, boto, "get_async_invoke", invocationArn=started["invocationArn"]
    )
    assert_same(mine, theirs)
    assert mine["submitTime"].tzinfo is not None  # timestamps are aware datetimes
    for params in ({}, {"maxResults": 2}, {"maxResults": 2, "sortOrder": "Ascending"}):
        mine, theirs = call_both(emulator, ours, boto, "list_async_invokes", **params)
        assert_same(mine, theirs)


def test_paginator_matches_boto3(emulator: Any, ours: Any, boto: Any) -> None:
    for i in range(7):
        start_job(ours, i)
    assert ours.can_paginate("list_async_invokes") and not ours.can_paginate("converse")
    for config in (
        {},
        {"PageSize": 2},
        {"PageSize": 3, "MaxItems": 5},
        {"MaxItems": 4, "PageSize": 2},
    ):
        pages = [
            list(c.get_paginator("list_async_invokes").paginate(PaginationConfig=config))
            for c in (ours, boto)
        ]
        assert [[p["asyncInvokeSummaries"] for p in pages_] for pages_ in pages][0] == [
            [p["asyncInvokeSummaries"] for p in pages_] for pages_ in pages
        ][1]
        full = [
            c.get_paginator("list_async_invokes")
            .paginate(PaginationConfig=config)
            .build_full_result()
            for c in (ours, boto)
        ]
        assert full[0] == full[1]
    # A resume token from one library continues in the other.
    partial = boto.get_paginator("list_async_invokes").paginate(
        PaginationConfig={"MaxItems": 3, "PageSize": 2}
    )
    token = partial.build_full_result()["NextToken"]
    rest = [
        c.get_paginator("list_async_invokes")
        .paginate(PaginationConfig={"StartingToken": token, "PageSize": 2})
        .build_full_result()
        for c in (ours, boto)
    ]
    assert rest[0] == rest[1]
    with pytest.raises(bedrock_cris.exceptions.OperationNotPageableError):
        ours.get_paginator("converse")


def test_async_twins_of_every_operation(emulator: Any, ours: Any) -> None:
    async def main() -> None:
        async with bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(emulator.endpoint_url)
        ) as client:
            method, params = CASES["count_tokens-converse"]
            assert (await client.count_tokens(**params))["inputTokens"] == ours.count_tokens(
                **params
            )["inputTokens"]
            method, params = CASES["apply_guardrail-blocked"]
            assert (await client.apply_guardrail(**params))["action"] == ours.apply_guardrail(
                **params
            )["action"]
            arn = (
                await client.start_async_invoke(
                    modelId=NOVA,
                    modelInput={},
                    outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://b/k"}},
                )
            )["invocationArn"]
            assert (await client.get_async_invoke(invocationArn=arn))["invocationArn"] == arn
            assert any(
                s["invocationArn"] == arn
                for s in (await client.list_async_invokes())["asyncInvokeSummaries"]
            )

    asyncio.run(main())


def test_client_niceties_like_boto3(emulator: Any, ours: Any, boto: Any) -> None:
    assert ours.meta.region_name == boto.meta.region_name
    assert ours.meta.endpoint_url == boto.meta.endpoint_url
    assert set(ours.meta.method_to_api_mapping.items()) >= {
        (k, v)
        for k, v in boto.meta.method_to_api_mapping.items()
        if k != "invoke_model_with_bidirectional_stream"
    }
    for name in boto.meta.method_to_api_mapping:
        assert callable(getattr(ours, name)), name
    with bedrock_cris.client("bedrock-runtime", **client_kwargs(emulator.endpoint_url)) as client:
        assert client.count_tokens(**CASES["count_tokens-converse"][1])["inputTokens"] > 0
    client.close()

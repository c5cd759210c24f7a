"""Embed jobs along ``routes``: a throttled or down Region fails over as calls do, an exhausted
route list raises the last target's error with the others chained, and non-retryable errors
never fail over."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, SECRET_KEY

EMBED = "amazon.titan-embed-text-v2:0"  # one text per request
HOME, AWAY = "ap-south-1", "ap-southeast-1"


def client(emulator: Any, **options: Any) -> bedrock_cris.Client:
    return bedrock_cris.Client(
        HOME,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        routes={"*": [f"{AWAY}/*"]},
        **options,
    )


def requests_by_region(emulator: Any) -> dict[str, int]:
    return {
        region: sum(u["requests"] for u in m.values()) for region, m in emulator.usage().items()
    }


def test_a_throttled_region_fails_over_sync_and_asyncio(emulator: Any) -> None:
    emulator.throttle(region=HOME)
    ours = client(emulator)
    texts = [f"text {i}" for i in range(4)]
    vectors = ours.embed(texts, model=EMBED, dimensions=256, max_retries=0, max_concurrency=1)
    assert len(vectors) == 4
    served = asyncio.run(
        ours.aembed(texts, model=EMBED, dimensions=256, max_retries=0, max_concurrency=1)
    )
    assert len(served) == 4
    usage = emulator.usage()
    assert usage[AWAY][EMBED]["requests"] == 8
    assert usage[HOME][EMBED]["throttled"] == usage[HOME][EMBED]["requests"] > 0


def test_an_exhausted_route_list_chains_every_targets_error(emulator: Any) -> None:
    emulator.throttle()
    ours = client(emulator)
    with pytest.raises(bedrock_cris.EmbeddingError) as raised:
        ours.embed(["a"], model=EMBED, dimensions=256, max_retries=0)
    chain = []
    error: BaseException | None = raised.value.__cause__
    while error is not None:
        chain.append(type(error).__name__)
        error = error.__cause__
    assert chain == ["ThrottlingException", "ThrottlingException"]


def test_non_retryable_errors_never_fail_over(emulator: Any) -> None:
    emulator.fail("*", "AccessDeniedException", region=HOME)
    with pytest.raises(bedrock_cris.EmbeddingError) as raised:
        client(emulator).embed(["a"], model=EMBED, dimensions=256)
    assert type(raised.value.__cause__).__name__ == "AccessDeniedException"
    assert raised.value.__cause__.__cause__ is None
    assert requests_by_region(emulator) == {HOME: 1}


def test_a_circuit_breaker_opens_and_closes_for_embed_requests(emulator: Any) -> None:
    emulator.fail("*", "ServiceUnavailableException", region=HOME)
    ours = client(emulator, config=Config(route_cooldown=0.5, retries={"total_max_attempts": 1}))
    texts = [f"text {i}" for i in range(6)]
    options: Any = {"model": EMBED, "dimensions": 256, "max_retries": 0, "max_concurrency": 1}
    assert len(ours.embed(texts, **options)) == 6
    # Three failures in a row opened HOME's breaker: the other three went to AWAY at once.
    assert requests_by_region(emulator) == {HOME: 3, AWAY: 6}
    emulator.reset_all()  # HOME recovers
    time.sleep(0.6)
    assert len(ours.embed(texts[:2], **options)) == 2
    # The probe succeeded and closed the breaker: both requests were HOME's.
    assert requests_by_region(emulator) == {HOME: 2}

"""Sending one request from an actor: within the cluster's quota when one is set, retrying
throttles (fed back to the quota, or with jittered backoff when there is none)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bedrock_cris.ray._quota import QuotaLease
from bedrock_cris.ray._rows import is_throttle

T = TypeVar("T")


async def send(
    call: Callable[[], Awaitable[T]],
    *,
    lease: QuotaLease | None,
    tokens: float,
    retries: int,
) -> T:
    attempt = 0
    while True:
        if lease is not None:
            await lease.reserve(tokens)
        try:
            return await call()
        except Exception as error:
            if attempt >= retries or not is_throttle(error):
                raise
            attempt += 1
            if lease is not None:
                lease.throttled()  # the quota slows every worker down, and spaces this retry
            else:
                await asyncio.sleep(random.uniform(0, min(20.0, 0.5 * 2**attempt)))


def estimated_tokens(*texts: Any) -> float:
    """A request's input tokens before it is sent: about four characters a token."""
    return 1.0 + sum(len(text) for text in texts if isinstance(text, str)) / 4.0

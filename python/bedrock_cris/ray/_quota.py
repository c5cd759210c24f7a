"""One quota for the whole cluster: a named Ray actor holding, per Region and model, a bucket
for requests per minute and one for tokens per minute, that every worker asks before it sends.

Each ask reserves the next free slot (requests are spaced at the quota's rate, and a request
of T tokens holds the token channel for T/rate), so the answer is how long to wait; the actor
never blocks and a worker asks once per request. Workers piggyback what they saw since their
last ask: throttles cut the bucket's rate (x0.7, at most once a second), which then recovers
linearly to the quota (5 % of it per second), as the client's adaptive limiter does; the
difference between a request's estimated and billed tokens is credited or charged.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ray

#: The named actor's name and namespace: every job on the cluster shares it.
ACTOR_NAME = "quota"
NAMESPACE = "bedrock_cris"

_DECREASE = 0.7
_MIN_FACTOR = 0.05
_RECOVERY_PER_SECOND = 0.05
_DECREASE_EVERY = 1.0


class _Bucket:
    def __init__(self, now: float) -> None:
        self.requests_per_minute: float | None = None
        self.tokens_per_minute: float | None = None
        self.factor = 1.0
        self.updated = now
        self.last_decrease = float("-inf")
        self.next_request = now
        self.next_token = now
        self.reservations = 0
        self.throttles = 0

    def feedback(self, now: float, throttles: int, token_correction: float) -> None:
        if self.factor < 1.0:
            self.factor = min(1.0, self.factor + _RECOVERY_PER_SECOND * (now - self.updated))
        self.updated = now
        if throttles:
            self.throttles += throttles
            if now - self.last_decrease >= _DECREASE_EVERY:
                self.factor = max(_MIN_FACTOR, self.factor * _DECREASE)
                self.last_decrease = now
        if token_correction and self.tokens_per_minute:
            rate = self.tokens_per_minute * self.factor / 60.0
            self.next_token += token_correction / rate

    def reserve(self, now: float, tokens: float) -> float:
        start = max(now, self.next_request, self.next_token)
        if self.requests_per_minute:
            self.next_request = start + 60.0 / (self.requests_per_minute * self.factor)
        if self.tokens_per_minute:
            self.next_token = start + tokens * 60.0 / (self.tokens_per_minute * self.factor)
        self.reservations += 1
        return start - now


class ClusterQuota:
    """The quota actor's implementation (run as the named actor ``bedrock_cris/quota``).

    ``reserve`` returns the seconds to wait before sending one request of ``tokens`` tokens to
    ``key`` (``(region, model)``), within ``requests_per_minute`` and ``tokens_per_minute``
    (either may be None); ``stats`` reports each bucket's reservations, reported throttles and
    current fraction of the quota.
    """

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def reserve(
        self,
        key: tuple[str, str],
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        tokens: float,
        throttles: int = 0,
        token_correction: float = 0.0,
    ) -> float:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(now)
        bucket.requests_per_minute = requests_per_minute
        bucket.tokens_per_minute = tokens_per_minute
        bucket.feedback(now, throttles, token_correction)
        return bucket.reserve(now, tokens)

    def stats(self) -> dict[str, dict[str, float]]:
        return {
            f"{region}/{model}": {
                "reservations": bucket.reservations,
                "throttles": bucket.throttles,
                "rate_factor": bucket.factor,
            }
            for (region, model), bucket in self._buckets.items()
        }


def quota_actor() -> Any:
    """The cluster's quota actor, created on first use (detached, no CPU: it only counts)."""
    remote = ray.remote(num_cpus=0, max_restarts=-1)(ClusterQuota)
    return remote.options(
        name=ACTOR_NAME, namespace=NAMESPACE, lifetime="detached", get_if_exists=True
    ).remote()


class QuotaLease:
    """A worker's door to the quota actor for one Region and model."""

    def __init__(
        self,
        key: tuple[str, str],
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
    ) -> None:
        self._actor = quota_actor()
        self._key = key
        self._limits = (requests_per_minute, tokens_per_minute)
        self._throttles = 0
        self._correction = 0.0

    async def reserve(self, tokens: float) -> None:
        """Waits for this request's slot in the cluster's quota."""
        throttles, correction = self._throttles, self._correction
        self._throttles, self._correction = 0, 0.0
        delay = await self._actor.reserve.remote(
            self._key, *self._limits, tokens, throttles, correction
        )
        if delay > 0:
            await asyncio.sleep(delay)

    def throttled(self) -> None:
        self._throttles += 1

    def billed(self, estimated: float, actual: float) -> None:
        self._correction += actual - estimated


def check_limits(requests_per_minute: object, tokens_per_minute: object) -> None:
    for name, value in (
        ("requests_per_minute", requests_per_minute),
        ("tokens_per_minute", tokens_per_minute),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number or None, not {value!r}")

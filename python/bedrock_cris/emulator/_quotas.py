"""Quotas, Regions and usage, the part of :class:`bedrock_cris.emulator.Emulator` that plays
Bedrock's per-minute limits."""

from __future__ import annotations

import json
from typing import Any, TypedDict, cast

from bedrock_cris._native import EmulatorServer

__all__ = ["Quotas", "Usage"]


class Usage(TypedDict):
    """What one Region and model id was asked for and answered (:meth:`Emulator.usage`)."""

    requests: int
    """Requests that arrived (answered, refused or faulted)."""
    throttled: int
    """Of those, answered ``ThrottlingException`` (a quota, the concurrency limit or a fault)."""
    errors: int
    """Of those, answered another error."""
    input_tokens: int
    """Input tokens of the answers served."""
    output_tokens: int
    """Output tokens of the answers served."""


class Quotas:
    """Quota methods of the emulator: requests- and tokens-per-minute buckets per source Region
    and model id, the quota clock's speed, the default Region, and usage counters."""

    def _require(self) -> EmulatorServer:
        raise NotImplementedError

    def set_quota(
        self,
        model_id: str = "*",
        region: str | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
    ) -> None:
        """Sets Bedrock's per-minute quotas for ``model_id`` in ``region``.

        Each limit is a bucket that holds one minute's worth and refills continuously; a
        request needs one request and its tokens (input + output, as Bedrock bills them) in
        the buckets, else it is answered ``ThrottlingException`` with Bedrock's message
        ("Too many requests, please wait before trying again." or "Too many tokens, please
        wait before trying again.") and takes nothing. Applies to Converse, ConverseStream,
        InvokeModel and InvokeModelWithResponseStream.

        Args:
            model_id: The model id as sent (an inference profile such as
                ``global.anthropic...``), its bare foundation-model id (shared by its
                profiles), or ``"*"``: every model id, each with buckets of its own.
            region: The source Region (``None``: every Region, each with its own buckets).
            requests_per_minute: Requests per quota minute (``None``: no limit).
            tokens_per_minute: Tokens per quota minute (``None``: no limit). With neither
                limit, the quota for ``(region, model_id)`` is removed.

        The most specific quota applies (Region and model over Region over model over all).
        """
        self._set_quotas(
            {
                "model_id": model_id,
                "region": region,
                "requests_per_minute": requests_per_minute,
                "tokens_per_minute": tokens_per_minute,
            }
        )

    def _set_quotas(self, spec: Any) -> None:
        self._require().set_quotas(json.dumps(spec))

    @property
    def quotas(self) -> list[dict[str, Any]]:
        """The quotas in force, as :meth:`set_quota`'s keyword arguments."""
        return cast("list[dict[str, Any]]", self._quota_settings()["quotas"])

    def _quota_settings(self) -> dict[str, Any]:
        return cast("dict[str, Any]", json.loads(self._require().quotas_json()))

    def clear_quotas(self) -> None:
        """Removes every quota."""
        self._require().clear_quotas()

    @property
    def time_scale(self) -> float:
        """Quota minutes per real minute."""
        return float(self._quota_settings()["time_scale"])

    def set_time_scale(self, scale: float) -> None:
        """Makes quota time pass ``scale`` times as fast as real time (60: a quota minute
        lasts one second), so minutes of traffic against a quota take seconds."""
        self._set_quotas({"time_scale": scale})

    @property
    def default_region(self) -> str:
        """The Region of bearer-token and unsigned requests."""
        return str(self._quota_settings()["default_region"])

    def set_default_region(self, region: str) -> None:
        """Sets the Region that bearer-token and unsigned requests count toward."""
        self._set_quotas({"default_region": region})

    def usage(self) -> dict[str, dict[str, Usage]]:
        """Requests, throttles, errors and tokens since the last reset, by source Region
        then model id as sent: ``emu.usage()["us-east-1"][model_id]["throttled"]``."""
        return cast("dict[str, dict[str, Usage]]", json.loads(self._require().usage_json()))

    def clear_usage(self) -> None:
        """Forgets the usage counters."""
        self._require().clear_usage()

"""What :class:`Embedder` and :class:`Converser` share: one client per actor, the output and
error columns, the error mode, the cluster quota's lease and the cap on requests in flight."""

from __future__ import annotations

import asyncio
from typing import Any

from bedrock_cris.ray import _rows
from bedrock_cris.ray._quota import QuotaLease


class RowWorker:
    """The per-actor state of a ``map_batches`` callable class (arguments already checked)."""

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        max_concurrency: int,
        max_retries: int,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        output_column: str,
        error_column: str,
        on_error: str,
    ) -> None:
        self._client = _rows.resolve_client(client)
        self._max_concurrency = max_concurrency
        self._max_retries = max_retries
        self._output_column = output_column
        self._error_column = error_column
        self._on_error = on_error
        self._lease = (
            None
            if requests_per_minute is None and tokens_per_minute is None
            else QuotaLease((self._client.region, model), requests_per_minute, tokens_per_minute)
        )
        self._in_flight: asyncio.Semaphore | None = None  # made on the actor's event loop

    def _ensure_in_flight(self) -> asyncio.Semaphore:
        """The cap on this actor's requests in flight, made on first use (on its loop)."""
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(self._max_concurrency)
        return self._in_flight

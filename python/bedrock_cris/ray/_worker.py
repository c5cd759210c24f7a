"""What :class:`Embedder` and :class:`Converser` share: one client per actor, the output and
error columns, the error mode, the cluster quota's lease and the cap on requests in flight."""

from __future__ import annotations

import asyncio
from typing import Any

from bedrock_cris.ray import _rows
from bedrock_cris.ray._quota import QuotaLease, check_limits

#: The keyword arguments every worker takes, for :class:`RowWorker`.
SETTINGS = (
    "max_concurrency",
    "max_retries",
    "requests_per_minute",
    "tokens_per_minute",
    "output_column",
    "error_column",
    "on_error",
)


def settings_of(arguments: dict[str, Any]) -> dict[str, Any]:
    """The :data:`SETTINGS` among a constructor's ``arguments`` (its ``locals()``)."""
    return {name: arguments[name] for name in SETTINGS}


class RowWorker:
    """The per-actor state of a ``map_batches`` callable class; its arguments are checked
    first (:func:`check_worker_args`), as the driver does before any actor starts."""

    def __init__(self, client: Any, model: str, **settings: Any) -> None:
        """``settings``: every one of :data:`SETTINGS`."""
        check_worker_args(model=model, **settings)
        self._client = _rows.resolve_client(client)
        self._max_concurrency: int = settings["max_concurrency"]
        self._max_retries: int = settings["max_retries"]
        self._output_column: str = settings["output_column"]
        self._error_column: str = settings["error_column"]
        self._on_error: str = settings["on_error"]
        requests_per_minute = settings["requests_per_minute"]
        tokens_per_minute = settings["tokens_per_minute"]
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


def check_worker_args(
    *,
    model: object,
    max_concurrency: object,
    max_retries: object,
    requests_per_minute: object,
    tokens_per_minute: object,
    output_column: object,
    error_column: object,
    on_error: object,
    **_: object,
) -> None:
    """Checks the arguments every worker has (the others, in ``**_``, are its class's to
    check), on the driver before any actor or request, and again in each actor."""
    _rows.check_column("output_column", output_column)
    _rows.check_column("error_column", error_column)
    _rows.check_on_error(on_error)
    check_limits(requests_per_minute, tokens_per_minute)
    if not isinstance(model, str):
        raise TypeError(f"model must be a str, not {type(model).__name__}")
    for name, value, least in (
        ("max_concurrency", max_concurrency, 1),
        ("max_retries", max_retries, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an int of at least {least}, not {value!r}")

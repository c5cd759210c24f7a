"""Whether OpenTelemetry instruments bedrock_cris clients (set by ``bedrock_cris.otel``).

Kept apart from ``otel`` so that ``_event_calls`` reads two names and never imports
OpenTelemetry: ``sync_wrapper`` / ``async_wrapper`` are None until ``instrument()``, and the
clients' methods do not even reach them while nothing is instrumented or registered."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["async_wrapper", "sync_wrapper"]

#: ``wrapper(call, client, (operation, params), {})``: traces ``call(operation, params)``.
sync_wrapper: Callable[..., Any] | None = None
#: The same for the asyncio client; ``call`` returns an awaitable.
async_wrapper: Callable[..., Any] | None = None

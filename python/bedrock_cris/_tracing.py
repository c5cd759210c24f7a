"""Whether a client's calls take the slow path (``_event_calls``): while OpenTelemetry
instruments clients (set by ``bedrock_cris.otel``) or the client has event handlers.

Each client keeps the answer in its own ``_hooked`` attribute, an instance attribute because
reading one costs a few nanoseconds where a class attribute reached through the instance
costs ~40 on Python 3.11. Kept apart from ``otel`` so that nothing here imports
OpenTelemetry: ``sync_wrapper`` / ``async_wrapper`` / ``embed_job`` are None until
``instrument()``."""

from __future__ import annotations

from weakref import WeakSet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable
    from typing import Any, Callable

__all__ = [
    "async_wrapper",
    "embed_job",
    "refresh_all",
    "register",
    "sync_wrapper",
    "traced",
    "traced_async",
]

#: ``wrapper(call, client, (operation, params), {})``: traces ``call(operation, params)``.
sync_wrapper: Callable[..., Any] | None = None
#: The same for the asyncio client; ``call`` returns an awaitable.
async_wrapper: Callable[..., Any] | None = None
#: ``embed_job(meta, request)``: a context manager around one embed job (its span), giving
#: the tracer the native pipeline tells of each request (``_native.embed``'s ``trace``).
embed_job: Callable[..., Any] | None = None
#: Whether ``instrument()`` is in effect.
instrumented = False
#: Every live facade client, so ``instrument()`` can update their flags.
_clients: WeakSet[Any] = WeakSet()


def hooked(client: Any) -> bool:
    """Whether ``client``'s calls must go through ``_event_calls``."""
    events = client.meta._events
    return instrumented or (events is not None and events._active)


def register(client: Any) -> None:
    """Called by each new client: sets its flag and keeps it up to date."""
    _clients.add(client)
    client._hooked = hooked(client)


def refresh_all() -> None:
    """Updates every client's flag (``instrument()`` and ``uninstrument()`` call it)."""
    for client in list(_clients):
        client._hooked = hooked(client)


class _Caller:
    """What the instrumentation reads of a client: its ``meta`` (Region, endpoint, service
    model). The native API's calls are traced as the facade's calls of the same operation."""

    __slots__ = ("meta",)

    def __init__(self, meta: Any) -> None:
        self.meta = meta


def traced(meta: Any, call: Callable[[str, Any], Any], operation: str, params: Any) -> Any:
    """``call(operation, params)`` (the native client's generic door: facade-shaped params
    and result) under ``sync_wrapper``: the span the facade's call of ``operation`` gets.
    Called only while ``sync_wrapper`` is set (the native API checks it first, so untraced
    calls pay nothing)."""
    wrapper = sync_wrapper
    if wrapper is None:  # uninstrumented meanwhile
        return call(operation, params)
    return wrapper(call, _Caller(meta), (operation, params), {})


async def traced_async(
    meta: Any, call: Callable[[str, Any], Awaitable[Any]], operation: str, params: Any
) -> Any:
    """:func:`traced` for the asyncio door, under ``async_wrapper``."""
    wrapper = async_wrapper
    if wrapper is None:
        return await call(operation, params)
    return await wrapper(call, _Caller(meta), (operation, params), {})

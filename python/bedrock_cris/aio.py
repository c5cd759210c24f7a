"""asyncio twins of the facade, aioboto3-style.

    async with bedrock_cris.aio.client("bedrock-runtime", region_name="ap-south-1") as client:
        response = await client.converse(modelId=..., messages=[...])
        stream = await client.converse_stream(modelId=..., messages=[...])
        async for event in stream["stream"]:
            ...

Calls run on the same tokio runtime and Rust code as the blocking client; the
event loop is never blocked, hundreds of concurrent awaits share one client
with no pool setting, and cancelling a task (e.g. ``asyncio.wait_for``)
cancels its request.
"""

from __future__ import annotations

import weakref

from bedrock_cris import _client, _tracing
from bedrock_cris._client import ClientMeta, _ClientExceptions
from bedrock_cris._native import NativeClient
from bedrock_cris._operations import AsyncBedrockRuntimeOperations

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any, Literal, overload

__all__ = ["AsyncBedrockRuntime", "Session", "client", "resource"]


class AsyncBedrockRuntime(AsyncBedrockRuntimeOperations):
    """A bedrock-runtime client whose operations are coroutines (generated, see
    ``_operations``): the same arguments, results and errors as the blocking client's."""

    def __init__(self, native: NativeClient, meta: ClientMeta) -> None:
        self._native = native
        self.meta = meta
        self.exceptions = _ClientExceptions()
        meta._client = weakref.ref(self)
        _tracing.register(self)

    async def close(self) -> None:
        """Accepted for aioboto3 compatibility; connections are released with the client."""

    async def __aenter__(self) -> AsyncBedrockRuntime:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<bedrock_cris.aio.AsyncBedrockRuntime region_name={self.meta.region_name!r}>"

    def __reduce__(self) -> Any:
        return _client._rebuild_client, (type(self), self.meta._spec)


class Session(_client.Session):
    """aioboto3's ``Session``: ``client()`` gives an :class:`AsyncBedrockRuntime`; other
    services' clients and resources are aioboto3's own (its async context managers)."""

    _client_class = AsyncBedrockRuntime
    _delegate_package = "aioboto3"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        def client(
            self, service_name: Literal["bedrock-runtime"], *args: Any, **kwargs: Any
        ) -> AsyncBedrockRuntime: ...

        @overload
        def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any: ...

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """Creates an asyncio bedrock-runtime client; use it with ``async with`` or directly.
        Takes the same arguments as :meth:`bedrock_cris.Session.client`. Any other service
        gets aioboto3's ``session.client(...)`` (UnknownServiceError without aioboto3)."""
        return super().client(*args, **kwargs)


if TYPE_CHECKING:

    @overload
    def client(
        service_name: Literal["bedrock-runtime"], *args: Any, **kwargs: Any
    ) -> AsyncBedrockRuntime: ...

    @overload
    def client(service_name: str, *args: Any, **kwargs: Any) -> Any: ...


def client(*args: Any, **kwargs: Any) -> Any:
    """An asyncio client from a new default :class:`Session`."""
    return Session().client(*args, **kwargs)


def resource(*args: Any, **kwargs: Any) -> Any:
    """aioboto3's resource (an async context manager) from a new default :class:`Session`."""
    return Session().resource(*args, **kwargs)

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

from bedrock_cris import _client
from bedrock_cris._client import ClientMeta, _ClientExceptions, _keyword_only
from bedrock_cris._native import NativeClient

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any, Literal, overload

__all__ = ["AsyncBedrockRuntime", "Session", "client", "resource"]


class AsyncBedrockRuntime:
    """A bedrock-runtime client whose operations are coroutines."""

    def __init__(self, native: NativeClient, meta: ClientMeta) -> None:
        self._native = native
        self.meta = meta
        self.exceptions = _ClientExceptions()

    async def apply_guardrail(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``apply_guardrail``: same arguments, result and errors as the blocking client."""
        _keyword_only("apply_guardrail", args)
        return await self._native.call_async("ApplyGuardrail", kwargs)

    async def converse(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``converse``: same arguments, result and errors as the blocking client."""
        _keyword_only("converse", args)
        return await self._native.call_async("Converse", kwargs)

    async def converse_stream(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``converse_stream``: same arguments, result and errors as the blocking client."""
        _keyword_only("converse_stream", args)
        return await self._native.call_async("ConverseStream", kwargs)

    async def count_tokens(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``count_tokens``: same arguments, result and errors as the blocking client."""
        _keyword_only("count_tokens", args)
        return await self._native.call_async("CountTokens", kwargs)

    async def get_async_invoke(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``get_async_invoke``: same arguments, result and errors as the blocking client."""
        _keyword_only("get_async_invoke", args)
        return await self._native.call_async("GetAsyncInvoke", kwargs)

    async def invoke_guardrail_checks(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``invoke_guardrail_checks``: same arguments, result and errors as the blocking client."""
        _keyword_only("invoke_guardrail_checks", args)
        return await self._native.call_async("InvokeGuardrailChecks", kwargs)

    async def invoke_model(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``invoke_model``: same arguments, result and errors as the blocking client."""
        _keyword_only("invoke_model", args)
        return await self._native.call_async("InvokeModel", kwargs)

    async def invoke_model_with_bidirectional_stream(
        self, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        """Awaitable duplex stream: ``await body.send_async(event)`` on the :class:`InputStream`,
        ``async for`` over ``response["body"]``."""
        _keyword_only("invoke_model_with_bidirectional_stream", args)
        return await self._native.call_async("InvokeModelWithBidirectionalStream", kwargs)

    async def invoke_model_with_response_stream(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``invoke_model_with_response_stream``: same arguments, result and errors as the blocking client."""
        _keyword_only("invoke_model_with_response_stream", args)
        return await self._native.call_async("InvokeModelWithResponseStream", kwargs)

    async def list_async_invokes(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``list_async_invokes``: same arguments, result and errors as the blocking client."""
        _keyword_only("list_async_invokes", args)
        return await self._native.call_async("ListAsyncInvokes", kwargs)

    async def start_async_invoke(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Awaitable ``start_async_invoke``: same arguments, result and errors as the blocking client."""
        _keyword_only("start_async_invoke", args)
        return await self._native.call_async("StartAsyncInvoke", kwargs)

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

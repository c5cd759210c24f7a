"""``client.meta.events``: botocore's event emitter, with its semantics.

Handlers are registered under dotted names (``before-call.bedrock-runtime.Converse``); a
name matches every event it is a prefix of, part by part, and ``*`` matches any one part.
Handlers run from the most specific name to the least, and for one name those registered
with ``register_first`` before ``register`` before ``register_last``, as botocore's
``HierarchicalEmitter`` runs them. A ``unique_id`` registers a handler once.

A client's methods check one flag, ``_hooked``, which stays False until a handler is
registered: calls with no handlers pay nothing for events.
"""

from __future__ import annotations

import inspect
import threading
import weakref

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["HierarchicalEmitter", "first_non_none_response"]

_FIRST, _MIDDLE, _LAST = 0, 1, 2


def first_non_none_response(responses: list[tuple[Any, Any]], default: Any = None) -> Any:
    """The first handler's answer that is not None (botocore's helper of the same name)."""
    for _, response in responses:
        if response is not None:
            return response
    return default


def _accepts_kwargs(handler: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return True  # builtins and the like: botocore lets them through too
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())


class _Node:
    __slots__ = ("children", "handlers")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.handlers: tuple[list[Any], list[Any], list[Any]] | None = None


class HierarchicalEmitter:
    """Event handlers for one client (see the module docs)."""

    def __init__(self) -> None:
        self._root = _Node()
        self._lookup_cache: dict[str, list[Any]] = {}
        self._unique_ids: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._clients: list[weakref.ref[Any]] = []
        #: Whether any handler is registered (kept by ``_changed``).
        self._active = False

    def _bind(self, client: Any) -> None:
        """Keeps ``client._hooked`` True while any handler is registered (see ``_tracing``)."""
        self._clients.append(weakref.ref(client))
        self._show(client)

    def _show(self, client: Any) -> None:
        from bedrock_cris import _tracing

        client._hooked = self._active or _tracing.instrumented

    def _has_handlers(self) -> bool:
        return _has_handlers(self._root)

    def _changed(self) -> None:
        self._lookup_cache = {}
        self._active = self._has_handlers()
        for ref in self._clients:
            client = ref()
            if client is not None:
                self._show(client)

    # -- registration ----------------------------------------------------------------------

    def register(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: str | None = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        """Registers ``handler`` for ``event_name`` (and every event it is a prefix of)."""
        self._register(event_name, handler, unique_id, unique_id_uses_count, _MIDDLE)

    def register_first(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: str | None = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        """Registers ``handler`` to run before those registered with ``register``."""
        self._register(event_name, handler, unique_id, unique_id_uses_count, _FIRST)

    def register_last(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: str | None = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        """Registers ``handler`` to run after those registered with ``register``."""
        self._register(event_name, handler, unique_id, unique_id_uses_count, _LAST)

    def _register(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: str | None,
        uses_count: bool,
        section: int,
    ) -> None:
        if not callable(handler):
            raise ValueError(f"Event handler {handler} must be callable.")
        if not _accepts_kwargs(handler):
            raise ValueError(f"Event handler {handler} must accept keyword arguments (**kwargs)")
        with self._lock:
            if unique_id is not None:
                known = self._unique_ids.get(unique_id)
                if known is not None:
                    count = known.get("count")
                    if uses_count != bool(count):
                        raise _counter_mismatch(unique_id, bool(count), "register")
                    if uses_count:
                        known["count"] += 1
                    return
                self._unique_ids[unique_id] = (
                    {"handler": handler, "count": 1} if uses_count else {"handler": handler}
                )
            node = self._root
            for part in event_name.split("."):
                node = node.children.setdefault(part, _Node())
            if node.handlers is None:
                node.handlers = ([], [], [])
            node.handlers[section].append(handler)
            self._changed()

    def unregister(
        self,
        event_name: str,
        handler: Callable[..., Any] | None = None,
        unique_id: str | None = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        """Removes ``handler`` (or the one registered under ``unique_id``) from ``event_name``."""
        with self._lock:
            if unique_id is not None:
                known = self._unique_ids.get(unique_id)
                if known is None:
                    return
                count = known.get("count")
                if unique_id_uses_count != (count is not None):
                    raise _counter_mismatch(unique_id, count is not None, "unregister")
                if count is not None and count > 1:
                    known["count"] -= 1
                    return
                handler = self._unique_ids.pop(unique_id)["handler"]
            if _remove(self._root, event_name.split("."), 0, handler):
                self._changed()

    # -- emitting ---------------------------------------------------------------------------

    def _handlers_for(self, event_name: str) -> list[Any]:
        handlers = self._lookup_cache.get(event_name)
        if handlers is None:
            handlers = _prefix_search(self._root, event_name.split("."))
            self._lookup_cache[event_name] = handlers
        return handlers

    def emit(self, event_name: str, **kwargs: Any) -> list[tuple[Any, Any]]:
        """Calls every handler of ``event_name``; returns ``[(handler, response), ...]``."""
        return self._emit(event_name, kwargs, stop_on_response=False)

    def emit_until_response(self, event_name: str, **kwargs: Any) -> tuple[Any, Any]:
        """Calls handlers until one returns something other than None: ``(handler, response)``,
        or ``(None, None)``."""
        responses = self._emit(event_name, kwargs, stop_on_response=True)
        return responses[-1] if responses else (None, None)

    def _emit(
        self, event_name: str, kwargs: dict[str, Any], stop_on_response: bool
    ) -> list[tuple[Any, Any]]:
        handlers = self._handlers_for(event_name)
        if not handlers:
            return []
        kwargs["event_name"] = event_name
        responses = []
        for handler in handlers:
            response = handler(**kwargs)
            responses.append((handler, response))
            if stop_on_response and response is not None:
                break
        return responses

    async def _emit_async(
        self, event_name: str, kwargs: dict[str, Any], stop_on_response: bool = False
    ) -> list[tuple[Any, Any]]:
        """``_emit`` for the asyncio client: a handler's awaitable answer is awaited, as
        aiobotocore's emitter does."""
        handlers = self._handlers_for(event_name)
        if not handlers:
            return []
        kwargs["event_name"] = event_name
        responses = []
        for handler in handlers:
            response = handler(**kwargs)
            if inspect.isawaitable(response):
                response = await response
            responses.append((handler, response))
            if stop_on_response and response is not None:
                break
        return responses

    def __copy__(self) -> HierarchicalEmitter:
        copied = HierarchicalEmitter()
        copied._root = _copy_node(self._root)
        copied._unique_ids = {k: dict(v) for k, v in self._unique_ids.items()}
        copied._active = self._active
        return copied

    def __repr__(self) -> str:
        return f"<bedrock_cris HierarchicalEmitter handlers={self._has_handlers()}>"


def _has_handlers(node: _Node) -> bool:
    if node.handlers is not None and any(node.handlers):
        return True
    return any(_has_handlers(child) for child in node.children.values())


def _prefix_search(root: _Node, parts: list[str]) -> list[Any]:
    """Handlers of every registered name that is a prefix of ``parts``, the nodes furthest
    from the root first (botocore's ``_PrefixTrie.prefix_search``, in the same order)."""
    collected: list[list[Any]] = []
    stack = [(root, 0)]
    while stack:
        node, index = stack.pop()
        if node.handlers is not None:
            first, middle, last = node.handlers
            collected.append(first + middle + last)
        if index != len(parts):
            wildcard = node.children.get("*")
            direct = node.children.get(parts[index])
            if wildcard is not None:
                stack.append((wildcard, index + 1))
            if direct is not None:
                stack.append((direct, index + 1))
    # Each node visited later goes before those visited earlier (botocore's extendleft).
    return [handler for group in reversed(collected) for handler in group]


def _remove(node: _Node, parts: list[str], index: int, handler: Any) -> bool:
    child = node.children.get(parts[index])
    if child is None:
        return False
    if index == len(parts) - 1:
        removed = False
        if child.handlers is not None:
            for section in child.handlers:
                if handler in section:
                    section.remove(handler)
                    removed = True
                    break
    else:
        removed = _remove(child, parts, index + 1, handler)
    if not child.children and (child.handlers is None or not any(child.handlers)):
        del node.children[parts[index]]
    return removed


def _copy_node(node: _Node) -> _Node:
    copied = _Node()
    if node.handlers is not None:
        copied.handlers = (list(node.handlers[0]), list(node.handlers[1]), list(node.handlers[2]))
    copied.children = {name: _copy_node(child) for name, child in node.children.items()}
    return copied


def _counter_mismatch(unique_id: str, counted: bool, call: str) -> ValueError:
    """botocore's error for a ``call`` whose ``unique_id_uses_count`` differs from the first
    registration's (``counted``)."""
    not_ = "" if counted else "not "
    return ValueError(
        f"Initial registration of unique id {unique_id} was specified to {not_}use a counter. "
        f"Subsequent {call} calls to unique id must specify {not_}to use a counter as well."
    )

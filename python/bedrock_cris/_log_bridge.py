"""Connects the SDK's log events to Python's ``logging`` once it is imported.

Importing ``logging`` ourselves would add several milliseconds to every
``import bedrock_cris``, and until a program imports it no logger can have a
level set. So the bridge is hooked up now if ``logging`` is already loaded, or
else the moment its import finishes (a one-shot ``sys.meta_path`` entry that
wraps the module's loader).
"""

from __future__ import annotations

import sys

from bedrock_cris._native import _bridge_logging

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType


def watch() -> None:
    """Bridges now, or right after ``logging`` is first imported."""
    if "logging" in sys.modules:
        _bridge_logging()
    elif not any(isinstance(finder, _AfterLoggingImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterLoggingImport())


class _AfterLoggingImport:
    """A meta path finder that only wraps the loader of ``logging``."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        # Duck-typed: subclassing importlib.abc.Loader would import it at start-up.
        spec.loader = _BridgingLoader(spec.loader)  # type: ignore[assignment]
        return spec


class _BridgingLoader:
    """Runs the real loader, then bridges the freshly imported module."""

    def __init__(self, loader: object) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[attr-defined,no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)  # type: ignore[attr-defined]
        try:
            _bridge_logging()
        except Exception as error:  # the program's own import must not fail for it
            import warnings

            warnings.warn(
                f"bedrock_cris: SDK log forwarding is off: {error}", RuntimeWarning, stacklevel=2
            )

    def __getattr__(self, name: str) -> object:
        # get_source, is_package, ... of the real loader (tracebacks, inspect).
        return getattr(self._loader, name)

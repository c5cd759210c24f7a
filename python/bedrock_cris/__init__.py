"""bedrock-cris: Amazon Bedrock Runtime for Python through the AWS SDK for Rust.

``import bedrock_cris as boto3`` runs boto3 bedrock-runtime scripts unchanged;
``bedrock_cris.converse``/``stream``/``embed`` (and ``Client``) are the native API;
``bedrock_cris.emulator.Emulator`` serves the same API offline.
"""

import atexit as _atexit

from bedrock_cris import _log_bridge, config, exceptions
from bedrock_cris._client import (
    BedrockRuntime,
    Session,
    client,
    resource,
    setup_default_session,
)
from bedrock_cris._native import InputStream, __version__, _quiesce, build_profile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bedrock_cris import aio
    from bedrock_cris._embed import DEFAULT_EMBED_MODEL, EmbeddingError, Embeddings
    from bedrock_cris._native_api import (
        DEFAULT_MODEL,
        AsyncTextStream,
        Client,
        ConverseResult,
        TextStream,
        Usage,
        aconverse,
        aembed,
        astream,
        converse,
        embed,
        stream,
    )

# The native API and asyncio modules load on first use, so that
# `import bedrock_cris as boto3` costs scripts only what the facade needs.
_LAZY = {
    "aio": "bedrock_cris.aio",
    "DEFAULT_EMBED_MODEL": "bedrock_cris._embed",
    "EmbeddingError": "bedrock_cris._embed",
    "Embeddings": "bedrock_cris._embed",
    "DEFAULT_MODEL": "bedrock_cris._native_api",
    "AsyncTextStream": "bedrock_cris._native_api",
    "Client": "bedrock_cris._native_api",
    "ConverseResult": "bedrock_cris._native_api",
    "TextStream": "bedrock_cris._native_api",
    "Usage": "bedrock_cris._native_api",
    "aconverse": "bedrock_cris._native_api",
    "aembed": "bedrock_cris._native_api",
    "astream": "bedrock_cris._native_api",
    "converse": "bedrock_cris._native_api",
    "embed": "bedrock_cris._native_api",
    "stream": "bedrock_cris._native_api",
}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'bedrock_cris' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(module_name)
    value = module if name == "aio" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_EMBED_MODEL",
    "DEFAULT_MODEL",
    "AsyncTextStream",
    "BedrockRuntime",
    "InputStream",
    "Client",
    "ConverseResult",
    "EmbeddingError",
    "Embeddings",
    "Session",
    "TextStream",
    "Usage",
    "__version__",
    "aconverse",
    "aembed",
    "aio",
    "astream",
    "build_profile",
    "client",
    "config",
    "converse",
    "embed",
    "exceptions",
    "resource",
    "setup_default_session",
    "stream",
]

_log_bridge.watch()

# Let awaitables finish handing their results to asyncio before the
# interpreter finalizes (a runtime thread must not take the GIL after that).
_atexit.register(_quiesce, 2.0)

if build_profile == "debug":  # pragma: no cover - depends on how it was built
    import warnings

    warnings.warn(
        "bedrock_cris was built in debug mode and is much slower than a release build; "
        "reinstall with `pip install .` (maturin builds release by default).",
        RuntimeWarning,
        stacklevel=2,
    )

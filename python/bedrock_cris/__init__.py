"""bedrock-cris: Amazon Bedrock Runtime for Python through the AWS SDK for Rust.

``import bedrock_cris as boto3`` runs boto3 bedrock-runtime scripts unchanged;
``bedrock_cris.converse``/``stream``/``embed`` (and ``Client``) are the native API;
``bedrock_cris.emulator.Emulator`` serves the same API offline.
"""

import atexit as _atexit

from bedrock_cris import aio, config, exceptions
from bedrock_cris._client import BedrockRuntime, Session, client, setup_default_session
from bedrock_cris._embed import DEFAULT_EMBED_MODEL, EmbeddingError, Embeddings
from bedrock_cris._native import InputStream, __version__, _quiesce, build_profile
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
    "setup_default_session",
    "stream",
]

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

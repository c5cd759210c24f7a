"""bedrock-cris: Amazon Bedrock Runtime for Python through the AWS SDK for Rust.

Four doors to one Rust core. Credentials and region come from the standard AWS chain
(environment, profiles, SSO, instance roles ...); AWS_ENDPOINT_URL_BEDROCK_RUNTIME points
everything at an emulator (``python -m bedrock_cris.emulator`` prints the lines to paste).

The boto3 facade: ``import bedrock_cris as boto3`` runs boto3 bedrock-runtime scripts
unchanged (same results, exceptions and printed output)::

    import bedrock_cris as boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    response = client.converse(
        modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0",
        messages=[{"role": "user", "content": [{"text": "Hello"}]}],
    )
    print(response["output"]["message"]["content"][0]["text"])

The native API: plain functions and result objects (``Client`` to reuse settings)::

    import bedrock_cris

    answer = bedrock_cris.converse("Explain cloud computing in 2 sentences.", max_tokens=200)
    print(answer.text, answer.usage.output_tokens)
    for delta in bedrock_cris.stream("Write a haiku about Mumbai."):
        print(delta, end="", flush=True)
    print(bedrock_cris.embed(["first text", "second text"]).shape)   # (2, 1024)

asyncio: ``bedrock_cris.aio`` (aioboto3's API) and ``aconverse``/``astream``/``aembed``::

    import asyncio
    import bedrock_cris

    async def main():
        async with bedrock_cris.aio.client("bedrock-runtime", region_name="us-east-1") as client:
            response = await client.converse(
                modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0",
                messages=[{"role": "user", "content": [{"text": "Hello"}]}],
            )
            print(response["stopReason"])
        async for delta in bedrock_cris.astream("Write a haiku about Mumbai."):
            print(delta, end="", flush=True)

    asyncio.run(main())

The emulator: a local Bedrock Runtime with the real wire protocol, for offline scripts and
tests (``bedrock_cris.testing`` has the pytest fixtures)::

    import bedrock_cris
    from bedrock_cris.emulator import Emulator

    with Emulator() as emu:
        client = bedrock_cris.client("bedrock-runtime", region_name="us-east-1",
                                     endpoint_url=emu.endpoint_url,
                                     aws_access_key_id="test", aws_secret_access_key="test")
        emu.throttle(times=1)   # one ThrottlingException; the retry gets through
        response = client.converse(modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0",
                                   messages=[{"role": "user", "content": [{"text": "Hi"}]}])
        print(response["stopReason"], len(emu.requests))   # end_turn 2
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

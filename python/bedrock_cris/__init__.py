"""bedrock-cris: Amazon Bedrock Runtime for Python through the AWS SDK for Rust.

``import bedrock_cris as boto3`` runs boto3 bedrock-runtime scripts unchanged;
``bedrock_cris.emulator.Emulator`` serves the same API offline.
"""

from bedrock_cris import aio, config, exceptions
from bedrock_cris._client import BedrockRuntime, Session, client, setup_default_session
from bedrock_cris._native import __version__, build_profile

__all__ = [
    "BedrockRuntime",
    "Session",
    "__version__",
    "aio",
    "build_profile",
    "client",
    "config",
    "exceptions",
    "setup_default_session",
]

if build_profile == "debug":  # pragma: no cover - depends on how it was built
    import warnings

    warnings.warn(
        "bedrock_cris was built in debug mode and is much slower than a release build; "
        "reinstall with `pip install .` (maturin builds release by default).",
        RuntimeWarning,
        stacklevel=2,
    )

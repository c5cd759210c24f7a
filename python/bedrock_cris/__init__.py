"""bedrock-cris: Amazon Bedrock Runtime for Python through the AWS SDK for Rust."""

from bedrock_cris._native import __version__

__all__ = ["__version__"]

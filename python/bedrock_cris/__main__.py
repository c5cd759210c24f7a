"""``python -m bedrock_cris --version``: this package's version and what it was built with.

The SDK version is the aws-sdk-bedrockruntime that Cargo.lock resolved when the native module
was compiled (build.rs records it), so a bug report names the Rust code actually running.
"""

from __future__ import annotations

import argparse
import sys

from bedrock_cris import _native


def version_line() -> str:
    """``bedrock-cris 0.1.0 (aws-sdk-bedrockruntime 1.153.0, release build)``."""
    return (
        f"bedrock-cris {_native.__version__} "
        f"(aws-sdk-bedrockruntime {_native.aws_sdk_version}, {_native.build_profile} build)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_cris",
        description="Amazon Bedrock Runtime for Python through the AWS SDK for Rust. "
        "`python -m bedrock_cris.emulator` serves a local Bedrock Runtime.",
    )
    parser.add_argument("--version", action="version", version=version_line())
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

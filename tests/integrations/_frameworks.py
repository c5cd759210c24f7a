"""Shared by the framework tests (tests/integrations/): our client side by side with boto3's.

Each framework is installed by scripts/test.sh into a venv of its own (pins in
requirements.txt, beside this file). Where one is not installed, its tests are skipped and
the reason is printed at the end of the run (tests/conftest.py), never silently. Not a
conftest.py: tests/ has one already, and both would be imported as ``conftest``."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


def require(module: str, distribution: str) -> Any:
    """``module`` imported, or the calling test module skipped (the reason is printed)."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        reason = (
            f"framework {distribution} is not installed here ({e}); scripts/test.sh installs it in "
            ".venv-integrations from tests/integrations/requirements.txt"
        )
        pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def clients(emulator: Any) -> dict[str, Any]:
    """A boto3 client and ours, configured alike (retries off, so faults are exact)."""
    import bedrock_cris
    import boto3
    from botocore.config import Config
    from conftest import client_kwargs

    kwargs = client_kwargs(emulator.endpoint_url, config=Config(retries={"max_attempts": 0}))
    return {
        "boto3": boto3.client("bedrock-runtime", **kwargs),
        "bedrock_cris": bedrock_cris.client("bedrock-runtime", **kwargs),
    }

"""What ``import bedrock_cris`` costs and defers: the facade loads without the
standard library modules that dominate start-up (typing, json, logging,
threading, asyncio), the native API and ``aio`` load on first use, and the
SDK's log events still reach ``logging`` when a program imports it later."""

from __future__ import annotations

import ast
import subprocess
import sys
from typing import Any

import bedrock_cris
import pytest
from conftest import ACCESS_KEY, REGION, SECRET_KEY


def run_python(code: str, **env: str) -> Any:
    """Runs ``code`` in a fresh interpreter; returns the literal it prints last."""
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            **env,
        },
    )
    assert completed.returncode == 0, completed.stderr
    return ast.literal_eval(completed.stdout.strip().splitlines()[-1])


DEFERRED = ["typing", "json", "logging", "threading", "asyncio", "re", "base64", "copy"]


@pytest.mark.parametrize(
    "make_client",
    [
        f"bedrock_cris.client('bedrock-runtime', region_name='{REGION}')",
        f"bedrock_cris.Client('{REGION}')",
    ],
    ids=["facade", "native"],
)
def test_clients_load_without_the_heavy_standard_library(make_client: str) -> None:
    loaded = run_python(
        "import sys\n"
        "before = set(sys.modules)\n"
        "import bedrock_cris\n"
        f"{make_client}\n"
        f"print([m for m in {DEFERRED!r} if m in sys.modules and m not in before])"
    )
    assert loaded == []


def test_type_aliases_resolve_on_first_use() -> None:
    from bedrock_cris import _embed, _native_api

    assert "str" in repr(_native_api.Prompt)
    assert "Literal" in repr(_embed.EmbeddingType)
    assert _native_api.Usage(1, 2) == (1, 2, 0, 0, 0)
    assert _native_api.Usage.from_dict({"inputTokens": 3}).input_tokens == 3
    assert repr(_native_api.Usage()).startswith("Usage(input_tokens=0,")


def test_lazy_names_resolve_on_first_use() -> None:
    names = run_python(
        "import sys\n"
        "import bedrock_cris\n"
        "lazy_before = 'bedrock_cris._native_api' in sys.modules\n"
        "from bedrock_cris import aio, converse, Embeddings\n"
        "print([lazy_before, 'bedrock_cris._native_api' in sys.modules,\n"
        "    aio.__name__, converse.__module__, Embeddings.__module__,\n"
        "    'converse' in dir(bedrock_cris)])"
    )
    assert names == [
        False,
        True,
        "bedrock_cris.aio",
        "bedrock_cris._native_api",
        "bedrock_cris._embed",
        True,
    ]
    for name in bedrock_cris.__all__:
        assert getattr(bedrock_cris, name) is not None, name


def test_unknown_attributes_raise_attribute_error() -> None:
    try:
        bedrock_cris.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("no AttributeError")


def test_logging_imported_after_the_package_still_gets_sdk_events(emulator: Any) -> None:
    records = run_python(
        "import sys, bedrock_cris\n"
        "assert 'logging' not in sys.modules\n"
        f"client = bedrock_cris.client('bedrock-runtime', region_name='{REGION}', "
        f"endpoint_url='{emulator.endpoint_url}')\n"
        "messages = [{'role': 'user', 'content': [{'text': 'hi'}]}]\n"
        "model = 'global.anthropic.claude-haiku-4-5-20251001-v1:0'\n"
        "client.converse(modelId=model, messages=messages)\n"
        "import logging\n"
        "seen = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): seen.append((record.name, record.levelno))\n"
        "logging.getLogger('bedrock_cris').addHandler(Keep())\n"
        "quiet = len(seen)\n"
        "logging.getLogger('bedrock_cris').setLevel(logging.DEBUG)\n"
        "client.converse(modelId=model, messages=messages)\n"
        "print([quiet, seen])"
    )
    quiet, seen = records
    assert quiet == 0
    assert seen, "no SDK log event reached logging"
    assert all(name.startswith("bedrock_cris.") and level >= 10 for name, level in seen)

"""botocore's own ``Config`` (and aiobotocore's ``AioConfig``, a subclass) is accepted
wherever ours is, read for the same options with the same meaning; options it leaves unset
take our defaults; ``merge`` works across the two classes."""

from __future__ import annotations

import asyncio
import time
import types
from typing import Any

import bedrock_cris
import botocore.config
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import client_kwargs

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def aio_config_class() -> type[Any]:
    """aiobotocore's AioConfig as aiobotocore defines it (aiobotocore pins an older botocore,
    so it is not installed beside this one): botocore's Config plus aiohttp options."""
    module = types.ModuleType("aiobotocore.config")

    class AioConfig(botocore.config.Config):
        def __init__(
            self, connector_args: Any = None, http_session_cls: Any = None, **kwargs: Any
        ) -> None:
            super().__init__(**kwargs)
            self.connector_args = connector_args
            self.http_session_cls = http_session_cls

    AioConfig.__module__ = module.__name__
    return AioConfig


def builders() -> dict[str, Any]:
    """Every way to make a client from a config, each returning its native client."""

    def facade(url: str, config: Any) -> Any:
        return bedrock_cris.client("bedrock-runtime", **client_kwargs(url, config=config))._native

    def session(url: str, config: Any) -> Any:
        return (
            bedrock_cris.Session()
            .client("bedrock-runtime", **client_kwargs(url, config=config))
            ._native
        )

    def aio(url: str, config: Any) -> Any:
        return bedrock_cris.aio.client(
            "bedrock-runtime", **client_kwargs(url, config=config)
        )._native

    def native(url: str, config: Any) -> Any:
        kwargs = client_kwargs(url, config=config)
        return bedrock_cris.Client(
            kwargs.pop("region_name"), endpoint_url=kwargs.pop("endpoint_url"), **kwargs
        )._native

    return {"client": facade, "Session.client": session, "aio.client": aio, "Client": native}


@pytest.mark.parametrize("how", list(builders()))
@pytest.mark.parametrize("config_class", ["Config", "AioConfig"])
def test_botocore_config_is_read_for_the_same_options(
    emulator: Any, how: str, config_class: str
) -> None:
    cls = botocore.config.Config if config_class == "Config" else aio_config_class()
    config = cls(read_timeout=0.4, retries={"max_attempts": 1, "mode": "adaptive"})
    native = builders()[how](emulator.endpoint_url, config)
    assert (native.retry_mode, native.max_attempts) == ("adaptive", 2)
    emulator.delay_first_byte(CLAUDE, 3.0)
    started = time.monotonic()
    params = {"modelId": CLAUDE, "messages": MESSAGES}
    with pytest.raises(exceptions.ReadTimeoutError):
        if how == "aio.client":

            async def call() -> Any:
                return await native.call_async("Converse", params)

            asyncio.run(call())
        else:
            native.call("Converse", params)
    # Two attempts of 0.4 s each (plus a short backoff), far below the 3 s delay.
    assert time.monotonic() - started < 2.5


def test_options_botocore_leaves_unset_take_our_defaults(emulator: Any) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=botocore.config.Config(connect_timeout=5)),
    )
    # client.meta.config shows botocore's Config (what frameworks read and merge); the
    # options applied are ours, where botocore's 60 s read timeout left unset means our 600 s
    # (README, "Defaults").
    assert isinstance(client.meta.config, botocore.config.Config)
    assert client.meta.config._user_provided_options == {"connect_timeout": 5}
    applied = client.meta._config
    assert isinstance(applied, Config)
    assert applied.connect_timeout == 5
    assert applied.read_timeout is None
    client.converse(modelId=CLAUDE, messages=MESSAGES)


def test_merge_works_across_the_two_classes() -> None:
    ours = Config(read_timeout=300, retries={"max_attempts": 2})
    theirs = botocore.config.Config(connect_timeout=5, read_timeout=100)
    merged = ours.merge(theirs)
    assert isinstance(merged, Config)
    assert merged._user_provided_options == {
        "read_timeout": 100,
        "retries": {"max_attempts": 2},
        "connect_timeout": 5,
    }
    back = theirs.merge(ours)
    assert isinstance(back, botocore.config.Config)
    assert (back.read_timeout, back.connect_timeout, back.retries) == (
        300,
        5,
        {"max_attempts": 2},
    )


def test_options_and_their_positional_order_are_botocores() -> None:
    from bedrock_cris.config import _OPTIONS

    assert list(_OPTIONS) == list(botocore.config.Config.OPTION_DEFAULTS)
    config = Config("ap-south-1", None, "agent")
    assert (config.region_name, config.user_agent) == ("ap-south-1", "agent")


def test_other_objects_are_refused_before_anything_else() -> None:
    with pytest.raises(
        TypeError, match="config must be a bedrock_cris.config.Config or a botocore"
    ):
        bedrock_cris.client("bedrock-runtime", **client_kwargs("http://127.0.0.1:9", config={}))


def test_a_config_survives_pickling_inside_a_client(emulator: Any) -> None:
    import pickle

    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(
            emulator.endpoint_url, config=botocore.config.Config(retries={"max_attempts": 4})
        ),
    )
    copy = pickle.loads(pickle.dumps(client))
    assert copy._native.max_attempts == 5

"""In a program that imports botocore, our exceptions are botocore's too: ``except
botocore.exceptions.<Name>:`` and ``except boto3_client.exceptions.<Code>:`` catch what the
facade raises, for every failure kind, with boto3's class names, messages and attributes.
Without botocore they stay plain and botocore is never imported."""

from __future__ import annotations

import ast
import asyncio
import pickle
import socket
import subprocess
import sys
from typing import Any

import bedrock_cris
import bedrock_cris.aio
import boto3
import botocore.exceptions
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from botocore.config import Config as BotoConfig
from conftest import ACCESS_KEY, REGION, SECRET_KEY, client_kwargs

MODEL = "amazon.nova-lite-v1:0"
CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
VOLATILE_HEADERS = ("x-amzn-requestid", "date")


def caught_by(error: BaseException, cls: type[BaseException]) -> bool:
    """Whether a real ``except cls:`` clause catches ``error`` (no __subclasscheck__)."""
    try:
        raise error
    except cls:
        return True
    except BaseException:
        return False


def raised(call: Any) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    return info.value


def both_raise(clients: tuple[Any, Any], call: Any) -> tuple[BaseException, BaseException]:
    """``call(client)`` with our client and boto3's: (ours, theirs)."""
    ours, boto = clients
    return raised(lambda: call(ours)), raised(lambda: call(boto))


def stable(response: dict[str, Any]) -> dict[str, Any]:
    """An error response without what differs between two identical calls."""
    result = dict(response)
    metadata = dict(result.get("ResponseMetadata", {}))
    metadata.pop("RequestId", None)
    metadata["HTTPHeaders"] = {
        k: v for k, v in metadata.get("HTTPHeaders", {}).items() if k not in VOLATILE_HEADERS
    }
    result["ResponseMetadata"] = metadata
    return result


def assert_like_boto3(mine: BaseException, theirs: BaseException) -> None:
    assert type(mine).__name__ == type(theirs).__name__
    assert str(mine) == str(theirs)
    assert repr(mine) == repr(theirs)
    if isinstance(theirs, botocore.exceptions.ClientError):
        assert isinstance(mine, exceptions.ClientError)
        assert mine.operation_name == theirs.operation_name
        if "ResponseMetadata" in theirs.response:
            assert stable(mine.response) == stable(theirs.response)
        else:
            assert mine.response == theirs.response
    else:
        # botocore also keeps the urllib3 exception it wraps (kwargs["error"]); we have none.
        assert mine.kwargs.items() <= theirs.kwargs.items()  # type: ignore[attr-defined]
        assert mine.fmt == theirs.fmt  # type: ignore[attr-defined]


def assert_caught_as(mine: BaseException, *names: str) -> None:
    """Caught by botocore's classes and by ours of each name, and typed as ours."""
    for name in names:
        assert caught_by(mine, getattr(botocore.exceptions, name)), name
        assert caught_by(mine, getattr(exceptions, name)), name
        assert isinstance(mine, getattr(exceptions, name)), name


def pair(emulator: Any, endpoint_url: str | None = None, **config: Any) -> tuple[Any, Any]:
    """Our client and boto3's, the same configuration, retries off."""
    config.setdefault("retries", {"max_attempts": 0})
    kw = client_kwargs(endpoint_url or emulator.endpoint_url)
    return (
        bedrock_cris.client("bedrock-runtime", config=Config(**config), **kw),
        boto3.client("bedrock-runtime", config=BotoConfig(**config), **kw),
    )


# -- service errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ValidationException", "ModelNotReadyException"]
)
def test_modelled_errors_are_caught_by_botocore_and_boto3_clients(
    emulator: Any, ours: Any, boto: Any, code: str
) -> None:
    emulator.fail(MODEL, code)
    mine, theirs = both_raise((ours, boto), lambda c: c.converse(modelId=MODEL, messages=MESSAGES))
    assert_like_boto3(mine, theirs)
    assert type(mine) is getattr(exceptions, code)  # still our class, not a copy
    assert_caught_as(mine, "ClientError")
    assert caught_by(mine, getattr(boto.exceptions, code))
    assert caught_by(mine, boto.exceptions.ClientError)
    assert caught_by(mine, getattr(ours.exceptions, code))
    assert not caught_by(mine, boto.exceptions.AccessDeniedException)
    # boto3's own exceptions are untouched: still not ours.
    assert type(theirs) is boto.exceptions.from_code(code)
    assert not isinstance(theirs, exceptions.ClientError)
    assert type(theirs).__mro__[1:] == botocore.exceptions.ClientError.__mro__


def test_a_boto3_client_made_after_the_error_still_catches_it(emulator: Any, ours: Any) -> None:
    mine = raised(
        lambda: ours.converse(modelId="emulator.error.ThrottlingException", messages=MESSAGES)
    )
    # A new botocore session: its client makes its exception classes on first use, here.
    late = boto3.session.Session().client("bedrock-runtime", **client_kwargs(emulator.endpoint_url))
    assert caught_by(mine, late.exceptions.ThrottlingException)
    assert not caught_by(mine, late.exceptions.ValidationException)


def test_unmodelled_error_is_a_botocore_client_error(emulator: Any) -> None:
    wrong = {"aws_access_key_id": "AKIDUNKNOWN"}
    kw = client_kwargs(emulator.endpoint_url, **wrong)
    ours = bedrock_cris.client("bedrock-runtime", config=Config(retries={"max_attempts": 0}), **kw)
    boto = boto3.client("bedrock-runtime", config=BotoConfig(retries={"max_attempts": 0}), **kw)
    mine, theirs = both_raise((ours, boto), lambda c: c.converse(modelId=MODEL, messages=MESSAGES))
    assert type(mine).__name__ == type(theirs).__name__ == "ClientError"
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "ClientError")
    assert not caught_by(mine, boto.exceptions.ThrottlingException)


def test_async_client_errors_are_botocore_client_errors(emulator: Any, boto: Any) -> None:
    async def call() -> Any:
        client = bedrock_cris.aio.client(
            "bedrock-runtime",
            config=Config(retries={"max_attempts": 0}),
            **client_kwargs(emulator.endpoint_url),
        )
        async with client:
            return await client.converse(
                modelId="emulator.error.ThrottlingException", messages=MESSAGES
            )

    mine = raised(lambda: asyncio.run(call()))
    assert_caught_as(mine, "ClientError")
    assert caught_by(mine, boto.exceptions.ThrottlingException)


# -- streams -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ThrottlingException", "ModelStreamErrorException"])
def test_exception_event_mid_stream(emulator: Any, ours: Any, boto: Any, code: str) -> None:
    emulator.fail_stream(CLAUDE, after_events=2, mode="exception", code=code, message="broke")

    def drain(client: Any) -> None:
        for _ in client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]:
            pass

    mine, theirs = both_raise((ours, boto), drain)
    assert type(theirs) is botocore.exceptions.EventStreamError
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "EventStreamError", "ClientError")
    assert caught_by(mine, getattr(boto.exceptions, code))
    assert caught_by(mine, getattr(ours.exceptions, code))
    copy = pickle.loads(pickle.dumps(mine))
    assert type(copy) is exceptions.EventStreamError
    assert caught_by(copy, botocore.exceptions.EventStreamError)


# -- transport and client-side failures ------------------------------------------------------


def test_connection_reset_is_connection_closed_error(emulator: Any) -> None:
    emulator.reset_connection(MODEL)
    mine, theirs = both_raise(
        pair(emulator), lambda c: c.converse(modelId=MODEL, messages=MESSAGES)
    )
    assert type(theirs) is botocore.exceptions.ConnectionClosedError
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "ConnectionClosedError", "HTTPClientError", "BotoCoreError")
    assert not caught_by(mine, botocore.exceptions.ClientError)


def test_read_timeout_is_read_timeout_error_and_os_error(emulator: Any) -> None:
    emulator.delay_first_byte(MODEL, 1.0)
    mine, theirs = both_raise(
        pair(emulator, read_timeout=0.3), lambda c: c.converse(modelId=MODEL, messages=MESSAGES)
    )
    assert type(theirs) is botocore.exceptions.ReadTimeoutError
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "ReadTimeoutError", "HTTPClientError", "BotoCoreError")
    assert caught_by(mine, OSError)
    assert mine.request is None and mine.response is None  # type: ignore[attr-defined]
    copy = pickle.loads(pickle.dumps(mine))
    assert type(copy) is type(mine)
    assert str(copy) == str(mine) and copy.kwargs == mine.kwargs  # type: ignore[attr-defined]


@pytest.fixture
def closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def test_unreachable_endpoint_is_endpoint_connection_error(emulator: Any, closed_port: str) -> None:
    mine, theirs = both_raise(
        pair(emulator, closed_port), lambda c: c.converse(modelId=MODEL, messages=MESSAGES)
    )
    assert type(theirs) is botocore.exceptions.EndpointConnectionError
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "EndpointConnectionError", "ConnectionError", "BotoCoreError")


def test_no_credentials_is_no_credentials_error(emulator: Any) -> None:
    kw = {"region_name": REGION, "endpoint_url": emulator.endpoint_url}
    clients = (
        bedrock_cris.client("bedrock-runtime", **kw),
        boto3.session.Session().client("bedrock-runtime", **kw),  # no cached credentials
    )
    mine, theirs = both_raise(clients, lambda c: c.converse(modelId=MODEL, messages=MESSAGES))
    assert type(theirs) is botocore.exceptions.NoCredentialsError
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "NoCredentialsError", "BotoCoreError")
    assert emulator.requests == []


def test_param_validation_error(ours: Any, boto: Any) -> None:
    mine, theirs = both_raise((ours, boto), lambda c: c.invoke_model(modelId=5, body=b"{}"))
    assert type(theirs) is botocore.exceptions.ParamValidationError
    assert_like_boto3(mine, theirs)
    assert_caught_as(mine, "ParamValidationError", "BotoCoreError")


def test_python_raised_errors_are_botocore_errors(ours: Any) -> None:
    partial = raised(
        lambda: bedrock_cris.client(
            "bedrock-runtime", region_name=REGION, aws_access_key_id=ACCESS_KEY
        )
    )
    assert_caught_as(partial, "PartialCredentialsError", "BotoCoreError")
    not_pageable = raised(lambda: ours.get_paginator("converse"))
    assert_caught_as(not_pageable, "OperationNotPageableError", "BotoCoreError")


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SSLError", {"endpoint_url": "https://example.invalid", "error": "detail"}),
        ("ConnectTimeoutError", {"endpoint_url": "https://example.invalid"}),
        ("ResponseStreamingError", {"error": "detail"}),
        ("HTTPClientError", {"error": "detail"}),
    ],
)
def test_transport_errors_are_botocore_errors(name: str, kwargs: dict[str, str]) -> None:
    # Made as Rust makes them for each transport failure (CallError::into_pyerr, src/errors.rs).
    mine = getattr(exceptions, name)(**kwargs)
    assert type(mine).__name__ == name
    assert_caught_as(mine, name, "BotoCoreError")
    theirs_cls = getattr(botocore.exceptions, name)
    assert caught_by(mine, OSError) == issubclass(theirs_cls, OSError)
    assert str(mine) == str(theirs_cls(**mine.kwargs))  # type: ignore[attr-defined]


def test_pickled_errors_keep_their_class(emulator: Any, ours: Any) -> None:
    mine = raised(
        lambda: ours.converse(modelId="emulator.error.ThrottlingException", messages=MESSAGES)
    )
    copy = pickle.loads(pickle.dumps(mine))
    assert type(copy) is exceptions.from_code("ThrottlingException")
    assert caught_by(copy, botocore.exceptions.ClientError)
    assert copy.response == mine.response  # type: ignore[attr-defined]
    plain = exceptions.ClientError({"Error": {"Code": "X", "Message": "m"}}, "Converse")
    assert caught_by(pickle.loads(pickle.dumps(plain)), botocore.exceptions.ClientError)


# -- without botocore ------------------------------------------------------------------------


def run_python(code: str, **env: str) -> Any:
    """Runs ``code`` in a fresh interpreter (no botocore unless it imports it); returns the
    literal it prints last."""
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
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            **env,
        },
    )
    assert completed.returncode == 0, completed.stderr
    return ast.literal_eval(completed.stdout.strip().splitlines()[-1])


# Defines modules(error) in a child: the modules of the classes of its type's MRO.
MRO_MODULES = "def modules(e):\n    return sorted({c.__module__ for c in type(e).__mro__})\n"


def test_without_botocore_errors_are_plain_and_botocore_is_not_imported(emulator: Any) -> None:
    result = run_python(
        "import sys, pickle\n"
        "import bedrock_cris\n"
        f"{MRO_MODULES}"
        "client = bedrock_cris.client('bedrock-runtime', region_name='ap-south-1',\n"
        f"    endpoint_url='{emulator.endpoint_url}',\n"
        "    config=bedrock_cris.config.Config(retries={'max_attempts': 0}))\n"
        "messages = [{'role': 'user', 'content': [{'text': 'hi'}]}]\n"
        "seen = []\n"
        "try:\n"
        "    client.converse(modelId='emulator.error.ThrottlingException', messages=messages)\n"
        "except client.exceptions.ThrottlingException as error:\n"
        "    seen.append((type(error) is bedrock_cris.exceptions.ThrottlingException,\n"
        "        modules(error), type(pickle.loads(pickle.dumps(error))).__name__))\n"
        "try:\n"
        "    client.converse(modelId=5, messages=messages)\n"
        "except bedrock_cris.exceptions.ParamValidationError as error:\n"
        "    seen.append(modules(error))\n"
        "timeout = bedrock_cris.exceptions.ReadTimeoutError(endpoint_url='u')\n"
        "seen.append((modules(timeout), isinstance(timeout, OSError)))\n"
        "print([sys.modules.get('botocore.exceptions') is None,\n"
        "    [m for m in sys.modules if m.startswith('botocore')],\n"
        "    'bedrock_cris._botocore_bridge' in sys.modules, seen])"
    )
    plain = ["bedrock_cris.exceptions", "builtins"]
    assert result == [
        True,
        [],
        False,
        # Timeouts are OSErrors even without botocore, as botocore's are (through urllib3).
        [(True, plain, "ThrottlingException"), plain, (plain, True)],
    ]


def test_pickles_cross_between_processes_with_and_without_botocore() -> None:
    # Pickled where botocore is loaded (here): unpickles plain without it, bridged with it.
    errors = [
        exceptions.from_code("ThrottlingException")({"Error": {"Code": "x"}}, "Converse"),
        exceptions.ReadTimeoutError(endpoint_url="http://x"),
        exceptions._event_stream_error("ConverseStream", "throttlingException", b"{}", "", ""),
    ]
    assert all(
        caught_by(e, botocore.exceptions.BotoCoreError)
        or caught_by(e, botocore.exceptions.ClientError)
        for e in errors
    )
    data = pickle.dumps(errors)
    load = f"import pickle, sys\n{MRO_MODULES}errors = pickle.loads({data!r})\n"
    plain = run_python(
        load + "print([[type(e).__name__, modules(e), str(e)] for e in errors]\n"
        "    + ['botocore' in sys.modules])"
    )
    assert plain == [
        [type(e).__name__, ["bedrock_cris.exceptions", "builtins"], str(e)] for e in errors
    ] + [False]
    checks = (
        "print([isinstance(errors[0], b.ClientError),\n"
        "    isinstance(errors[1], b.ReadTimeoutError), isinstance(errors[1], OSError),\n"
        "    isinstance(errors[2], b.EventStreamError), str(errors[1])])"
    )
    bridged = run_python(f"import botocore.exceptions as b\n{load}{checks}")
    assert bridged == [True, True, True, True, str(errors[1])]

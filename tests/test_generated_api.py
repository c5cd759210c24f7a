"""What codegen generates for the facade, from the model: the per-operation methods of the
blocking and asyncio clients (docstrings, signatures, behaviour), the Rust operation table
behind them, and the modelled exception classes (and that type checkers see them)."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import pickle
import pydoc
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris import _model, _modeled_errors, _operations, aio, exceptions
from bedrock_cris.config import Config
from botocore.exceptions import ParamValidationError as BotocoreParamValidationError
from conftest import client_kwargs

ROOT = Path(__file__).resolve().parent.parent
with gzip.open(ROOT / "codegen" / "bedrock-runtime-2023-09-30.service-2.json.gz") as _f:
    MODEL = json.load(_f)
# OperationName -> its required parameters, from the pinned model.
REQUIRED = {
    op: tuple(MODEL["shapes"][spec["input"]["shape"]].get("required", ()))
    for op, spec in MODEL["operations"].items()
}
CLASSES = [_operations.BedrockRuntimeOperations, _operations.AsyncBedrockRuntimeOperations]
# A parameter no operation has: botocore's error names the operation's own parameters.
UNKNOWN = "notAParameter"


def public_names(cls: type) -> list[str]:
    return [name for name in vars(cls) if not name.startswith("_")]


@pytest.fixture
def aours(emulator: Any) -> Any:
    return aio.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, config=Config(retries={"max_attempts": 0})),
    )


# -- the generated method lists -------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=["blocking", "asyncio"])
def test_the_generated_methods_are_the_models_operations_in_model_order(cls: type) -> None:
    assert public_names(cls) == list(_model.OPERATIONS)
    assert public_names(_operations._Signatures) == list(_model.OPERATIONS)


def test_the_clients_take_their_operations_from_the_generated_classes() -> None:
    assert issubclass(bedrock_cris.BedrockRuntime, _operations.BedrockRuntimeOperations)
    assert issubclass(aio.AsyncBedrockRuntime, _operations.AsyncBedrockRuntimeOperations)
    for name in _model.OPERATIONS:
        # Not shadowed by a hand-written method.
        assert name not in vars(bedrock_cris.BedrockRuntime), name
        assert name not in vars(aio.AsyncBedrockRuntime), name
        assert inspect.iscoroutinefunction(getattr(aio.AsyncBedrockRuntime, name)), name
        assert not inspect.iscoroutinefunction(getattr(bedrock_cris.BedrockRuntime, name)), name


def test_the_rust_table_dispatches_every_operation_and_nothing_else() -> None:
    table = (ROOT / "src" / "ops" / "generated.rs").read_text()
    arms = re.findall(r'^\s*"(\w+)" => ', table, re.M)
    assert arms == list(_model.OPERATIONS.values())


# -- docstrings and help() ------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=["blocking", "asyncio"])
@pytest.mark.parametrize("name", list(_model.OPERATIONS))
def test_help_shows_the_models_documentation_and_parameters(cls: type, name: str) -> None:
    operation = _model.OPERATIONS[name]
    text = pydoc.render_doc(getattr(cls, name), renderer=pydoc.plaintext)
    doc = inspect.getdoc(getattr(cls, name)) or ""
    required = set(REQUIRED[operation])
    call = ("await " if cls is CLASSES[1] else "") + f"client.{name}("
    assert f"response = {call}" in doc
    assert f"/bedrock-runtime-2023-09-30/{operation}>" in doc
    for param in _model.INPUT_MEMBERS[operation]:
        assert f"{param}=" in doc, param
        assert f":type {param}: " in doc, param
        flag = f":param {param}: **[REQUIRED]**"
        assert (flag in doc) == (param in required), param
        assert f"{param}: " in text.splitlines()[2], param  # the signature line
    assert "<p>" not in doc and "<code>" not in doc  # HTML stripped
    first = doc.split("\n\n")[1 if cls is CLASSES[1] else 0]
    assert 20 < len(first) < 600, first  # a few sentences


def flat_doc(method: Any) -> str:
    """A method's docstring with its lines joined (wrapping aside)."""
    return " ".join((inspect.getdoc(method) or "").split())


def test_docstrings_start_with_the_models_summary_and_keep_the_facade_notes() -> None:
    doc = flat_doc(bedrock_cris.BedrockRuntime.converse)
    assert doc.startswith("Sends messages to the specified Amazon Bedrock model. ``Converse``")
    bidi = flat_doc(bedrock_cris.BedrockRuntime.invoke_model_with_bidirectional_stream)
    assert (
        "Duplex stream (boto3 cannot do it): ``body`` is an :class:`InputStream` to ``send()``"
        " into, or an iterable of input events (``{'chunk': {'bytes': b'...'}}``); iterate"
        ' ``response["body"]`` for the output events as they arrive.' in bidi
    )
    abidi = flat_doc(aio.AsyncBedrockRuntime.invoke_model_with_bidirectional_stream)
    assert (
        "Awaitable duplex stream: ``await body.send_async(event)`` on the :class:`InputStream`,"
        ' ``async for`` over ``response["body"]``.' in abidi
    )
    assert 'Iterate ``response["stream"]``' in flat_doc(bedrock_cris.BedrockRuntime.converse_stream)
    assert "``StreamingBody``" in flat_doc(bedrock_cris.BedrockRuntime.invoke_model)


@pytest.mark.parametrize("cls", CLASSES, ids=["blocking", "asyncio"])
@pytest.mark.parametrize("name", list(_model.OPERATIONS))
def test_signatures_are_the_models_keyword_only_parameters(cls: type, name: str) -> None:
    operation = _model.OPERATIONS[name]
    signature = inspect.signature(getattr(cls, name))
    params = list(signature.parameters.values())
    assert params[0].name == "self"
    assert [p.name for p in params[1:]] == list(_model.INPUT_MEMBERS[operation])
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    required = {p.name for p in params[1:] if p.default is inspect.Parameter.empty}
    assert required == set(REQUIRED[operation])
    assert all(repr(p.default) == "..." for p in params[1:] if p.name not in required)


def test_a_bound_methods_signature_drops_self(ours: Any) -> None:
    signature = inspect.signature(ours.converse)
    assert str(signature).startswith("(*, modelId: 'str', messages: ")


def test_calling_a_signature_calls_the_method(ours: Any, emulator: Any) -> None:
    unwrapped = inspect.unwrap(ours.count_tokens)
    assert unwrapped is _operations._Signatures.count_tokens
    body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    result = unwrapped(ours, modelId="anthropic.claude-v2", input={"converse": body})
    assert result["inputTokens"] > 0
    assert emulator.requests[-1]["path"].endswith("/count-tokens")


# -- behaviour: exactly as before, exactly as boto3 -----------------------------------------


@pytest.mark.parametrize("name", list(_model.OPERATIONS))
def test_positional_arguments_raise_botocores_type_error(ours: Any, boto: Any, name: str) -> None:
    with pytest.raises(TypeError) as mine:
        getattr(ours, name)("positional")
    assert str(mine.value) == f"{name}() only accepts keyword arguments."
    if hasattr(boto, name):  # boto3 has no bidirectional streams
        with pytest.raises(TypeError) as theirs:
            getattr(boto, name)("positional")
        assert str(mine.value) == str(theirs.value)


@pytest.mark.parametrize("name", list(_model.OPERATIONS))
def test_asyncio_positional_arguments_raise_when_awaited(aours: Any, name: str) -> None:
    call = getattr(aours, name)("positional")  # a coroutine: nothing raised yet
    with pytest.raises(TypeError, match=rf"^{name}\(\) only accepts keyword arguments\.$"):
        asyncio.run(call)


@pytest.mark.parametrize("name", list(_model.OPERATIONS))
def test_unknown_keywords_are_botocores_param_validation_error_in_call_order(
    ours: Any, boto: Any, aours: Any, name: str
) -> None:
    # Two unknown names, in an order no sorting gives: botocore reports them as given.
    kwargs = {"zUnknown": 1, UNKNOWN: 2}
    with pytest.raises(exceptions.ParamValidationError) as mine:
        getattr(ours, name)(**kwargs)
    with pytest.raises(exceptions.ParamValidationError) as mine_async:
        asyncio.run(getattr(aours, name)(**kwargs))
    assert str(mine_async.value) == str(mine.value)
    members = ", ".join(_model.INPUT_MEMBERS[_model.OPERATIONS[name]])
    assert f'Unknown parameter in input: "zUnknown", must be one of: {members}' in str(mine.value)
    lines = str(mine.value).splitlines()
    unknown = [ln for ln in lines if ln.startswith("Unknown parameter")]
    assert [ln.split('"')[1] for ln in unknown] == ["zUnknown", UNKNOWN]
    if hasattr(boto, name):
        with pytest.raises(BotocoreParamValidationError) as theirs:
            getattr(boto, name)(**kwargs)
        assert str(mine.value) == str(theirs.value)


class Recorder:
    """Stands in for the native client: records what each method hands it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list[tuple[str, Any]]]] = []

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("call", operation, list(params.items())))
        return {"op": operation}

    async def call_async(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("call_async", operation, list(params.items())))
        return {"op": operation}


@pytest.mark.parametrize("name", list(_model.OPERATIONS))
def test_each_method_hands_the_callers_kwargs_in_order_to_its_operation(
    ours: Any, aours: Any, name: str
) -> None:
    recorder = Recorder()
    ours._native = aours._native = recorder
    kwargs = {"z": 1, "a": 2, "m": 3}
    assert getattr(ours, name)(**kwargs) == {"op": _model.OPERATIONS[name]}
    assert asyncio.run(getattr(aours, name)(**kwargs)) == {"op": _model.OPERATIONS[name]}
    items = list(kwargs.items())
    assert recorder.calls == [
        ("call", _model.OPERATIONS[name], items),
        ("call_async", _model.OPERATIONS[name], items),
    ]


def test_the_native_client_refuses_unknown_operation_names(ours: Any) -> None:
    with pytest.raises(ValueError, match='unknown bedrock-runtime operation "NoSuchOperation"'):
        ours._native.call("NoSuchOperation", {})


def test_help_and_signatures_cost_no_import_time() -> None:
    code = (
        "import sys\n"
        "import bedrock_cris\n"
        "client = bedrock_cris.client('bedrock-runtime', region_name='ap-south-1')\n"
        "print(sorted(m for m in ('inspect', 'typing', 'textwrap', 'bedrock_cris.aio')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
    )
    assert out.stdout.strip() == "[]"


# -- the modelled exception classes ---------------------------------------------------------


@pytest.mark.parametrize("name", list(_model.ERROR_SHAPES))
def test_modelled_exceptions_are_class_statements_exceptions_exports(name: str, ours: Any) -> None:
    cls = getattr(exceptions, name)
    assert cls is getattr(_modeled_errors, name)
    assert f"\nclass {name}(ClientError):\n" in Path(_modeled_errors.__file__).read_text()
    assert cls.__bases__[0] is exceptions.ClientError
    assert (cls.__module__, cls.__qualname__) == ("bedrock_cris.exceptions", name)
    assert name in exceptions.__all__
    assert exceptions.from_code(name) is cls
    assert getattr(ours.exceptions, name) is cls
    assert cls.__doc__ and "HTTP status code" in cls.__doc__ and "<" not in cls.__doc__
    error = cls({"Error": {"Code": name, "Message": "m"}}, "Converse")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)


def test_exceptions_all_is_unchanged() -> None:
    static = exceptions.__all__[: -len(_model.ERROR_SHAPES)]
    assert exceptions.__all__ == [*static, *_model.ERROR_SHAPES]
    assert _modeled_errors.__all__ == list(_model.ERROR_SHAPES)
    assert list(_modeled_errors.MODELED) == list(_model.ERROR_SHAPES)
    assert exceptions.from_code("NotModelled") is exceptions.ClientError


# -- type checkers --------------------------------------------------------------------------


def test_mypy_sees_the_generated_methods_and_exceptions(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    source = textwrap.dedent(
        """\
        from __future__ import annotations

        import bedrock_cris
        from bedrock_cris import aio
        from bedrock_cris.exceptions import ThrottlingException, ValidationException


        def ok(client: bedrock_cris.BedrockRuntime) -> str:
            try:
                result = client.converse(modelId="m", messages=[{"role": "user", "content": []}])
            except ThrottlingException as error:
                return str(error.response["Error"]["Code"])
            except client.exceptions.ModelTimeoutException as error:
                return error.operation_name
            return str(result["output"])


        async def aok(client: aio.AsyncBedrockRuntime) -> object:
            try:
                return await client.count_tokens(modelId="m", input={"converse": {}})
            except ValidationException:
                return None


        def bad(client: bedrock_cris.BedrockRuntime) -> None:
            client.converse(modelId=5)  # line 26
            client.converse(modelId="m", notAParameter=1)  # line 27
            client.converse("m")  # line 28
            client.get_async_invoke()  # line 29
            client.exceptions.NoSuchException  # line 30
        """
    )
    path = tmp_path / "usage.py"
    path.write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = sorted({int(m) for m in re.findall(r"usage\.py:(\d+): error", result.stdout)})
    assert lines == [26, 27, 28, 29, 30], result.stdout


# -- codegen --------------------------------------------------------------------------------


def test_codegen_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "codegen" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout

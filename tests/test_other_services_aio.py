"""Other services without boto3 (UnknownServiceError saying what to install, and boto3 imported
only when needed), and ``bedrock_cris.aio``'s delegation to aioboto3: against real aioboto3 in
a venv of its own (it pins an older botocore than the suite's), built once into
~/.cache/bedrock-cris-tests, and against a fake aioboto3 in ``sys.modules``. See
test_other_services.py for boto3's clients and resources."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import bedrock_cris
import bedrock_cris.aio
import botocore.client
import botocore.config
import botocore.exceptions
import pytest
from _moto_server import (
    AIOBOTO3,
    BOTOCORE_UNKNOWN_SERVICE,
    fresh_default_session,
    keys,
    moto,
    moto_server,
    skip_loudly,
)
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY

__all__ = ["fresh_default_session", "moto", "moto_server"]


# -- without boto3 -------------------------------------------------------------------------------

HIDE = """
import importlib.abc, sys

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hide())
"""


def run_python(code: str, timeout: float = 60) -> Any:
    """Runs ``code`` in a fresh interpreter; returns the literal it prints last."""
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stderr
    return ast.literal_eval(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("hidden", [["boto3"], ["boto3", "botocore"]], ids="+".join)
def test_without_boto3_other_services_are_unknown_and_say_what_to_install(
    hidden: list[str],
) -> None:
    code = (
        f"HIDDEN = {hidden!r}\n"
        + HIDE
        + textwrap.dedent(
            f"""
            import bedrock_cris
            from bedrock_cris import exceptions
            try:
                import boto3
            except ImportError:
                pass
            else:
                raise SystemExit("boto3 is not hidden")
            seen = []
            session = bedrock_cris.Session(region_name={REGION!r})
            calls = [
                lambda: bedrock_cris.client("s3", region_name={REGION!r}),
                lambda: session.client("sts"),
                lambda: bedrock_cris.resource("s3"),
            ]
            for call in calls:
                try:
                    call()
                except exceptions.UnknownServiceError as error:
                    seen.append([type(error).__name__, str(error), error.kwargs,
                                 type(error.__cause__).__name__])
            ours = session.client("bedrock-runtime")
            seen.append([type(ours).__name__, session.get_available_services()])
            try:
                session.client(42)
            except TypeError as error:
                seen.append(str(error))
            print(seen)
            """
        )
    )
    client_hint = "bedrock-runtime; install boto3 to use the {!r} client through bedrock_cris: pip install boto3"
    resource_hint = (
        "none (bedrock_cris has no resources of its own); "
        "install boto3 to use the 's3' resource through bedrock_cris: pip install boto3"
    )
    expected = []
    for name, known in (
        ("s3", client_hint.format("s3")),
        ("sts", client_hint.format("sts")),
        ("s3", resource_hint),
    ):
        kwargs = {"service_name": name, "known_service_names": known}
        message = BOTOCORE_UNKNOWN_SERVICE.format(**kwargs)
        expected.append(["UnknownServiceError", message, kwargs, "ModuleNotFoundError"])
    expected.append(["BedrockRuntime", ["bedrock-runtime"]])
    expected.append("service_name must be a str such as 'bedrock-runtime' or 's3', not int")
    assert run_python(code) == expected
    # botocore's own wording, with the hint where it lists the valid names.
    assert botocore.exceptions.UnknownServiceError.fmt == BOTOCORE_UNKNOWN_SERVICE


def test_cold_start_imports_boto3_only_for_other_services() -> None:
    loaded = run_python(
        textwrap.dedent(
            f"""
            import sys
            import bedrock_cris
            names = ["boto3", "botocore", "bedrock_cris._other_services"]
            seen = [[n for n in names if n in sys.modules]]
            bedrock_cris.client("bedrock-runtime", region_name={REGION!r})
            seen.append([n for n in names if n in sys.modules])
            bedrock_cris.client("s3", region_name={REGION!r})
            seen.append([n for n in names if n in sys.modules])
            print(seen)
            """
        )
    )
    everything = ["boto3", "botocore", "bedrock_cris._other_services"]
    assert loaded == [[], [], everything]


# -- bedrock_cris.aio and aioboto3 -----------------------------------------------------------------


def test_aio_without_aioboto3_says_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aioboto3", None)  # as if not installed
    session = bedrock_cris.aio.Session(region_name=REGION)
    known = "bedrock-runtime; install aioboto3 to use the 's3' client through bedrock_cris.aio: pip install aioboto3"
    for call in (lambda: bedrock_cris.aio.client("s3"), lambda: session.client("s3")):
        with pytest.raises(exceptions.UnknownServiceError) as info:
            call()
        assert str(info.value) == BOTOCORE_UNKNOWN_SERVICE.format(
            service_name="s3", known_service_names=known
        )
    with pytest.raises(exceptions.UnknownServiceError) as info:
        bedrock_cris.aio.resource("dynamodb")
    assert "install aioboto3 to use the 'dynamodb' resource through bedrock_cris.aio" in str(
        info.value
    )
    assert session.get_available_services() == ["bedrock-runtime"]
    assert type(session.client("bedrock-runtime")) is bedrock_cris.aio.AsyncBedrockRuntime


def fake_aioboto3() -> tuple[types.ModuleType, list[Any]]:
    """An ``aioboto3`` stand-in that records what it is asked and returns markers."""
    record: list[Any] = []
    module = types.ModuleType("aioboto3")

    class Session:
        def __init__(self, **kwargs: Any) -> None:
            record.append(("Session", kwargs))

        def client(self, name: str, **kwargs: Any) -> Any:
            record.append(("client", name, kwargs))
            return ("client-context", name)

        def resource(self, name: str, **kwargs: Any) -> Any:
            record.append(("resource", name, kwargs))
            return ("resource-context", name)

        def get_available_services(self) -> list[str]:
            return ["bedrock-runtime", "s3"]

    module.Session = Session  # type: ignore[attr-defined]
    return module, record


def test_aio_delegates_to_aioboto3(monkeypatch: pytest.MonkeyPatch) -> None:
    module, record = fake_aioboto3()
    monkeypatch.setitem(sys.modules, "aioboto3", module)
    session = bedrock_cris.aio.Session(
        region_name="eu-west-1", profile_name="dev", aws_account_id="111122223333", **keys()
    )
    assert session.client("s3", config=Config(read_timeout=5)) == ("client-context", "s3")
    assert session.resource("dynamodb", endpoint_url="http://x") == ("resource-context", "dynamodb")
    assert session.get_available_services() == ["bedrock-runtime", "s3"]
    assert type(session.client("bedrock-runtime")) is bedrock_cris.aio.AsyncBedrockRuntime
    assert bedrock_cris.aio.client("sts") == ("client-context", "sts")
    assert bedrock_cris.aio.resource("s3") == ("resource-context", "s3")
    session_kwargs = {
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "aws_session_token": None,
        "region_name": "eu-west-1",
        "profile_name": "dev",
        "aws_account_id": "111122223333",
    }
    defaults = {
        "region_name": None,
        "api_version": None,
        "use_ssl": True,
        "verify": None,
        "endpoint_url": None,
        "aws_access_key_id": None,
        "aws_secret_access_key": None,
        "aws_session_token": None,
        "config": None,
    }
    assert record[0] == ("Session", session_kwargs)  # one aioboto3 session for `session`
    name, service, kwargs = record[1]
    assert (name, service) == ("client", "s3")
    config = kwargs.pop("config")
    assert type(config) is botocore.config.Config and config.read_timeout == 5
    assert {**kwargs, "config": None} == {**defaults, "aws_account_id": None}
    assert record[2] == ("resource", "dynamodb", {**defaults, "endpoint_url": "http://x"})
    assert [entry[0] for entry in record[3:]] == ["Session", "client", "Session", "resource"]


def aioboto3_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with aioboto3 (and its own botocore), built once into the user's cache."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    version = f"py{sys.version_info[0]}{sys.version_info[1]}"
    venv = cache / "bedrock-cris-tests" / f"{AIOBOTO3.replace('==', '-')}-{version}"
    python = venv / "bin" / "python"
    if (venv / "ready").exists() and python.exists():
        return python
    try:  # built beside its final place, so that moving it there is one atomic rename
        venv.parent.mkdir(parents=True, exist_ok=True)
        building = venv.parent / f".building-{os.getpid()}-{venv.name}"
        shutil.rmtree(building, ignore_errors=True)
    except OSError:  # no cache folder to keep it in: build it for this run only
        building = tmp_path_factory.mktemp("aioboto3-venv") / "venv"
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(building)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(building / "bin" / "python")]
            + ["install", "-q", "--disable-pip-version-check", AIOBOTO3],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        output = getattr(error, "stderr", b"") or b""
        skip_loudly(
            f"could not build a venv with {AIOBOTO3}: {error} {output.decode(errors='replace')}"
        )
    (building / "ready").write_text(AIOBOTO3)
    if (venv / "ready").exists() and python.exists():  # another run finished first
        shutil.rmtree(building, ignore_errors=True)
        return python
    try:
        shutil.rmtree(venv, ignore_errors=True)  # a broken or half-made one
        building.rename(venv)
    except OSError:  # renamed by another run meanwhile, or no cache: use this one
        return building / "bin" / "python"
    return python


def test_aio_other_services_are_aioboto3s_against_moto(
    moto: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    python = aioboto3_python(tmp_path_factory)
    # Only this package is added to that venv's path: its own botocore stays in charge.
    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / "bedrock_cris").symlink_to(Path(bedrock_cris.__file__).parent)
    script = textwrap.dedent(
        f"""
        import asyncio
        import aioboto3, aiobotocore.session, botocore
        import bedrock_cris.aio
        from bedrock_cris.config import Config

        async def main():
            seen = [botocore.__version__ != {botocore.__version__!r}]
            session = bedrock_cris.aio.Session(
                aws_access_key_id={ACCESS_KEY!r}, aws_secret_access_key={SECRET_KEY!r},
                region_name="eu-west-1",
            )
            context = session.client("s3", endpoint_url={moto!r}, config=Config(read_timeout=8))
            seen.append(type(context) is aiobotocore.session.ClientCreatorContext)
            async with context as s3:
                seen.append(s3.meta.config.read_timeout)
                await s3.create_bucket(
                    Bucket="aio-bucket",
                    CreateBucketConfiguration={{"LocationConstraint": "eu-west-1"}},
                )
                await s3.put_object(Bucket="aio-bucket", Key="k", Body=b"async body")
                answer = await s3.get_object(Bucket="aio-bucket", Key="k")
                seen.append(await answer["Body"].read())
            async with session.client("sts", endpoint_url={moto!r}) as sts:
                seen.append((await sts.get_caller_identity())["Account"])
            context = session.resource("s3", endpoint_url={moto!r})
            seen.append(type(context) is aioboto3.session.ResourceCreatorContext)
            async with context as resource:
                bucket = await resource.Bucket("aio-bucket")
                seen.append([o.key async for o in bucket.objects.all()])
            seen.append(type(session._delegate_session) is aioboto3.Session)
            seen.append("s3" in session.get_available_services())
            ours = bedrock_cris.aio.client("bedrock-runtime", region_name="eu-west-1")
            seen.append(type(ours).__name__)
            print(seen)

        asyncio.run(main())
        """
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(packages),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    completed = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stderr
    assert ast.literal_eval(completed.stdout.strip().splitlines()[-1]) == [
        True,  # aioboto3's own botocore, not the suite's
        True,
        8,
        b"async body",
        "123456789012",
        True,
        ["k"],
        True,
        True,
        "AsyncBedrockRuntime",
    ]

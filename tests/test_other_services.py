"""Services other than bedrock-runtime: ``bedrock_cris.client("s3")``, ``resource("s3")`` and
their ``Session`` twins are boto3's own, made with the same session and client arguments, and
tested end to end against moto's server mode (a real local AWS mock, in a child process);
without boto3 (aioboto3 for ``bedrock_cris.aio``) they raise UnknownServiceError saying what to
install. The aio delegation runs against real aioboto3 in a venv of its own (aioboto3 pins an
older botocore than the suite's), built once into ~/.cache/bedrock-cris-tests (skipped, with
the reason in the warnings summary, if it cannot be built), and against a fake aioboto3 in
``sys.modules`` for the exact arguments it gets.
"""

from __future__ import annotations

import ast
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import types
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bedrock_cris
import bedrock_cris.aio
import boto3
import boto3.resources.base
import botocore.client
import botocore.config
import botocore.exceptions
import pytest
from bedrock_cris import _client, exceptions
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY

#: aioboto3 release the aio test installs into its own venv (it pins its own botocore).
AIOBOTO3 = "aioboto3==15.5.0"
BOTOCORE_UNKNOWN_SERVICE = (
    "Unknown service: '{service_name}'. Valid service names are: {known_service_names}"
)


# -- moto's server mode, shared by this module and tests/test_boto3_scripts.py ------------------


def skip_loudly(reason: str) -> None:
    """Skips the test and says why in pytest's warnings summary (a skip is never silent)."""
    warnings.warn(pytest.PytestWarning(reason), stacklevel=2)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MotoServer:
    """``python -m moto.server`` on a free loopback port, in a child process."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 30.0) -> None:
        last_error = "no attempt"
        for _ in range(3):  # another process may take the free port before moto binds it
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2) as answer:
                        if answer.status == 200:
                            return
                except (OSError, urllib.error.URLError) as error:
                    last_error = repr(error)
                time.sleep(0.1)
            self.stop()
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"moto's server did not start: {last_error}\n{log}")

    def reset(self) -> None:
        """Forgets every bucket, user, key and topic (moto's own reset call)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


_MOTO: dict[str, MotoServer] = {}


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto server for the whole session (modules that import this fixture share it)."""
    if "server" not in _MOTO:
        try:
            import moto.server  # noqa: F401
        except ImportError as error:
            skip_loudly(f"moto[server] is not installed ({error}); pip install 'moto[server]'")
        server = MotoServer(tmp_path_factory.mktemp("moto") / "server.log")
        server.start()
        _MOTO["server"] = server
    server = _MOTO["server"]
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: MotoServer) -> str:
    """The moto server's URL, its state reset."""
    moto_server.reset()
    return moto_server.url


@pytest.fixture(autouse=True)
def fresh_default_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own default session (and so its own boto3 session)."""
    monkeypatch.setattr(_client, "DEFAULT_SESSION", None)


def keys(**extra: Any) -> dict[str, Any]:
    return {"aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY, **extra}


def iam_user_keys(moto: str, name: str = "alice") -> tuple[str, str, str]:
    """A user made in moto's IAM: (arn, access key, secret key). moto's STS answers
    get_caller_identity with the user whose keys signed the request."""
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto, **keys())
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def sent_headers(client: Any) -> list[dict[str, str]]:
    """The headers of every request ``client`` sends from now on (botocore's own event)."""
    seen: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        seen.append(
            {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )

    client.meta.events.register("before-send", record)
    return seen


# -- boto3's own clients and resources -----------------------------------------------------------


def test_module_client_is_boto3s_s3_client_end_to_end(moto: str) -> None:
    s3 = bedrock_cris.client("s3", region_name=REGION, endpoint_url=moto, **keys())
    assert isinstance(s3, botocore.client.BaseClient)
    assert s3.meta.service_model.service_name == "s3"
    assert type(s3).__name__ == type(boto3.client("s3", region_name=REGION)).__name__ == "S3"
    location = {"LocationConstraint": REGION}
    s3.create_bucket(Bucket="bedrock-cris-test", CreateBucketConfiguration=location)
    s3.put_object(Bucket="bedrock-cris-test", Key="prompts/one.txt", Body=b"Hello, S3")
    answer = s3.get_object(Bucket="bedrock-cris-test", Key="prompts/one.txt")
    assert answer["Body"].read() == b"Hello, S3"
    assert s3.get_bucket_location(Bucket="bedrock-cris-test")["LocationConstraint"] == REGION
    with pytest.raises(s3.exceptions.NoSuchKey) as missing:
        s3.get_object(Bucket="bedrock-cris-test", Key="nothing-here")
    assert isinstance(missing.value, botocore.exceptions.ClientError)


def test_module_client_and_resource_use_the_default_session(moto: str) -> None:
    arn, key, secret = iam_user_keys(moto)
    bedrock_cris.setup_default_session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name="eu-west-3"
    )
    sts = bedrock_cris.client("sts", endpoint_url=moto)
    assert sts.get_caller_identity()["Arn"] == arn
    assert sts.meta.region_name == "eu-west-3"
    s3 = bedrock_cris.resource("s3", endpoint_url=moto)
    assert isinstance(s3, boto3.resources.base.ServiceResource)
    bucket = s3.Bucket("default-session-bucket")
    bucket.create(CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    bucket.put_object(Key="a.txt", Body=b"abc")
    assert [(o.key, o.size) for o in bucket.objects.all()] == [("a.txt", 3)]


def test_session_client_and_resource_end_to_end(moto: str) -> None:
    arn, key, secret = iam_user_keys(moto)
    session = bedrock_cris.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name="eu-west-1"
    )
    assert session.client("sts", endpoint_url=moto).get_caller_identity()["Arn"] == arn
    s3 = session.resource("s3", endpoint_url=moto)
    assert isinstance(s3, boto3.resources.base.ServiceResource)
    bucket = s3.create_bucket(
        Bucket="session-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    bucket.put_object(Key="k", Body=b"v")
    client = session.client("s3", endpoint_url=moto)
    assert client.get_object(Bucket="session-bucket", Key="k")["Body"].read() == b"v"


def test_session_region_and_client_region_reach_the_service(moto: str) -> None:
    session = bedrock_cris.Session(region_name="eu-west-3", **keys())
    topic = session.client("sns", endpoint_url=moto).create_topic(Name="t")["TopicArn"]
    assert topic.startswith("arn:aws:sns:eu-west-3:")
    other = session.client("sns", endpoint_url=moto, region_name="ap-south-1")
    assert other.create_topic(Name="t")["TopicArn"].startswith("arn:aws:sns:ap-south-1:")


def test_client_keys_override_the_session_keys(moto: str) -> None:
    arn, key, secret = iam_user_keys(moto)
    session = bedrock_cris.Session(region_name=REGION, **keys())
    sts = session.client(
        "sts", endpoint_url=moto, aws_access_key_id=key, aws_secret_access_key=secret
    )
    assert sts.get_caller_identity()["Arn"] == arn


def test_session_token_and_account_id_propagate(moto: str) -> None:
    session = bedrock_cris.Session(
        region_name=REGION,
        aws_session_token="session-token-1",
        aws_account_id="111122223333",
        **keys(),
    )
    sts = session.client("sts", endpoint_url=moto)
    headers = sent_headers(sts)
    sts.get_caller_identity()
    assert headers[-1]["X-Amz-Security-Token"] == "session-token-1"
    assert session._delegate_session.get_credentials().account_id == "111122223333"
    assert session._delegate_session.get_credentials().token == "session-token-1"
    explicit = session.client(
        "sts", endpoint_url=moto, aws_session_token="session-token-2", **keys()
    )
    headers = sent_headers(explicit)
    explicit.get_caller_identity()
    assert headers[-1]["X-Amz-Security-Token"] == "session-token-2"


def test_profile_name_selects_the_profile(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn, key, secret = iam_user_keys(moto)
    config = tmp_path / "config"
    config.write_text(
        f"[profile dev]\nregion = eu-north-1\naws_access_key_id = {key}\n"
        f"aws_secret_access_key = {secret}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    session = bedrock_cris.Session(profile_name="dev")
    sts = session.client("sts", endpoint_url=moto)
    assert sts.meta.region_name == "eu-north-1"
    assert sts.get_caller_identity()["Arn"] == arn


def test_one_boto3_session_per_session_created_on_first_use(moto: str) -> None:
    session = bedrock_cris.Session(region_name=REGION, **keys())
    assert session._delegate_session is None
    session.client("bedrock-runtime")
    assert session._delegate_session is None  # our own client needs no boto3 session
    first = session.client("s3", endpoint_url=moto)
    delegate = session._delegate_session
    assert isinstance(delegate, boto3.Session)
    session.client("sts", endpoint_url=moto)
    session.resource("s3", endpoint_url=moto)
    session.get_available_services()
    assert session._delegate_session is delegate
    # Clients of one boto3 session: they share its credentials (and so their cache).
    assert first._request_signer._credentials is delegate.get_credentials()
    assert bedrock_cris.Session()._delegate_session is None


def test_our_config_is_converted_to_botocores(moto: str) -> None:
    ours = Config(
        read_timeout=7,
        connect_timeout=3,
        retries={"max_attempts": 1, "mode": "standard"},
        user_agent_extra="my-app/1.0",
    )
    s3 = bedrock_cris.client("s3", region_name=REGION, endpoint_url=moto, config=ours, **keys())
    config = s3.meta.config
    assert type(config) is botocore.config.Config
    assert (config.read_timeout, config.connect_timeout) == (7, 3)
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}
    headers = sent_headers(s3)
    s3.list_buckets()
    assert "my-app/1.0" in headers[-1]["User-Agent"]
    resource = bedrock_cris.Session(region_name=REGION, **keys()).resource(
        "s3", endpoint_url=moto, config=Config(read_timeout=11)
    )
    assert resource.meta.client.meta.config.read_timeout == 11
    assert ours._user_provided_options["read_timeout"] == 7  # ours is left as it was


def test_botocore_config_passes_through(moto: str) -> None:
    theirs = botocore.config.Config(read_timeout=9, signature_version="s3v4")
    s3 = bedrock_cris.client("s3", region_name=REGION, endpoint_url=moto, config=theirs, **keys())
    assert s3.meta.config.read_timeout == 9
    assert s3.meta.config.signature_version == "s3v4"


def test_every_client_argument_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        boto3.Session, "client", lambda self, name, **kw: calls.append((name, kw)) or "client"
    )
    monkeypatch.setattr(
        boto3.Session,
        "resource",
        lambda self, name, **kw: calls.append((name, kw)) or "resource",
    )
    config = botocore.config.Config(read_timeout=5)
    args = {
        "region_name": "eu-west-1",
        "api_version": "2006-03-01",
        "use_ssl": False,
        "verify": "/tmp/ca.pem",
        "endpoint_url": "http://127.0.0.1:1",
        "aws_access_key_id": "AKID",
        "aws_secret_access_key": "SECRET",
        "aws_session_token": "TOKEN",
        "config": config,
    }
    session = bedrock_cris.Session()
    assert session.client("s3", **args, aws_account_id="123456789012") == "client"
    assert session.resource("s3", **args) == "resource"
    positional = session.client("s3", *args.values(), "123456789012")  # type: ignore[call-overload]
    assert positional == "client"
    assert calls == [
        ("s3", {**args, "aws_account_id": "123456789012"}),
        ("s3", args),
        ("s3", {**args, "aws_account_id": "123456789012"}),
    ]


def test_bedrock_runtime_stays_ours() -> None:
    for client in (
        bedrock_cris.client("bedrock-runtime", region_name=REGION),
        bedrock_cris.Session(region_name=REGION).client("bedrock-runtime"),
    ):
        assert type(client) is bedrock_cris.BedrockRuntime
    aio_client = bedrock_cris.aio.Session(region_name=REGION).client("bedrock-runtime")
    assert type(aio_client) is bedrock_cris.aio.AsyncBedrockRuntime


def test_resource_for_bedrock_runtime_is_boto3s_answer() -> None:
    with pytest.raises(boto3.exceptions.ResourceNotExistsError) as ours:
        bedrock_cris.resource("bedrock-runtime", region_name=REGION)
    with pytest.raises(boto3.exceptions.ResourceNotExistsError) as theirs:
        boto3.resource("bedrock-runtime", region_name=REGION)
    assert str(ours.value) == str(theirs.value)


def test_unknown_service_is_boto3s_error() -> None:
    with pytest.raises(botocore.exceptions.UnknownServiceError) as ours:
        bedrock_cris.client("no-such-service", region_name=REGION)
    with pytest.raises(botocore.exceptions.UnknownServiceError) as theirs:
        boto3.client("no-such-service", region_name=REGION)
    assert str(ours.value) == str(theirs.value)


def test_available_services_are_boto3s() -> None:
    services = bedrock_cris.Session().get_available_services()
    assert services == boto3.Session().get_available_services()
    assert {"bedrock-runtime", "s3", "sts"} <= set(services)


@pytest.mark.parametrize("name", [None, 3, b"s3", ["s3"]])
def test_a_service_name_that_is_not_a_str_is_a_type_error(name: Any) -> None:
    session = bedrock_cris.Session()
    calls = [
        lambda: bedrock_cris.client(name),
        lambda: bedrock_cris.resource(name),
        lambda: session.client(name),
        lambda: session.resource(name),
        lambda: bedrock_cris.aio.client(name),
        lambda: bedrock_cris.aio.resource(name),
    ]
    for call in calls:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == (
            "service_name must be a str such as 'bedrock-runtime' or 's3', "
            f"not {type(name).__name__}"
        )
    assert session._delegate_session is None


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

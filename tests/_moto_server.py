"""moto's server mode (a real local AWS mock in a child process), shared by the tests of other
services (test_other_services*.py) and tests/test_boto3_scripts.py; with the helpers they share.
Not a conftest.py: tests/ has one already."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import boto3.resources.base
import pytest
from bedrock_cris import _client
from conftest import ACCESS_KEY, SECRET_KEY

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

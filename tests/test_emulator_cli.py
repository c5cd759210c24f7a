"""``python -m bedrock_cris.emulator``: its help, what it prints on start, what it records and
its control API, as a new user meets them."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import boto3
import botocore.exceptions
import pytest
from bedrock_cris.emulator._cli import _export_lines
from childproc import Child, run_module_script

ACCESS_KEY = "AKIDCLIEXAMPLE"
SECRET_KEY = "cli/secret+key"
BEARER = "bedrock-api-key-cli"
MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

#: Every control endpoint and the methods it takes (as emulator/src/control.rs serves them).
ENDPOINTS = {
    "faults": ["GET", "POST", "DELETE"],
    "requests": ["GET", "DELETE"],
    "reset": ["POST"],
    "latency": ["GET", "PUT"],
    "concurrency": ["GET", "PUT"],
    "seed": ["PUT"],
    "quota": ["GET", "PUT", "DELETE"],
    "usage": ["GET", "DELETE"],
}


def _assignment(line: str) -> tuple[str, str]:
    """``("NAME", "value")`` from ``export NAME=value`` (shell-quoted)."""
    words = shlex.split(line)
    assert words[0] == "export" and len(words) == 2, line
    name, _, value = words[1].partition("=")
    return name, value


class Cli:
    """The CLI's process and what it printed before serving."""

    def __init__(self, child: Child, url: str, lines: list[str]) -> None:
        self.child = child
        self.url = url
        self.lines = lines

    def exports(self) -> dict[str, str]:
        """The variables the printed ``export`` lines set."""
        return dict(_assignment(line) for line in self.lines if line.startswith("export "))

    def bearer_export(self) -> tuple[str, str]:
        """The commented-out bearer-token line (for bedrock_cris clients only)."""
        (line,) = [line for line in self.lines if line.startswith("# bedrock_cris")]
        return _assignment(line.partition(": ")[2])

    def unset(self) -> list[str]:
        return [
            name for line in self.lines if line.startswith("unset ") for name in line.split()[1:]
        ]

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture(scope="module")
def cli() -> Iterator[Cli]:
    args = [
        sys.executable,
        "-c",
        run_module_script("bedrock_cris.emulator"),
        "--credentials",
        f"{ACCESS_KEY}:{SECRET_KEY}",
        "--bearer-token",
        BEARER,
        "--region",
        "ap-south-1",
    ]
    with Child(args, stderr=subprocess.DEVNULL) as child:
        url = child.readline().strip()
        lines = [child.readline().strip()]
        while not lines[-1].startswith("unset "):  # the last line it prints before serving
            lines.append(child.readline().strip())
        yield Cli(child, url, lines)
        child.interrupt()
        assert child.wait() == 0


def aws_env(monkeypatch: pytest.MonkeyPatch, cli: Cli, *, bearer: bool) -> None:
    """This process's environment as a shell's after pasting the CLI's lines (and, with
    ``bearer``, its bearer-token line too)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for name, value in cli.exports().items():
        monkeypatch.setenv(name, value)
    if bearer:
        monkeypatch.setenv(*cli.bearer_export())


def test_help_shows_the_defaults_and_every_control_endpoint() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bedrock_cris.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    for default in ["127.0.0.1", "0", "0.0", "1000", "33554432", "us-east-1"]:
        assert f"(default: {default})" in text
    assert "0 records none" in text
    for path, methods in ENDPOINTS.items():
        for method in methods:
            assert re.search(rf"\b{method} /_emulator/{path}\b", text), (method, path)
    assert "PUT and POST are interchangeable" in text


def test_start_prints_the_lines_to_paste(cli: Cli) -> None:
    assert cli.url.startswith("http://127.0.0.1:")
    assert cli.exports() == {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": cli.url,
        "AWS_REGION": "ap-south-1",
        "AWS_DEFAULT_REGION": "ap-south-1",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    assert cli.bearer_export() == ("AWS_BEARER_TOKEN_BEDROCK", BEARER)
    assert cli.unset() == ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK"]


def test_pasted_lines_let_unmodified_clients_in(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_env(monkeypatch, cli, bearer=False)
    cli.control("DELETE", "/requests")
    for client in (
        boto3.session.Session().client("bedrock-runtime"),
        bedrock_cris.Session().client("bedrock-runtime"),
    ):
        assert client.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"
    _, _, recorded = cli.control("GET", "/requests")
    assert [r["auth_error"] for r in recorded["requests"]] == [None, None]
    assert [authorization(r).split()[0] for r in recorded["requests"]] == ["AWS4-HMAC-SHA256"] * 2


def test_the_bearer_line_is_for_bedrock_cris(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_env(monkeypatch, cli, bearer=True)
    cli.control("DELETE", "/requests")
    client = bedrock_cris.Session().client("bedrock-runtime")
    assert client.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"
    (request,) = cli.control("GET", "/requests")[2]["requests"]
    assert request["auth_error"] is None
    assert authorization(request) == f"Bearer {BEARER}"
    # As the printed comment says: boto3 sends bearer tokens over HTTPS only.
    with pytest.raises(botocore.exceptions.InvalidEndpointConfigurationError):
        boto3.session.Session().client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)


def authorization(request: dict[str, Any]) -> str:
    (value,) = [value for name, value in request["headers"] if name == "authorization"]
    return str(value)


def test_requests_are_recorded_by_default(cli: Cli) -> None:
    cli.control("DELETE", "/requests")
    client = bedrock_cris.client(
        "bedrock-runtime",
        region_name="ap-south-1",
        endpoint_url=cli.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.converse(modelId=MODEL, messages=MESSAGES)
    status, _, recorded = cli.control("GET", "/requests")
    assert status == 200
    assert [r["path"] for r in recorded["requests"]] == [
        f"/model/{MODEL.replace(':', '%3A')}/converse"
    ]
    assert recorded["total"] >= 1


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_setters_take_put_and_post(cli: Cli, method: str) -> None:
    try:
        assert (
            cli.control(method, "/latency", {"time_to_first_token": 0.25, "per_token": 0.001})[0]
            == 200
        )
        assert cli.control("GET", "/latency")[2] == {
            "time_to_first_token": 0.25,
            "per_token": 0.001,
        }
        assert cli.control(method, "/concurrency", {"limit": 7})[0] == 200
        assert cli.control("GET", "/concurrency")[2]["limit"] == 7
        assert cli.control(method, "/seed", {"seed": 3})[0] == 200
    finally:
        assert cli.control(method, "/reset")[0] == 200
    assert cli.control("GET", "/latency")[2] == {"time_to_first_token": 0.0, "per_token": 0.0}
    assert cli.control("GET", "/concurrency")[2]["limit"] is None


def test_a_wrong_method_says_which_ones_work(cli: Cli) -> None:
    status, headers, body = cli.control("POST", "/requests", {})
    assert status == 405
    assert headers["allow"] == "GET, DELETE"
    assert body["message"] == "POST /_emulator/requests: this control endpoint takes GET, DELETE"
    status, _, body = cli.control("GET", "/nothing")
    assert status == 404
    assert "/_emulator/faults" in body["message"] and "/_emulator/seed" in body["message"]


class _Listening:
    endpoint_url = "http://127.0.0.1:8000"
    ca_bundle = None


class _ListeningOverTls:
    endpoint_url = "https://127.0.0.1:8000"
    ca_bundle = "/tmp/bedrock-emulator-x.pem"


def test_export_lines_over_tls_name_the_ca_bundle() -> None:
    lines = _export_lines(_ListeningOverTls(), "us-east-1", {}, [])  # type: ignore[arg-type]
    assert lines[:4] == [
        "export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=https://127.0.0.1:8000",
        "export AWS_REGION=us-east-1",
        "export AWS_DEFAULT_REGION=us-east-1",
        "export AWS_CA_BUNDLE=/tmp/bedrock-emulator-x.pem",
    ]


def test_export_lines_without_authentication() -> None:
    lines = _export_lines(_Listening(), "us-east-1", {}, [])  # type: ignore[arg-type]
    assert lines == [
        "export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:8000",
        "export AWS_REGION=us-east-1",
        "export AWS_DEFAULT_REGION=us-east-1",
        "export AWS_ACCESS_KEY_ID=test",
        "export AWS_SECRET_ACCESS_KEY=test",
        "unset AWS_SESSION_TOKEN AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK",
    ]


def test_export_lines_with_bearer_tokens_only() -> None:
    lines = _export_lines(_Listening(), "us-east-1", {}, ["it's"])  # type: ignore[arg-type]
    assert lines[3:] == [
        "# bedrock_cris clients only (boto3 sends bearer tokens only over HTTPS):",
        "export AWS_BEARER_TOKEN_BEDROCK='it'\"'\"'s'",
        "unset AWS_SESSION_TOKEN AWS_PROFILE",
    ]
    assert _assignment(lines[4]) == ("AWS_BEARER_TOKEN_BEDROCK", "it's")

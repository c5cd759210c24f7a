"""Secrets stay secret and the transport is verified: credentials never appear in
reprs, messages or logs (the SDK's debug logging, forwarded to Python's
``logging`` under ``bedrock_cris``, is redacted); TLS verification is on, with
``verify="/path/ca.pem"``/``AWS_CA_BUNDLE`` trusting a private CA as boto3
does; ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (either case) are honoured."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import logging
import pickle
import re
import socket
import ssl
import threading
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.exceptions
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY, client_kwargs

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue0123456789abcdef"
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLXRva2VuLXZhbHVl"
NO_RETRIES = Config(retries={"max_attempts": 0})


def exception_text(error: BaseException) -> str:
    """Everything an exception shows: str, repr, traceback, pickled form, response."""
    parts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    ]
    with contextlib.suppress(Exception):  # unpicklable is fine for this check
        parts.append(repr(pickle.dumps(error)))
    parts.append(repr(getattr(error, "response", "")))
    return "\n".join(parts)


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in (SECRET_KEY, SESSION_TOKEN, API_KEY, *secrets):
        assert secret not in text, f"secret {secret[:6]}... leaked in: {text[:2000]}"


# -- credentials in reprs and exceptions ------------------------------------------------------


def test_reprs_hold_no_credentials(emulator: Any) -> None:
    session = bedrock_cris.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    )
    client = session.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=emulator.endpoint_url
    )
    aio_client = bedrock_cris.aio.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, aws_session_token=SESSION_TOKEN)
    )
    shown = [
        session,
        client,
        client.meta,
        client.meta.config,
        client._native,
        aio_client,
        aio_client.meta,
    ]
    for value in shown:
        assert_no_secrets(repr(value) + str(value))
        assert ACCESS_KEY not in repr(value)


def test_wrong_secret_error_holds_no_credentials(emulator: Any) -> None:
    emulator.set_auth(credentials={ACCESS_KEY: "a-different-secret-key-of-the-same-user"})
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, aws_session_token=SESSION_TOKEN, config=NO_RETRIES),
    )
    for call in (
        lambda: client.converse(modelId=CLAUDE, messages=MESSAGES),
        lambda: client.converse_stream(modelId=CLAUDE, messages=MESSAGES),
    ):
        with pytest.raises(exceptions.ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert_no_secrets(exception_text(info.value))
    sent = dict(emulator.requests[-1]["headers"])
    assert sent["x-amz-security-token"] == SESSION_TOKEN  # the token was sent, and not echoed


def test_rejected_api_key_error_holds_no_token(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.set_auth(bearer_tokens=["some-other-api-key"])
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    client = bedrock_cris.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=emulator.endpoint_url, config=NO_RETRIES
    )
    with pytest.raises(exceptions.ClientError) as info:
        client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert_no_secrets(exception_text(info.value))


def test_no_credentials_error_holds_no_partial_secret(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret without its key id is no credential: NoCredentialsError, secret unmentioned."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    client = bedrock_cris.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=emulator.endpoint_url, config=NO_RETRIES
    )
    with pytest.raises(exceptions.NoCredentialsError) as info:
        client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert str(info.value) == "Unable to locate credentials"
    assert_no_secrets(exception_text(info.value))
    assert emulator.requests == []


def test_partial_explicit_credentials_error_holds_no_secret() -> None:
    with pytest.raises(exceptions.PartialCredentialsError) as info:
        bedrock_cris.client("bedrock-runtime", region_name=REGION, aws_secret_access_key=SECRET_KEY)
    assert_no_secrets(exception_text(info.value))


# -- logging ----------------------------------------------------------------------------------


def forwarded(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bedrock_cris.")]


def test_sdk_logging_reaches_python_logging_redacted(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime",
        **client_kwargs(emulator.endpoint_url, aws_session_token=SESSION_TOKEN, config=NO_RETRIES),
    )
    with caplog.at_level(5, logger="bedrock_cris"):  # 5: tracing's TRACE
        client.converse(modelId=CLAUDE, messages=MESSAGES)
        for _ in client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]:
            pass
    records = forwarded(caplog)
    levels = {r.levelno for r in records}
    assert {5, logging.DEBUG} <= levels, levels
    names = {r.name for r in records}
    assert any(n.startswith("bedrock_cris.aws_smithy_runtime") for n in names), names
    assert any(n.startswith("bedrock_cris.aws_sigv4") for n in names), names
    text = "\n".join(r.getMessage() for r in records)
    authorization = dict(emulator.requests[-1]["headers"])["authorization"]
    signature = re.search(r"Signature=([0-9a-f]+)", authorization)
    assert signature is not None
    assert_no_secrets(text, signature.group(1))
    assert "redacted" in text  # the headers were logged, their secrets replaced

    # Back to the default level: nothing below WARNING is forwarded any more.
    # A record a runtime thread was already handing to logging when the level
    # went back (it checked the level, then Python switched threads) can land
    # just after; one call gives such stragglers the GIL before the check.
    client.converse(modelId=CLAUDE, messages=MESSAGES)
    caplog.clear()
    client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert [r for r in forwarded(caplog) if r.levelno < logging.WARNING] == []


def test_bearer_token_is_redacted_from_logs(
    emulator: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.set_auth(bearer_tokens=[API_KEY])
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    client = bedrock_cris.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=emulator.endpoint_url, config=NO_RETRIES
    )
    with caplog.at_level(5, logger="bedrock_cris"):
        client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert dict(emulator.requests[-1]["headers"])["authorization"] == f"Bearer {API_KEY}"
    records = forwarded(caplog)
    assert records
    assert_no_secrets("\n".join(r.getMessage() for r in records))


def test_a_child_logger_alone_enables_forwarding(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=NO_RETRIES)
    )
    with caplog.at_level(logging.DEBUG, logger="bedrock_cris.aws_smithy_runtime"):
        client.converse(modelId=CLAUDE, messages=MESSAGES)
    names = {r.name for r in forwarded(caplog)}
    assert names and all(n.startswith("bedrock_cris.aws_smithy_runtime") for n in names), names
    assert all(r.levelno >= logging.DEBUG for r in forwarded(caplog))


# -- TLS ------------------------------------------------------------------------------------


def make_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate it signed for localhost/127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bedrock-cris test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


def pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Relay:
    """A TCP server on 127.0.0.1 that hands each connection to `handle` on a thread."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.server.close()


class TlsFrontend(Relay):
    """HTTPS in front of the emulator: terminates TLS with the test certificate."""

    def __init__(self, upstream: tuple[str, int], cert: Path, key: Path) -> None:
        self.upstream = upstream
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.handshakes = 0
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate
        self.handshakes += 1
        tls.settimeout(None)
        with tls, socket.create_connection(self.upstream) as upstream:
            back = threading.Thread(target=pipe, args=(upstream, tls), daemon=True)
            back.start()
            pipe(tls, upstream)
            back.join(10)


class Proxy(Relay):
    """An HTTP proxy: CONNECT tunnels and absolute-form requests, counted."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self.forwarded: list[str] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(65536)
            if not chunk:
                return
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].decode()
        method, target, _ = request_line.split(" ", 2)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            self.tunnels.append(target)
            upstream = socket.create_connection((host, int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
        else:
            # http://host:port/path: hyper's server takes absolute-form requests as they are.
            self.forwarded.append(request_line)
            host, port = target.split("/")[2].rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            rest = head
        with upstream:
            if rest:
                upstream.sendall(rest)
            back = threading.Thread(target=pipe, args=(upstream, conn), daemon=True)
            back.start()
            pipe(conn, upstream)
            back.join(10)


@pytest.fixture
def pki(tmp_path: Path) -> tuple[Path, Path, Path]:
    return make_pki(tmp_path)


@pytest.fixture
def https_endpoint(
    emulator: Any, pki: tuple[Path, Path, Path]
) -> Iterator[tuple[str, TlsFrontend]]:
    frontend = TlsFrontend((emulator.host, emulator.port), pki[1], pki[2])
    try:
        yield f"https://localhost:{frontend.port}", frontend
    finally:
        frontend.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    server = Proxy()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def tls_client(url: str, **kwargs: Any) -> Any:
    return bedrock_cris.client("bedrock-runtime", **client_kwargs(url, config=NO_RETRIES, **kwargs))


def test_untrusted_certificate_is_refused(
    https_endpoint: tuple[str, TlsFrontend], no_proxy_env: Any
) -> None:
    url, frontend = https_endpoint
    # botocore raises SSLError, a ConnectionError, naming the URL and the reason.
    with pytest.raises(exceptions.SSLError) as info:
        tls_client(url).converse(modelId=CLAUDE, messages=MESSAGES)
    assert isinstance(info.value, exceptions.ConnectionError)
    assert str(info.value).startswith(f"SSL validation failed for {url}")
    assert "certificate" in str(info.value).lower()
    assert frontend.handshakes == 0


def test_verify_false_still_verifies(
    https_endpoint: tuple[str, TlsFrontend], no_proxy_env: Any
) -> None:
    url, frontend = https_endpoint
    with pytest.warns(UserWarning, match="verify=False is ignored"):
        client = tls_client(url, verify=False)
    with pytest.raises(exceptions.ConnectionError):
        client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert frontend.handshakes == 0


def test_ca_bundle_argument_is_trusted_like_boto3(
    https_endpoint: tuple[str, TlsFrontend], pki: tuple[Path, Path, Path], no_proxy_env: Any
) -> None:
    url, frontend = https_endpoint
    ca = str(pki[0])
    ours = tls_client(url, verify=ca).converse(modelId=CLAUDE, messages=MESSAGES)
    theirs = boto3.client(
        "bedrock-runtime",
        **client_kwargs(url, verify=ca, config=botocore.config.Config(retries={"max_attempts": 0})),
    ).converse(modelId=CLAUDE, messages=MESSAGES)
    assert ours["output"] == theirs["output"]
    assert frontend.handshakes >= 2


@pytest.mark.parametrize("variable", ["AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_ca_bundle_from_the_environment(
    https_endpoint: tuple[str, TlsFrontend],
    pki: tuple[Path, Path, Path],
    no_proxy_env: Any,
    variable: str,
) -> None:
    url, _ = https_endpoint
    no_proxy_env.setenv(variable, str(pki[0]))
    assert tls_client(url).converse(modelId=CLAUDE, messages=MESSAGES)["stopReason"] == "end_turn"
    stream = tls_client(url).converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    assert any("messageStop" in event for event in stream)
    # verify=True means the system's trust store, which does not know our CA (as in botocore).
    with pytest.raises(exceptions.ConnectionError):
        tls_client(url, verify=True).converse(modelId=CLAUDE, messages=MESSAGES)


def test_bad_ca_bundles_are_reported_when_the_client_is_built(
    tmp_path: Path, no_proxy_env: Any
) -> None:
    url = "https://localhost:1"
    missing = tmp_path / "missing.pem"
    with pytest.raises(
        FileNotFoundError, match="Could not find a suitable TLS CA certificate bundle"
    ):
        tls_client(url, verify=str(missing))
    with pytest.raises(ValueError, match="empty or whitespace-only"):
        tls_client(url, verify="  ")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match="holds no PEM certificate"):
        tls_client(url, verify=str(garbage))
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError, match="not usable"):
        tls_client(url, verify=str(broken))
    with pytest.raises(TypeError):
        tls_client(url, verify=3)


# -- proxies --------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_http_proxy_from_the_environment(
    emulator: Any, proxy: Proxy, no_proxy_env: Any, variable: str
) -> None:
    no_proxy_env.setenv(variable, f"http://127.0.0.1:{proxy.port}")
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=NO_RETRIES)
    )
    assert client.converse(modelId=CLAUDE, messages=MESSAGES)["stopReason"] == "end_turn"
    assert len(proxy.forwarded) == 1, proxy.forwarded
    assert proxy.forwarded[0].startswith(f"POST {emulator.endpoint_url}/model/")


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy_bypasses_the_proxy(
    emulator: Any, proxy: Proxy, no_proxy_env: Any, variable: str
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    no_proxy_env.setenv(variable, "localhost,127.0.0.1")
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=NO_RETRIES)
    )
    assert client.converse(modelId=CLAUDE, messages=MESSAGES)["stopReason"] == "end_turn"
    assert proxy.connections == 0


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_https_through_a_connect_proxy_with_a_private_ca(
    https_endpoint: tuple[str, TlsFrontend],
    pki: tuple[Path, Path, Path],
    proxy: Proxy,
    no_proxy_env: Any,
    variable: str,
) -> None:
    url, frontend = https_endpoint
    no_proxy_env.setenv(variable, f"http://127.0.0.1:{proxy.port}")
    client = tls_client(url, verify=str(pki[0]))
    assert client.converse(modelId=CLAUDE, messages=MESSAGES)["stopReason"] == "end_turn"
    assert proxy.tunnels == [f"localhost:{frontend.port}"]
    assert frontend.handshakes == 1


def test_proxy_that_is_down_is_a_connection_error(emulator: Any, no_proxy_env: Any) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    no_proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    client = bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=NO_RETRIES)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exceptions.BotoCoreError):
            client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert emulator.requests == []


def bearer_clients(url: str, **kwargs: Any) -> dict[str, Any]:
    """Clients of both packages with no SigV4 credentials (AWS_BEARER_TOKEN_BEDROCK is used)."""
    retries = {"retries": {"max_attempts": 0}}
    return {
        "ours": bedrock_cris.client(
            "bedrock-runtime",
            region_name=REGION,
            endpoint_url=url,
            config=Config(**retries),
            **kwargs,
        ),
        "boto3": boto3.client(
            "bedrock-runtime",
            region_name=REGION,
            endpoint_url=url,
            config=botocore.config.Config(**retries),
            **kwargs,
        ),
    }


def test_bearer_tokens_over_https_like_boto3(
    https_endpoint: tuple[str, TlsFrontend],
    pki: tuple[Path, Path, Path],
    no_proxy_env: Any,
    emulator: Any,
) -> None:
    url, _frontend = https_endpoint
    emulator.set_auth(bearer_tokens=[API_KEY])
    no_proxy_env.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    answers = {
        name: client.converse(modelId=CLAUDE, messages=MESSAGES)["output"]
        for name, client in bearer_clients(url, verify=str(pki[0])).items()
    }
    assert answers["ours"] == answers["boto3"]
    sent = [dict(r["headers"])["authorization"] for r in emulator.requests]
    assert sent == [f"Bearer {API_KEY}"] * 2


def test_bearer_tokens_are_not_sent_over_plain_http_like_boto3(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore refuses to send a bearer token in clear text; so do we (nothing is sent)."""
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    url = "http://192.0.2.1:9"  # TEST-NET-1: no such host is reached
    outcomes = {}
    for name, client in bearer_clients(url).items():
        with pytest.raises(Exception) as info:
            client.converse(modelId=CLAUDE, messages=MESSAGES)
        outcomes[name] = (type(info.value).__name__, str(info.value))
        assert isinstance(info.value, botocore.exceptions.InvalidEndpointConfigurationError)
    assert (
        outcomes["ours"]
        == outcomes["boto3"]
        == (
            "InvalidEndpointConfigurationError",
            "Invalid endpoint configuration: Bearer authorization requires an HTTPS endpoint.",
        )
    )
    assert_no_secrets(outcomes["ours"][1])


def test_bearer_tokens_reach_a_loopback_emulator_over_http(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliberate difference (README): a loopback endpoint is no network, so the emulator
    can be tested with API keys over plain HTTP; boto3 refuses even there."""
    emulator.set_auth(bearer_tokens=[API_KEY])
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    clients = bearer_clients(emulator.endpoint_url)
    clients["ours"].converse(modelId=CLAUDE, messages=MESSAGES)
    assert dict(emulator.requests[-1]["headers"])["authorization"] == f"Bearer {API_KEY}"
    with pytest.raises(botocore.exceptions.InvalidEndpointConfigurationError):
        clients["boto3"].converse(modelId=CLAUDE, messages=MESSAGES)

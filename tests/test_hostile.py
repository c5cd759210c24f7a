"""Broken and hostile servers, side by side with boto3 (tests/hostile_server.py): for each
case the same exception class (with botocore imported, an instance of botocore's) and the
same number of attempts, or, where boto3 misbehaves, the documented exception; memory stays
bounded whatever a frame claims."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from typing import Any

import bedrock_cris
import boto3
import botocore.config
import botocore.eventstream
import botocore.exceptions
import botocore.retries.standard
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import client_kwargs
from hostile_server import (
    Answer,
    claiming_prelude,
    event,
    frame,
    hostile,
    raw,
    response,
    stream_of,
)

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def _bad_prelude_checksum() -> bytes:
    prelude = bytearray(claiming_prelude(100))
    prelude[11] ^= 1
    return bytes(prelude)


def _head_with(extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + extra + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}"


# name: (operation, answer, class name both raise, attempts both make)
SAME_AS_BOTO3: dict[str, tuple[str, Answer, str, int]] = {
    "garbage instead of HTTP": (
        "converse",
        raw(b"SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n"),
        "ConnectionClosedError",
        3,
    ),
    "10,000 headers": (
        "converse",
        raw(_head_with(b"".join(b"X-H%d: v\r\n" % i for i in range(10000)))),
        "ConnectionClosedError",
        3,
    ),
    "one 1 MB header": (
        "converse",
        raw(_head_with(b"X-Big: " + b"a" * (1 << 20) + b"\r\n")),
        "ConnectionClosedError",
        3,
    ),
    "bad chunk size": (
        "converse",
        raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        ),
        "ConnectionClosedError",
        3,
    ),
    "HTML 500": (
        "converse",
        response("500 Internal Server Error", b"<html>oops</html>"),
        "ClientError",
        3,
    ),
    "HTML 429": (
        "converse",
        response("429 Too Many Requests", b"<html>slow</html>"),
        "ClientError",
        3,
    ),
    "empty 429": ("converse", response("429 Too Many Requests", b""), "ClientError", 3),
    "HTML 403": ("converse", response("403 Forbidden", b"<html>no</html>"), "ClientError", 1),
    "frame claiming 2 GiB": (
        "converse_stream",
        stream_of(claiming_prelude(2**31), flood=4 << 20),
        "InvalidPayloadLength",
        1,
    ),
    "frame claiming 4 GiB": (
        "converse_stream",
        stream_of(claiming_prelude(2**32 - 1), flood=1 << 20),
        "InvalidPayloadLength",
        1,
    ),
    "headers claiming 1 MiB": (
        "invoke_model_with_response_stream",
        stream_of(claiming_prelude(2 << 20, 1 << 20)),
        "InvalidHeadersLength",
        1,
    ),
    "bad prelude checksum": (
        "converse_stream",
        stream_of(_bad_prelude_checksum()),
        "ChecksumMismatch",
        1,
    ),
    "error message frame": (
        "converse_stream",
        stream_of(
            event("messageStart", b'{"role":"assistant"}'),
            frame(
                {
                    ":message-type": "error",
                    ":error-code": "InternalFailure",
                    ":error-message": "it broke",
                },
                b"",
            ),
        ),
        "EventStreamError",
        1,
    ),
}


@pytest.fixture(autouse=True)
def boto3_without_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 retries at once: only the attempts are compared, and its backoff costs time."""
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0
    )


def attempt(module: Any, config_class: Any, method: str, url: str) -> BaseException | None:
    client = module.client(
        "bedrock-runtime",
        **client_kwargs(url, config=config_class(read_timeout=5, connect_timeout=5)),
    )
    params: dict[str, Any] = dict(modelId=CLAUDE)
    if method.startswith("converse"):
        params["messages"] = MESSAGES
    else:
        params["body"] = b"{}"
    try:
        result = getattr(client, method)(**params)
        for key in ("stream", "body"):
            if key in result:
                body = result[key]
                body.read() if hasattr(body, "read") else list(body)
    except Exception as error:
        return error
    return None


@pytest.mark.parametrize("case", list(SAME_AS_BOTO3))
def test_hostile_answers_like_boto3(case: str) -> None:
    method, answer, class_name, attempts = SAME_AS_BOTO3[case]
    outcomes = {}
    for name, module, config_class in (
        ("boto3", boto3, botocore.config.Config),
        ("ours", bedrock_cris, Config),
    ):
        with hostile(answer) as server:
            error = attempt(module, config_class, method, server.url)
            time.sleep(0.1)  # the server counts a request once it has read it
            outcomes[name] = (type(error).__name__, server.requests)
            if name == "ours":
                botocore_class = getattr(botocore.exceptions, class_name, None) or getattr(
                    botocore.eventstream, class_name
                )
                assert isinstance(error, botocore_class), repr(error)
    assert outcomes["ours"] == outcomes["boto3"] == (class_name, attempts), outcomes


def test_a_body_cut_short_is_a_streaming_error_retried_before_the_call_returns() -> None:
    """botocore returns and raises ResponseStreamingError from ``body.read()``; ours reads
    the body before returning, so the same class comes from the call, after retries."""
    answer = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    with hostile(answer) as server:
        error = attempt(bedrock_cris, Config, "invoke_model", server.url)
        time.sleep(0.1)
        assert isinstance(error, exceptions.ResponseStreamingError), repr(error)
        assert isinstance(error, botocore.exceptions.ResponseStreamingError)
        assert server.requests == 3


def test_a_success_that_does_not_parse_says_so() -> None:
    """boto3 returns whatever it made of such a body; ours raises ResponseParserError."""
    answer = response("200 OK", b"<html>hi</html>", [("Content-Type", "application/json")])
    with hostile(answer) as server:
        error = attempt(bedrock_cris, Config, "converse", server.url)
        assert attempt(boto3, botocore.config.Config, "converse", server.url) is None
    assert isinstance(error, exceptions.ResponseParserError), repr(error)
    assert str(error).startswith("Unable to parse the Converse response (HTTP 200): ")


def test_memory_stays_bounded_whatever_a_frame_claims() -> None:
    """Five streams whose first frame claims 2 GiB, each followed by 64 MiB of bytes: refused
    from the prelude, peak RSS well under 300 MB (a child process, so the figure is its own)."""
    script = textwrap.dedent(
        f"""
        import sys

        def peak_mb():
            # VmHWM, this process's own high-water mark: ru_maxrss would carry over the
            # parent's (Linux keeps it across fork and exec), i.e. pytest's.
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) // 1024

        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        import bedrock_cris
        from bedrock_cris import exceptions
        from hostile_server import claiming_prelude, hostile, stream_of

        answer = stream_of(claiming_prelude(2**31), flood=64 << 20)
        peaks = []
        for _ in range(5):
            with hostile(answer) as server:
                client = bedrock_cris.client(
                    "bedrock-runtime", region_name="us-east-1", endpoint_url=server.url,
                    aws_access_key_id="a", aws_secret_access_key="b",
                )
                stream = client.converse_stream(modelId={CLAUDE!r}, messages={MESSAGES!r})
                try:
                    list(stream["stream"])
                except exceptions.InvalidPayloadLength:
                    pass
                else:
                    raise SystemExit("no InvalidPayloadLength")
            peaks.append(peak_mb())
        print(peaks)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    peaks_mb = json.loads(done.stdout)  # after each stream
    assert max(peaks_mb) < 300, (peaks_mb, done.stderr)


SKEWED = response(
    "403 Forbidden",
    b'{"message":"Signature expired: 20261202T000000Z is now earlier than 20271202T000000Z"}',
    [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/coral/"),
        ("Date", "Thu, 02 Dec 2027 00:00:00 GMT"),
    ],
)


def test_clock_skew_is_corrected_and_retried_where_boto3_gives_up() -> None:
    """Deliberate difference (README): a signature refused with the server's clock a year
    ahead is the Rust SDK's cue to correct its clock offset and sign again; botocore has no
    such correction and raises at once. Both end with the service's InvalidSignatureException."""
    attempts = {}
    for name, module, config_class in (
        ("boto3", boto3, botocore.config.Config),
        ("ours", bedrock_cris, Config),
    ):
        with hostile(SKEWED) as server:
            error = attempt(module, config_class, "converse", server.url)
            time.sleep(0.1)
            assert type(error).__name__ == "ClientError"
            assert error.response["Error"]["Code"] == "InvalidSignatureException"  # type: ignore[union-attr]
            attempts[name] = server.requests
    assert attempts == {"boto3": 1, "ours": 3}


def test_5xx_retries_back_off_as_botocore_does() -> None:
    """Retry Behavior 2.1: below 50 ms x 2^attempt between retries of a 5xx answer (the
    SDK's older 1 s base took 0.2-2.8 s for the same two retries)."""
    with hostile(response("500 Internal Server Error", b"<html>oops</html>")) as server:
        started = time.monotonic()
        error = attempt(bedrock_cris, Config, "converse", server.url)
        elapsed = time.monotonic() - started
        time.sleep(0.1)
        assert server.requests == 3
    assert isinstance(error, exceptions.ClientError)
    # Two waits below 50 ms and 100 ms, plus three short exchanges with the server (each
    # answer is followed by 50 ms before the server closes its side).
    assert elapsed < 0.6, elapsed


def _drip(conn: Any) -> None:
    """A success whose body arrives a byte every 0.1 s (30 s in all)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n"
    )
    for _ in range(300):
        conn.sendall(b" ")
        time.sleep(0.1)


def test_a_drip_fed_body_ends_at_the_read_timeout() -> None:
    """boto3's read timeout bounds each socket read, so a body that trickles in keeps it
    waiting for as long as the server likes; ours bounds the whole answer of an attempt."""
    with hostile(_drip) as server:
        client = bedrock_cris.client(
            "bedrock-runtime",
            **client_kwargs(server.url, config=Config(read_timeout=1, retries={"max_attempts": 0})),
        )
        started = time.monotonic()
        with pytest.raises(exceptions.ReadTimeoutError):
            client.converse(modelId=CLAUDE, messages=MESSAGES)
        assert time.monotonic() - started < 2.5

"""Big payloads go out byte-exact and without extra copies: a large ``bytes`` value is lent
to the request (InvokeModel's body as is, a Converse blob base64-encoded once into the body)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def _invoke_body(size: int) -> bytes:
    text = "x" * size
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": text}],
        }
    ).encode()


def test_big_blobs_reach_the_wire_as_boto3_sends_them(emulator: Any, ours: Any, boto: Any) -> None:
    image, document = os.urandom(3_000_000), os.urandom(200_000)
    messages = [
        {
            "role": "user",
            "content": [
                {"text": "look"},
                {"image": {"format": "png", "source": {"bytes": image}}},
                {"document": {"format": "pdf", "name": "d", "source": {"bytes": document}}},
                {"image": {"format": "png", "source": {"bytes": b"small"}}},
            ],
        }
    ]
    body = _invoke_body(2_000_000)
    for client in (ours, boto):
        client.converse(modelId=MODEL, messages=messages)
        client.invoke_model(modelId=MODEL, body=body)["body"].read()
    ours_converse, ours_invoke, boto_converse, boto_invoke = emulator.requests[-4:]
    # Same JSON (boto3's json.dumps adds spaces), and the blobs decode to the exact bytes.
    assert json.loads(ours_converse["body"]) == json.loads(boto_converse["body"])
    content = json.loads(ours_converse["body"])["messages"][0]["content"]
    assert base64.b64decode(content[1]["image"]["source"]["bytes"]) == image
    assert base64.b64decode(content[2]["document"]["source"]["bytes"]) == document
    assert ours_invoke["body"] == boto_invoke["body"] == body


def test_a_big_blob_from_a_file_like_and_a_bytearray(emulator: Any, ours: Any) -> None:
    import io

    body = _invoke_body(300_000)
    ours.invoke_model(modelId=MODEL, body=io.BytesIO(body))
    ours.invoke_model(modelId=MODEL, body=bytearray(body))
    assert [r["body"] for r in emulator.requests[-2:]] == [body, body]


PROBE = r"""
import json, os, sys, bedrock_cris
client = bedrock_cris.client("bedrock-runtime", region_name="us-east-1", endpoint_url=sys.argv[1],
                             aws_access_key_id="a", aws_secret_access_key="b")
model = "anthropic.claude-3-haiku-20240307-v1:0"
def body(n):
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
                       "messages": [{"role": "user", "content": "x" * n}]}).encode()
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
def added(call):
    call()  # warm: connection, allocator
    open("/proc/self/clear_refs", "w").write("5")
    before = status("VmRSS")
    call()
    return status("VmHWM") - before
size = 16_000_000
big = body(size)
image = os.urandom(size)
messages = [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": image}}}]}]
print(json.dumps({
    "invoke": added(lambda: client.invoke_model(modelId=model, body=big)) / size,
    "converse": added(lambda: client.converse(modelId=model, messages=messages)) / size,
}))
"""


def test_no_extra_copy_of_a_big_payload(tmp_path: Path) -> None:
    """In a child process (the emulator in another one): InvokeModel's 16 MB body adds well
    under one copy to the peak RSS, Converse's 16 MB image about its base64 body (4/3)."""
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bedrock_cris.emulator", "--port", "0", "--record-limit", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http"), url
        done = subprocess.run(
            [sys.executable, "-c", PROBE, url], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        copies = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert copies["invoke"] < 0.5, copies
    assert copies["converse"] < 4 / 3 + 0.5, copies

"""The emulator's Regions, quotas and usage counters: Bedrock's per-minute request and token
quotas per source Region and model id, with its exact throttling messages, a time scale so a
quota minute passes in a second, and the same controls over the JSON control URL, the pytest
plugin and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from conftest import ACCESS_KEY, BEARER_TOKEN, SECRET_KEY

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
BASE = "anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
TOO_MANY_REQUESTS = "Too many requests, please wait before trying again."
TOO_MANY_TOKENS = "Too many tokens, please wait before trying again."


def client(emulator: Any, region: str = "us-east-1") -> Any:
    """boto3 signing for ``region``, retries off: each call is one request."""
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1}),
    )


def outcome(call: Any) -> str:
    """``"ok"``, or the error's message."""
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ThrottlingException"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        return str(e.response["Error"]["Message"])
    return "ok"


def converse(c: Any, model: str = MODEL) -> str:
    return outcome(lambda: c.converse(modelId=model, messages=MESSAGES))


def test_requests_per_minute_throttle_with_bedrocks_message(emulator: Any) -> None:
    emulator.set_quota(requests_per_minute=3)
    c = client(emulator)
    assert [converse(c) for _ in range(4)] == ["ok"] * 3 + [TOO_MANY_REQUESTS]
    usage = emulator.usage()["us-east-1"][MODEL]
    assert (usage["requests"], usage["throttled"], usage["errors"]) == (4, 1, 0)
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert emulator.requests[-1]["fault"] == "quota:ThrottlingException"
    # Every model id has buckets of its own under "*".
    assert converse(c, "us.amazon.nova-lite-v1:0") == "ok"


def test_tokens_per_minute_count_input_and_output(emulator: Any) -> None:
    c = client(emulator)
    c.converse(modelId=MODEL, messages=MESSAGES)
    tokens = sum(emulator.usage()["us-east-1"][MODEL][k] for k in ("input_tokens", "output_tokens"))
    emulator.reset_all()
    emulator.set_quota(MODEL, tokens_per_minute=tokens * 2)
    assert [converse(c) for _ in range(3)] == ["ok", "ok", TOO_MANY_TOKENS]
    # The stream of the same answer costs the same tokens.
    emulator.reset_all()
    emulator.set_quota(MODEL, tokens_per_minute=tokens)
    events = list(c.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    assert "metadata" in events[-1]
    assert outcome(lambda: c.converse_stream(modelId=MODEL, messages=MESSAGES)) == TOO_MANY_TOKENS
    invoke_body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": MESSAGES}
    )
    assert outcome(lambda: c.invoke_model(modelId=MODEL, body=invoke_body)) == TOO_MANY_TOKENS


def test_buckets_refill_continuously_at_the_time_scale(emulator: Any) -> None:
    emulator.set_time_scale(60)  # a quota minute per second: 60 requests a minute is 60/s
    assert emulator.time_scale == 60.0
    emulator.set_quota(requests_per_minute=60)
    c = client(emulator)
    # The full bucket's minute of requests, then throttles.
    answers = [converse(c) for _ in range(300)]
    assert TOO_MANY_REQUESTS in answers
    assert answers.index(TOO_MANY_REQUESTS) >= 60
    started = time.monotonic()
    ok = 0
    while time.monotonic() - started < 1.0:
        ok += converse(c) == "ok"
    assert 45 <= ok <= 75, ok  # one quota minute's worth in a second


def test_regions_come_from_the_credential_scope(emulator: Any) -> None:
    emulator.set_quota(region="ap-south-1", requests_per_minute=1)
    mumbai, virginia = client(emulator, "ap-south-1"), client(emulator, "us-east-1")
    assert [converse(mumbai), converse(mumbai)] == ["ok", TOO_MANY_REQUESTS]
    assert [converse(virginia), converse(virginia)] == ["ok", "ok"]
    usage = emulator.usage()
    assert usage["ap-south-1"][MODEL]["throttled"] == 1
    assert usage["us-east-1"][MODEL]["throttled"] == 0


def test_the_most_specific_quota_applies(emulator: Any) -> None:
    emulator.set_quota(requests_per_minute=100)
    emulator.set_quota(BASE, region="eu-west-1", requests_per_minute=1)
    eu = client(emulator, "eu-west-1")
    # A bare foundation-model id's quota is shared by the profiles of that model.
    assert converse(eu, MODEL) == "ok"
    assert converse(eu, "eu." + BASE) == TOO_MANY_REQUESTS
    assert converse(eu, "eu.amazon.nova-lite-v1:0") == "ok"
    assert converse(client(emulator, "us-west-2"), MODEL) == "ok"
    assert {q["model_id"] for q in emulator.quotas} == {"*", BASE}
    emulator.set_quota(BASE, region="eu-west-1")  # neither limit: removed
    assert [q["model_id"] for q in emulator.quotas] == ["*"]
    emulator.clear_quotas()
    assert emulator.quotas == []


def test_faults_per_region(emulator: Any) -> None:
    emulator.fail("*", "ServiceUnavailableException", region="ap-south-1")
    emulator.fail_stream(MODEL, 0, code="ThrottlingException", region="us-west-2")
    mumbai = client(emulator, "ap-south-1")
    with pytest.raises(botocore.exceptions.ClientError, match="ServiceUnavailable"):
        mumbai.converse(modelId=MODEL, messages=MESSAGES)
    assert converse(client(emulator, "us-east-1")) == "ok"
    oregon = client(emulator, "us-west-2")
    with pytest.raises(botocore.exceptions.EventStreamError, match="throttlingException"):
        list(oregon.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    assert {f["region"] for f in emulator.faults} == {"ap-south-1", "us-west-2"}
    assert emulator.usage()["ap-south-1"][MODEL]["errors"] == 1


def test_bearer_token_requests_count_toward_the_default_region(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bedrock_cris

    emulator.set_default_region("sa-east-1")
    assert emulator.default_region == "sa-east-1"
    emulator.set_quota(region="sa-east-1", requests_per_minute=1)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEARER_TOKEN)
    ours = bedrock_cris.client(
        "bedrock-runtime",
        region_name="us-east-1",  # a bearer token carries no Region
        endpoint_url=emulator.endpoint_url,
        config=bedrock_cris.config.Config(retries={"total_max_attempts": 1}),
    )
    ours.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(ours.exceptions.ThrottlingException, match="Too many requests"):
        ours.converse(modelId=MODEL, messages=MESSAGES)
    assert emulator.usage()["sa-east-1"][MODEL]["requests"] == 2
    emulator.reset_all()
    assert emulator.default_region == "us-east-1"


def control(emulator: Any, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator.control_url}{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_control_url(emulator: Any) -> None:
    assert control(emulator, "GET", "/quota") == {
        "quotas": [],
        "time_scale": 1.0,
        "default_region": "us-east-1",
    }
    one = {"model_id": MODEL, "region": "us-east-1", "requests_per_minute": 1}
    assert control(emulator, "PUT", "/quota", one) == {"set": 1}
    assert control(emulator, "PUT", "/quota", {"time_scale": 30}) == {"set": 0}
    settings = control(emulator, "GET", "/quota")
    assert settings["time_scale"] == 30.0
    assert settings["quotas"] == [{**one, "tokens_per_minute": None}]
    c = client(emulator)
    assert [converse(c), converse(c)] == ["ok", TOO_MANY_REQUESTS]
    usage = control(emulator, "GET", "/usage")["usage"]
    assert usage["us-east-1"][MODEL]["throttled"] == 1
    control(emulator, "DELETE", "/usage")
    assert control(emulator, "GET", "/usage") == {"usage": {}}
    control(emulator, "DELETE", "/quota")
    assert converse(c) == "ok"
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(emulator, "PUT", "/quota", {"tokens_per_minute": -5})
    assert refused.value.code == 400
    with pytest.raises(ValueError, match="time_scale"):
        emulator.set_time_scale(0)


@pytest.mark.bedrock_quota(MODEL, requests_per_minute=2)
def test_the_pytest_plugin_marks_quotas(
    bedrock_client: Any, bedrock_emulator_per_test: Any
) -> None:
    for _ in range(2):
        bedrock_client.converse(modelId=MODEL, messages=MESSAGES)
    assert bedrock_emulator_per_test.quotas[0]["requests_per_minute"] == 2
    assert converse(client(bedrock_emulator_per_test)) == TOO_MANY_REQUESTS
    assert bedrock_emulator_per_test.usage()["us-east-1"][MODEL]["throttled"] == 1


def test_the_command_line_takes_quotas_and_a_time_scale() -> None:
    from bedrock_cris.emulator._cli import parse_quota

    assert parse_quota("us-east-1/" + BASE + ":rpm=5,tpm=100") == {
        "model_id": BASE,
        "region": "us-east-1",
        "requests_per_minute": 5,
        "tokens_per_minute": 100,
    }
    assert parse_quota("*:tpm=7") == {"model_id": "*", "region": None, "tokens_per_minute": 7}
    for bad in ["tpm=7", "*:burst=1", "*:tpm=x"]:
        with pytest.raises(ValueError):
            parse_quota(bad)
    script = (
        "import sys, threading, _thread\n"
        "threading.Timer(1.5, _thread.interrupt_main).start()\n"
        "from bedrock_cris.emulator import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, "--quota", "*:rpm=1", "--time-scale", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    url = child.stdout.readline().strip()
    with urllib.request.urlopen(f"{url}/_emulator/quota", timeout=10) as response:
        settings = json.loads(response.read())
    assert child.wait(timeout=30) == 0
    assert settings["time_scale"] == 60.0
    assert settings["quotas"][0]["requests_per_minute"] == 1

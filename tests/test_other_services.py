"""Services other than bedrock-runtime: ``bedrock_cris.client("s3")``, ``resource("s3")`` and
their ``Session`` twins are boto3's own, made with the same session and client arguments, and
tested end to end against moto's server mode (a real local AWS mock, in a child process);
without boto3 (aioboto3 for ``bedrock_cris.aio``) they raise UnknownServiceError saying what to
install (test_other_services_aio.py). The aio delegation runs against real aioboto3 in a venv of its own (aioboto3 pins an
older botocore than the suite's), built once into ~/.cache/bedrock-cris-tests (skipped, with
the reason in the warnings summary, if it cannot be built), and against a fake aioboto3 in
``sys.modules`` for the exact arguments it gets.
"""

from __future__ import annotations

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
from _moto_server import (
    fresh_default_session,
    iam_user_keys,
    keys,
    moto,
    moto_server,
    sent_headers,
)
from bedrock_cris.config import Config
from conftest import REGION

__all__ = ["fresh_default_session", "moto", "moto_server"]


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

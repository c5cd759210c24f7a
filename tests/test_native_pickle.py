"""bedrock_cris.Client pickles by its arguments (for Ray actors, multiprocessing): a new
connection pool wherever it is unpickled, credentials only if they were passed explicitly."""

from __future__ import annotations

import pickle
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY


def test_client_pickles_with_its_model_region_endpoint_and_config(emulator: Any) -> None:
    client = bedrock_cris.Client(
        REGION,
        model="us.amazon.nova-lite-v1:0",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(read_timeout=33, retries={"total_max_attempts": 2}),
    )
    copy = pickle.loads(pickle.dumps(client))
    assert (copy.region, copy.model) == (REGION, client.model)
    assert copy.native is not client.native  # its own connections
    assert copy.converse("Hi", max_tokens=10).stop_reason
    assert emulator.requests[-1]["path"] == "/model/us.amazon.nova-lite-v1%3A0/converse"


def test_pickle_holds_no_secrets_unless_passed_explicitly(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    from_env = bedrock_cris.Client(REGION, endpoint_url=emulator.endpoint_url)
    data = pickle.dumps(from_env)
    assert SECRET_KEY.encode() not in data and ACCESS_KEY.encode() not in data
    assert pickle.loads(data).embed(["x"]).shape == (1, 1024)  # its own credentials

    explicit = bedrock_cris.Client(
        REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    assert SECRET_KEY.encode() in pickle.dumps(explicit)


def test_a_wrapped_facade_client_pickles(emulator: Any) -> None:
    facade = bedrock_cris.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    copy = pickle.loads(pickle.dumps(bedrock_cris.Client.wrap(facade, model="m")))
    assert (copy.region, copy.model) == (REGION, "m")
    assert copy.embed(["x"]).shape == (1, 1024)

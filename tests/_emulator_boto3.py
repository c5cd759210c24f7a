"""Shared by the emulator's tests (test_emulator*.py): boto3, the reference client, pointed at
the session's emulator, and raw HTTP. Not a conftest.py: tests/ has one already."""

from __future__ import annotations

import http.client

import boto3
import pytest
from botocore.config import Config

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
COHERE_V4 = "global.cohere.embed-v4:0"
COHERE_V3 = "cohere.embed-english-v3"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
PROMPT = "Explain cloud computing in 2 sentences."
MODELLED_ERRORS = {
    "AccessDeniedException": 403,
    "ConflictException": 400,
    "InternalServerException": 500,
    "ModelErrorException": 424,
    "ModelNotReadyException": 429,
    "ModelStreamErrorException": 424,
    "ModelTimeoutException": 408,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "ThrottlingException": 429,
    "ValidationException": 400,
}

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer"},
                },
                "required": ["city", "unit"],
            }
        },
    }
}


def make_client(emulator, **config):
    return boto3.client(
        "bedrock-runtime",
        region_name="ap-south-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # total_max_attempts counts the first try; max_attempts would allow one retry.
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
def client(emulator):
    """boto3's client on the session's emulator, retries off."""
    return make_client(emulator)


def user(text):
    return [{"role": "user", "content": [{"text": text}]}]


def raw(emulator, method, path, body=b"", headers=None):
    """An unsigned HTTP request: signature checks are off for the rest of the test."""
    emulator.set_auth()
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()

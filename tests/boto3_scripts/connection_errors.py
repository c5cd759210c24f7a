"""Connection errors: Bedrock's endpoint (here one that refuses connections) cannot be
reached, and botocore's EndpointConnectionError / BotoCoreError are caught."""

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

config = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 0})
bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1", config=config)

MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]

try:
    bedrock.converse(modelId=MODEL_ID, messages=MESSAGES)
except EndpointConnectionError as e:
    print("Could not reach Bedrock:", e)
    print("  endpoint_url:", e.kwargs["endpoint_url"])

try:
    for _event in bedrock.converse_stream(modelId=MODEL_ID, messages=MESSAGES)["stream"]:
        pass
except ClientError as e:
    print("Unexpected service error:", e)
except BotoCoreError as e:
    print("Stream failed:", type(e).__name__, "-", e)

try:
    bedrock.invoke_model(modelId=MODEL_ID, body=b"{}")
except EndpointConnectionError as e:
    print("InvokeModel failed:", type(e).__name__)
    print("  is a BotoCoreError:", isinstance(e, BotoCoreError))
print("done")

"""Claude Sonnet 4.5 through a Global inference profile with InvokeModel and the Anthropic
Messages body, a botocore Config with connect and read timeouts."""

import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

bedrock = boto3.client(
    "bedrock-runtime",
    region_name="ap-south-1",
    config=Config(connect_timeout=10, read_timeout=300, retries={"max_attempts": 2}),
)

MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

body = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 512,
        "messages": [{"role": "user", "content": "Explain cloud computing in 2 sentences."}],
    }
)

try:
    response = bedrock.invoke_model(
        modelId=MODEL_ID, body=body, contentType="application/json", accept="application/json"
    )
    print("Content type:", response["contentType"])
    result = json.loads(response["body"].read())
    print("Type:", result["type"], "role:", result["role"])
    for block in result["content"]:
        print("Text:", block["text"])
    print("Stop reason:", result["stop_reason"])
    print("Usage:", json.dumps(result["usage"], sort_keys=True))
except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
print("done")

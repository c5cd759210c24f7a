"""Claude Sonnet 4.5 through a Global cross-Region inference profile, with Converse and a
botocore Config (a long read timeout and standard retries), as in the Global CRIS samples."""

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

config = Config(read_timeout=300, retries={"max_attempts": 2, "mode": "standard"})
bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1", config=config)

MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

try:
    response = bedrock.converse(
        modelId=MODEL_ID,
        messages=[
            {"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}
        ],
        system=[{"text": "You are a concise assistant."}],
        inferenceConfig={"maxTokens": 512, "temperature": 0.5},
    )
    message = response["output"]["message"]
    print("Role:", message["role"])
    print("Response:", message["content"][0]["text"])
    print("Stop reason:", response["stopReason"])
    usage = response["usage"]
    print(
        f"Tokens: {usage['inputTokens']} in, {usage['outputTokens']} out, {usage['totalTokens']} total"
    )
    print("HTTP status:", response["ResponseMetadata"]["HTTPStatusCode"])
    print("Retries:", response["ResponseMetadata"]["RetryAttempts"])
except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
print("done")

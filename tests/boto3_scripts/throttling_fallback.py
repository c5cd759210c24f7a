"""Throttling with a botocore Config of standard retries: the SDK retries on its own, and
the script falls back from a throttled model to another one, as production code does."""

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

config = Config(read_timeout=300, retries={"max_attempts": 2, "mode": "standard"})
bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1", config=config)

MODELS = [
    "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
]
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]


def ask(model_id):
    try:
        response = bedrock.converse(modelId=model_id, messages=MESSAGES)
    except bedrock.exceptions.ThrottlingException as e:
        meta = e.response["ResponseMetadata"]
        print(f"{model_id}: throttled, HTTP {meta['HTTPStatusCode']}")
        print(
            "  retries:", meta["RetryAttempts"], "max attempts reached:", meta["MaxAttemptsReached"]
        )
        print("  error:", e)
        print("  is a ClientError:", isinstance(e, ClientError))
        return None
    retries = response["ResponseMetadata"]["RetryAttempts"]
    print(f"{model_id}: answered after {retries} SDK retries")
    return response["output"]["message"]["content"][0]["text"]


for model_id in MODELS:
    try:
        answer = ask(model_id)
    except ClientError as e:
        print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
        break
    if answer is not None:
        print("Answer:", answer)
        break
else:
    print("Every model is throttled")
print("done")

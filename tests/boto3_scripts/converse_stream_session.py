"""Claude Haiku 4.5 through a Global inference profile, streamed with ConverseStream from a
client made by a boto3 Session (no Config)."""

import boto3
from botocore.exceptions import ClientError

session = boto3.Session(region_name="ap-south-1")
print("Session region:", session.region_name)
bedrock = session.client("bedrock-runtime")

MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0"

try:
    response = bedrock.converse_stream(
        modelId=MODEL_ID,
        messages=[{"role": "user", "content": [{"text": "Write a haiku about the cloud."}]}],
        inferenceConfig={"maxTokens": 256},
    )
    deltas = 0
    for event in response["stream"]:
        if "messageStart" in event:
            print("Role:", event["messageStart"]["role"])
        elif "contentBlockDelta" in event:
            deltas += 1
            print(event["contentBlockDelta"]["delta"]["text"], end="", flush=True)
        elif "messageStop" in event:
            print()
            print("Stop reason:", event["messageStop"]["stopReason"])
        elif "metadata" in event:
            usage = event["metadata"]["usage"]
            print(f"Tokens: {usage['inputTokens']} in, {usage['outputTokens']} out")
    print("Deltas:", deltas)
except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
print("done")

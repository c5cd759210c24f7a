"""Claude Haiku 4.5 through a Global cross-Region inference profile, streamed with ConverseStream.

Written for boto3; runs unchanged but for its imports.
"""

import bedrock_cris as boto3
from bedrock_cris.exceptions import ClientError

bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1")

MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0"

try:
    response = bedrock.converse_stream(
        messages=[
            {"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}
        ],
        modelId=MODEL_ID,
        inferenceConfig={"maxTokens": 512, "temperature": 0.5},
    )

    print("Response: ", end="", flush=True)
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            print(event["contentBlockDelta"]["delta"]["text"], end="", flush=True)
        elif "messageStop" in event:
            print()
            print("Stop reason:", event["messageStop"]["stopReason"])
        elif "metadata" in event:
            usage = event["metadata"]["usage"]
            print("Token usage:", usage)
            print(f"Latency: {event['metadata']['metrics']['latencyMs']} ms")

except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
except Exception as e:
    print(f"Error: {e}")

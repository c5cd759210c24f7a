"""Claude Sonnet 4.5 through a Global inference profile, streamed with
InvokeModelWithResponseStream in the Anthropic Messages format."""

import json

import boto3
from botocore.exceptions import ClientError

bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1")

MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

request = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 512,
        "messages": [{"role": "user", "content": "Explain cloud computing in 2 sentences."}],
    }
)

try:
    response = bedrock.invoke_model_with_response_stream(
        modelId=MODEL_ID, body=request, contentType="application/json"
    )
    print("Content type:", response["contentType"])
    types = []
    for event in response["body"]:
        chunk = json.loads(event["chunk"]["bytes"])
        types.append(chunk["type"])
        if chunk["type"] == "content_block_delta":
            print(chunk["delta"].get("text", ""), end="", flush=True)
        elif chunk["type"] == "message_delta":
            print()
            print("Stop reason:", chunk["delta"]["stop_reason"])
        elif chunk["type"] == "message_stop":
            metrics = chunk["amazon-bedrock-invocationMetrics"]
            print("Input tokens:", metrics["inputTokenCount"])
            print("Output tokens:", metrics["outputTokenCount"])
    print("Event types:", sorted(set(types)))
except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
print("done")

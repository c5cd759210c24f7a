"""Claude Sonnet 4.5 through a Global cross-Region inference profile, with Converse.

The boto3 sample from the Global CRIS launch, unchanged but for its imports.
"""

import bedrock_cris as boto3
from bedrock_cris.exceptions import ClientError

# Initialize the Bedrock Runtime client in the source Region (Mumbai)
bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1")

# Global inference profile: Bedrock routes the request to any commercial Region with capacity
MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

try:
    response = bedrock.converse(
        messages=[
            {"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}
        ],
        modelId=MODEL_ID,
    )

    print("Response:", response["output"]["message"]["content"][0]["text"])

    usage = response.get("usage", {})
    print("Token usage:", usage)
    print(f"Input tokens: {usage.get('inputTokens', 'N/A')}")
    print(f"Output tokens: {usage.get('outputTokens', 'N/A')}")
    print(f"Total tokens: {usage.get('totalTokens', 'N/A')}")

except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
except Exception as e:
    print(f"Error: {e}")
    print(
        "Please check your AWS credentials and that the Region ap-south-1 has access to the model."
    )

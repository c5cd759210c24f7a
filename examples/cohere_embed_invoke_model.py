"""Cohere Embed v4 through a Global cross-Region inference profile, with InvokeModel.

The boto3 sample from the Global CRIS launch, unchanged but for its imports.
"""

import json

import bedrock_cris as boto3
from bedrock_cris.exceptions import ClientError

# Initialize the Bedrock Runtime client in the source Region (Mumbai)
bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1")

# Global inference profile for Cohere Embed v4
MODEL_ID = "global.cohere.embed-v4:0"

TEXT = "Global cross-Region inference routes requests to any commercial AWS Region with capacity."

request_json = json.dumps(
    {
        "texts": [TEXT],
        "input_type": "search_document",
        "embedding_types": ["float"],
        "output_dimension": 1024,
    }
)

try:
    response = bedrock.invoke_model(
        modelId=MODEL_ID,
        body=request_json,
        contentType="application/json",
    )

    http_headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    input_tokens = int(http_headers.get("x-amzn-bedrock-input-token-count", 0))

    model_response = json.loads(response["body"].read())
    embeddings = model_response["embeddings"]
    texts = model_response["texts"]

    print(f"Embedded {len(texts)} text(s); input tokens: {input_tokens}")
    for embedding_type, vectors in embeddings.items():
        vector = vectors[0]
        print(f"Embedding type: {embedding_type}")
        print(f"  Dimensions: {len(vector)}")
        print(f"  Element type: {type(vector[0]).__name__}")
        print(f"  First five values: {vector[:5]}")

except ClientError as e:
    print(f"AWS error: {e.response['Error']['Code']} - {e.response['Error']['Message']}")
except Exception as e:
    print(f"Error: {e}")

"""Validation errors, caught the way boto3 code catches them: the service's
ValidationException (through client.exceptions and through ClientError) and botocore's
client-side ParamValidationError, before any request is sent."""

import boto3
from botocore.exceptions import ClientError, ParamValidationError

bedrock = boto3.client("bedrock-runtime", region_name="ap-south-1")

MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]

try:
    bedrock.converse(modelId=MODEL_ID, messages=MESSAGES, inferenceConfig={"maxTokens": 1000000})
except bedrock.exceptions.ValidationException as e:
    print(
        "Validation:", e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    )
    print("  message:", e.response["Error"]["Message"])
    print("  error:", e)

try:
    bedrock.converse(modelId=MODEL_ID, messages=MESSAGES, inferenceConfig={"maxTokens": 1000000})
except ClientError as e:
    print("ClientError:", e.response["Error"]["Code"], "-", e.response["Error"]["Message"])
    print("  operation:", e.operation_name)

try:
    bedrock.converse(messages=MESSAGES)
except ParamValidationError as e:
    print("Missing parameter:", e)

try:
    bedrock.converse(
        modelId=MODEL_ID, messages=MESSAGES, inferenceConfig={"maxTokens": "512", "topK": 5}
    )
except ParamValidationError as e:
    print("Bad parameters:", e)

try:
    bedrock.converse(MODEL_ID, MESSAGES)
except TypeError as e:
    print("Positional arguments:", e)
print("done")

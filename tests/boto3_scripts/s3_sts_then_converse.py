"""The workflow of the Global CRIS video sample: who am I (STS), keep the prompt in S3, ask
Claude through a Global inference profile, store the answer back in S3."""

import json

import boto3
from botocore.exceptions import ClientError

REGION = "ap-south-1"
MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

sts = boto3.client("sts", region_name=REGION)
s3 = boto3.client("s3", region_name=REGION)
bedrock = boto3.client("bedrock-runtime", region_name=REGION)

identity = sts.get_caller_identity()
print("Account:", identity["Account"])
print("Caller:", identity["Arn"])

bucket = f"global-cris-demo-{identity['Account']}"
s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
print("Bucket region:", s3.get_bucket_location(Bucket=bucket)["LocationConstraint"])
s3.put_object(
    Bucket=bucket, Key="prompts/cloud.txt", Body=b"Explain cloud computing in 2 sentences."
)
prompt = s3.get_object(Bucket=bucket, Key="prompts/cloud.txt")["Body"].read().decode()
print("Prompt:", prompt)

response = bedrock.converse(
    modelId=MODEL_ID, messages=[{"role": "user", "content": [{"text": prompt}]}]
)
answer = response["output"]["message"]["content"][0]["text"]
print("Answer:", answer)

record = {"model": MODEL_ID, "prompt": prompt, "answer": answer, "usage": response["usage"]}
put = s3.put_object(
    Bucket=bucket,
    Key="answers/cloud.json",
    Body=json.dumps(record, sort_keys=True).encode(),
    ContentType="application/json",
)
print("Stored ETag:", put["ETag"])
for item in s3.list_objects_v2(Bucket=bucket)["Contents"]:
    print(f"  s3://{bucket}/{item['Key']} ({item['Size']} bytes)")
stored = json.loads(s3.get_object(Bucket=bucket, Key="answers/cloud.json")["Body"].read())
print("Stored answer matches:", stored["answer"] == answer)

try:
    s3.get_object(Bucket=bucket, Key="answers/missing.json")
except s3.exceptions.NoSuchKey as e:
    print("Missing answer:", e.response["Error"]["Code"])
except ClientError as e:
    print("S3 error:", e.response["Error"]["Code"])
print("done")

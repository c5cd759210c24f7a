"""A boto3 Session shared by a resource (S3 buckets and objects), STS and Bedrock Runtime
clients, and the module-level boto3.resource()."""

import boto3
from botocore.exceptions import ClientError

session = boto3.Session(region_name="ap-south-1")
services = session.get_available_services()
print("Has bedrock-runtime, s3, sts:", all(s in services for s in ("bedrock-runtime", "s3", "sts")))

s3 = session.resource("s3")
bucket = s3.Bucket("cris-resource-demo")
bucket.create(CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
bucket.put_object(Key="notes/a.txt", Body=b"alpha")
bucket.put_object(Key="notes/b.txt", Body=b"beta!")
for obj in bucket.objects.filter(Prefix="notes/"):
    print(obj.key, obj.size)
print("a.txt:", s3.Object("cris-resource-demo", "notes/a.txt").get()["Body"].read().decode())
print("Buckets:", [b.name for b in boto3.resource("s3", region_name="ap-south-1").buckets.all()])

sts = session.client("sts")
print("Account:", sts.get_caller_identity()["Account"])

bedrock = session.client("bedrock-runtime")
response = bedrock.converse(
    modelId="global.anthropic.claude-haiku-4-5-20251001-v1:0",
    messages=[{"role": "user", "content": [{"text": "Summarize: alpha, beta."}]}],
)
print("Answer:", response["output"]["message"]["content"][0]["text"])

try:
    s3.meta.client.head_bucket(Bucket="no-such-bucket-here")
except ClientError as e:
    print("Head bucket:", e.response["Error"]["Code"])
print("done")

"""Ray Data for embedding and generation jobs past one machine, with one quota for the cluster.

    import ray
    import bedrock_cris
    from bedrock_cris.ray import embed_dataset

    ds = ray.data.read_parquet("s3://bucket/docs/")            # a "text" column
    client = bedrock_cris.Client("us-east-1")                   # made on the driver
    ds = embed_dataset(ds, "text", client=client, concurrency=20,
                       requests_per_minute=2_000, on_error="null")
    ds.write_parquet("s3://bucket/vectors/")

Each actor re-creates the client from its pickle (credentials travel only if they were passed
explicitly) and keeps many requests in flight on asyncio; ``requests_per_minute`` and
``tokens_per_minute`` put every actor under one named quota actor for the Region and model.
Needs ``pip install 'bedrock-cris[ray]'``.
"""

from __future__ import annotations

try:
    import pyarrow  # noqa: F401
    import ray  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"bedrock_cris.ray needs Ray Data ({error.name} is not installed): "
        "pip install 'bedrock-cris[ray]'"
    ) from error

from bedrock_cris.ray._converser import Converser
from bedrock_cris.ray._datasets import DEFAULT_ACTOR_CPUS, converse_dataset, embed_dataset
from bedrock_cris.ray._embedder import Embedder
from bedrock_cris.ray._quota import ClusterQuota, quota_actor
from bedrock_cris.ray._rows import ERROR_TYPE, RowsFailedError

__all__ = [
    "DEFAULT_ACTOR_CPUS",
    "ERROR_TYPE",
    "ClusterQuota",
    "Converser",
    "Embedder",
    "RowsFailedError",
    "converse_dataset",
    "embed_dataset",
    "quota_actor",
]

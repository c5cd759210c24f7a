"""bedrock_cris.ray on a local Ray (2 CPUs, started here and shut down after) against the
emulator: the vectors embed() gives, in order; answers; on_error both ways; and the
cluster-wide quota keeping throttles near zero where independent actors storm."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import numpy as np
import pytest
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'bedrock-cris[ray]')")
pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'ray[data]')")

from bedrock_cris.ray import (  # noqa: E402 (needs Ray, checked above)
    ERROR_TYPE,
    Embedder,
    RowsFailedError,
    converse_dataset,
    embed_dataset,
)

COHERE_V4 = "global.cohere.embed-v4:0"
TITAN = "amazon.titan-embed-text-v2:0"
HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    try:
        yield
    finally:
        ray.shutdown()


def make_client(endpoint_url: str, attempts: int = 3) -> bedrock_cris.Client:
    return bedrock_cris.Client(
        REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


def texts_of(n: int) -> list[str]:
    return [f"document {i}: {'words ' * (i % 5)}end" for i in range(n)]


def dataset(column: str, values: list[Any], blocks: int = 4) -> Any:
    rows = [{"id": i, column: value} for i, value in enumerate(values)]
    return ray.data.from_items(rows, override_num_blocks=blocks)


def test_vectors_equal_embed_in_input_order(emulator: Any) -> None:
    client = make_client(emulator.endpoint_url)
    texts = texts_of(500)
    expected = client.embed(texts).vectors
    ds = embed_dataset(dataset("text", texts), client=client, concurrency=2, max_concurrency=4)
    assert str(ds.schema().types[-1]).startswith("ArrowTensorTypeV2(shape=(1024,)")
    batch = ds.take_batch(len(texts), batch_format="numpy")
    assert batch["id"].tolist() == list(range(len(texts)))
    assert batch["embedding"].dtype == np.float32 and batch["embedding"].shape == (500, 1024)
    assert np.array_equal(batch["embedding"], expected)


def test_embedder_in_a_users_own_map_batches(emulator: Any) -> None:
    client = make_client(emulator.endpoint_url)
    texts = texts_of(12)
    expected = client.embed(texts, model=TITAN, dimensions=256).vectors
    ds = dataset("body", texts, blocks=2).map_batches(
        Embedder,
        fn_constructor_args=("body",),
        fn_constructor_kwargs={"model": TITAN, "dimensions": 256, "client": client},
        batch_format="pyarrow",
        batch_size=5,
        concurrency=1,
        num_cpus=0.25,
    )
    batch = ds.take_batch(len(texts), batch_format="numpy")
    assert np.array_equal(batch["embedding"], expected)
    assert len(emulator.requests) == 2 * len(texts)  # Titan: one text per request


def test_on_error_raise_names_the_failed_rows(emulator: Any) -> None:
    client = make_client(emulator.endpoint_url)
    emulator.fail(COHERE_V4, "ValidationException", "bad input", times=1)
    ds = embed_dataset(
        dataset("text", texts_of(200), blocks=1), client=client, concurrency=1, max_concurrency=1
    )
    with pytest.raises(Exception) as raised:
        ds.materialize()
    text = str(raised.value)
    assert "RowsFailedError" in text or isinstance(raised.value, RowsFailedError)
    assert "rows 0-95 of the batch failed (ValidationException: bad input)" in text
    assert "document 0: end" in text  # the failed rows' own texts, to find them by


def test_on_error_null_keeps_the_other_rows(emulator: Any) -> None:
    client = make_client(emulator.endpoint_url)
    texts: list[Any] = texts_of(250)
    texts[200] = None  # not a text: fails alone, never sent
    expected = client.embed([t for t in texts if t is not None]).vectors
    emulator.fail(COHERE_V4, "ValidationException", "bad input", times=1)
    ds = embed_dataset(
        dataset("text", texts, blocks=1),
        client=client,
        concurrency=1,
        max_concurrency=1,  # requests in row order: the first (rows 0-95) is the one failed
        on_error="null",
    )
    table = ray.get(ds.to_arrow_refs())
    import pyarrow as pa

    table = pa.concat_tables(table)
    assert table.schema.field("error").type == ERROR_TYPE
    errors = table.column("error").to_pylist()
    vectors = table.column("embedding").to_pylist()
    failed = [i for i, e in enumerate(errors) if e is not None]
    assert errors[200] == {"code": "TypeError", "message": "the text must be a str, not NoneType"}
    request_failed = [i for i in failed if i != 200]
    assert request_failed == list(range(96))  # one whole request, with its code and message
    assert {errors[i]["code"] for i in request_failed} == {"ValidationException"}
    assert all(vectors[i] is None for i in failed)
    kept = [i for i in range(len(texts)) if i not in failed]
    rows = {i: n for n, i in enumerate(i for i in range(len(texts)) if i != 200)}
    got = np.array([vectors[i] for i in kept], dtype=np.float32)
    assert np.array_equal(got, expected[[rows[i] for i in kept]])


def test_converse_dataset_adds_answers_in_order(emulator: Any) -> None:
    client = make_client(emulator.endpoint_url)
    prompts = [f"Question {i}?" for i in range(30)]
    expected = [client.converse(p, max_tokens=50).text for p in prompts]
    emulator.fail(HAIKU, "ValidationException", "no", times=2)
    ds = converse_dataset(
        dataset("prompt", prompts, blocks=3),
        client=client,
        max_tokens=50,
        concurrency=2,
        on_error="null",
    )
    rows = ds.take_all()
    assert [r["id"] for r in rows] == list(range(30))
    failed = [r for r in rows if r["error"] is not None]
    assert len(failed) == 2 and all(r["answer"] is None for r in failed)
    assert {r["error"]["code"] for r in failed} == {"ValidationException"}
    for row in rows:
        if row["error"] is None:
            assert row["answer"] == expected[row["id"]]
            assert row["stop_reason"] == "end_turn"
            assert row["input_tokens"] > 0 and row["output_tokens"] > 0


def test_arguments_are_checked_before_any_actor_starts(emulator: Any) -> None:
    ds = dataset("text", ["a"])
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'null'"):
        embed_dataset(ds, on_error="skip")
    with pytest.raises(ValueError, match="dimensions"):
        embed_dataset(ds, dimensions=7)
    with pytest.raises(ValueError, match="requests_per_minute must be a positive number"):
        converse_dataset(ds, "text", requests_per_minute=0)
    with pytest.raises(TypeError, match="client must be a bedrock_cris.Client"):
        embed_dataset(ds, client="us-east-1")
    assert emulator.requests == []


def throttled_share(emulator: Any, **quota: Any) -> tuple[float, float]:
    """Runs 48 prompts on 2 actors x 8 in flight against a quota of 25 requests a second
    (the emulator's, 25 a minute at time scale 60: its bucket holds 25); returns the share
    of requests throttled and the requests sent per second."""
    emulator.reset_all()
    emulator.set_latency(time_to_first_token=0.03)
    emulator.set_time_scale(60)
    emulator.set_quota("*", requests_per_minute=25)
    try:
        client = make_client(emulator.endpoint_url, attempts=1)
        ds = converse_dataset(
            dataset("prompt", [f"p{i}" for i in range(48)], blocks=2),
            client=client,
            max_tokens=20,
            concurrency=2,
            max_concurrency=8,
            batch_size=24,
            max_retries=20,
            **quota,
        )
        started = time.monotonic()
        rows = ds.take_all()
        elapsed = time.monotonic() - started
        usage = emulator.usage()[REGION].values()
    finally:
        emulator.reset_all()
    assert len(rows) == 48 and all(r["answer"] for r in rows)
    requests = sum(u["requests"] for u in usage)
    throttled = sum(u["throttled"] for u in usage)
    assert requests - throttled == 48
    return throttled / requests, requests / elapsed


def test_cluster_quota_keeps_throttles_near_zero(emulator: Any) -> None:
    independent, _ = throttled_share(emulator)
    shared, rate = throttled_share(emulator, requests_per_minute=1500)
    # 16 requests in flight against a quota of 25 a second: once the bucket's 25 are spent,
    # many are throttled when each actor backs off on its own; spaced at 25/s by the shared
    # quota actor (told the same quota) almost none are.
    print(f"throttled: {independent:.0%} of requests independently, {shared:.0%} shared")
    assert independent > 0.15, independent
    assert shared <= 0.05, shared
    assert rate <= 25 * 1.2, rate


def test_quota_spaces_requests_and_adapts_to_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    from bedrock_cris.ray import ClusterQuota

    now = [100.0]
    monkeypatch.setattr("bedrock_cris.ray._quota.time.monotonic", lambda: now[0])
    quota = ClusterQuota()
    key = (REGION, COHERE_V4)
    # 600 requests a minute: one slot every 0.1 s, whoever asks.
    assert [quota.reserve(key, 600, None, 10) for _ in range(3)] == pytest.approx([0, 0.1, 0.2])
    # 6,000 tokens a minute: a 50-token request holds the bucket for 0.5 s.
    tokens = (REGION, "tokens")
    assert [quota.reserve(tokens, None, 6000, 50) for _ in range(2)] == pytest.approx([0, 0.5])
    # Billed 100 tokens more than estimated: charged to the next request.
    assert quota.reserve(tokens, None, 6000, 50, token_correction=100) == pytest.approx(2.0)
    now[0] += 10
    # A reported throttle cuts the rate to 70 % (slots every 1/7 s), once a second at most.
    assert quota.reserve(key, 600, None, 10, throttles=2) == 0
    assert quota.reserve(key, 600, None, 10, throttles=1) == pytest.approx(0.1 / 0.7)
    assert quota.stats()[f"{REGION}/{COHERE_V4}"]["rate_factor"] == pytest.approx(0.7)
    now[0] += 2  # then recovers, 5 % of the quota a second
    quota.reserve(key, 600, None, 10)
    stats = quota.stats()[f"{REGION}/{COHERE_V4}"]
    assert stats == {"reservations": 6, "throttles": 3, "rate_factor": pytest.approx(0.8)}

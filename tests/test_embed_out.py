"""embed(out=...): vectors written straight into a caller's numpy array or np.memmap, checked
before any request, without a second copy of the vectors in memory."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import bedrock_cris
import numpy as np
import pytest
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY

COHERE_V4 = "global.cohere.embed-v4:0"


@pytest.fixture
def native(emulator: Any) -> bedrock_cris.Client:
    return bedrock_cris.Client(
        REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}),
    )


def texts_of(n: int) -> list[str]:
    return [f"text {i} {'x' * (i % 9)}" for i in range(n)]


def test_out_receives_the_same_vectors(native: bedrock_cris.Client) -> None:
    texts = texts_of(300)
    expected = native.embed(texts, dimensions=256).vectors
    out = np.full((300, 256), np.nan, dtype=np.float32)
    result = native.embed(texts, dimensions=256, out=out)
    assert result.vectors is out and result.shape == (300, 256)
    assert np.array_equal(out, expected)


def test_out_rows_of_a_larger_array_and_int8(native: bedrock_cris.Client) -> None:
    texts = texts_of(20)
    expected = native.embed(texts, embedding_type="int8").vectors
    whole = np.zeros((40, 1024), dtype=np.int8)
    native.embed(texts, embedding_type="int8", out=whole[10:30])
    assert np.array_equal(whole[10:30], expected)
    assert not whole[:10].any() and not whole[30:].any()  # nothing written outside


def test_out_memmap(native: bedrock_cris.Client, tmp_path: Path) -> None:
    texts = texts_of(200)
    expected = native.embed(texts).vectors
    path = tmp_path / "vectors.f32"
    out = np.memmap(path, dtype=np.float32, mode="w+", shape=(200, 1024))
    asyncio.run(native.aembed(texts, out=out))
    out.flush()
    del out
    assert np.array_equal(np.fromfile(path, dtype=np.float32).reshape(200, 1024), expected)


@pytest.mark.parametrize(
    ("out", "error", "match"),
    [
        (np.zeros((3, 1024), np.float32), ValueError, r"shape \(2, 1024\) and dtype float32"),
        (np.zeros((2, 1024), np.float64), ValueError, "not shape .* and dtype float64"),
        (np.zeros((2, 512), np.float32), ValueError, r"shape \(2, 1024\)"),
        (np.zeros((1024, 2), np.float32).T, ValueError, "C-contiguous"),
        ([[0.0] * 1024] * 2, TypeError, "out must be a numpy array"),
    ],
)
def test_a_wrong_out_is_refused_before_any_request(
    native: bedrock_cris.Client, emulator: Any, out: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        native.embed(["a", "b"], out=out)
    read_only = np.zeros((2, 1024), np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        bedrock_cris.embed(["a", "b"], out=read_only, client=native)
    assert emulator.requests == []


def test_out_needs_no_second_copy(emulator: Any) -> None:
    # 25,000 x 1,024 float32 = 100 MB: the peak over the filled array stays far below that.
    script = textwrap.dedent(
        f"""
        import bedrock_cris, numpy as np
        from bedrock_cris.config import Config

        def rss_kb(field):
            for line in open("/proc/self/status"):
                if line.startswith(field):
                    return int(line.split()[1])

        client = bedrock_cris.Client({REGION!r}, endpoint_url={emulator.endpoint_url!r},
                                     aws_access_key_id={ACCESS_KEY!r},
                                     aws_secret_access_key={SECRET_KEY!r},
                                     config=Config(retries={{"max_attempts": 0}}))
        client.embed(["warm up"] * 200)
        out = np.ones((25_000, 1024), dtype=np.float32)   # touched: resident
        before = rss_kb("VmRSS:")
        client.embed([f"t{{i}}" for i in range(25_000)], out=out, max_concurrency=4)
        print(rss_kb("VmHWM:") - before, out.nbytes // 1024)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    grown_kb, array_kb = map(int, done.stdout.split())
    print(f"peak RSS over the filled array: {grown_kb / 1024:.0f} MB (array {array_kb // 1024} MB)")
    assert grown_kb < array_kb * 0.25

"""embed(): any number of texts, the same vectors as the facade's invoke_model answers, in order,
every type, bounded memory, throttling, failures that name their texts, progress, cancellation."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import pickle
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import bedrock_cris
import numpy as np
import pytest
from bedrock_cris import EmbeddingError, exceptions
from bedrock_cris.config import Config
from childproc import Child, sigint_script
from conftest import ACCESS_KEY, REGION, SECRET_KEY

COHERE_V4 = "global.cohere.embed-v4:0"
COHERE_V3 = "cohere.embed-multilingual-v3"
TITAN = "amazon.titan-embed-text-v2:0"
DTYPES = {
    "float": np.float32,
    "int8": np.int8,
    "uint8": np.uint8,
    "binary": np.int8,
    "ubinary": np.uint8,
}


def make_client(endpoint_url: str, **config: Any) -> bedrock_cris.Client:
    return bedrock_cris.Client(
        REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}, **config),
    )


@pytest.fixture
def native(emulator: Any) -> bedrock_cris.Client:
    return make_client(emulator.endpoint_url)


def texts_of(n: int) -> list[str]:
    return [f"text number {i}: {'lorem ipsum ' * (i % 7)}end" for i in range(n)]


def facade_vectors(
    ours: Any, model: str, texts: list[str], embedding_type: str = "float", dimensions: int = 1024
) -> tuple[np.ndarray, int]:
    """The vectors (and input tokens) of one invoke_model call through the facade."""
    if "titan" in model:
        body: dict[str, Any] = {"inputText": texts[0], "dimensions": dimensions, "normalize": True}
        if embedding_type != "float":
            body["embeddingTypes"] = [embedding_type]
    else:
        body = {
            "texts": texts,
            "input_type": "search_document",
            "embedding_types": [embedding_type],
        }
        if "v4" in model:
            body["output_dimension"] = dimensions
    response = ours.invoke_model(modelId=model, body=json.dumps(body))
    answer = json.loads(response["body"].read())
    tokens = int(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"])
    if "titan" in model:
        rows = [
            answer["embedding"]
            if embedding_type == "float"
            else answer["embeddingsByType"][embedding_type]
        ]
    else:
        rows = answer["embeddings"][embedding_type]
    dtype = np.uint8 if "titan" in model and embedding_type == "binary" else DTYPES[embedding_type]
    return np.array(rows, dtype=dtype), tokens


def test_ten_thousand_texts_in_order_with_the_facades_values(
    native: bedrock_cris.Client, ours: Any, emulator: Any
) -> None:
    texts = texts_of(10_000)
    started = time.perf_counter()
    result = native.embed(texts, model=COHERE_V4, dimensions=1024)
    elapsed = time.perf_counter() - started
    print(f"embed: 10,000 texts x 1,024 in {elapsed:.2f} s ({10_000 / elapsed:,.0f} texts/s)")
    assert len(emulator.requests) == 105  # ceil(10,000 / 96)
    vectors = result.vectors
    assert isinstance(vectors, np.ndarray)
    assert vectors.shape == result.shape == (10_000, 1024) and vectors.dtype == np.float32
    assert len(result) == 10_000 and result.dtype == "float32"
    for i in (0, 1, 95, 96, 4321, 9983, 9984, 9999):
        expected, _ = facade_vectors(ours, COHERE_V4, [texts[i]])
        np.testing.assert_array_equal(vectors[i], expected[0])
    # Every row is its own text's (unit-norm, distinct), so nothing is shuffled or left zero.
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert len(np.unique(vectors[:, :4], axis=0)) == 10_000


def test_input_tokens_are_the_sum_of_the_answers(native: bedrock_cris.Client, ours: Any) -> None:
    texts = texts_of(300)
    result = native.embed(texts, model=COHERE_V4, dimensions=256)
    expected = [
        facade_vectors(ours, COHERE_V4, texts[i : i + 96], dimensions=256)
        for i in range(0, 300, 96)
    ]
    assert result.input_tokens == sum(tokens for _, tokens in expected) > 0
    np.testing.assert_array_equal(result.vectors, np.concatenate([rows for rows, _ in expected]))


@pytest.mark.parametrize(
    ("model", "embedding_type", "dimensions", "columns"),
    [
        (COHERE_V4, "float", 1536, 1536),
        (COHERE_V4, "int8", 512, 512),
        (COHERE_V4, "uint8", 256, 256),
        (COHERE_V4, "binary", 1024, 128),
        (COHERE_V4, "ubinary", 256, 32),
        (COHERE_V3, "float", 1024, 1024),
        (COHERE_V3, "int8", 1024, 1024),
        (COHERE_V3, "ubinary", 1024, 128),
        (TITAN, "float", 512, 512),
        (TITAN, "binary", 256, 256),
    ],
)
def test_every_family_and_type_matches_the_facade(
    model: str,
    embedding_type: str,
    dimensions: int,
    columns: int,
    native: bedrock_cris.Client,
    ours: Any,
) -> None:
    texts = texts_of(7 if "titan" in model else 130)
    result = native.embed(
        texts,
        model=model,
        embedding_type=embedding_type,
        dimensions=dimensions,  # type: ignore[arg-type]
    )
    assert result.shape == (len(texts), columns)
    assert result.embedding_type == embedding_type and result.model_id == model
    if "titan" in model:
        expected = np.concatenate(
            [facade_vectors(ours, model, [t], embedding_type, dimensions)[0] for t in texts]
        )
    else:
        expected = np.concatenate(
            [
                facade_vectors(ours, model, texts[i : i + 96], embedding_type, dimensions)[0]
                for i in (0, 96)
            ]
        )
    assert result.vectors.dtype == expected.dtype
    np.testing.assert_array_equal(result.vectors, expected)


def test_titan_sends_one_text_per_request(
    native: bedrock_cris.Client, ours: Any, emulator: Any
) -> None:
    texts = texts_of(25)
    result = native.embed(texts, model=TITAN, max_concurrency=4)
    assert len(emulator.requests) == 25
    bodies = [json.loads(r["body"]) for r in emulator.requests]
    assert sorted(b["inputText"] for b in bodies) == sorted(texts)
    assert result.input_tokens == sum(facade_vectors(ours, TITAN, [t])[1] for t in texts) > 0


def test_request_bodies(native: bedrock_cris.Client, emulator: Any) -> None:
    native.embed(
        ["a", "b", "c"],
        model=COHERE_V4,
        input_type="search_query",
        dimensions=512,
        truncate="START",
        batch_size=2,
        extra_body={"max_tokens": 100},
    )
    bodies = sorted((json.loads(r["body"]) for r in emulator.requests), key=lambda b: b["texts"])
    assert bodies == [
        {
            "texts": texts,
            "input_type": "search_query",
            "embedding_types": ["float"],
            "output_dimension": 512,
            "truncate": "START",
            "max_tokens": 100,
        }
        for texts in (["a", "b"], ["c"])
    ]
    assert all(r["path"] == "/model/global.cohere.embed-v4%3A0/invoke" for r in emulator.requests)


def test_result_object(native: bedrock_cris.Client) -> None:
    result = native.embed(["one", "two", "three"], model=COHERE_V4, dimensions=256)
    assert repr(result) == (
        f"Embeddings(3 × 256 float32, model_id='{COHERE_V4}', input_tokens={result.input_tokens})"
    )
    array = np.asarray(result)
    assert np.shares_memory(array, result.vectors)  # no copy
    assert np.asarray(result, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(result[1], result.vectors[1])
    assert [list(row) for row in result] == result.tolist()
    assert isinstance(result.tolist()[0][0], float)
    single = native.embed("just one", model=COHERE_V4, dimensions=256)
    assert single.shape == (1, 256)
    empty = native.embed([], model=COHERE_V4, dimensions=256)
    assert empty.shape == (0, 256) and empty.vectors.shape == (0, 256) and empty.input_tokens == 0


def test_lists_without_numpy(emulator: Any, ours: Any) -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.modules["numpy"] = None  # as if numpy were not installed
        import bedrock_cris
        client = bedrock_cris.Client("{REGION}", endpoint_url=sys.argv[1],
                                     aws_access_key_id="a", aws_secret_access_key="b")
        result = client.embed(["alpha", "beta"], dimensions=256)
        assert type(result.vectors) is list and type(result.vectors[0]) is list
        int8 = client.embed(["alpha", "beta"], dimensions=256, embedding_type="int8")
        print(json.dumps([result.vectors, int8.tolist(), len(result), result[1][:2] == result.vectors[1][:2]]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, emulator.endpoint_url],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    floats, int8, length, same = json.loads(out.stdout)
    assert length == 2 and same is True
    expected, _ = facade_vectors(ours, COHERE_V4, ["alpha", "beta"], dimensions=256)
    assert np.array(floats, dtype=np.float32).tolist() == expected.tolist()
    expected_int8, _ = facade_vectors(ours, COHERE_V4, ["alpha", "beta"], "int8", 256)
    assert int8 == expected_int8.tolist()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_bounded_memory(emulator: Any) -> None:
    """Peak RSS grows by about the output (40 MB), not by the JSON or Python floats (~400 MB)."""
    script = textwrap.dedent(
        f"""
        import sys
        import bedrock_cris

        def peak_rss():  # VmHWM: this process's own high-water mark (ru_maxrss survives exec)
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024

        client = bedrock_cris.Client("{REGION}", endpoint_url=sys.argv[1],
                                     aws_access_key_id="a", aws_secret_access_key="b")
        texts = [f"memory text {{i}} " + "word " * (i % 13) for i in range(10_000)]
        client.embed(texts[:500])  # warm up: runtime, connections, numpy
        before = peak_rss()
        result = client.embed(texts, max_concurrency=8)
        print(before, peak_rss(), result.vectors.nbytes)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, emulator.endpoint_url],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    before, after, output = map(int, out.stdout.split())
    growth = after - before
    print(f"peak RSS growth {growth / 2**20:.1f} MiB for {output / 2**20:.1f} MiB of vectors")
    assert output == 10_000 * 1024 * 4
    assert output <= growth < output + 32 * 2**20


def test_throttling_is_retried_with_backoff(native: bedrock_cris.Client, emulator: Any) -> None:
    texts = texts_of(200)
    expected = native.embed(texts, dimensions=256).vectors
    emulator.clear()
    emulator.fail(COHERE_V4, "ThrottlingException", times=3)
    started = time.monotonic()
    result = native.embed(texts, dimensions=256, max_concurrency=1)
    waited = time.monotonic() - started
    np.testing.assert_array_equal(result.vectors, expected)
    assert len(emulator.requests) == 3 + 3  # three throttled tries, then three batches
    assert waited >= 0.1 + 0.2 + 0.4  # at least half of each doubling step (0.2, 0.4, 0.8 s)


def test_throttling_beyond_max_retries_fails(native: bedrock_cris.Client, emulator: Any) -> None:
    emulator.fail(COHERE_V4, "ThrottlingException", times=2)
    with pytest.raises(EmbeddingError) as info:
        native.embed(texts_of(200), dimensions=256, max_concurrency=1, max_retries=1)
    error = info.value
    assert error.failed == range(96) and error.total == 200 and error.retries == 1
    assert isinstance(error.__cause__, exceptions.ThrottlingException)
    assert str(error).startswith(
        f"texts 0-95 (of 200) could not be embedded with {COHERE_V4} after 1 retries: "
        "An error occurred (ThrottlingException)"
    )


def test_a_failed_batch_names_its_texts(native: bedrock_cris.Client, emulator: Any) -> None:
    texts = texts_of(400)
    texts[250] = "far too long " * 2000  # over Cohere v3's 512 tokens, refused with truncate=NONE
    with pytest.raises(EmbeddingError) as info:
        native.embed(texts, model=COHERE_V3, truncate="NONE")
    error = info.value
    assert error.failed == range(192, 288)
    assert "texts 192-287 (of 400)" in str(error)
    assert isinstance(error.__cause__, exceptions.ValidationException)
    assert "Input is too long" in str(error.__cause__)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.failed, copy.total, copy.model_id, str(copy)) == (
        error.failed,
        error.total,
        error.model_id,
        str(error),
    )


def test_a_single_text_failure_is_named(native: bedrock_cris.Client) -> None:
    with pytest.raises(EmbeddingError, match=r"^text 0 \(of 1\)") as info:
        native.embed([""], model=TITAN)
    assert info.value.failed == range(1)


class FakeBedrock:
    """A local HTTP server answering every InvokeModel with one fixed body."""

    def __init__(self, body: bytes) -> None:
        answer = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"embeddings": {"float": [[0.5] * 256]}}, "1 vectors for 3 texts"),
        ({"embeddings": {"float": [[0.5] * 256] * 4}}, "4 vectors for 3 texts"),
        (
            {"embeddings": {"float": [[0.5] * 255] * 3}},
            "a vector of 255 values where 256 were expected",
        ),
        ({"embeddings": {"int8": [[1] * 256] * 3}}, 'no "float" embeddings'),
        ({"message": "hello"}, 'no "float" embeddings'),
    ],
)
def test_answers_short_of_vectors_are_errors(answer: Any, message: str) -> None:
    fake = FakeBedrock(json.dumps(answer).encode())
    try:
        client = make_client(fake.endpoint_url)
        with pytest.raises(EmbeddingError) as info:
            client.embed(["a", "b", "c"], dimensions=256)
    finally:
        fake.close()
    assert info.value.failed == range(3)
    assert isinstance(info.value.__cause__, ValueError)
    assert message in str(info.value.__cause__)


def test_argument_errors(native: bedrock_cris.Client, emulator: Any) -> None:
    with pytest.raises(ValueError, match="cannot tell which embedding model"):
        native.embed(["a"], model="amazon.titan-embed-text-v1")
    with pytest.raises(ValueError, match=r"Cohere Embed v3 supports dimensions \[1024\], not 512"):
        native.embed(["a"], model=COHERE_V3, dimensions=512)
    with pytest.raises(
        ValueError, match="Titan Text Embeddings v2 supports embedding_type 'float' or 'binary'"
    ):
        native.embed(["a"], model=TITAN, embedding_type="int8")
    with pytest.raises(ValueError, match="batch_size must be between 1 and 96"):
        native.embed(["a"], batch_size=97)
    with pytest.raises(ValueError, match="family must be"):
        native.embed(["a"], family="openai")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_concurrency"):
        native.embed(["a"], max_concurrency=0)
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, not int"):
        native.embed(["a", 2])  # type: ignore[list-item]
    assert len(emulator.requests) == 0
    # An ARN that does not name the model works with family=.
    arn = "arn:aws:bedrock:ap-south-1:123456789012:application-inference-profile/abc123"
    with pytest.raises(EmbeddingError):
        native.embed(["a"], model=arn, family="cohere-v4")
    assert len(emulator.requests) == 1


def test_progress_callback_and_bars(
    native: bedrock_cris.Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    native.embed(texts_of(500), dimensions=256, progress=seen.append, max_concurrency=2)
    assert sum(seen) == 500 and all(n > 0 for n in seen)
    pytest.importorskip("tqdm")
    native.embed(texts_of(200), dimensions=256, progress=True)
    assert "200/200" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # tqdm missing: a plain text line
    native.embed(texts_of(200), dimensions=256, progress=True)
    assert "embedding: 200/200 texts (100%)" in capsys.readouterr().err


def test_aembed_matches_embed(native: bedrock_cris.Client) -> None:
    texts = texts_of(1000)
    expected = native.embed(texts, dimensions=512)

    async def main() -> list[Any]:
        return await asyncio.gather(
            native.aembed(texts, dimensions=512, max_concurrency=4),
            bedrock_cris.aembed(texts[:10], model=TITAN, client=native),
        )

    result, titan = asyncio.run(main())
    np.testing.assert_array_equal(result.vectors, expected.vectors)
    assert result.input_tokens == expected.input_tokens
    assert titan.shape == (10, 1024)


class Stalled:
    """A TCP server that reads requests and never answers, noting when clients hang up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setblocking(False)
            self.connections.append(conn)

    def open_connections(self) -> int:
        count = 0
        for conn in self.connections:
            try:
                while conn.recv(65536):
                    pass
            except BlockingIOError:
                count += 1  # nothing to read, not closed: still open
            except OSError:
                pass
        return count

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def stalled() -> Iterator[Stalled]:
    server = Stalled()
    yield server
    server.close()


def wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def test_cancelling_aembed_aborts_the_requests(stalled: Stalled) -> None:
    client = make_client(stalled.endpoint_url)

    async def main() -> None:
        await asyncio.wait_for(client.aembed(texts_of(1000), max_concurrency=4), timeout=0.5)

    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(main())
    assert time.monotonic() - started < 2
    assert wait_until(lambda: len(stalled.connections) == 4)
    assert wait_until(lambda: stalled.open_connections() == 0), "requests still in flight"
    time.sleep(0.3)
    assert len(stalled.connections) == 4  # nothing new was sent after the cancel


def test_ctrl_c_interrupts_embed(stalled: Stalled) -> None:
    script = sigint_script(
        f"""
        import sys, time
        import bedrock_cris
        client = bedrock_cris.Client("{REGION}", endpoint_url=sys.argv[1],
                                     aws_access_key_id="a", aws_secret_access_key="b")
        print("embedding", flush=True)
        try:
            client.embed(["x"] * 1000)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), flush=True)
        """
    )
    with Child([sys.executable, "-c", script, stalled.endpoint_url], env=dict(os.environ)) as child:
        assert child.readline().strip() == "embedding"
        assert wait_until(lambda: len(stalled.connections) == 8)
        sent = time.monotonic()
        child.interrupt()
        line = child.readline().split()
        assert child.wait(timeout=10) == 0
    assert line[0] == "interrupted" and float(line[1]) - sent < 1.0
    assert wait_until(lambda: stalled.open_connections() == 0)


def test_untraced_jobs_pass_no_tracer_and_load_no_opentelemetry(
    native: bedrock_cris.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without BedrockCrisInstrumentor the pipeline gets no tracer (so its requests never take
    # the GIL for one) and nothing of OpenTelemetry is imported (with it: tests/integrations).
    from bedrock_cris import _native

    calls: list[int] = []
    for name in ("embed", "embed_async"):
        real = getattr(_native, name)

        def spy(*args: Any, _real: Any = real) -> Any:
            calls.append(len(args))
            return _real(*args)

        monkeypatch.setattr(_native, name, spy)
    native.embed(texts_of(3), batch_size=1)
    asyncio.run(native.aembed(texts_of(3)))
    bedrock_cris.embed(texts_of(2), client=native)
    assert calls == [5, 5, 5]  # client, texts, options, progress, out: no trace argument
    assert not [
        name for name in sys.modules if name.startswith(("opentelemetry", "bedrock_cris.otel"))
    ]

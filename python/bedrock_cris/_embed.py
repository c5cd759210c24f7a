"""Embeddings at scale: the result type, the error type and the calls into the native pipeline.

The native ``embed`` splits the texts into requests within the model's limit, keeps a bounded
number in flight on the shared tokio runtime, retries throttled requests with backoff and parses
each JSON answer in Rust straight into one contiguous little-endian buffer (a ``bytearray``).
Here that buffer becomes a 2-D numpy array without a copy (``numpy.frombuffer``), or a list of
lists when numpy is not installed. numpy is imported only when ``embed`` is first called.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping

from bedrock_cris import _native, _tracing

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any

    from bedrock_cris._native_api import Client
    from bedrock_cris._native_requests import EmbedRequest
    from bedrock_cris._types import EmbeddingType, InputType, ModelFamily, Progress
else:

    def __getattr__(name: str) -> object:
        # The public type aliases, loaded with typing when first asked for.
        if name in {"EmbeddingType", "InputType", "ModelFamily", "Progress"}:
            from bedrock_cris import _types

            return getattr(_types, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_EMBED_MODEL",
    "EmbeddingError",
    "EmbeddingType",
    "Embeddings",
    "InputType",
    "ModelFamily",
    "Progress",
]

#: The model ``embed`` uses unless told otherwise: Cohere Embed v4 through its Global profile.
DEFAULT_EMBED_MODEL = "global.cohere.embed-v4:0"

_ARRAY_CODES = {"float32": "f", "int8": "b", "uint8": "B"}


class EmbeddingError(Exception):
    """Some texts could not be embedded; no partial result is returned.

    The request that failed is the exception's ``__cause__`` (a ``ClientError`` subclass such
    as ``ValidationException``, a transport error, or a ``ValueError`` for an answer without
    the expected vectors). The other requests in flight were cancelled.

    Attributes:
        failed: The indices of the texts of the failed request (a ``range``).
        total: How many texts the call was given.
        model_id: The model called.
        retries: How many times the request was retried after throttling.
    """

    def __init__(
        self, message: str, failed: range, total: int, model_id: str, retries: int = 0
    ) -> None:
        super().__init__(message)
        self.failed = failed
        self.total = total
        self.model_id = model_id
        self.retries = retries

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (str(self), self.failed, self.total, self.model_id, self.retries),
        )


def _batch_error(
    start: int, stop: int, total: int, model_id: str, retries: int, cause: BaseException
) -> EmbeddingError:
    """Builds the error for a failed request (called by the native pipeline)."""
    which = f"text {start}" if stop - start == 1 else f"texts {start}-{stop - 1}"
    after = f" after {retries} retries" if retries else ""
    message = f"{which} (of {total}) could not be embedded with {model_id}{after}: {cause}"
    error = EmbeddingError(message, range(start, stop), total, model_id, retries)
    error.__cause__ = cause
    return error


class Embeddings:
    """The vectors of an ``embed`` call, one row per text, in input order.

    ``vectors`` is a 2-D numpy array (``float32``, or ``int8``/``uint8`` for the quantised
    types) when numpy is installed, else a list of lists. The object itself behaves like its
    vectors: ``len(result)``, ``result[i]``, iteration and ``np.asarray(result)`` all work.

    Attributes:
        vectors: The embeddings, ``shape`` rows by columns.
        input_tokens: Input tokens billed for the whole call (from each answer's
            ``x-amzn-bedrock-input-token-count`` header).
        model_id: The model that made them.
        embedding_type: The type asked for (``float``, ``int8``, ...).
        dtype: The element type name: ``float32``, ``int8`` or ``uint8``.
        shape: ``(texts, columns)``.
    """

    __slots__ = ("dtype", "embedding_type", "input_tokens", "model_id", "shape", "vectors")

    def __init__(
        self,
        vectors: Any,
        *,
        shape: tuple[int, int],
        dtype: str,
        input_tokens: int,
        model_id: str,
        embedding_type: str,
    ) -> None:
        self.vectors: Any = vectors
        self.shape = shape
        self.dtype = dtype
        self.input_tokens = input_tokens
        self.model_id = model_id
        self.embedding_type = embedding_type

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> Any:
        return self.vectors[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.vectors)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        import numpy as np

        if copy:
            return np.array(self.vectors, dtype=dtype or self.dtype, copy=True)
        return np.asarray(self.vectors, dtype=dtype or self.dtype)

    def tolist(self) -> list[list[Any]]:
        """The vectors as a list of lists of Python numbers."""
        if isinstance(self.vectors, list):
            return [list(row) for row in self.vectors]
        rows: list[list[Any]] = self.vectors.tolist()
        return rows

    def __repr__(self) -> str:
        rows, columns = self.shape
        return (
            f"Embeddings({rows} × {columns} {self.dtype}, model_id={self.model_id!r}, "
            f"input_tokens={self.input_tokens})"
        )


def _vectors(buffer: bytearray, rows: int, columns: int, dtype: str) -> Any:
    """The rows of ``buffer``: a numpy view of it when numpy is there, else lists."""
    try:
        import numpy as np
    except ImportError:
        return _lists(buffer, rows, columns, dtype)
    array = np.frombuffer(buffer, dtype=np.dtype(dtype).newbyteorder("<"))
    return array.reshape(rows, columns)


def _lists(buffer: bytearray, rows: int, columns: int, dtype: str) -> list[list[Any]]:
    import array

    flat = array.array(_ARRAY_CODES[dtype])
    flat.frombytes(buffer)
    if sys.byteorder == "big" and dtype == "float32":  # pragma: no cover - big-endian hosts
        flat.byteswap()
    return [flat[i * columns : (i + 1) * columns].tolist() for i in range(rows)]


class _TextBar:
    """A one-line progress display on stderr, for when tqdm is not installed."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        percent = 100 * self.done // max(self.total, 1)
        sys.stderr.write(f"\rembedding: {self.done:,}/{self.total:,} texts ({percent}%)")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _TextBar(total)
    return tqdm(total=total, unit="text", desc="embedding")


def _progress(progress: Progress, total: int) -> tuple[Any, Callable[[int], object] | None]:
    """The bar to close afterwards (if any) and the callback for the native pipeline."""
    if progress is True:
        bar = _progress_bar(total)
        return bar, bar.update
    if progress is False:
        return None, None
    return None, progress


def _pipeline_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """What the native pipeline reads (its ``EmbedOptions``): every key, checked there by type."""
    extra_body = options["extra_body"]
    return {
        "model_id": options["model"],
        "family": options["family"],
        "embedding_type": options["embedding_type"],
        "dimensions": options["dimensions"],
        "input_type": options["input_type"],
        "truncate": options["truncate"],
        "normalize": options["normalize"],
        "batch_size": options["batch_size"],
        "max_concurrency": options["max_concurrency"],
        "max_retries": options["max_retries"],
        "extra_body": None if extra_body is None else _json_text(extra_body),
    }


def _result(
    outcome: tuple[bytearray | None, int, str, int], rows: int, options: Mapping[str, Any]
) -> Embeddings:
    buffer, columns, dtype, input_tokens = outcome
    return Embeddings(
        options["out"] if buffer is None else _vectors(buffer, rows, columns, dtype),
        shape=(rows, columns),
        dtype=dtype,
        input_tokens=input_tokens,
        model_id=options["model"],
        embedding_type=options["embedding_type"],
    )


def _out_target(out: Any, rows: int, options: Mapping[str, Any]) -> tuple[int, int, Any] | None:
    """Checks a caller's ``out`` array against what the call will make (before any request)
    and returns its address, its size and itself for the native pipeline, which writes the
    rows there and holds the array until it is done."""
    if out is None:
        return None
    columns, dtype, _ = _native.embed_layout(
        options["model"],
        family=options["family"],
        embedding_type=options["embedding_type"],
        dimensions=options["dimensions"],
    )
    try:
        import numpy as np
    except ImportError:
        raise TypeError("out must be a numpy array; numpy is not installed") from None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array or np.memmap, not {type(out).__name__}")
    expected = np.dtype(dtype).newbyteorder("<")
    if out.shape != (rows, columns) or out.dtype != expected:
        raise ValueError(
            f"out must have shape {(rows, columns)} and dtype {expected.name} for "
            f"{rows} texts with these options, not shape {out.shape} and dtype {out.dtype}"
        )
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable (np.ascontiguousarray makes one)")
    return out.ctypes.data, out.nbytes, out


def embed_with(client: Client, request: EmbedRequest) -> Embeddings:
    """Blocking ``embed`` of a checked request on ``client`` (see :func:`bedrock_cris.embed`)."""
    texts, options = request.texts, request.options
    target = _out_target(options["out"], len(texts), options)
    bar, callback = _progress(options["progress"], len(texts))
    try:
        native, pipeline = client._native, _pipeline_options(options)
        traced = _tracing.embed_job
        if traced is None:  # not instrumented: nothing else is looked at
            outcome = _native.embed(native, texts, pipeline, callback, target)
        else:
            with traced(client._meta, request) as job:
                outcome = job.done(_native.embed(native, texts, pipeline, callback, target, job))
    finally:
        if bar is not None:
            bar.close()
    return _result(outcome, len(texts), options)


async def aembed_with(client: Client, request: EmbedRequest) -> Embeddings:
    """Awaitable ``embed`` of a checked request on ``client`` (see :func:`bedrock_cris.aembed`)."""
    texts, options = request.texts, request.options
    target = _out_target(options["out"], len(texts), options)
    bar, callback = _progress(options["progress"], len(texts))
    try:
        native, pipeline = client._native, _pipeline_options(options)
        traced = _tracing.embed_job
        if traced is None:
            outcome = await _native.embed_async(native, texts, pipeline, callback, target)
        else:
            with traced(client._meta, request) as job:
                running = _native.embed_async(native, texts, pipeline, callback, target, job)
                outcome = job.done(await running)
    finally:
        if bar is not None:
            bar.close()
    return _result(outcome, len(texts), options)


def _json_text(value: Mapping[str, Any]) -> str:
    import json  # deferred: only requests with extra_body need it

    return json.dumps(dict(value))

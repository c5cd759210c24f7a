"""Embeddings at scale: the result type, the error type and the calls into the native pipeline.

The native ``embed`` splits the texts into requests within the model's limit, keeps a bounded
number in flight on the shared tokio runtime, retries throttled requests with backoff and parses
each JSON answer in Rust straight into one contiguous little-endian buffer (a ``bytearray``).
Here that buffer becomes a 2-D numpy array without a copy (``numpy.frombuffer``), or a list of
lists when numpy is not installed. numpy is imported only when ``embed`` is first called.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence

from bedrock_cris import _native
from bedrock_cris._native import NativeClient

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any

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


def _texts(texts: str | Sequence[str]) -> Sequence[str]:
    return [texts] if isinstance(texts, str) else texts


def _native_kwargs(
    *,
    family: ModelFamily | None,
    embedding_type: EmbeddingType,
    dimensions: int,
    input_type: InputType | str,
    truncate: str | None,
    normalize: bool,
    batch_size: int | None,
    max_concurrency: int,
    max_retries: int,
    extra_body: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
    if max_retries < 0:
        raise ValueError(f"max_retries must not be negative, not {max_retries}")
    return {
        "family": family,
        "embedding_type": embedding_type,
        "dimensions": dimensions,
        "input_type": input_type,
        "truncate": truncate,
        "normalize": normalize,
        "batch_size": batch_size,
        "max_concurrency": max_concurrency,
        "max_retries": max_retries,
        "extra_body": None if extra_body is None else _json_text(extra_body),
    }


def _out_target(
    out: Any, rows: int, model_id: str, kwargs: Mapping[str, Any]
) -> tuple[int, int] | None:
    """Checks a caller's ``out`` array against what the call will make (before any request)
    and returns its address and size for the native pipeline, which writes the rows there."""
    if out is None:
        return None
    columns, dtype, _ = _native.embed_layout(
        model_id,
        family=kwargs["family"],
        embedding_type=kwargs["embedding_type"],
        dimensions=kwargs["dimensions"],
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
    return out.ctypes.data, out.nbytes


def _result(
    outcome: tuple[bytearray | None, int, str, int],
    rows: int,
    model_id: str,
    embedding_type: str,
    out: Any = None,
) -> Embeddings:
    buffer, columns, dtype, input_tokens = outcome
    return Embeddings(
        out if buffer is None else _vectors(buffer, rows, columns, dtype),
        shape=(rows, columns),
        dtype=dtype,
        input_tokens=input_tokens,
        model_id=model_id,
        embedding_type=embedding_type,
    )


def embed_with(
    native: NativeClient,
    texts: str | Sequence[str],
    model_id: str,
    progress: Progress,
    out: Any = None,
    **options: Any,
) -> Embeddings:
    """Blocking ``embed`` on ``native`` (see :func:`bedrock_cris.embed`)."""
    texts = _texts(texts)
    kwargs = _native_kwargs(**options)
    target = _out_target(out, len(texts), model_id, kwargs)
    bar, callback = _progress(progress, len(texts))
    try:
        # `out` stays referenced here until the pipeline has written its last row.
        outcome = _native.embed(native, texts, model_id, progress=callback, out=target, **kwargs)
    finally:
        if bar is not None:
            bar.close()
    return _result(outcome, len(texts), model_id, kwargs["embedding_type"], out)


async def aembed_with(
    native: NativeClient,
    texts: str | Sequence[str],
    model_id: str,
    progress: Progress,
    out: Any = None,
    **options: Any,
) -> Embeddings:
    """Awaitable ``embed`` on ``native`` (see :func:`bedrock_cris.aembed`)."""
    texts = _texts(texts)
    kwargs = _native_kwargs(**options)
    target = _out_target(out, len(texts), model_id, kwargs)
    bar, callback = _progress(progress, len(texts))
    try:
        # `out` stays referenced here until the pipeline has written its last row.
        outcome = await _native.embed_async(
            native, texts, model_id, progress=callback, out=target, **kwargs
        )
    finally:
        if bar is not None:
            bar.close()
    return _result(outcome, len(texts), model_id, kwargs["embedding_type"], out)


def _json_text(value: Mapping[str, Any]) -> str:
    import json  # deferred: only requests with extra_body need it

    return json.dumps(dict(value))

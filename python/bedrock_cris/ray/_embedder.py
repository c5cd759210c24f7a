"""``embed_dataset`` and ``Embedder``: a text column of a Ray Dataset to a vector column."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from bedrock_cris import _native
from bedrock_cris._embed import DEFAULT_EMBED_MODEL
from bedrock_cris.ray import _rows
from bedrock_cris.ray._sending import estimated_tokens, send
from bedrock_cris.ray._worker import RowWorker, settings_of


class Embedder(RowWorker):
    """A callable class for ``Dataset.map_batches(..., batch_format="pyarrow")``: adds the
    vectors of ``column`` as ``output_column``, row for row in the batch's order.

    One instance per Ray actor: its client is made there (unpickled from ``client``, or from
    the actor's own AWS configuration when None), and each batch's requests (one per
    ``texts per request`` of the model) run concurrently on asyncio, ``max_concurrency`` at a
    time per actor. The Rust pipeline writes each answer's vectors straight into the array the
    Arrow column is made from: no Python floats, no second copy.

    The column is Ray's fixed-shape tensor type (numpy batches see a 2-D array); with
    ``on_error="null"`` it is Arrow's nullable ``fixed_size_list`` instead (failed rows are
    null) and ``error_column`` holds ``{code, message}`` for them. With ``on_error="raise"`` a
    failed request raises :class:`RowsFailedError` naming its rows.

    ``requests_per_minute`` / ``tokens_per_minute`` put every request of every actor under one
    cluster-wide quota for this Region and model (see :class:`ClusterQuota`).
    """

    def __init__(
        self,
        column: str = "text",
        *,
        model: str = DEFAULT_EMBED_MODEL,
        input_type: str = "search_document",
        dimensions: int = 1024,
        embedding_type: str = "float",
        truncate: str | None = None,
        normalize: bool = True,
        family: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        client: Any = None,
        max_concurrency: int = 8,
        max_retries: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        output_column: str = "embedding",
        error_column: str = "error",
        on_error: str = "raise",
    ) -> None:
        self._options: dict[str, Any] = {
            "model": model,
            "input_type": input_type,
            "dimensions": dimensions,
            "embedding_type": embedding_type,
            "truncate": truncate,
            "normalize": normalize,
            "family": family,
            "extra_body": extra_body,
        }
        self._layout = check_embedder_args(column=column, **self._options)
        super().__init__(client, model, **settings_of(locals()))
        self._column = column
        self._model = model

    async def __call__(self, batch: pa.Table) -> pa.Table:
        table = _rows.as_table(batch)
        texts = table.column(self._column).to_pylist()
        columns, dtype, per_request = self._layout
        vectors = np.zeros((len(texts), columns), dtype=np.dtype(dtype).newbyteorder("<"))
        failures: dict[int, tuple[str, str]] = {}
        self._ensure_in_flight()
        runs = list(_runs(texts, per_request, failures, self._on_error))
        tasks = [asyncio.ensure_future(self._embed(texts, run, vectors, failures)) for run in runs]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        return self._output(table, vectors, failures)

    def _output(
        self, table: pa.Table, vectors: np.ndarray, failures: dict[int, tuple[str, str]]
    ) -> pa.Table:
        if self._on_error == "raise":
            from ray.data.extensions import ArrowTensorArray

            return table.append_column(self._output_column, ArrowTensorArray.from_numpy(vectors))
        flat = pa.array(vectors.reshape(-1))  # a view of `vectors`, no copy
        mask = pa.array([row in failures for row in range(len(vectors))], type=pa.bool_())
        column = pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1], mask=mask)
        table = table.append_column(self._output_column, column)
        return table.append_column(self._error_column, _rows.error_column(len(vectors), failures))

    async def _embed(
        self,
        texts: list[Any],
        run: range,
        vectors: np.ndarray,
        failures: dict[int, tuple[str, str]],
    ) -> None:
        assert self._in_flight is not None
        chunk = texts[run.start : run.stop]
        # With a quota, throttles go back to it (and are retried here); without, the embed
        # pipeline's own backoff retries them.
        inner_retries = self._max_retries if self._lease is None else 0

        async def call() -> Any:
            return await self._client.aembed(
                chunk,
                out=vectors[run.start : run.stop],
                batch_size=len(chunk),
                max_concurrency=1,
                max_retries=inner_retries,
                **self._options,
            )

        estimate = estimated_tokens(*chunk)
        async with self._in_flight:
            try:
                result = await send(
                    call,
                    lease=self._lease,
                    tokens=estimate,
                    retries=self._max_retries if self._lease is not None else 0,
                )
            except Exception as error:
                if self._on_error == "raise":
                    raise _rows.rows_failed(run, texts, error) from error
                failure = _rows.error_code(error)
                for row in run:
                    failures[row] = failure
                return
        if self._lease is not None:
            self._lease.billed(estimate, result.input_tokens)


def _runs(
    texts: list[Any], per_request: int, failures: dict[int, tuple[str, str]], on_error: str
) -> Any:
    """The rows of each request: consecutive texts, at most ``per_request`` of them; a row
    that is not a string fails on its own (``TypeError``) without being sent."""
    start = 0
    for row, text in enumerate(texts + [None]):
        if row < len(texts) and isinstance(text, str):
            if row - start == per_request:
                yield range(start, row)
                start = row
            continue
        if row > start:
            yield range(start, row)
        if row < len(texts):
            error = TypeError(f"the text must be a str, not {type(text).__name__}")
            if on_error == "raise":
                raise _rows.rows_failed(range(row, row + 1), texts, error)
            failures[row] = _rows.error_code(error)
        start = row + 1


def check_embedder_args(
    *,
    column: object,
    model: object,
    dimensions: int,
    embedding_type: str,
    family: str | None,
    **_: object,
) -> tuple[int, str, int]:
    """Checks an embedder's own arguments (``**_``: the ones every worker has, for
    :func:`check_worker_args`) and returns ``(columns, dtype, texts per request)`` for them."""
    _rows.check_column("column", column)
    if not isinstance(model, str):
        raise TypeError(f"model must be a str, not {type(model).__name__}")
    return _native.embed_layout(
        model, family=family, embedding_type=embedding_type, dimensions=dimensions
    )

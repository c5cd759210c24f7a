"""``converse_dataset`` and ``Converser``: a prompt column of a Ray Dataset to answers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from bedrock_cris._native_api import DEFAULT_MODEL
from bedrock_cris.ray import _rows
from bedrock_cris.ray._sending import estimated_tokens, send
from bedrock_cris.ray._worker import RowWorker, settings_of

#: Output tokens a request is assumed to use when it sets no ``max_tokens`` (Bedrock
#: reserves ``max_tokens`` against the tokens-per-minute quota when a request starts).
_ASSUMED_OUTPUT_TOKENS = 1024


class Converser(RowWorker):
    """A callable class for ``Dataset.map_batches(..., batch_format="pyarrow")``: sends each
    row's ``prompt_column`` (a string, or a list of Converse messages) to Converse and adds
    ``output_column`` (the answer's text), ``stop_reason``, ``input_tokens`` and
    ``output_tokens``, row for row in the batch's order.

    One client per actor (unpickled from ``client``, or from the actor's AWS configuration),
    ``max_concurrency`` requests in flight per actor on asyncio. ``on_error="null"`` leaves a
    failed row's outputs null and fills ``error_column`` (``{code, message}``);
    ``on_error="raise"`` raises :class:`RowsFailedError` naming it. ``requests_per_minute`` /
    ``tokens_per_minute`` share one cluster-wide quota (see :class:`ClusterQuota`).
    ``**extra``: more Converse arguments (``temperature``, ``top_p``, ``stop``,
    ``additionalModelRequestFields``, ...), as for :func:`bedrock_cris.converse`.
    """

    def __init__(
        self,
        prompt_column: str = "prompt",
        *,
        model: str = DEFAULT_MODEL,
        system: str | Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int | None = None,
        client: Any = None,
        max_concurrency: int = 16,
        max_retries: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        output_column: str = "answer",
        error_column: str = "error",
        on_error: str = "raise",
        **extra: Any,
    ) -> None:
        check_converser_args(prompt_column=prompt_column, max_tokens=max_tokens)
        super().__init__(client, model, **settings_of(locals()))
        self._prompt_column = prompt_column
        self._options: dict[str, Any] = {
            "model": model,
            "system": system,
            "max_tokens": max_tokens,
            **extra,
        }
        self._reserved_output = max_tokens or _ASSUMED_OUTPUT_TOKENS

    async def __call__(self, batch: pa.Table) -> pa.Table:
        table = _rows.as_table(batch)
        prompts = table.column(self._prompt_column).to_pylist()
        self._ensure_in_flight()
        answers: list[Any] = [None] * len(prompts)
        failures: dict[int, tuple[str, str]] = {}
        tasks = [
            asyncio.ensure_future(self._converse(prompts, row, answers, failures))
            for row in range(len(prompts))
        ]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        return self._output(table, answers, failures)

    async def _converse(
        self,
        prompts: list[Any],
        row: int,
        answers: list[Any],
        failures: dict[int, tuple[str, str]],
    ) -> None:
        assert self._in_flight is not None
        prompt = prompts[row]
        estimate = _prompt_tokens(prompt) + self._reserved_output

        async def call() -> Any:
            return await self._client.aconverse(prompt, **self._options)

        async with self._in_flight:
            try:
                answer = await send(
                    call, lease=self._lease, tokens=estimate, retries=self._max_retries
                )
            except Exception as error:
                if self._on_error == "raise":
                    raise _rows.rows_failed(range(row, row + 1), prompts, error) from error
                failures[row] = _rows.error_code(error)
                return
        answers[row] = answer
        if self._lease is not None:
            self._lease.billed(estimate, answer.usage.total_tokens)

    def _output(
        self, table: pa.Table, answers: list[Any], failures: dict[int, tuple[str, str]]
    ) -> pa.Table:
        def column(read: Any, kind: pa.DataType) -> pa.Array:
            return pa.array([None if a is None else read(a) for a in answers], type=kind)

        table = table.append_column(self._output_column, column(lambda a: a.text, pa.string()))
        table = table.append_column("stop_reason", column(lambda a: a.stop_reason, pa.string()))
        table = table.append_column(
            "input_tokens", column(lambda a: a.usage.input_tokens, pa.int64())
        )
        table = table.append_column(
            "output_tokens", column(lambda a: a.usage.output_tokens, pa.int64())
        )
        if self._on_error == "null":
            table = table.append_column(
                self._error_column, _rows.error_column(len(answers), failures)
            )
        return table


def _prompt_tokens(prompt: Any) -> float:
    if isinstance(prompt, str):
        return estimated_tokens(prompt)
    texts: list[str] = []
    for message in prompt if isinstance(prompt, (list, tuple)) else ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            texts.append(content)
        for block in content if isinstance(content, (list, tuple)) else ():
            if isinstance(block, Mapping) and isinstance(block.get("text"), str):
                texts.append(block["text"])
    return estimated_tokens(*texts)


def check_converser_args(*, prompt_column: object, max_tokens: object, **_: object) -> None:
    """Checks a converser's own arguments (``**_``: the ones every worker has, for
    :func:`check_worker_args`; more Converse arguments are the service's to check)."""
    _rows.check_column("prompt_column", prompt_column)
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise ValueError(f"max_tokens must be a positive int or None, not {max_tokens!r}")

"""What the Ray integration's embedders and conversers share: `on_error` handling, the error
column, and the exception naming the rows that failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from bedrock_cris import exceptions
from bedrock_cris._embed import EmbeddingError

ON_ERROR = ("raise", "null")

#: The Arrow type of the error column (``on_error="null"``): null for rows that succeeded.
ERROR_TYPE = pa.struct([("code", pa.string()), ("message", pa.string())])


class RowsFailedError(Exception):
    """Rows of a Ray Data batch could not be processed (``on_error="raise"``).

    Attributes:
        rows: The failed rows' indices within their batch.
        code: The error code (``ValidationException``, ...) or exception class name.
        error_message: What the service or the client said.
        texts: The failed rows' inputs (each cut to 80 characters), to find them by.
    """

    def __init__(
        self, message: str, rows: Sequence[int], code: str, error_message: str, texts: list[str]
    ) -> None:
        super().__init__(message)
        self.rows = list(rows)
        self.code = code
        self.error_message = error_message
        self.texts = texts

    def __reduce__(self) -> Any:
        # Ray carries the exception from the actor to the driver by pickle.
        return type(self), (str(self), self.rows, self.code, self.error_message, self.texts)


def check_on_error(on_error: object) -> None:
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'null', not {on_error!r}")


def check_column(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty column name (str), not {value!r}")


def error_code(error: BaseException) -> tuple[str, str]:
    """The ``(code, message)`` an error column records for ``error``."""
    if isinstance(error, EmbeddingError) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, exceptions.ClientError):
        detail = error.response.get("Error", {})
        return str(detail.get("Code", type(error).__name__)), str(detail.get("Message", error))
    return type(error).__name__, str(error)


def is_throttle(error: BaseException) -> bool:
    """Whether ``error`` (or the request failure behind an ``EmbeddingError``) is a throttle."""
    if isinstance(error, EmbeddingError) and error.__cause__ is not None:
        error = error.__cause__
    return isinstance(error, exceptions.ClientError) and error_code(error)[0] in (
        "ThrottlingException",
        "ServiceQuotaExceededException",
    )


def rows_failed(rows: range, texts: Sequence[object], error: BaseException) -> RowsFailedError:
    code, message = error_code(error)
    shown = [_excerpt(texts[i]) for i in rows]
    which = f"row {rows.start}" if len(rows) == 1 else f"rows {rows.start}-{rows.stop - 1}"
    failed = RowsFailedError(
        f"{which} of the batch failed ({code}: {message}); inputs: {shown[:3]}"
        + (f" and {len(shown) - 3} more" if len(shown) > 3 else ""),
        rows,
        code,
        message,
        shown,
    )
    failed.__cause__ = error
    return failed


def _excerpt(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def error_column(rows: int, failures: Mapping[int, tuple[str, str]]) -> pa.Array:
    """One ``{code, message}`` per row, null where the row succeeded."""
    codes: list[str | None] = [None] * rows
    messages: list[str | None] = [None] * rows
    for row, (code, message) in failures.items():
        codes[row], messages[row] = code, message
    mask = pa.array([row not in failures for row in range(rows)], type=pa.bool_())
    return pa.StructArray.from_arrays(
        [pa.array(codes, pa.string()), pa.array(messages, pa.string())],
        fields=list(ERROR_TYPE),
        mask=mask,
    )


def as_table(batch: object) -> pa.Table:
    if not isinstance(batch, pa.Table):
        raise TypeError(
            "bedrock_cris.ray takes pyarrow batches: pass batch_format='pyarrow' to "
            f"map_batches (got {type(batch).__name__})"
        )
    return batch


def resolve_client(client: object) -> Any:
    """The native-API client an actor uses: the one unpickled from the driver, or one from the
    actor's own AWS configuration."""
    import bedrock_cris
    from bedrock_cris.aio import AsyncBedrockRuntime

    if client is None:
        return bedrock_cris.Client()
    if isinstance(client, bedrock_cris.Client):
        return client
    if isinstance(client, (bedrock_cris.BedrockRuntime, AsyncBedrockRuntime)):
        return bedrock_cris.Client.wrap(client)
    raise TypeError(
        f"client must be a bedrock_cris.Client or a bedrock_cris facade client, not "
        f"{type(client).__name__}"
    )

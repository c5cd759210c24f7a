"""``embed_dataset`` and ``converse_dataset``: the callable classes on an actor pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_cris._embed import DEFAULT_EMBED_MODEL
from bedrock_cris._native_api import DEFAULT_MODEL
from bedrock_cris.ray import _rows
from bedrock_cris.ray._converser import Converser, check_converser_args
from bedrock_cris.ray._embedder import Embedder, check_embedder_args
from bedrock_cris.ray._quota import quota_actor

#: CPUs each actor asks Ray for: it waits on the network, not the processor.
DEFAULT_ACTOR_CPUS = 0.25


def embed_dataset(
    ds: Any,
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
    concurrency: int = 2,
    max_concurrency: int = 8,
    max_retries: int = 8,
    batch_size: int | None = None,
    num_cpus: float = DEFAULT_ACTOR_CPUS,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    output_column: str = "embedding",
    error_column: str = "error",
    on_error: str = "raise",
) -> Any:
    """The Ray Dataset ``ds`` with the vectors of ``column`` added as ``output_column``.

    ``concurrency`` actors each run an :class:`Embedder` (see it for the column's type, errors
    and the quota); ``batch_size`` rows per batch (default: enough for ``max_concurrency``
    full requests). Arguments are checked here, before any actor starts or request is sent.
    Lazy, as every Ray Dataset transformation: the job runs when the result is consumed.
    """
    columns, dtype, per_request = check_embedder_args(
        column=column,
        model=model,
        dimensions=dimensions,
        embedding_type=embedding_type,
        family=family,
        max_concurrency=max_concurrency,
        max_retries=max_retries,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        output_column=output_column,
        error_column=error_column,
        on_error=on_error,
    )
    kwargs = {
        "model": model,
        "input_type": input_type,
        "dimensions": dimensions,
        "embedding_type": embedding_type,
        "truncate": truncate,
        "normalize": normalize,
        "family": family,
        "extra_body": None if extra_body is None else dict(extra_body),
        "client": _checked_client(client),
        "max_concurrency": max_concurrency,
        "max_retries": max_retries,
        "requests_per_minute": requests_per_minute,
        "tokens_per_minute": tokens_per_minute,
        "output_column": output_column,
        "error_column": error_column,
        "on_error": on_error,
    }
    return _map(
        ds,
        Embedder,
        (column,),
        kwargs,
        concurrency=concurrency,
        batch_size=batch_size or per_request * max_concurrency,
        num_cpus=num_cpus,
        quota=requests_per_minute is not None or tokens_per_minute is not None,
    )


def converse_dataset(
    ds: Any,
    prompt_column: str = "prompt",
    *,
    model: str = DEFAULT_MODEL,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    max_tokens: int | None = None,
    client: Any = None,
    concurrency: int = 2,
    max_concurrency: int = 16,
    max_retries: int = 8,
    batch_size: int | None = None,
    num_cpus: float = DEFAULT_ACTOR_CPUS,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    output_column: str = "answer",
    error_column: str = "error",
    on_error: str = "raise",
    **extra: Any,
) -> Any:
    """The Ray Dataset ``ds`` with each prompt's answer added: ``output_column`` (text),
    ``stop_reason``, ``input_tokens``, ``output_tokens`` (see :class:`Converser`).

    ``concurrency`` actors, ``max_concurrency`` requests in flight in each; ``batch_size`` rows
    per batch (default ``4 * max_concurrency``). Arguments are checked here, before any actor
    starts or request is sent.
    """
    check_converser_args(
        prompt_column=prompt_column,
        model=model,
        max_tokens=max_tokens,
        max_concurrency=max_concurrency,
        max_retries=max_retries,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        output_column=output_column,
        error_column=error_column,
        on_error=on_error,
    )
    kwargs = {
        "model": model,
        "system": system,
        "max_tokens": max_tokens,
        "client": _checked_client(client),
        "max_concurrency": max_concurrency,
        "max_retries": max_retries,
        "requests_per_minute": requests_per_minute,
        "tokens_per_minute": tokens_per_minute,
        "output_column": output_column,
        "error_column": error_column,
        "on_error": on_error,
        **extra,
    }
    return _map(
        ds,
        Converser,
        (prompt_column,),
        kwargs,
        concurrency=concurrency,
        batch_size=batch_size or 4 * max_concurrency,
        num_cpus=num_cpus,
        quota=requests_per_minute is not None or tokens_per_minute is not None,
    )


def _map(
    ds: Any,
    cls: type,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    concurrency: int,
    batch_size: int,
    num_cpus: float,
    quota: bool,
) -> Any:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency (actors) must be a positive int, not {concurrency!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
    if quota:
        quota_actor()  # made by the driver, before the actors that share it
    return ds.map_batches(
        cls,
        fn_constructor_args=args,
        fn_constructor_kwargs=kwargs,
        batch_format="pyarrow",
        batch_size=batch_size,
        concurrency=concurrency,
        num_cpus=num_cpus,
    )


def _checked_client(client: Any) -> Any:
    """``client`` as given, once it is one the actors can use (``None``: each actor's own)."""
    if client is not None:
        _rows.resolve_client(client)
    return client

"""``embed_dataset`` and ``converse_dataset``: the callable classes on an actor pool."""

from __future__ import annotations

import inspect
from typing import Any

from bedrock_cris.ray import _rows
from bedrock_cris.ray._converser import Converser, check_converser_args
from bedrock_cris.ray._embedder import Embedder, check_embedder_args
from bedrock_cris.ray._quota import quota_actor
from bedrock_cris.ray._worker import check_worker_args

#: CPUs each actor asks Ray for: it waits on the network, not the processor.
DEFAULT_ACTOR_CPUS = 0.25


def embed_dataset(
    ds: Any,
    column: str = "text",
    *,
    concurrency: int = 2,
    batch_size: int | None = None,
    num_cpus: float = DEFAULT_ACTOR_CPUS,
    **options: Any,
) -> Any:
    """The Ray Dataset ``ds`` with the vectors of ``column`` added as ``output_column``.

    ``concurrency`` actors each run an :class:`Embedder` made with ``options`` (its keyword
    arguments: ``model``, ``dimensions``, ``client``, ``max_concurrency``, ``output_column``,
    ``on_error``, ...; see it for the column's type, errors and the quota); ``batch_size`` rows
    per batch (default: enough for ``max_concurrency`` full requests). Arguments are checked
    here, before any actor starts or request is sent. Lazy, as every Ray Dataset
    transformation: the job runs when the result is consumed.
    """
    arguments = _arguments(Embedder, column, options)
    _, _, per_request = check_embedder_args(**arguments)
    if arguments["extra_body"] is not None:
        arguments["extra_body"] = dict(arguments["extra_body"])
    return _map(
        ds,
        Embedder,
        arguments,
        concurrency=concurrency,
        batch_size=batch_size or per_request * arguments["max_concurrency"],
        num_cpus=num_cpus,
    )


def converse_dataset(
    ds: Any,
    prompt_column: str = "prompt",
    *,
    concurrency: int = 2,
    batch_size: int | None = None,
    num_cpus: float = DEFAULT_ACTOR_CPUS,
    **options: Any,
) -> Any:
    """The Ray Dataset ``ds`` with each prompt's answer added: ``output_column`` (text),
    ``stop_reason``, ``input_tokens``, ``output_tokens`` (see :class:`Converser`).

    ``concurrency`` actors each run a :class:`Converser` made with ``options`` (its keyword
    arguments: ``model``, ``system``, ``max_tokens``, ``client``, ``max_concurrency``, ...,
    and more Converse arguments), ``max_concurrency`` requests in flight in each;
    ``batch_size`` rows per batch (default ``4 * max_concurrency``). Arguments are checked
    here, before any actor starts or request is sent.
    """
    arguments = _arguments(Converser, prompt_column, options)
    check_converser_args(**arguments)
    return _map(
        ds,
        Converser,
        arguments,
        concurrency=concurrency,
        batch_size=batch_size or 4 * arguments["max_concurrency"],
        num_cpus=num_cpus,
    )


def _arguments(cls: type, column: str, options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``cls(column, **options)``, its defaults filled in and the
    ones every worker has checked, on the driver (an unknown one is a ``TypeError`` here);
    the ``**extra`` of a class that takes more are merged in as given."""
    bound = inspect.signature(cls).bind(column, **options)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    for name, parameter in bound.signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(name))
    check_worker_args(**arguments)
    if arguments["client"] is not None:
        _rows.resolve_client(arguments["client"])
    return arguments


def _map(
    ds: Any,
    cls: type,
    kwargs: dict[str, Any],
    *,
    concurrency: int,
    batch_size: int,
    num_cpus: float,
) -> Any:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency (actors) must be a positive int, not {concurrency!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
    if kwargs["requests_per_minute"] is not None or kwargs["tokens_per_minute"] is not None:
        quota_actor()  # made by the driver, before the actors that share it
    return ds.map_batches(
        cls,
        fn_constructor_kwargs=kwargs,
        batch_format="pyarrow",
        batch_size=batch_size,
        concurrency=concurrency,
        num_cpus=num_cpus,
    )

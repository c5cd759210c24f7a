"""The options of the native API's calls, written once: ``converse``, ``stream``, ``aconverse``
and ``astream`` (on a :class:`~bedrock_cris.Client` and as module functions) take
``**options: Unpack[ConverseOptions]``; ``embed`` and ``aembed`` take ``EmbedOptions``.

For type checkers only (``typing`` costs start-up ~10 ms): the classes exist when
``TYPE_CHECKING`` is true. ``ConverseOptions`` extends the generated ``ConverseArguments``
(every other Converse argument, with boto3's name and type, from the service model).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, TypedDict

    from bedrock_cris._operations import ConverseArguments
    from bedrock_cris._types import EmbeddingType, InputType, ModelFamily, Progress

    class ConverseOptions(ConverseArguments, total=False):
        """``converse``'s own options; any other key is a Converse argument (boto3's name)."""

        #: Model id or inference profile, passed through unchanged (default: the client's).
        model: str | None
        #: A system prompt, or Converse system blocks.
        system: str | Sequence[Mapping[str, Any]] | None
        #: ``inferenceConfig.maxTokens``.
        max_tokens: int | None
        #: ``inferenceConfig.temperature``.
        temperature: float | None
        #: ``inferenceConfig.topP``.
        top_p: float | None
        #: One stop sequence or several (``inferenceConfig.stopSequences``).
        stop: str | Sequence[str] | None
        #: Converse ``{"toolSpec": ...}`` entries, or ``{"name", "description",
        #: "input_schema"}`` dicts.
        tools: Sequence[Mapping[str, Any]] | None
        #: ``"auto"``, ``"any"``, a tool's name, or a Converse ``toolChoice`` dict.
        tool_choice: str | Mapping[str, Any] | None

    class EmbedOptions(TypedDict, total=False):
        """``embed``'s options (defaults in ``_native_requests.EMBED_DEFAULTS``)."""

        model: str
        input_type: InputType | str
        dimensions: int
        embedding_type: EmbeddingType
        truncate: str | None
        normalize: bool
        family: ModelFamily | None
        batch_size: int | None
        max_concurrency: int
        max_retries: int
        progress: Progress
        extra_body: Mapping[str, Any] | None

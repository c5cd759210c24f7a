"""The public API's type aliases.

They need ``typing``, which ``import bedrock_cris`` does not load (it costs a
cold start ~10 ms and 2 MiB), so they live here and load when first asked for:
``bedrock_cris._native_api.Prompt`` and the like resolve to these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Union

from bedrock_cris._client import BedrockRuntime
from bedrock_cris._native_api import Client
from bedrock_cris.aio import AsyncBedrockRuntime

__all__ = [
    "AnyClient",
    "EmbeddingType",
    "InputType",
    "Message",
    "ModelFamily",
    "Progress",
    "Prompt",
]

#: A Converse message: ``{"role": "user", "content": [{"text": "..."}]}``; ``content`` may
#: also be a plain string.
Message = Mapping[str, Any]

#: A prompt: one user message as a string, or a list of messages.
Prompt = Union[str, Sequence[Message]]

#: What ``client=`` accepts.
AnyClient = Union[Client, BedrockRuntime, AsyncBedrockRuntime]

#: Output types. Cohere: all five (``binary``/``ubinary`` are sign bits packed eight per byte,
#: so rows have ``dimensions // 8`` values). Titan v2: ``float`` and ``binary`` (one 0/1 byte per
#: dimension).
EmbeddingType = Literal["float", "int8", "uint8", "binary", "ubinary"]

#: Cohere's ``input_type`` (Titan has none and ignores it).
InputType = Literal["search_document", "search_query", "classification", "clustering"]

#: The model families ``embed`` drives; needed only for ARNs that do not name the model.
ModelFamily = Literal["cohere-v3", "cohere-v4", "titan-v2"]

#: ``progress=``: ``True`` for a progress bar, or a callable given each number of texts done.
Progress = Union[bool, Callable[[int], object]]

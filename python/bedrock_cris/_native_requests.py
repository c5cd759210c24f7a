"""The native API's requests: its arguments checked (before anything else: client, Region,
credentials), each error naming the parameter and what it takes, and turned into what the
client sends.

A call's options arrive as one dict (``**options`` of ``converse``/``embed`` and their twins,
typed by ``_native_options``); :class:`ConverseRequest` and :class:`EmbedRequest` check them
once, whether the call came through a :class:`~bedrock_cris.Client` or a module function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bedrock_cris import exceptions
from bedrock_cris._embed import DEFAULT_EMBED_MODEL

TYPE_CHECKING = False  # typing costs start-up ~10 ms; only checkers need it
if TYPE_CHECKING:
    from typing import Any

    from bedrock_cris._native_options import ConverseOptions, EmbedOptions
    from bedrock_cris._types import Prompt

#: The options ``converse`` and its twins take themselves; any other keyword is a Converse
#: argument with boto3's name, sent as it is.
CONVERSE_OPTIONS = (
    "model",
    "system",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
)

#: The options of ``embed`` and ``aembed``, with their defaults.
EMBED_DEFAULTS: dict[str, Any] = {
    "model": DEFAULT_EMBED_MODEL,
    "input_type": "search_document",
    "dimensions": 1024,
    "embedding_type": "float",
    "truncate": None,
    "normalize": True,
    "family": None,
    "batch_size": None,
    "max_concurrency": 8,
    "max_retries": 8,
    "progress": False,
    "extra_body": None,
    "out": None,
}

_EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
_FAMILIES = ("cohere-v3", "cohere-v4", "titan-v2")


def _type_name(value: object) -> str:
    return type(value).__name__


def check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {_type_name(value)}")


def _check_number(name: str, member: str, value: object, types: tuple[type, ...]) -> None:
    """Inference numbers: ParamValidationError in botocore's words, as the facade would raise
    for ``member`` (but naming this API's parameter)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, types):
        valid = ", ".join(str(t) for t in types)
        raise exceptions.ParamValidationError(
            report=f"Invalid type for parameter {name} ({member}), value: {value!r}, "
            f"type: {type(value)}, valid types: {valid}"
        )


def _check_int(name: str, value: object, minimum: int, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        what = "an int or None" if optional else "an int"
        raise TypeError(f"{name} must be {what}, not {_type_name(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def _check_prompt(prompt: object) -> None:
    if isinstance(prompt, str):
        return
    if isinstance(prompt, Mapping):
        raise TypeError(
            "prompt_or_messages is a single message: pass a list of messages "
            "([{'role': 'user', 'content': 'Hello'}]) or a string"
        )
    if not isinstance(prompt, Sequence) or isinstance(prompt, (bytes, bytearray)):
        raise TypeError(
            "prompt_or_messages must be a str (one user message) or a list of Converse "
            "messages like [{'role': 'user', 'content': 'Hello'}], "
            f"not {_type_name(prompt)}"
        )
    if not prompt:
        raise ValueError("prompt_or_messages is an empty list: pass at least one message")
    for i, message in enumerate(prompt):
        if not isinstance(message, Mapping):
            raise TypeError(
                f"messages[{i}] must be a dict like {{'role': 'user', 'content': ...}}, "
                f"not {_type_name(message)}"
            )


def _check_system(system: object) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, Sequence) or not all(isinstance(b, Mapping) for b in system):
        raise TypeError(
            "system must be a str or a list of Converse system blocks "
            f"([{{'text': '...'}}]), not {_type_name(system)}"
        )


def _check_stop(stop: object) -> None:
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, Sequence) or not all(isinstance(s, str) for s in stop):
        raise TypeError(
            f"stop must be a str or a list of str (stop sequences), not {_type_name(stop)}"
        )


def _check_tools(tools: object, tool_choice: object) -> None:
    if tools is not None:
        if isinstance(tools, (str, Mapping)) or not isinstance(tools, Sequence):
            raise TypeError(
                "tools must be a list of tools (Converse {'toolSpec': ...} entries or "
                f"{{'name', 'description', 'input_schema'}} dicts), not {_type_name(tools)}"
            )
        for i, tool in enumerate(tools):
            if not isinstance(tool, Mapping):
                raise TypeError(f"tools[{i}] must be a dict, not {_type_name(tool)}")
            if not ({"toolSpec", "cachePoint", "systemTool"} & set(tool)) and "name" not in tool:
                raise ValueError(
                    f"tools[{i}] has no 'name': give {{'name', 'description', 'input_schema'}} "
                    "or a Converse {'toolSpec': ...} entry"
                )
    if tool_choice is not None and not isinstance(tool_choice, (str, Mapping)):
        raise TypeError(
            "tool_choice must be 'auto', 'any', a tool's name or a Converse toolChoice dict, "
            f"not {_type_name(tool_choice)}"
        )


def _messages(prompt: Prompt) -> list[dict[str, Any]]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": [{"text": prompt}]}]
    messages = []
    for message in prompt:
        message = dict(message)
        if isinstance(message.get("content"), str):
            message["content"] = [{"text": message["content"]}]
        messages.append(message)
    return messages


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A Converse tool entry from a ``toolSpec`` entry or a plain ``{"name", ...}`` spec."""
    if "toolSpec" in tool or "cachePoint" in tool or "systemTool" in tool:
        return dict(tool)
    spec: dict[str, Any] = {"name": tool["name"]}
    if "description" in tool:
        spec["description"] = tool["description"]
    schema = tool.get("input_schema", tool.get("inputSchema", tool.get("parameters")))
    if schema is None:
        schema = {"type": "object", "properties": {}}
    spec["inputSchema"] = schema if set(schema) == {"json"} else {"json": schema}
    return {"toolSpec": spec}


def _tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    """Converse's ``toolChoice`` from ``"auto"``, ``"any"``, a tool's name, or itself."""
    if isinstance(choice, str):
        return {choice: {}} if choice in ("auto", "any") else {"tool": {"name": choice}}
    return dict(choice)


class ConverseRequest:
    """A checked ``converse``/``stream`` call: its parameters but for the model, which the
    client that sends it may fill in (:meth:`params`)."""

    __slots__ = ("_params", "model")
    model: str | None

    def __init__(
        self, prompt: Prompt, options: ConverseOptions | Mapping[str, Any], region: object = None
    ) -> None:
        if not options and region is None and type(prompt) is str:
            # A bare prompt, the commonest call: nothing else to check.
            self.model = None
            self._params = {"messages": [{"role": "user", "content": [{"text": prompt}]}]}
            return
        _check_prompt(prompt)
        get = options.get
        model: Any = get("model")
        check_optional_str("model", model)
        _check_system(get("system"))
        max_tokens = get("max_tokens")
        _check_number("max_tokens", "inferenceConfig.maxTokens", max_tokens, (int,))
        if isinstance(max_tokens, int) and max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
        for name, member in (("temperature", "temperature"), ("top_p", "topP")):
            _check_number(name, f"inferenceConfig.{member}", get(name), (float, int))
        _check_stop(get("stop"))
        tools, tool_choice = get("tools"), get("tool_choice")
        _check_tools(tools, tool_choice)
        check_optional_str("region", region)
        self.model = model
        self._params = _converse_params(prompt, options, tools, tool_choice)

    def params(self, model: str) -> dict[str, Any]:
        """The Converse (or ConverseStream) parameters, calling ``model``."""
        return {"modelId": model, **self._params}


def _converse_params(
    prompt: Prompt, options: Mapping[str, Any], tools: Any, tool_choice: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {"messages": _messages(prompt)}
    system = options.get("system")
    if system is not None:
        params["system"] = [{"text": system}] if isinstance(system, str) else list(system)
    inference: dict[str, Any] = {}
    for name, member in (("max_tokens", "maxTokens"), ("temperature", "temperature")):
        if options.get(name) is not None:
            inference[member] = options[name]
    if options.get("top_p") is not None:
        inference["topP"] = options["top_p"]
    stop = options.get("stop")
    if stop is not None:
        inference["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if inference:
        params["inferenceConfig"] = inference
    if tools is not None:
        params["toolConfig"] = {"tools": [_tool(tool) for tool in tools]}
        if tool_choice is not None:
            params["toolConfig"]["toolChoice"] = _tool_choice(tool_choice)
    elif tool_choice is not None:
        raise TypeError("tool_choice= needs tools=")
    for key, value in options.items():
        if key in CONVERSE_OPTIONS:
            continue
        if key in params or key == "modelId":
            raise TypeError(f"{key}= is already set by this call's other arguments")
        params[key] = value
    return params


class EmbedRequest:
    """A checked ``embed`` call: the texts and every option (defaults filled in)."""

    __slots__ = ("options", "texts")

    def __init__(
        self,
        texts: str | Sequence[str],
        options: EmbedOptions | Mapping[str, Any],
        region: object = None,
    ) -> None:
        unknown = [name for name in options if name not in EMBED_DEFAULTS]
        if unknown:
            raise TypeError(f"embed() got an unexpected keyword argument {unknown[0]!r}")
        merged = {**EMBED_DEFAULTS, **options}
        _check_texts(texts)
        _check_embed_options(merged)
        check_optional_str("region", region)
        self.texts: Sequence[str] = [texts] if isinstance(texts, str) else texts
        self.options: dict[str, Any] = merged


def _check_texts(texts: object) -> None:
    if isinstance(texts, str):
        return
    if isinstance(texts, Mapping) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a str or a list of str, not {_type_name(texts)}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, not {_type_name(text)}")


def _check_embed_options(options: dict[str, Any]) -> None:
    model = options["model"]
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a str (a model id, profile or ARN), not {_type_name(model)}"
        )
    if not isinstance(options["input_type"], str):
        raise TypeError(f"input_type must be a str, not {_type_name(options['input_type'])}")
    _check_int("dimensions", options["dimensions"], 1)
    embedding_type = options["embedding_type"]
    if embedding_type not in _EMBEDDING_TYPES:
        raise ValueError(
            f"embedding_type must be one of {', '.join(_EMBEDDING_TYPES)}, not {embedding_type!r}"
        )
    check_optional_str("truncate", options["truncate"])
    family = options["family"]
    if family is not None and family not in _FAMILIES:
        raise ValueError(f"family must be one of {', '.join(_FAMILIES)} or None, not {family!r}")
    _check_int("batch_size", options["batch_size"], 1, optional=True)
    _check_int("max_concurrency", options["max_concurrency"], 1)
    _check_int("max_retries", options["max_retries"], 0)
    progress = options["progress"]
    if not isinstance(progress, bool) and not callable(progress):
        raise TypeError(
            "progress must be True, False or a callable given each number of texts done, "
            f"not {_type_name(progress)}"
        )
    extra_body = options["extra_body"]
    if extra_body is not None and not isinstance(extra_body, Mapping):
        raise TypeError(f"extra_body must be a dict or None, not {_type_name(extra_body)}")

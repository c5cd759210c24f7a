"""``client.meta.service_model``: the bedrock-runtime model this package was generated from.

The model ships in the package (``_service_model.json``, written by codegen/generate.py from
the pinned botocore model, documentation left out). With botocore importable it is loaded
into botocore's own ``ServiceModel`` (so ``isinstance(shape, botocore.model.StructureShape)``
holds, as frameworks check); without it, into the small equivalent below, which has the
names and shapes code asks for: ``operation_model``, ``shape_for``, ``operation_names``,
``service_name``, ``service_id``, ``metadata``. Loaded on first use, once per process.
"""

from __future__ import annotations

import json
import os
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["OperationModel", "ServiceModel", "Shape", "load"]

_MODEL_FILE = os.path.join(os.path.dirname(__file__), "_service_model.json")
_SERVICE_NAME = "bedrock-runtime"
_loaded: Any = None
_lock = threading.Lock()


def model_data() -> dict[str, Any]:
    """The model's JSON, as botocore's loader would give it (without documentation)."""
    with open(_MODEL_FILE, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def load() -> Any:
    """botocore's ``ServiceModel`` of the packaged model when botocore is importable, else
    this module's :class:`ServiceModel`; built once."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                data = model_data()
                try:
                    from botocore.model import ServiceModel as BotocoreServiceModel
                except ImportError:
                    _loaded = ServiceModel(data, _SERVICE_NAME)
                else:
                    _loaded = BotocoreServiceModel(data, service_name=_SERVICE_NAME)
    return _loaded


class Shape:
    """One shape of the model: ``name``, ``type_name``, ``members`` (structures, in model
    order), ``member`` (lists), ``key``/``value`` (maps), ``enum``, ``required_members``."""

    def __init__(self, name: str, spec: dict[str, Any], model: ServiceModel) -> None:
        self.name = name
        self.type_name: str = spec["type"]
        self._spec = spec
        self._model = model
        self.metadata = {k: v for k, v in spec.items() if k not in ("type", "members", "member")}
        self.serialization: dict[str, Any] = {}

    @property
    def members(self) -> dict[str, Shape]:
        return {
            name: self._model._member_shape(ref)
            for name, ref in self._spec.get("members", {}).items()
        }

    @property
    def required_members(self) -> list[str]:
        return list(self._spec.get("required", []))

    @property
    def enum(self) -> list[str]:
        return list(self._spec.get("enum", []))

    @property
    def member(self) -> Shape:
        return self._model._member_shape(self._spec["member"])

    @property
    def key(self) -> Shape:
        return self._model._member_shape(self._spec["key"])

    @property
    def value(self) -> Shape:
        return self._model._member_shape(self._spec["value"])

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.name})>"


class OperationModel:
    """One operation: ``name``, ``http``, ``input_shape``, ``output_shape``, streaming flags."""

    def __init__(self, spec: dict[str, Any], model: ServiceModel) -> None:
        self._spec = spec
        self.service_model = model
        self.name: str = spec["name"]
        self.http: dict[str, Any] = spec.get("http", {})
        self.metadata = model.metadata
        self.deprecated = bool(spec.get("deprecated", False))
        self.auth = spec.get("auth")

    @property
    def input_shape(self) -> Shape | None:
        ref = self._spec.get("input")
        return None if ref is None else self.service_model.shape_for(ref["shape"])

    @property
    def output_shape(self) -> Shape | None:
        ref = self._spec.get("output")
        return None if ref is None else self.service_model.shape_for(ref["shape"])

    @staticmethod
    def _payload(shape: Shape | None) -> Shape | None:
        if shape is None or "payload" not in shape._spec:
            return None
        return shape.members[shape._spec["payload"]]

    @property
    def has_streaming_input(self) -> bool:
        """A blob payload (as botocore: an event-stream input is ``has_event_stream_input``)."""
        payload = self._payload(self.input_shape)
        return payload is not None and payload.type_name == "blob"

    @property
    def has_streaming_output(self) -> bool:
        payload = self._payload(self.output_shape)
        return payload is not None and payload.type_name == "blob"

    @property
    def has_event_stream_input(self) -> bool:
        payload = self._payload(self.input_shape)
        return payload is not None and bool(payload._spec.get("eventstream"))

    @property
    def has_event_stream_output(self) -> bool:
        payload = self._payload(self.output_shape)
        return payload is not None and bool(payload._spec.get("eventstream"))

    def __repr__(self) -> str:
        return f"OperationModel(name={self.name})"


class ServiceModel:
    """The model without botocore (see the module docs)."""

    def __init__(self, data: dict[str, Any], service_name: str) -> None:
        self._data = data
        self.service_name = service_name
        self.metadata: dict[str, Any] = data.get("metadata", {})
        self.service_id = ServiceId(self.metadata.get("serviceId", service_name))
        self.api_version = self.metadata.get("apiVersion")
        self.protocol = self.metadata.get("protocol")
        self.signing_name = self.metadata.get("signingName", service_name)
        self.endpoint_prefix = self.metadata.get("endpointPrefix")

    @property
    def operation_names(self) -> list[str]:
        return list(self._data["operations"])

    @property
    def shape_names(self) -> list[str]:
        return list(self._data["shapes"])

    def operation_model(self, operation_name: str) -> OperationModel:
        try:
            spec = self._data["operations"][operation_name]
        except KeyError:
            raise OperationNotFoundError(operation_name) from None
        return OperationModel(spec, self)

    def shape_for(self, shape_name: str) -> Shape:
        try:
            spec = self._data["shapes"][shape_name]
        except KeyError:
            raise NoShapeFoundError(shape_name) from None
        return Shape(shape_name, spec, self)

    def _member_shape(self, ref: dict[str, Any]) -> Shape:
        shape = self.shape_for(ref["shape"])
        shape.serialization = {
            k: v for k, v in ref.items() if k in ("location", "locationName", "jsonvalue")
        }
        shape._spec = {**shape._spec, **{k: v for k, v in ref.items() if k != "shape"}}
        return shape

    def __repr__(self) -> str:
        return f"ServiceModel({self.service_name})"


class ServiceId(str):
    """The model's ``serviceId``; ``hyphenize()`` gives the name events use."""

    def hyphenize(self) -> str:
        return self.lower().replace(" ", "-")


class OperationNotFoundError(LookupError):
    """An operation the model does not have (botocore's class of the same name)."""


class NoShapeFoundError(LookupError):
    """A shape the model does not have (botocore's class of the same name)."""

"""The ``request_dict`` botocore hands to ``before-call`` handlers (``url_path``,
``query_string``, ``method``, ``headers``, ``body``, ``url``, ``context``), built from the
packaged model the way botocore's rest-json serializer builds it.

The request actually sent is serialized by the AWS SDK for Rust; this dict is what handlers
read and change: headers they set here are sent (and signed), other changes are not.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import json
from urllib.parse import quote

from bedrock_cris import _service_model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["build"]

_model: dict[str, Any] | None = None


def _data() -> dict[str, Any]:
    global _model
    if _model is None:
        _model = _service_model.model_data()
    return _model


def build(
    operation: str,
    params: dict[str, Any],
    endpoint_url: str,
    user_agent: str,
    context: dict[str, Any],
) -> dict[str, Any]:
    """The request dict for ``params`` (already validated) of ``operation``."""
    data = _data()
    shapes = data["shapes"]
    spec = data["operations"][operation]
    input_shape = shapes[spec["input"]["shape"]]
    members = input_shape.get("members", {})
    payload_name = input_shape.get("payload")
    uri: dict[str, str] = {}
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    body_params: dict[str, Any] = {}
    payload: Any = None
    for name, value in params.items():
        ref = members[name]
        location = ref.get("location")
        wire_name = ref.get("locationName", name)
        target = shapes[ref["shape"]]
        if location == "uri":
            uri[wire_name] = _scalar_text(value, target)
        elif location == "querystring":
            query[wire_name] = (
                [_scalar_text(v, shapes[target["member"]["shape"]]) for v in value]
                if target["type"] == "list"
                else _scalar_text(value, target)
            )
        elif location == "header":
            headers[wire_name] = _header_text(value, ref, target)
        elif location == "headers":
            for key, item in value.items():
                headers[wire_name + key] = item
        elif name == payload_name:
            payload = (name, value, target)
        else:
            body_params[name] = value
    if payload is not None:
        name, value, target = payload
        if target.get("eventstream"):
            body = value  # the input stream itself, as botocore hands it on
        elif target["type"] == "blob":
            body = value.encode("utf-8") if isinstance(value, str) else value
        else:
            body = json.dumps(_serialize(value, target, shapes)).encode("utf-8")
    elif body_params or any("location" not in ref for ref in members.values()):
        body = json.dumps(_serialize(body_params, input_shape, shapes)).encode("utf-8")
    else:
        body = b""
    # botocore leaves Content-Type to the caller for blob and string payloads.
    streaming_payload = payload is not None and (
        payload[2]["type"] in ("blob", "string") or payload[2].get("eventstream")
    )
    if body and not streaming_payload and not _has_header(headers, "Content-Type"):
        headers["Content-Type"] = "application/json"
    headers["User-Agent"] = user_agent
    url_path = _render_uri(spec["http"]["requestUri"], uri)
    url = endpoint_url.rstrip("/") + url_path
    if query:
        encoded = "&".join(
            f"{quote(k, safe='-_.~')}={quote(str(item), safe='-_.~')}"
            for k, v in query.items()
            for item in (v if isinstance(v, list) else [v])
        )
        url += ("&" if "?" in url else "?") + encoded
    return {
        "url_path": url_path,
        "query_string": query,
        "method": spec["http"]["method"],
        "headers": headers,
        "body": body,
        "url": url,
        "context": context,
    }


def _has_header(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name.lower() for key in headers)


def _render_uri(template: str, values: dict[str, str]) -> str:
    path, _, fixed_query = template.partition("?")
    out = []
    rest = path
    while "{" in rest:
        before, _, after = rest.partition("{")
        label, _, rest = after.partition("}")
        out.append(before)
        if label.endswith("+"):
            out.append(quote(values[label[:-1]], safe="/~"))
        else:
            out.append(quote(values[label], safe="-_.~"))
    out.append(rest)
    return "".join(out) + (f"?{fixed_query}" if fixed_query else "")


def _scalar_text(value: Any, shape: dict[str, Any]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if shape["type"] == "timestamp":
        return _iso8601(value)
    return str(value)


def _header_text(value: Any, ref: dict[str, Any], shape: dict[str, Any]) -> str:
    if ref.get("jsonvalue") or shape.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
    if shape["type"] == "timestamp":
        return _http_date(value)
    return _scalar_text(value, shape)


def _serialize(value: Any, shape: dict[str, Any], shapes: dict[str, Any]) -> Any:
    if shape.get("document"):
        return value  # any JSON value, as given
    kind = shape["type"]
    if kind == "structure":
        members = shape.get("members", {})
        out = {}
        for key, item in value.items():
            ref = members[key]
            out[ref.get("locationName", key)] = _serialize(item, shapes[ref["shape"]], shapes)
        return out
    if kind == "list":
        member = shapes[shape["member"]["shape"]]
        return [_serialize(item, member, shapes) for item in value]
    if kind == "map":
        item_shape = shapes[shape["value"]["shape"]]
        return {key: _serialize(item, item_shape, shapes) for key, item in value.items()}
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("utf-8")
    if kind == "timestamp":
        return _epoch(value)
    return value


def _as_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _epoch(value: Any) -> int | float:
    moment = _as_datetime(value)
    seconds = calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6
    return int(seconds) if seconds == int(seconds) else round(seconds, 3)


def _iso8601(value: Any) -> str:
    moment = _as_datetime(value).astimezone(datetime.timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_date(value: Any) -> str:
    moment = _as_datetime(value).astimezone(datetime.timezone.utc)
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")

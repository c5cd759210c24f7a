"""Paginators, as boto3's ``client.get_paginator(name)`` gives them.

Pages are fetched lazily through the client's own operation, following the
service's token; ``PaginationConfig`` takes ``MaxItems``, ``PageSize`` and
``StartingToken`` with botocore's meaning, and resume tokens use botocore's
encoding (base64 JSON), so a token from one library resumes in the other.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["PageIterator", "Paginator", "PaginationError"]


class PaginationError(Exception):
    """The paginator was misused or the service repeated a token (botocore's name)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Error during pagination: {message}")


def _encode_token(token: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(token).encode("utf-8")).decode("utf-8")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.b64decode(token.encode("utf-8")).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"Bad starting token: {token}") from error
    if not isinstance(decoded, dict):
        raise ValueError(f"Bad starting token: {token}")
    return decoded


class PageIterator:
    """The pages of one pagination; iterate it, or call :meth:`build_full_result`."""

    def __init__(
        self,
        method: Callable[..., dict[str, Any]],
        config: dict[str, str],
        kwargs: dict[str, Any],
        max_items: int | None,
        page_size: int | None,
        starting_token: str | None,
    ) -> None:
        self._method = method
        self._input_token = config["input_token"]
        self._output_token = config["output_token"]
        self._limit_key = config.get("limit_key")
        self._result_key = config["result_key"]
        self._kwargs = kwargs
        self._max_items = max_items
        self._page_size = page_size
        self._starting_token = starting_token
        self.resume_token: str | None = None

    @property
    def result_keys(self) -> list[str]:
        return [self._result_key]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        kwargs = dict(self._kwargs)
        if self._page_size is not None and self._limit_key:
            kwargs[self._limit_key] = self._page_size
        skip = 0
        if self._starting_token is not None:
            start = _decode_token(self._starting_token)
            if start.get(self._input_token) is not None:
                kwargs[self._input_token] = start[self._input_token]
            skip = int(start.get("boto_truncate_amount", 0))
        seen = 0
        previous: Any = None
        while True:
            page = self._method(**kwargs)
            items = page.get(self._result_key) or []
            if skip:
                page[self._result_key] = items = items[skip:]
            token = page.get(self._output_token)
            if self._max_items is not None and seen + len(items) > self._max_items:
                keep = self._max_items - seen
                page[self._result_key] = items[:keep]
                page.pop(self._output_token, None)
                self.resume_token = _encode_token(
                    {
                        self._input_token: kwargs.get(self._input_token),
                        "boto_truncate_amount": keep + skip,
                    }
                )
                yield page
                return
            yield page
            seen += len(items)
            skip = 0
            if token is None:
                return
            if self._max_items is not None and seen == self._max_items:
                self.resume_token = _encode_token({self._input_token: token})
                return
            if previous is not None and token == previous:
                raise PaginationError(
                    f"The same next token was received twice: {{'{self._input_token}': {token!r}}}"
                )
            previous = token
            kwargs[self._input_token] = token

    def build_full_result(self) -> dict[str, Any]:
        """Every page's items in one result, plus ``NextToken`` when MaxItems cut it short."""
        items: list[Any] = []
        for page in self:
            items.extend(page.get(self._result_key) or [])
        result: dict[str, Any] = {self._result_key: items}
        if self.resume_token is not None:
            result["NextToken"] = self.resume_token
        return result


class Paginator:
    """``client.get_paginator(operation_name)``."""

    def __init__(self, method: Callable[..., dict[str, Any]], config: dict[str, str]) -> None:
        self._method = method
        self._config = config

    def paginate(self, **kwargs: Any) -> PageIterator:
        """Pages of the operation called with ``kwargs`` (plus ``PaginationConfig``)."""
        pagination = kwargs.pop("PaginationConfig", None) or {}
        unknown = set(pagination) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise ValueError(f"Unknown PaginationConfig keys: {', '.join(sorted(unknown))}")
        return PageIterator(
            self._method,
            self._config,
            kwargs,
            pagination.get("MaxItems"),
            pagination.get("PageSize"),
            pagination.get("StartingToken"),
        )

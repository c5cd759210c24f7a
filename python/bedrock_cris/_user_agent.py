"""botocore's User-Agent settings: ``Config(user_agent=...)`` replaces the header,
``user_agent_appid`` adds ``app/<appid>`` (sanitized as botocore does) and
``user_agent_extra`` is appended as given, in that order, after the SDK's own string."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["native_options", "suffix"]

# botocore.useragent._USERAGENT_ALLOWED_CHARACTERS, plus "#" where botocore allows it
# (spelled out: the ``string`` module would load ``re`` with every client).
_ALLOWED = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&'*+-.^_`|~,#"
)


def _sanitize(raw: str) -> str:
    return "".join(c if c in _ALLOWED else "-" for c in raw)


def suffix(config: Any) -> str | None:
    """What botocore appends to its User-Agent for ``config`` (None: nothing)."""
    parts = []
    if config.user_agent is None and config.user_agent_appid:
        parts.append(f"app/{_sanitize(str(config.user_agent_appid))}")
    if config.user_agent_extra:
        parts.append(str(config.user_agent_extra))
    return " ".join(parts) or None


def native_options(config: Any) -> dict[str, Any]:
    """The native client's options for these settings."""
    return {"user_agent": config.user_agent, "user_agent_suffix": suffix(config)}

"""``Config``: botocore's client configuration object, for the options that
apply to Bedrock Runtime.

Options left unset take this package's defaults, which differ from botocore's
on purpose (see the README, "Defaults"): a 10-minute read timeout instead of
60 s, and up to 1,024 requests in flight per client (half the file-descriptor
limit at most; more wait their turn) instead of a pool of 10. Retries follow the newest
botocore: standard mode, 3 attempts, unless ``retries``, ``AWS_RETRY_MODE`` /
``AWS_MAX_ATTEMPTS`` or the shared config file's ``retry_mode`` /
``max_attempts`` say otherwise.

botocore's own ``Config`` (and aiobotocore's ``AioConfig``) is accepted
wherever this one is, read for the same options (:func:`coerce`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~10 ms of import time; only checkers need it
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Config"]

# botocore's Config options, in its order. Those marked as accepted but not
# applied have no effect on this client (documented in the README).
_OPTIONS: dict[str, Any] = {
    "region_name": None,
    "signature_version": None,
    "user_agent": None,
    "user_agent_extra": None,
    "user_agent_appid": None,
    "connect_timeout": None,
    "read_timeout": None,
    "parameter_validation": True,
    "max_pool_connections": None,
    "proxies": None,
    "proxies_config": None,
    "s3": None,
    "s3_disable_express_session_auth": None,
    "retries": None,
    "client_cert": None,
    "inject_host_prefix": None,
    "endpoint_discovery_enabled": None,
    "use_dualstack_endpoint": None,
    "use_fips_endpoint": None,
    "ignore_configured_endpoint_urls": None,
    "defaults_mode": None,
    "tcp_keepalive": None,
    "request_min_compression_size_bytes": None,
    "disable_request_compression": None,
    "client_context_params": None,
    "sigv4a_signing_region_set": None,
    "request_checksum_calculation": None,
    "response_checksum_validation": None,
    "account_id_endpoint_mode": None,
    "auth_scheme_preference": None,
}

# This package's own options (keyword-only; botocore has no such options, so they are not
# handed on to boto3 for other services).
_OWN_OPTIONS: dict[str, Any] = {
    "max_in_flight": None,
    "routes": None,
    "route_cooldown": None,
}

_RETRY_MODES = ("legacy", "standard", "adaptive")


class Config:
    """Client configuration, accepting botocore's ``Config`` arguments.

    The ones that matter here: ``region_name``, ``connect_timeout``,
    ``read_timeout`` (seconds), ``retries={"max_attempts": N, "mode": ...}``
    (``max_attempts`` counts retries, ``total_max_attempts`` counts all
    attempts, as in botocore) and ``max_pool_connections`` (the requests in flight at
    once; callers beyond it wait in order).

    This package's own, for throughput under Bedrock's quotas (keyword only):

    * ``max_in_flight``: at most this many requests in flight per (Region, model id); further
      calls wait their turn in order (the wait counts toward no timeout; Ctrl-C and task
      cancellation end it). ``"adaptive"`` finds the limit itself: it grows while calls
      succeed and shrinks on throttling, as TCP does, so many threads or tasks on one client
      settle at the quota instead of storming it. Default: no such limit.
    * ``routes``: failover targets per model id (``"*"``: any model), each a model id or
      ``"region/model id"``, ``"*"`` standing for the called model, e.g.
      ``{"global.anthropic...": ["apac.anthropic...", "ap-southeast-1/*"]}``. A call whose
      target still answers throttling, service unavailable, model not ready or a 5xx, or
      cannot connect or get its first byte in time, after that target's retries, moves on to
      the next target; validation, access and other errors never do.
      ``ResponseMetadata["Route"]`` says which Region and model id answered. With
      ``max_in_flight`` too, a call whose first target's lane is full starts at the first
      later target with a free place.
    * ``route_cooldown``: seconds a target is skipped after 3 failures in a row (its circuit
      breaker; then one call probes it). Default 30.
    """

    region_name: str | None
    signature_version: str | None
    user_agent: str | None
    user_agent_extra: str | None
    user_agent_appid: str | None
    connect_timeout: float | None
    read_timeout: float | None
    parameter_validation: bool
    max_pool_connections: int | None
    proxies: dict[str, str] | None
    proxies_config: dict[str, Any] | None
    s3: dict[str, Any] | None
    s3_disable_express_session_auth: bool | None
    retries: dict[str, Any] | None
    client_cert: str | tuple[str, str] | None
    inject_host_prefix: bool | None
    endpoint_discovery_enabled: bool | None
    use_dualstack_endpoint: bool | None
    use_fips_endpoint: bool | None
    ignore_configured_endpoint_urls: bool | None
    defaults_mode: str | None
    tcp_keepalive: bool | None
    request_min_compression_size_bytes: int | None
    disable_request_compression: bool | None
    client_context_params: dict[str, Any] | None
    sigv4a_signing_region_set: str | None
    request_checksum_calculation: str | None
    response_checksum_validation: str | None
    account_id_endpoint_mode: str | None
    auth_scheme_preference: str | None
    max_in_flight: int | str | None
    routes: dict[str, list[str]] | None
    route_cooldown: float | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = list(_OPTIONS)
        if len(args) > len(names):
            raise TypeError(f"Takes at most {len(names)} arguments ({len(args)} given)")
        user: dict[str, Any] = {}
        for name, value in zip(names, args):
            user[name] = value
        for name, value in kwargs.items():
            if name not in _OPTIONS and name not in _OWN_OPTIONS:
                raise TypeError(f"Got unexpected keyword argument '{name}'")
            if name in user:
                raise TypeError(f"Got multiple values for keyword argument '{name}'")
            user[name] = value
        self._user_provided_options = user
        for name, default in {**_OPTIONS, **_OWN_OPTIONS}.items():
            setattr(self, name, user.get(name, default))
        self._validate_retries(self.retries)
        _validate_throughput(self.max_in_flight, self.routes, self.route_cooldown)

    @staticmethod
    def _validate_retries(retries: Any) -> None:
        if retries is None:
            return
        if not isinstance(retries, dict):
            raise TypeError(f"retries must be a dict, not {type(retries).__name__}")
        for key, value in retries.items():
            if key not in ("max_attempts", "total_max_attempts", "mode"):
                raise ValueError(
                    f"Invalid value for parameter retries: unknown key {key!r}; valid keys "
                    "are 'max_attempts', 'total_max_attempts' and 'mode'"
                )
            if key == "mode" and value not in _RETRY_MODES:
                raise ValueError(
                    f"Invalid value for parameter retries['mode']: {value!r}; "
                    f"valid values are {', '.join(_RETRY_MODES)}"
                )
            if key != "mode" and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise ValueError(
                    f"Invalid value for parameter retries[{key!r}]: {value!r}; "
                    "must be an integer >= 0"
                )

    @classmethod
    def _from_options(cls, options: dict[str, Any]) -> Config:
        """A Config holding ``options`` as given; options this package does not
        know (a botocore newer than this file) are kept, for ``merge`` and
        for handing the config on to boto3, but have no effect here."""
        known = {
            name: value
            for name, value in options.items()
            if name in _OPTIONS or name in _OWN_OPTIONS
        }
        config = cls(**known)
        for name, value in options.items():
            if name not in known:
                config._user_provided_options[name] = value
                setattr(config, name, value)
        return config

    def merge(self, other_config: Any) -> Config:
        """A new Config: this one's options overridden by ``other_config``'s
        (a Config of this package or botocore's)."""
        merged = dict(self._user_provided_options)
        merged.update(coerce(other_config)._user_provided_options)
        return Config._from_options(merged)

    def _total_max_attempts(self) -> int | None:
        retries = self.retries or {}
        if "total_max_attempts" in retries:
            return int(retries["total_max_attempts"])
        if "max_attempts" in retries:
            return int(retries["max_attempts"]) + 1
        return None

    def _native_options(self) -> dict[str, Any]:
        """The subset the native client applies (None = this package's default)."""
        return {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "total_max_attempts": self._total_max_attempts(),
            "retry_mode": (self.retries or {}).get("mode"),
            "max_pool_connections": self.max_pool_connections,
            "max_in_flight": self.max_in_flight,
            "routes": self.routes,
            "route_cooldown": self.route_cooldown,
        }

    def _botocore_options(self) -> dict[str, Any]:
        """The options as given that botocore's own Config takes."""
        return {k: v for k, v in self._user_provided_options.items() if k not in _OWN_OPTIONS}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._user_provided_options.items())
        return f"Config({shown})"


def _validate_throughput(max_in_flight: Any, routes: Any, cooldown: Any) -> None:
    """Checks this package's own options, so a mistake is reported where it is made."""
    if max_in_flight is not None and max_in_flight != "adaptive":
        if (
            not isinstance(max_in_flight, int)
            or isinstance(max_in_flight, bool)
            or max_in_flight < 1
        ):
            raise ValueError(
                f"Invalid value for parameter max_in_flight: {max_in_flight!r}; "
                "must be an integer >= 1 or 'adaptive'"
            )
    if routes is not None:
        if not isinstance(routes, dict):
            raise TypeError(f"routes must be a dict, not {type(routes).__name__}")
        for model, targets in routes.items():
            if not isinstance(model, str) or not model:
                raise ValueError(f"Invalid key in routes: {model!r}; must be a model id or '*'")
            if isinstance(targets, str) or not all(
                isinstance(t, str) and t and not t.endswith("/") for t in targets
            ):
                raise ValueError(
                    f"Invalid value for routes[{model!r}]: {targets!r}; must be a list of "
                    "model ids or 'region/model id' strings"
                )
    if cooldown is not None and (
        not isinstance(cooldown, (int, float)) or isinstance(cooldown, bool) or not cooldown >= 0
    ):
        raise ValueError(
            f"Invalid value for parameter route_cooldown: {cooldown!r}; must be seconds >= 0"
        )


def _is_botocore_config(value: Any) -> bool:
    # Looked up by class, not imported: botocore stays unloaded unless the
    # program loaded it. aiobotocore's AioConfig subclasses botocore's Config.
    return any(
        klass.__name__ == "Config" and klass.__module__ == "botocore.config"
        for klass in type(value).__mro__
    )


def coerce(config: Any) -> Config:
    """``config`` as this package's Config: ours as is, botocore's (or
    aiobotocore's) read for the options its user set, so this package's
    defaults apply to the rest, as they do for ours."""
    if isinstance(config, Config):
        return config
    if _is_botocore_config(config):
        return Config._from_options(dict(config._user_provided_options))
    raise TypeError(
        "config must be a bedrock_cris.config.Config or a botocore.config.Config, "
        f"not {type(config).__name__}"
    )

"""The boto3-shaped front door: ``client()``, ``Session`` and the client class.

``import bedrock_cris as boto3`` gives scripts the same calls, results and
errors as ``boto3.client("bedrock-runtime")``; the work is done by the native
client (the AWS SDK for Rust).
"""

from __future__ import annotations

import _thread
import os
import warnings
import weakref

from bedrock_cris import _model, _tracing, _user_agent, exceptions
from bedrock_cris._native import NativeClient
from bedrock_cris._operations import BedrockRuntimeOperations, ClientExceptions
from bedrock_cris.config import Config
from bedrock_cris.config import coerce as coerce_config

TYPE_CHECKING = False  # typing costs ~10 ms of import time; only checkers need it
if TYPE_CHECKING:
    from typing import Any, Literal, overload

    from bedrock_cris._paginate import Paginator

__all__ = ["BedrockRuntime", "Session", "client", "resource", "setup_default_session"]

SERVICE_NAME = "bedrock-runtime"


class _ClientExceptions(ClientExceptions):
    """``client.exceptions``: the modelled error classes (generated) and ``from_code``."""

    ClientError = exceptions.ClientError

    @staticmethod
    def from_code(error_code: str) -> type[exceptions.ClientError]:
        return exceptions.from_code(error_code)


_EVENTS_LOCK = _thread.allocate_lock()


class ClientMeta:
    """``client.meta``: what boto3 exposes about a client: its region, endpoint and
    configuration (``config``: a botocore ``Config`` when botocore is importable), the
    service model, and ``events`` (botocore's event emitter, see ``_events``)."""

    def __init__(
        self, region_name: str, endpoint_url: str, config: Config, spec: dict[str, Any]
    ) -> None:
        self._spec = spec
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self._config = config
        self._shown_config: Any = None
        self.partition = "aws"
        self.service_name = SERVICE_NAME
        self.method_to_api_mapping = dict(_model.OPERATIONS)
        self._events: Any = None
        self._client: Any = None  # a weak reference to the client, set by the client

    @property
    def events(self) -> Any:
        """botocore's event emitter for this client (``_events``), made on first use so
        clients that never register a handler never load it."""
        if self._events is None:
            with _EVENTS_LOCK:
                if self._events is None:
                    from bedrock_cris._events import HierarchicalEmitter

                    events = HierarchicalEmitter()
                    client = self._client() if self._client is not None else None
                    if client is not None:
                        events._bind(client)
                    self._events = events
        return self._events

    @property
    def config(self) -> Any:
        """The client's configuration as botocore's ``Config`` (holding the options that
        were set) when botocore is importable, else this package's ``Config``."""
        if self._shown_config is None:
            try:
                from botocore.config import Config as BotocoreConfig
            except ImportError:
                self._shown_config = self._config
            else:
                self._shown_config = BotocoreConfig(**self._config._user_provided_options)
        return self._shown_config

    @property
    def service_model(self) -> Any:
        """The service model (botocore's ``ServiceModel`` when botocore is importable)."""
        from bedrock_cris import _service_model

        return _service_model.load()

    def _user_agent(self, base: str) -> str:
        """The User-Agent this client's configuration makes of ``base``."""
        config = self._config
        if config.user_agent is not None:
            base = str(config.user_agent)
        tail = _user_agent.suffix(config)
        return f"{base} {tail}" if tail else base

    def __repr__(self) -> str:
        return f"ClientMeta(region_name={self.region_name!r}, endpoint_url={self.endpoint_url!r})"


class BedrockRuntime(BedrockRuntimeOperations):
    """A bedrock-runtime client, called exactly like boto3's: one method per operation of the
    model (generated, see ``_operations``), with the model's documentation."""

    def __init__(self, native: NativeClient, meta: ClientMeta) -> None:
        self._native = native
        self.meta = meta
        self.exceptions = _ClientExceptions()
        meta._client = weakref.ref(self)
        _tracing.register(self)

    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` works (boto3's method)."""
        return operation_name in _model.PAGINATORS

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for ``operation_name`` (the snake_case method name, as in boto3)."""
        if operation_name not in _model.PAGINATORS:
            raise exceptions.OperationNotPageableError(operation_name=operation_name)
        model_name = _model.PAGINATORS[operation_name]
        from bedrock_cris._paginate import Paginator  # deferred: rarely used

        return Paginator(getattr(self, operation_name), _model.PAGINATOR_CONFIG[model_name])

    def close(self) -> None:
        """Accepted for boto3 compatibility; connections are released when the client is freed."""

    def __enter__(self) -> BedrockRuntime:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<bedrock_cris.BedrockRuntime region_name={self.meta.region_name!r}>"

    def __reduce__(self) -> Any:
        return _rebuild_client, (type(self), self.meta._spec)


def _rebuild_client(cls: type[Any], spec: dict[str, Any]) -> Any:
    """Unpickles a client: the same arguments, a new connection pool in this process."""
    session = Session(**spec["session"])
    return cls(*session._native_client(SERVICE_NAME, **spec["client"]))


_HOST_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _check_region_name(region: object) -> None:
    """Raises InvalidRegionError for a region that is not a host label, exactly as botocore's
    ``validate_region_name`` (``^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)$``; its ``$`` lets
    one trailing newline through) without importing ``re``."""
    if not isinstance(region, str):
        return
    label = region[:-1] if region.endswith("\n") else region
    if (
        len(label) > 63
        or not _HOST_LABEL_CHARS.issuperset(label)
        or (label != "" and label.isdigit())
        or label.startswith("-")
        or label.endswith("-")
    ):
        raise exceptions.InvalidRegionError(region_name=region)


def _default_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://bedrock-runtime.{region}.{suffix}"


def _ca_bundle(verify: bool | str | None) -> str | None:
    """The CA bundle to trust instead of the system's, resolved as botocore does:
    ``verify="/path"``, else ``AWS_CA_BUNDLE``, else ``REQUESTS_CA_BUNDLE``.

    ``verify=False`` does not turn verification off here (it warns and is
    otherwise treated as unset); ``verify=True`` means the system's trust store.
    """
    if verify is False:
        warnings.warn(
            "bedrock_cris keeps TLS certificate verification on; verify=False is ignored. "
            "Pass a CA bundle path (verify='/path/ca.pem') or set AWS_CA_BUNDLE instead.",
            stacklevel=5,
        )
    elif verify is True:
        return None
    elif verify is not None:
        if not isinstance(verify, (str, os.PathLike)):
            raise TypeError(
                f"verify must be a bool or a CA bundle path, not {type(verify).__name__}"
            )
        return os.fspath(verify)
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        value = os.environ.get(name)
        if value is not None:
            return value
    return None


def _configured_endpoint() -> str | None:
    for name in ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name)
        if value:
            return value
    return None


def _check_service_name(service_name: object) -> None:
    if not isinstance(service_name, str):
        raise TypeError(
            f"service_name must be a str such as 'bedrock-runtime' or 's3', "
            f"not {type(service_name).__name__}"
        )


class Session:
    """boto3's ``Session``: credentials, region and profile shared by its clients."""

    _client_class: type[Any] = BedrockRuntime
    # Every other service's clients and resources are this package's own, made through
    # one session of it per Session, created on first use (see _other_services).
    _delegate_package = "boto3"
    _delegate_session: Any = None

    def __init__(
        self,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        region_name: str | None = None,
        botocore_session: Any = None,
        profile_name: str | None = None,
        aws_account_id: str | None = None,
    ) -> None:
        if botocore_session is not None:
            raise TypeError("bedrock_cris.Session does not take a botocore_session")
        self._access_key = aws_access_key_id
        self._secret_key = aws_secret_access_key
        self._session_token = aws_session_token
        self._region_name = region_name
        self._profile_name = profile_name
        self._account_id = aws_account_id

    @property
    def region_name(self) -> str | None:
        return (
            self._region_name
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
        )

    @property
    def profile_name(self) -> str:
        return self._profile_name or os.environ.get("AWS_PROFILE") or "default"

    def get_available_services(self) -> list[str]:
        """boto3's service names when boto3 is installed, else only bedrock-runtime."""
        from bedrock_cris import _other_services

        return _other_services.available_services(self)

    if TYPE_CHECKING:

        @overload
        def client(
            self,
            service_name: Literal["bedrock-runtime"],
            region_name: str | None = None,
            api_version: str | None = None,
            use_ssl: bool | None = True,
            verify: bool | str | None = None,
            endpoint_url: str | None = None,
            aws_access_key_id: str | None = None,
            aws_secret_access_key: str | None = None,
            aws_session_token: str | None = None,
            config: Any = None,
            aws_account_id: str | None = None,
        ) -> BedrockRuntime: ...

        @overload
        def client(
            self,
            service_name: str,
            region_name: str | None = None,
            api_version: str | None = None,
            use_ssl: bool | None = True,
            verify: bool | str | None = None,
            endpoint_url: str | None = None,
            aws_access_key_id: str | None = None,
            aws_secret_access_key: str | None = None,
            aws_session_token: str | None = None,
            config: Any = None,
            aws_account_id: str | None = None,
        ) -> Any: ...

    def client(
        self,
        service_name: str,
        region_name: str | None = None,
        api_version: str | None = None,
        use_ssl: bool | None = True,
        verify: bool | str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        config: Config | None = None,
        aws_account_id: str | None = None,
    ) -> Any:
        """Creates a bedrock-runtime client; any other service's is boto3's own client,
        made with this session's and these arguments (UnknownServiceError without boto3)."""
        _check_service_name(service_name)
        if service_name != SERVICE_NAME:
            from bedrock_cris import _other_services

            return _other_services.client(
                self,
                service_name,
                region_name=region_name,
                api_version=api_version,
                use_ssl=use_ssl,
                verify=verify,
                endpoint_url=endpoint_url,
                aws_access_key_id=aws_access_key_id,
                aws_secret_access_key=aws_secret_access_key,
                aws_session_token=aws_session_token,
                config=config,
                aws_account_id=aws_account_id,
            )
        return self._client_class(
            *self._native_client(
                service_name,
                region_name=region_name,
                verify=verify,
                endpoint_url=endpoint_url,
                aws_access_key_id=aws_access_key_id,
                aws_secret_access_key=aws_secret_access_key,
                aws_session_token=aws_session_token,
                config=config,
            )
        )

    def resource(
        self,
        service_name: str,
        region_name: str | None = None,
        api_version: str | None = None,
        use_ssl: bool | None = True,
        verify: bool | str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        config: Any = None,
    ) -> Any:
        """boto3's resource for ``service_name`` (this package has none of its own), made
        with this session's and these arguments; UnknownServiceError without boto3."""
        _check_service_name(service_name)
        from bedrock_cris import _other_services

        return _other_services.resource(
            self,
            service_name,
            region_name=region_name,
            api_version=api_version,
            use_ssl=use_ssl,
            verify=verify,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            config=config,
        )

    def _native_client(
        self,
        service_name: str,
        *,
        region_name: str | None,
        verify: bool | str | None,
        endpoint_url: str | None,
        aws_access_key_id: str | None,
        aws_secret_access_key: str | None,
        aws_session_token: str | None,
        config: Config | None,
    ) -> tuple[NativeClient, ClientMeta]:
        """Resolves boto3's client arguments and builds the native client."""
        if service_name != SERVICE_NAME:
            raise exceptions.UnknownServiceError(
                service_name=service_name, known_service_names=SERVICE_NAME
            )
        config = Config() if config is None else coerce_config(config)
        ca_bundle = _ca_bundle(verify)
        access_key = aws_access_key_id if aws_access_key_id is not None else self._access_key
        secret_key = (
            aws_secret_access_key if aws_secret_access_key is not None else self._secret_key
        )
        token = aws_session_token if aws_session_token is not None else self._session_token
        if (access_key is None) != (secret_key is None):
            missing = "aws_secret_access_key" if secret_key is None else "aws_access_key_id"
            raise exceptions.PartialCredentialsError(provider="explicit", cred_var=missing)
        _check_region_name(region_name or config.region_name or self._region_name)
        options: dict[str, Any] = {
            "region_name": region_name or config.region_name or self._region_name,
            "endpoint_url": endpoint_url,
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "aws_session_token": token,
            "profile_name": self._profile_name,
            "ca_bundle": ca_bundle,
            **config._native_options(),
            **_user_agent.native_options(config),
        }
        native = NativeClient(options)
        region = native.region_name
        _check_region_name(region)  # as configured (AWS_REGION, the profile's region ...)
        endpoint = endpoint_url or _configured_endpoint() or _default_endpoint(region)
        # What a pickle carries: the arguments as given. Credentials are in it
        # only if the caller passed them explicitly; otherwise the unpickling
        # process resolves its own from its environment.
        spec = {
            "session": {
                "aws_access_key_id": self._access_key,
                "aws_secret_access_key": self._secret_key,
                "aws_session_token": self._session_token,
                "region_name": self._region_name,
                "profile_name": self._profile_name,
            },
            "client": {
                "region_name": region_name,
                "verify": verify,
                "endpoint_url": endpoint_url,
                "aws_access_key_id": aws_access_key_id,
                "aws_secret_access_key": aws_secret_access_key,
                "aws_session_token": aws_session_token,
                "config": config,
            },
        }
        return native, ClientMeta(region, endpoint, config, spec)


DEFAULT_SESSION: Session | None = None


def setup_default_session(**kwargs: Any) -> None:
    """Sets the session module-level ``client()`` uses (boto3's function)."""
    global DEFAULT_SESSION
    DEFAULT_SESSION = Session(**kwargs)


if TYPE_CHECKING:

    @overload
    def client(
        service_name: Literal["bedrock-runtime"], *args: Any, **kwargs: Any
    ) -> BedrockRuntime: ...

    @overload
    def client(service_name: str, *args: Any, **kwargs: Any) -> Any: ...


def client(*args: Any, **kwargs: Any) -> Any:
    """``boto3.client``: a client from the default session."""
    if DEFAULT_SESSION is None:
        setup_default_session()
    assert DEFAULT_SESSION is not None
    return DEFAULT_SESSION.client(*args, **kwargs)


def resource(*args: Any, **kwargs: Any) -> Any:
    """``boto3.resource``: boto3's resource from the default session."""
    if DEFAULT_SESSION is None:
        setup_default_session()
    assert DEFAULT_SESSION is not None
    return DEFAULT_SESSION.resource(*args, **kwargs)

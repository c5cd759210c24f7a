"""Every service but bedrock-runtime: boto3's own clients and resources (aioboto3's for
``bedrock_cris.aio``), built from the same session and client arguments.

So ``import bedrock_cris as boto3`` serves a whole script: bedrock-runtime through the
native client, S3, STS and the rest through boto3 when it is installed. Each of our
sessions owns one boto3 (or aioboto3) session, created on first use, so that its clients
share credential resolution and caching as a boto3 session's clients do. Nothing here is
imported until a program asks for another service: ``import bedrock_cris`` never imports
boto3.
"""

from __future__ import annotations

import importlib
import threading

from bedrock_cris import exceptions
from bedrock_cris.config import Config

TYPE_CHECKING = False  # typing costs ~10 ms of import time; only checkers need it
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

    from bedrock_cris._client import Session

__all__ = ["available_services", "client", "delegate_session", "resource"]

SERVICE_NAME = "bedrock-runtime"

# Guards the first creation of a session's delegate, so that threads creating their
# first clients at once still share one boto3 session (and its credential cache).
_LOCK = threading.Lock()


def _missing(package: str, service_name: str, what: str) -> exceptions.UnknownServiceError:
    """botocore's UnknownServiceError, its message saying which package serves the name."""
    where = "bedrock_cris.aio" if package == "aioboto3" else "bedrock_cris"
    known = SERVICE_NAME if what == "client" else "none (bedrock_cris has no resources of its own)"
    hint = f"install {package} to use the {service_name!r} {what} through {where}: pip install {package}"
    return exceptions.UnknownServiceError(
        service_name=service_name, known_service_names=f"{known}; {hint}"
    )


def _package(session: Session) -> ModuleType:
    """boto3 (aioboto3 for ``bedrock_cris.aio``); raises ImportError without it."""
    return importlib.import_module(session._delegate_package)


def delegate_session(session: Session) -> Any:
    """The boto3 (or aioboto3) ``Session`` behind ``session``, created on first use with
    its arguments. Raises ImportError when the package is not installed."""
    delegate = session._delegate_session
    if delegate is None:
        package = _package(session)
        with _LOCK:
            delegate = session._delegate_session
            if delegate is None:
                delegate = package.Session(
                    aws_access_key_id=session._access_key,
                    aws_secret_access_key=session._secret_key,
                    aws_session_token=session._session_token,
                    region_name=session._region_name,
                    profile_name=session._profile_name,
                    aws_account_id=session._account_id,
                )
                session._delegate_session = delegate
    return delegate


def _botocore_config(config: Any) -> Any:
    """Our ``Config`` as botocore's (the same options as given); anything else as is."""
    if isinstance(config, Config):
        from botocore.config import Config as BotocoreConfig

        return BotocoreConfig(**config._botocore_options())
    return config


def client(session: Session, service_name: str, **kwargs: Any) -> Any:
    """boto3's ``session.client(service_name, **kwargs)`` (aioboto3's for aio sessions)."""
    return _delegated(session, "client", service_name, kwargs)


def resource(session: Session, service_name: str, **kwargs: Any) -> Any:
    """boto3's ``session.resource(service_name, **kwargs)`` (aioboto3's for aio sessions)."""
    return _delegated(session, "resource", service_name, kwargs)


def _delegated(session: Session, what: str, service_name: str, kwargs: dict[str, Any]) -> Any:
    """The delegate session's ``what`` (``client`` or ``resource``) for ``service_name``, our
    ``Config`` turned into botocore's."""
    try:
        delegate = delegate_session(session)
    except ImportError as error:
        raise _missing(session._delegate_package, service_name, what) from error
    kwargs["config"] = _botocore_config(kwargs.get("config"))
    return getattr(delegate, what)(service_name, **kwargs)


def available_services(session: Session) -> list[str]:
    """boto3's list of service names when boto3 (aioboto3) is installed, else ours."""
    try:
        delegate = delegate_session(session)
    except ImportError:
        return [SERVICE_NAME]
    services: list[str] = delegate.get_available_services()
    return services

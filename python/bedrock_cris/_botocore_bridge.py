"""Makes our exceptions botocore's too, once the program has imported botocore.

``except botocore.exceptions.ClientError:`` matches on the raised object's real MRO
(``except`` never calls ``__subclasscheck__``), so our classes must have botocore's among
their bases. Imported (by ``exceptions``) only when ``botocore.exceptions`` is in
``sys.modules`` as an exception is created; it never imports botocore itself.

* Our classes with a Python-level parent gain botocore's class of the same name as an
  extra base (``__bases__`` assignment), so ``type(e)`` stays our class and pickles as it.
* ``__bases__`` can only change between compatible instance layouts: our roots
  (``BotoCoreError``, ``ClientError``) sit directly on the built-in ``Exception``, and
  botocore's ``ReadTimeoutError``, ``ConnectTimeoutError`` and ``SSLError`` are
  ``OSError``\\ s. Those are made as a combined subclass of ours and botocore's, with our
  name, instead (``instance_class``); it pickles as ours.
* The modelled classes (``ThrottlingException`` ...) gain botocore's ``ClientError`` and
  every botocore session's bedrock-runtime class of that name
  (``boto3_client.exceptions.ThrottlingException``). botocore makes those per session and
  only on first use of ``client.exceptions``, possibly after our exception was raised, so
  we find the existing ones through ``BaseClientExceptions.__subclasses__()`` and hear of
  new ones from a wrapper around ``ClientExceptionsFactory._create_client_exceptions``
  that returns exactly what botocore made: botocore's classes and clients are unchanged.
"""

from __future__ import annotations

import functools
import sys
import threading
import weakref

from bedrock_cris import exceptions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

SERVICE_NAME = "bedrock-runtime"
# botocore names a client's exceptions class after the service (get_service_module_name).
_NAMESPACE = "BedrockRuntimeExceptions"

_lock = threading.Lock()
_static_done = False
_factory_hooked = False
# Our classes that cannot take botocore's as a base: botocore's class for each.
_PAIRED: dict[type, type] = {}
_COMBINED: dict[type, type] = {}
# The botocore namespaces the modelled classes were last given the classes of.
_seen_namespaces: list[weakref.ref[type]] | None = None


def instance_class(cls: type) -> type:
    """The class to make an exception of ``cls`` as: botocore's class of its name too."""
    _sync()
    theirs = _PAIRED.get(cls)
    return cls if theirs is None else _combined(cls, theirs)


def _sync() -> None:
    botocore_exceptions = sys.modules.get("botocore.exceptions")
    if botocore_exceptions is None:
        return
    if _static_done and _factory_hooked and _seen(_live_namespaces()):
        return
    with _lock:
        _bridge_static(botocore_exceptions)
        _hook_factory()
        _bridge_modeled(botocore_exceptions, _live_namespaces())


def _seen(namespaces: list[type]) -> bool:
    return _seen_namespaces is not None and [r() for r in _seen_namespaces] == namespaces


def _our_classes() -> list[type]:
    """Our static public exception classes, parents before children (definition order)."""
    modeled = set(exceptions._MODELED.values())
    return [
        value
        for value in vars(exceptions).values()
        if isinstance(value, type)
        and issubclass(
            value, (exceptions.BotoCoreError, exceptions.ClientError, exceptions.ParserError)
        )
        and value.__module__ == exceptions.__name__
        and not value.__name__.startswith("_")
        and not value.__dict__.get("_no_botocore_counterpart", False)
        and value not in modeled
    ]


def _can_rebase(cls: type, theirs: type) -> bool:
    # CPython refuses __bases__ changes across instance layouts: from the built-in
    # Exception to a Python-level class, or to an OSError (a larger C struct).
    return cls.__base__ is not Exception and not issubclass(theirs, OSError)


def _bridge_static(botocore_exceptions: ModuleType) -> None:
    global _static_done
    if _static_done:
        return
    complete = True
    # The event-stream parser's errors live in botocore.eventstream (loaded with a client).
    eventstream = sys.modules.get("botocore.eventstream")
    for cls in _our_classes():
        home = eventstream if issubclass(cls, exceptions.ParserError) else botocore_exceptions
        theirs = getattr(home, cls.__name__, None)
        if not isinstance(theirs, type):
            complete = False  # botocore.exceptions is still being imported: retry later
        elif _can_rebase(cls, theirs):
            cls.__bases__ = (*_own_bases(cls), theirs)
        else:
            _PAIRED[cls] = theirs
    _static_done = complete


def _own_bases(cls: type) -> tuple[type, ...]:
    return tuple(base for base in cls.__bases__ if base.__module__ == exceptions.__name__)


def _live_namespaces() -> list[type]:
    """The ``client.exceptions`` classes of the botocore sessions that have made one for
    bedrock-runtime (one per session, each with its own exception classes)."""
    errorfactory = sys.modules.get("botocore.errorfactory")
    if errorfactory is None:
        return []
    subclasses: list[type] = errorfactory.BaseClientExceptions.__subclasses__()
    return [ns for ns in subclasses if ns.__name__ == _NAMESPACE]


def _bridge_modeled(botocore_exceptions: ModuleType, namespaces: list[type]) -> None:
    global _seen_namespaces
    if _seen(namespaces):
        return
    client_error = botocore_exceptions.ClientError
    for name, cls in exceptions._MODELED.items():
        per_session = [ns.__dict__[name] for ns in namespaces if name in ns.__dict__]
        cls.__bases__ = (exceptions.ClientError, *per_session, client_error)
    _seen_namespaces = [weakref.ref(ns) for ns in namespaces]


def _hook_factory() -> None:
    """Re-syncs as soon as botocore makes a bedrock-runtime ``client.exceptions``, so our
    exceptions raised before it are instances of its classes too."""
    global _factory_hooked
    errorfactory = sys.modules.get("botocore.errorfactory")
    if _factory_hooked or errorfactory is None:
        return
    factory = errorfactory.ClientExceptionsFactory
    current = factory._create_client_exceptions
    if not getattr(current, "_bedrock_cris_hook", False):  # e.g. this module reloaded
        factory._create_client_exceptions = _hooked(current)
    _factory_hooked = True


def _hooked(original: Any) -> Any:
    @functools.wraps(original)
    def _create_client_exceptions(self: Any, service_model: Any) -> Any:
        made = original(self, service_model)
        if service_model.service_name == SERVICE_NAME:
            _sync()
        return made

    _create_client_exceptions._bedrock_cris_hook = True  # type: ignore[attr-defined]
    return _create_client_exceptions


def _combined(cls: type, theirs: type) -> type:
    combined = _COMBINED.get(cls)
    if combined is None:
        namespace = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "_bridged_from": cls,  # what it pickles as (exceptions._public_class)
        }
        combined = _COMBINED.setdefault(cls, type(cls.__name__, (cls, theirs), namespace))
    return combined

"""Azure SignalR Service REST API (v1 and 2022-06-01) client and local simulator, on a Rust core.

``signalr_rest.ServiceClient`` blocks (releasing the GIL); ``signalr_rest.aio.ServiceClient``
has the same API as coroutines. ``signalr_rest.Simulator`` serves the same API locally for
tests. Logs go to the ``logging`` logger ``signalr_rest``.
"""

from __future__ import annotations

import logging

from . import _native
from ._types import (
    JSON,
    ApiVersion,
    AsyncTokenProvider,
    NegotiateResponse,
    RetryPolicy,
    Seconds,
    TokenProvider,
)
from .client import HubClient, ServiceClient
from .errors import (
    BadRequestError,
    InvalidArgumentError,
    NotFoundError,
    RequestTimeoutError,
    ServiceError,
    SignalRError,
    TransportError,
    UnauthorizedError,
)
from .simulator import (
    ConnectionInfo,
    FaultRule,
    GroupInfo,
    InjectedFault,
    Simulator,
    UpstreamCall,
    UserGroupMapping,
    VirtualClient,
)

__all__ = [
    "JSON",
    "ApiVersion",
    "AsyncTokenProvider",
    "BadRequestError",
    "ConnectionInfo",
    "FaultRule",
    "GroupInfo",
    "HubClient",
    "InjectedFault",
    "InvalidArgumentError",
    "NegotiateResponse",
    "NotFoundError",
    "RequestTimeoutError",
    "RetryPolicy",
    "Seconds",
    "ServiceClient",
    "ServiceError",
    "SignalRError",
    "Simulator",
    "TokenProvider",
    "TransportError",
    "UnauthorizedError",
    "UpstreamCall",
    "UserGroupMapping",
    "VirtualClient",
    "refresh_log_levels",
]

__version__: str = _native.__version__

logging.getLogger(__name__).addHandler(logging.NullHandler())


def refresh_log_levels() -> None:
    """Makes level changes of ``signalr_rest`` loggers take effect.

    The Rust side caches each logger's level the first time it logs, so that disabled
    levels cost nothing; call this after changing levels at run time.
    """
    _native.refresh_log_levels()

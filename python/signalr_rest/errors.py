"""The exceptions of signalr_rest: one base class, one subclass per kind of failure.

Every exception has ``kind``, the stable name the Rust core gives that kind of error.
"""

from __future__ import annotations

__all__ = [
    "BadRequestError",
    "InvalidArgumentError",
    "NotFoundError",
    "RequestTimeoutError",
    "ServiceError",
    "SignalRError",
    "TransportError",
    "UnauthorizedError",
]


class SignalRError(Exception):
    """Base class of every error raised by signalr_rest."""

    kind: str = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgumentError(SignalRError, ValueError):
    """An argument broke a rule before anything was sent; ``field`` names it."""

    kind = "invalid_argument"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class UnauthorizedError(SignalRError):
    """The service refused the credentials (``status`` 401/403), or no token could be had."""

    kind = "unauthorized"

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class NotFoundError(SignalRError):
    """The connection, user or group does not exist (404); ``code`` is ``x-ms-error-code``."""

    kind = "not_found"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class ServiceError(SignalRError):
    """The service answered with an unexpected ``status``; ``body`` is what it said."""

    kind = "service_error"

    def __init__(self, message: str, status: int, body: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class BadRequestError(ServiceError):
    """The service rejected the request (400); ``body`` is its message."""

    kind = "bad_request"


class RequestTimeoutError(SignalRError, TimeoutError):
    """No answer within ``timeout`` seconds; also a built-in ``TimeoutError``."""

    kind = "timeout"

    def __init__(self, message: str, timeout: float) -> None:
        super().__init__(message)
        self.timeout = timeout


class TransportError(SignalRError):
    """The request could not be sent or its answer not read."""

    kind = "transport"

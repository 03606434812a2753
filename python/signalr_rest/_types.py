"""Types shared by the sync and asyncio APIs, and the conversions of their arguments."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Literal, Union

if sys.version_info >= (3, 12):
    from typing import TypedDict
else:  # pydantic (FastAPI) accepts only typing_extensions' TypedDict before 3.12
    from typing_extensions import TypedDict

from .errors import InvalidArgumentError

JSON = Union[None, bool, int, float, Decimal, str, Sequence["JSON"], Mapping[str, "JSON"]]
"""A JSON-serialisable value: what message arguments and token claims may hold. Ints of any
size and ``decimal.Decimal`` values are sent with every digit."""

ApiVersion = Literal["1.0", "2022-06-01"]
"""The REST API versions a client can speak: ``"1.0"`` (the default) or ``"2022-06-01"``, the
version Microsoft's SDKs send. Operations only 2022-06-01 has always use it."""

TokenProvider = Callable[[str], str]
"""Gives the bearer token of each REST call instead of the access key (Microsoft Entra ID):
called with the audience (the request URL without its query), returns the token."""

AsyncTokenProvider = Callable[[str], Awaitable[str]]
"""A :data:`TokenProvider` as a coroutine function, for ``signalr_rest.aio.ServiceClient``: it
runs on the event loop the call is awaited on."""

Seconds = Union[float, timedelta]
"""A duration: seconds as int or float, or a ``datetime.timedelta``."""

_I64_MAX = 2**63 - 1


class NegotiateResponse(TypedDict):
    """What an app's negotiate endpoint returns to a SignalR client, as is."""

    url: str
    accessToken: str


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``max_retries=0`` disables retries.

    A field left ``None`` keeps the core's default: 3 retries, a first wait of 0.2 s that
    doubles each time, waits of at most 30 s. Sends retry only where the message cannot have
    been delivered, so a retry never duplicates a message.
    """

    max_retries: int | None = None
    initial_delay: Seconds | None = None
    max_delay: Seconds | None = None

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_retries=0)


def seconds(field: str, value: Seconds) -> float:
    """``value`` in seconds; ``TypeError`` naming ``field`` for anything but a number or timedelta."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{field} must be seconds (int or float) or a datetime.timedelta, "
            f"got {type(value).__name__}"
        )
    return float(value)


def optional_seconds(field: str, value: Seconds | None) -> float | None:
    """``seconds()`` of a value that may be absent."""
    return None if value is None else seconds(field, value)


def ttl_seconds(ttl: int | timedelta | None) -> int | None:
    """A user-group TTL in whole seconds; the core refuses negative ones."""
    if ttl is None:
        return None
    if isinstance(ttl, timedelta):
        whole, rest = divmod(ttl, timedelta(seconds=1))
        if rest:
            raise InvalidArgumentError(f"ttl must be whole seconds, got {ttl!r}", "ttl")
        return int(whole)
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise TypeError(
            f"ttl must be whole seconds (int) or a datetime.timedelta, got {type(ttl).__name__}"
        )
    if ttl > _I64_MAX:
        raise InvalidArgumentError(f"ttl {ttl} is too large; at most {_I64_MAX} seconds", "ttl")
    return ttl


def connection_ids(excluded: Iterable[str] | None) -> list[str]:
    """The excluded connection ids as a list; a lone str is refused, not split into letters."""
    if excluded is None:
        return []
    if isinstance(excluded, str):
        raise TypeError(f"excluded must be a list of connection ids, not the str {excluded!r}")
    return list(excluded)

"""Receiving serverless upstream requests: verify and read them, and answer invocations.

In serverless mode the service (or the simulator) POSTs each client's ``connected`` and
``disconnected`` events and every hub method a client invokes to the app's upstream URL.
``parse_request`` verifies the signature and reads the request; ``completion_body`` builds the
answer to an invocation, which the service hands the client as its result.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Literal, Union

from . import _native
from ._types import JSON

__all__ = [
    "ConnectedEvent",
    "DisconnectedEvent",
    "InvocationEvent",
    "UpstreamContext",
    "UpstreamEvent",
    "completion_body",
    "parse_request",
]

Protocol = Literal["json", "messagepack"]

_MISSING = object()


@dataclasses.dataclass(frozen=True)
class UpstreamContext:
    """What every upstream request tells about its client connection."""

    connection_id: str
    hub: str
    user_id: str | None
    #: ``X-ASRS-User-Claims``: claim type to value, the first value of each type.
    claims: dict[str, str]
    #: ``X-ASRS-Client-Query``: repeated keys' values joined with ``,``.
    query: dict[str, str]


@dataclasses.dataclass(frozen=True)
class ConnectedEvent(UpstreamContext):
    """A client connected."""


@dataclasses.dataclass(frozen=True)
class DisconnectedEvent(UpstreamContext):
    """A client disconnected; ``error`` says why when it did not close cleanly."""

    error: str | None


@dataclasses.dataclass(frozen=True)
class InvocationEvent(UpstreamContext):
    """A client invoked hub method ``target``.

    ``invocation_id`` is ``None`` for a send, which waits for no completion; otherwise answer
    with ``completion_body(event.protocol, event.invocation_id, result=...)``.
    """

    invocation_id: str | None
    target: str
    arguments: list[JSON]
    protocol: Protocol


UpstreamEvent = Union[ConnectedEvent, DisconnectedEvent, InvocationEvent]


def parse_request(
    headers: Mapping[str, str], body: bytes, access_keys: Sequence[str]
) -> UpstreamEvent:
    """Verifies an upstream request's signature and reads it.

    ``headers`` in any case (any mapping: a dict, a framework's header object); ``access_keys``
    are the keys the signature may be made with (primary and secondary). Raises
    ``UnauthorizedError`` when ``X-ASRS-Signature`` signs the connection with none of them,
    ``InvalidArgumentError`` when the request is not one the service sends.
    """
    if isinstance(access_keys, str):
        access_keys = [access_keys]
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    kind, context, invocation_id, target, arguments, protocol, error = (
        _native.upstream_parse_request(lowered, bytes(body), list(access_keys))
    )
    connection_id, hub, user_id, claims, query = context
    if kind == "connected":
        return ConnectedEvent(connection_id, hub, user_id, dict(claims), dict(query))
    if kind == "disconnected":
        return DisconnectedEvent(connection_id, hub, user_id, dict(claims), dict(query), error)
    assert target is not None and arguments is not None and protocol is not None
    return InvocationEvent(
        connection_id,
        hub,
        user_id,
        dict(claims),
        dict(query),
        invocation_id,
        target,
        json.loads(arguments),
        protocol,
    )


def completion_body(
    protocol: Protocol,
    invocation_id: str,
    *,
    result: JSON | object = _MISSING,
    error: str | None = None,
) -> bytes:
    """The answer to an invocation: its completion framed in the client's ``protocol``.

    With ``result`` (any JSON value, written as send arguments are; ``None`` is ``null``) the
    client's call returns it; with ``error`` the call fails with that message; with neither it
    completes empty. Serve it with content type ``application/json`` or
    ``application/x-msgpack`` as the protocol says.
    """
    has_result = result is not _MISSING
    return _native.upstream_completion_body(
        protocol, invocation_id, has_result, result if has_result else None, error
    )

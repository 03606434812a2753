"""The asyncio API: the same operations as `signalr_rest.client`, as coroutines.

Awaiting never blocks the event loop; cancelling the awaiting task drops the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from . import _native
from ._service import DEFAULT_TOKEN_LIFETIME, ServiceClientBase
from ._types import JSON, NegotiateResponse, Seconds, connection_ids, seconds, ttl_seconds

__all__ = ["HubClient", "ServiceClient"]


class ServiceClient(ServiceClientBase):
    """An asyncio client of one service endpoint; use it as a context manager or share it.

    ``token_provider`` may be a sync callable or a coroutine function; a coroutine runs on the
    event loop the call is awaited on.
    """

    _ASYNC_TOKEN_PROVIDER = True

    def hub(self, name: str) -> HubClient:
        """A client for hub ``name``; ``InvalidArgumentError`` if the name breaks the hub rules."""
        return HubClient(self._live().hub(name))

    async def health(self) -> None:
        """Raises unless the service answers its health check (v1: ``GET /api/v1/health``)."""
        await self._live().health().future()

    async def negotiate_with_service(
        self, hub: str, user_id: str | None = None, *, lifetime: Seconds = DEFAULT_TOKEN_LIFETIME
    ) -> NegotiateResponse:
        """The ``{"url", "accessToken"}`` answer with a token the service generates.

        Instead of a token signed here with the access key, the service makes one
        (``:generateToken``); ``lifetime`` is rounded up to whole minutes.
        """
        url, token = await self._negotiate_with_service(hub, user_id, lifetime).future()
        return {"url": url, "accessToken": token}

    async def __aenter__(self) -> ServiceClient:
        return self

    async def close(self) -> None:
        """Lets go of this client; hub clients made from it keep working until dropped."""
        self._release()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class HubClient:
    """The operations on one hub, as coroutines; cheap to make, safe to share between threads."""

    def __init__(self, native: _native.HubClient) -> None:
        self._native = native

    @property
    def name(self) -> str:
        """The hub name as it appears in request paths (lower case, application prefix applied)."""
        return self._native.name

    async def send_to_all(
        self, target: str, *args: JSON, excluded: Iterable[str] | None = None
    ) -> None:
        """Invokes ``target(*args)`` on every connection of the hub except ``excluded`` ids."""
        await self._native.send_to_all(target, args, connection_ids(excluded)).future()

    async def send_to_user(self, user_id: str, target: str, *args: JSON) -> None:
        """Invokes ``target(*args)`` on every connection of user ``user_id``."""
        await self._native.send_to_user(user_id, target, args).future()

    async def send_to_connection(self, connection_id: str, target: str, *args: JSON) -> None:
        """Invokes ``target(*args)`` on one connection (no error if it is gone)."""
        await self._native.send_to_connection(connection_id, target, args).future()

    async def send_to_group(
        self, group: str, target: str, *args: JSON, excluded: Iterable[str] | None = None
    ) -> None:
        """Invokes ``target(*args)`` on every connection in ``group`` except ``excluded`` ids."""
        await self._native.send_to_group(group, target, args, connection_ids(excluded)).future()

    async def connection_exists(self, connection_id: str) -> bool:
        """Whether the connection is connected."""
        exists: bool = await self._native.connection_exists(connection_id).future()
        return exists

    async def close_connection(self, connection_id: str, reason: str | None = None) -> None:
        """Closes a connection, which gets ``reason``; closing a gone connection succeeds."""
        await self._native.close_connection(connection_id, reason).future()

    async def group_exists(self, group: str) -> bool:
        """Whether at least one connection is in ``group``."""
        exists: bool = await self._native.group_exists(group).future()
        return exists

    async def user_exists(self, user_id: str) -> bool:
        """Whether user ``user_id`` has at least one connection."""
        exists: bool = await self._native.user_exists(user_id).future()
        return exists

    async def add_connection_to_group(self, group: str, connection_id: str) -> None:
        """Adds a connection to ``group``; ``NotFoundError`` if the connection does not exist."""
        await self._native.add_connection_to_group(group, connection_id).future()

    async def remove_connection_from_group(self, group: str, connection_id: str) -> None:
        """Removes a connection from ``group``; ``NotFoundError`` if it was not in it."""
        await self._native.remove_connection_from_group(group, connection_id).future()

    async def user_in_group(self, group: str, user_id: str) -> bool:
        """Whether user ``user_id`` is mapped to ``group`` (connected or not)."""
        mapped: bool = await self._native.user_in_group(group, user_id).future()
        return mapped

    async def add_user_to_group(
        self, group: str, user_id: str, ttl: int | timedelta | None = None
    ) -> None:
        """Maps a user to ``group``: its current and future connections join, for ``ttl``.

        ``ttl`` is whole seconds or a ``timedelta``; ``None`` means the service's maximum (a
        year) and ``0`` adds only the current connections.
        """
        await self._native.add_user_to_group(group, user_id, ttl_seconds(ttl)).future()

    async def remove_user_from_group(self, group: str, user_id: str) -> None:
        """Removes a user from ``group``, pulling its connections out of it."""
        await self._native.remove_user_from_group(group, user_id).future()

    async def remove_user_from_all_groups(self, user_id: str) -> None:
        """Removes a user from every group."""
        await self._native.remove_user_from_all_groups(user_id).future()

    async def close_all_connections(
        self, *, excluded: Iterable[str] | None = None, reason: str | None = None
    ) -> None:
        """Closes every connection of the hub but ``excluded`` ids; each gets ``reason``.

        Like every operation below, it uses the 2022-06-01 API whatever ``api_version`` is.
        """
        await self._native.close_all_connections(connection_ids(excluded), reason).future()

    async def close_group_connections(
        self, group: str, *, excluded: Iterable[str] | None = None, reason: str | None = None
    ) -> None:
        """Closes every connection in ``group`` but ``excluded`` ids; each gets ``reason``."""
        await self._native.close_group_connections(group, connection_ids(excluded), reason).future()

    async def close_user_connections(
        self, user_id: str, *, excluded: Iterable[str] | None = None, reason: str | None = None
    ) -> None:
        """Closes the connections of user ``user_id`` but ``excluded`` ids; each gets ``reason``."""
        call = self._native.close_user_connections(user_id, connection_ids(excluded), reason)
        await call.future()

    async def remove_connection_from_all_groups(self, connection_id: str) -> None:
        """Takes a connection out of every group it is in (an unknown id is fine)."""
        await self._native.remove_connection_from_all_groups(connection_id).future()

    async def generate_client_token(
        self, user_id: str | None = None, *, lifetime: Seconds = DEFAULT_TOKEN_LIFETIME
    ) -> str:
        """A client access token for this hub, generated by the service (``:generateToken``).

        What apps that do not sign tokens themselves give SignalR clients; ``lifetime`` is
        rounded up to whole minutes. Custom claims cannot be carried this way.
        """
        call = self._native.generate_client_token(user_id, seconds("lifetime", lifetime))
        token: str = await call.future()
        return token

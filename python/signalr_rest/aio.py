"""The asyncio API: the same operations as `signalr_rest.client`, as coroutines.

Awaiting never blocks the event loop; cancelling the awaiting task drops the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from . import _native
from ._service import ServiceClientBase
from ._types import JSON, connection_ids, ttl_seconds

__all__ = ["HubClient", "ServiceClient"]


class ServiceClient(ServiceClientBase):
    """An asyncio client of one service endpoint; use it as a context manager or share it."""

    def hub(self, name: str) -> HubClient:
        """A client for hub ``name``; ``InvalidArgumentError`` if the name breaks the hub rules."""
        return HubClient(self._live().hub(name))

    async def health(self) -> None:
        """Raises unless the service answers ``GET /api/v1/health`` with 200."""
        await self._live().health().future()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class HubClient:
    """The 14 operations on one hub, as coroutines; cheap to make, safe to share between threads."""

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

"""A local simulator of the service for tests: real REST endpoint, in-process clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from . import _native
from ._context import ClosesOnExit
from ._types import JSON, Seconds, seconds

__all__ = [
    "ConnectionInfo",
    "GroupInfo",
    "Simulator",
    "UpstreamCall",
    "UserGroupMapping",
    "VirtualClient",
]


@dataclasses.dataclass(frozen=True)
class ConnectionInfo:
    """A live connection as the simulator sees it."""

    connection_id: str
    user_id: str | None


@dataclasses.dataclass(frozen=True)
class GroupInfo:
    """A group with at least one connection, and its members' connection ids."""

    name: str
    connection_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class UserGroupMapping:
    """A user mapped to a group until ``expires_at`` (simulator time, UTC)."""

    user_id: str
    group: str
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class UpstreamCall:
    """One serverless upstream request the simulator made, and how it went."""

    connection_id: str
    hub: str
    #: ``connections`` or ``messages``.
    category: str
    #: ``connected``, ``disconnected`` or the invoked method.
    event: str
    url: str
    #: The answer's HTTP status; ``None`` when none came.
    status: int | None
    #: Why it failed (transport error, timeout), when it did.
    error: str | None


class VirtualClient:
    """An in-process client connected to a simulator hub; records what it receives."""

    def __init__(self, native: _native.VirtualClient) -> None:
        self._native = native

    @property
    def connection_id(self) -> str:
        """The connection id REST calls address this client by."""
        return self._native.connection_id

    @property
    def user_id(self) -> str | None:
        """The user id it connected as."""
        return self._native.user_id

    @property
    def received(self) -> list[tuple[str, list[JSON]]]:
        """Every invocation received so far, in order, as ``(target, args)``."""
        return self._native.received()

    def wait_for(self, target: str, timeout: Seconds = 5.0) -> list[JSON]:
        """The args of the first invocation of ``target``, waiting up to ``timeout``.

        Raises ``RequestTimeoutError`` (a ``TimeoutError``) if none arrives in time.
        """
        args: list[JSON] = self._native.wait_for(target, seconds("timeout", timeout)).wait()
        return args

    async def wait_for_async(self, target: str, timeout: Seconds = 5.0) -> list[JSON]:
        """``wait_for`` for asyncio code: waits without blocking the event loop."""
        call = self._native.wait_for(target, seconds("timeout", timeout))
        args: list[JSON] = await call.future()
        return args

    @property
    def is_closed(self) -> bool:
        """Whether the service closed this connection."""
        return self._native.is_closed()

    @property
    def close_reason(self) -> str | None:
        """The reason given when the service closed this connection, if any."""
        return self._native.close_reason()

    def disconnect(self) -> None:
        """Disconnects from the hub, leaving every group."""
        self._native.disconnect()

    def __enter__(self) -> VirtualClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()


class Simulator(ClosesOnExit):
    """A local stand-in for the service on 127.0.0.1, serving the REST API until closed.

    >>> with Simulator() as sim:
    ...     client = sim.connect("chat", user_id="alice")

    ``host`` is the IP address to listen on; on ``"0.0.0.0"`` (every interface) ``url`` and
    ``connection_string`` still name ``127.0.0.1``, where clients on this machine reach it.

    ``ping_interval`` is the silence after which a WebSocket client gets a ping (default 15 s,
    as the service).

    ``upstreams`` makes hubs serverless: templates as the CLI's ``--upstream`` takes them
    (``"URL;hub=..;category=..;event=.."``), tried in order; each upstream call may take
    ``upstream_timeout`` (default 30 s) and is signed with ``access_key`` and, when given,
    ``secondary_access_key``.

    ``dashboard`` serves the live dashboard at ``dashboard_url``: by default (``None``) only
    when ``host`` is a loopback address, since the page has no login.
    """

    def __init__(
        self,
        port: int = 0,
        access_key: str | None = None,
        *,
        host: str = "127.0.0.1",
        ping_interval: Seconds | None = None,
        upstreams: Sequence[str] = (),
        upstream_timeout: Seconds | None = None,
        secondary_access_key: str | None = None,
        dashboard: bool | None = None,
    ) -> None:
        if isinstance(upstreams, str):
            upstreams = [upstreams]
        self._native = _native.Simulator(
            host=host,
            port=port,
            access_key=access_key,
            ping_interval=(
                None if ping_interval is None else seconds("ping_interval", ping_interval)
            ),
            upstreams=list(upstreams),
            upstream_timeout=(
                None if upstream_timeout is None else seconds("upstream_timeout", upstream_timeout)
            ),
            secondary_access_key=secondary_access_key,
            dashboard=dashboard,
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:{port}``."""
        return self._native.url

    @property
    def connection_string(self) -> str:
        """A connection string for clients of this simulator."""
        return self._native.connection_string

    @property
    def access_key(self) -> str:
        """The access key tokens must be signed with."""
        return self._native.access_key

    @property
    def dashboard_url(self) -> str | None:
        """The live dashboard's URL (``{url}/dashboard/``), or None when it is not served."""
        return self._native.dashboard_url

    def access_token(self, audience: str, lifetime: Seconds = timedelta(hours=1)) -> str:
        """A token signed with this simulator's key for ``audience`` (a request URL).

        What a token provider hands out in tests, standing in for Microsoft Entra ID.
        """
        return self._native.access_token(audience, seconds("lifetime", lifetime))

    def connect(self, hub: str, user_id: str | None = None) -> VirtualClient:
        """Connects an in-process client to ``hub``, as ``user_id`` if given."""
        return VirtualClient(self._native.connect(hub, user_id))

    def hubs(self) -> list[str]:
        """Names of every hub a call or connection has used, lower case, sorted."""
        return self._native.hubs()

    def connections(self, hub: str) -> list[ConnectionInfo]:
        """The hub's live connections."""
        return [ConnectionInfo(cid, user) for cid, user in self._native.connections(hub)]

    def groups(self, hub: str) -> list[GroupInfo]:
        """The hub's groups that have connections, with their members."""
        return [GroupInfo(name, tuple(ids)) for name, ids in self._native.groups(hub)]

    def user_groups(self, hub: str) -> list[UserGroupMapping]:
        """The hub's unexpired user-group mappings with their expiry."""
        return [
            UserGroupMapping(user, group, datetime.fromtimestamp(expires, timezone.utc))
            for user, group, expires in self._native.user_groups(hub)
        ]

    @property
    def upstream_calls(self) -> list[UpstreamCall]:
        """The upstream calls made so far (the last 1000), oldest first."""
        return [UpstreamCall(*call) for call in self._native.upstream_calls()]

    def advance_clock(self, by: Seconds) -> None:
        """Moves the simulator's clock forward, expiring TTLs (tokens still use wall time)."""
        self._native.advance_clock(seconds("by", by))

    def close(self) -> None:
        """Stops serving; closing twice is harmless."""
        self._native.close()

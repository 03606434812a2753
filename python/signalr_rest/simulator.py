"""A local simulator of the service for tests: real REST endpoint, in-process clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from . import _native
from ._context import ClosesOnExit
from ._types import JSON, Seconds, seconds

_seconds = seconds  # for methods whose parameter is named ``seconds``

__all__ = [
    "ConnectionInfo",
    "FaultRule",
    "GroupInfo",
    "InjectedFault",
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


@dataclasses.dataclass(frozen=True)
class FaultRule:
    """A fault rule in force (see ``Simulator.add_fault`` for the rule text)."""

    #: Its id, for ``remove_fault``.
    id: str
    #: The rule text, as the simulator writes it back (``"503;route=send;times=2"``).
    fault: str
    #: How many times it has been injected so far.
    injected: int


@dataclasses.dataclass(frozen=True)
class InjectedFault:
    """One fault the simulator injected."""

    #: The id of the rule that injected it; empty for a ``drop_clients``/``pause_clients`` call.
    fault_id: str
    #: The rule text, or ``drop``, ``drop;close`` or ``pause=...ms`` for a socket fault.
    fault: str
    #: What it hit: ``METHOD /path`` of a request, or ``connection ID``.
    target: str
    #: The hub of the request or connection, lower case, if known.
    hub: str | None


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

    ``faults`` are fault rules in force from the start (see ``add_fault``); ``fault_seed``
    makes the draws of rules with a ``fraction`` repeatable (random when ``None``).
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
        faults: Sequence[str] = (),
        fault_seed: int | None = None,
    ) -> None:
        if isinstance(upstreams, str):
            upstreams = [upstreams]
        if isinstance(faults, str):
            faults = [faults]
        if isinstance(fault_seed, bool) or not (fault_seed is None or isinstance(fault_seed, int)):
            raise TypeError(f"fault_seed must be an int or None, got {type(fault_seed).__name__}")
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
            faults=list(faults),
            fault_seed=fault_seed,
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

    def add_fault(self, rule: str) -> str:
        """Adds a fault rule after the others; returns its id (``"f1"``, ``"f2"``, ...).

        ``rule`` is ``ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=S]``:
        ACTION a status from 400 to 599, ``delay=250ms`` (or ``2s``) or ``reset``; ROUTE one of
        ``rest``, ``send``, ``group``, ``user``, ``connection``, ``token``, ``health``,
        ``negotiate``, ``connect``. A bad rule raises ``InvalidArgumentError`` naming the bad
        part.
        """
        if not isinstance(rule, str):
            raise TypeError(f"rule must be a str, got {type(rule).__name__}")
        return self._native.add_fault(rule)

    def remove_fault(self, fault_id: str) -> bool:
        """Removes the fault rule with this id; False if there is none (it may have run out)."""
        return self._native.remove_fault(fault_id)

    def clear_faults(self) -> None:
        """Removes every fault rule."""
        self._native.clear_faults()

    def faults(self) -> list[FaultRule]:
        """The fault rules in force, in order; a rule whose ``times`` ran out is gone."""
        return [FaultRule(*row) for row in self._native.faults()]

    def injected_faults(self) -> list[InjectedFault]:
        """The faults injected so far (the last 1000), oldest first."""
        return [InjectedFault(*row) for row in self._native.injected_faults()]

    def drop_clients(
        self, hub: str, *, connection_id: str | None = None, close: bool = True
    ) -> list[str]:
        """Drops the hub's client connections (or the one named) as a failing network would:
        with a Close that allows reconnecting when ``close``, else without one. Returns the
        connection ids dropped; each leaves the hub."""
        return self._native.drop_clients(hub, connection_id, close)

    def pause_clients(
        self, hub: str, seconds: Seconds, *, connection_id: str | None = None
    ) -> list[str]:
        """Stalls the hub's WebSocket clients (or the one named) for ``seconds`` (at most an
        hour): nothing is written to or read from them meanwhile. Returns the connection ids
        paused; virtual clients have no socket and are not paused."""
        return self._native.pause_clients(hub, _seconds("seconds", seconds), connection_id)

    def advance_clock(self, by: Seconds) -> None:
        """Moves the simulator's clock forward, expiring TTLs (tokens still use wall time)."""
        self._native.advance_clock(seconds("by", by))

    def close(self) -> None:
        """Stops serving; closing twice is harmless."""
        self._native.close()

"""The Python SignalR clients under test behind one interface, and every client x protocol x mode
this venv can run (CONFIGS). Which clients exist depends on the venv: pysignalr and signalrcore
1.0.x share one, signalrcore 0.9.x (pinned to older msgpack and websocket-client) has its own.

Modes: `negotiate` (the client negotiates with the simulator), `redirect` (an app server's
negotiate returns {url, accessToken}; these clients then connect straight to that URL, with no
second negotiate), `skipNegotiation` (straight to the client URL). Connection ids come from the
serve log; where the client knows its own (the `id` in its connect URL after negotiating with
the simulator) the two must agree.

What the tests read through instrumentation, not public API (the clients expose nothing for it):
the raw frames a client received (its protocol's decode method wrapped), the handshake request it
sent, and for signalrcore the Close message it parsed (it drops the reason)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import DEADLINE, Server, wait_until

TARGETS = ("msg", "data")


class Client:
    """A started client, what it received (in order) and how it ended."""

    label = "client"
    # False where stop() leaves the WebSocket open until the server next sends a frame
    stop_closes = True

    def __init__(self, server: Server, hub: str, user: str | None, protocol: str, mode: str, token: str | None = None) -> None:
        self.server, self.hub, self.user, self.protocol, self.mode = server, hub, user, protocol, mode
        self.redirect = mode == "redirect" and token is None
        self.token = token or server.client_token(hub, user)
        self.url = server.app_url(hub, user) if self.redirect else server.client_url(hub)
        self.received: list[tuple[str, list]] = []
        self.raw: list = []  # frames as the client received them
        self.handshake: tuple[str, int] | None = None  # (protocol, version) the client asked for
        self.id: str | None = None
        self.server_protocol: str | None = None

    def record(self, target: str, arguments: list) -> None:
        self.received.append((target, arguments))

    async def start(self) -> "Client":
        await self._start()
        entry = await self.server.connection_id_from_log(self.hub, self.user)
        own = self.own_id()
        assert own is None or own == entry["id"], f"{self.label}: own connection id {own}, serve log says {entry['id']}"
        self.id, self.server_protocol = entry["id"], entry["protocol"]
        return self

    async def _wait_open(self, is_open: Callable[[], bool], failed: Callable[[], str | None]) -> None:
        """Waits for the handshake; fails at once when the serve log says it was refused."""
        end = time.monotonic() + DEADLINE * 2
        while not is_open():
            refusal = self.server.refusal(self.hub)
            if refusal:
                pytest.fail(f"{self.label} ({self.protocol}, {self.mode}): the simulator refused the handshake {self.handshake}: {refusal}")
            problem = failed()
            if problem:
                pytest.fail(f"{self.label} ({self.protocol}, {self.mode}) did not connect: {problem}")
            if time.monotonic() > end:
                pytest.fail(f"{self.label} ({self.protocol}, {self.mode}) did not connect within {DEADLINE * 2:.0f} s")
            await asyncio.sleep(0.01)

    def own_id(self) -> str | None:
        return None

    def labels(self) -> list:
        return [arguments[0] for target, arguments in list(self.received) if target == "msg"]

    def count(self, label) -> int:
        return self.labels().count(label)

    def failure(self) -> str | None:
        """What broke the client (a frame it could not decode, a crashed loop), if anything."""
        return None

    async def expect(self, label, times: int = 1) -> None:
        def probe():
            problem = self.failure()
            if problem:
                pytest.fail(f"{self.label} ({self.protocol}, {self.mode}) broke while {self.user} waited for {label!r}: {problem}")
            return self.count(label) >= times

        await wait_until(probe, lambda: f"{self.user} did not receive {label!r} x{times}; received {self.received}")

    def refute(self, label) -> None:
        assert self.count(label) == 0, f"{self.user} received {label!r} but must not have; received {self.received}"

    def text_frames(self) -> list[str]:
        """The frames received, as text (JSON protocol only)."""
        return [f.decode() if isinstance(f, bytes) else f for f in self.raw]


def id_in_url(url: str | None) -> str | None:
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("id")
    return values[0] if values else None


# ------------------------------------------------------------------------------------ pysignalr


class Pysignalr(Client):
    def __init__(self, server, hub, user, protocol, mode, token=None) -> None:
        super().__init__(server, hub, user, protocol, mode, token)
        from pysignalr.client import SignalRClient
        from pysignalr.protocol.json import JSONProtocol
        from pysignalr.protocol.messagepack import MessagepackProtocol

        self.label = f"pysignalr {metadata.version('pysignalr')}"
        proto = (JSONProtocol if protocol == "json" else MessagepackProtocol)()
        decode = proto.decode

        def recording_decode(raw):
            self.raw.append(raw)
            return decode(raw)

        proto.decode = recording_decode
        self.handshake = (proto.protocol, proto.version)
        # pysignalr sends `headers` on negotiate and on the WebSocket upgrade; its
        # access_token_factory is only applied after the first connect, so the token goes here.
        # Redirect: the app server needs no token; pysignalr puts the accessToken it returns
        # into the Authorization header itself.
        self.signalr = SignalRClient(
            self.url,
            protocol=proto,
            headers={} if self.redirect else {"Authorization": f"Bearer {self.token}"},
            retry_count=1,
        )
        self.opened = asyncio.Event()
        for target in TARGETS:
            self.signalr.on(target, self._recorder(target))
        self.signalr.on_open(self._on_open)
        self.task: asyncio.Task | None = None

    def _recorder(self, target):
        async def record(arguments):
            self.record(target, arguments)

        return record

    async def _on_open(self) -> None:
        self.opened.set()

    async def _start(self) -> None:
        self.task = asyncio.create_task(self.signalr.run())

        def failed():
            if self.task.done():
                return repr(self.task.exception()) if self.task.exception() else "run() returned"
            return None

        await self._wait_open(self.opened.is_set, failed)

    def failure(self) -> str | None:
        if self.task is not None and self.task.done() and not self.task.cancelled() and self.task.exception():
            return repr(self.task.exception())
        return None

    def own_id(self) -> str | None:
        # pysignalr keeps no public connection id: after negotiating with the simulator (v0) it
        # rewrites its URL to `...&id=<connectionId>`. After a redirect there is none.
        return id_in_url(self.signalr._transport._url)

    async def wait_closed(self) -> str:
        """Waits for the connection to end; returns the error pysignalr raised (ServerError with
        the Close message's error)."""
        try:
            await asyncio.wait_for(asyncio.shield(self.task), DEADLINE)
        except asyncio.TimeoutError:
            pytest.fail(f"{self.label}: still running {DEADLINE} s after the server closed it")
        except Exception as error:  # noqa: BLE001 (what pysignalr raises is the point)
            return f"{type(error).__name__}: {error}"
        return "run() returned without error"

    async def invoke(self, target: str, arguments: list) -> None:
        await self.signalr.send(target, arguments)

    async def stop(self) -> None:
        if self.task and not self.task.done():
            self.task.cancel()
        if self.task:
            with contextlib.suppress(BaseException):
                await self.task
        ws = self.signalr._transport._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()


# ---------------------------------------------------------------------------------- signalrcore


class _Errors(logging.Handler):
    """signalrcore logs what goes wrong (a frame it cannot parse and drops, a socket error) and
    raises nothing: kept here so a test fails at once."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        self.parse: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages.append(message)
        if message.startswith("Parse messages Error"):
            self.parse.append(message)


ERRORS = _Errors()


def _instrument_signalrcore() -> None:
    """Wraps signalrcore's protocol classes (once) so each protocol object keeps the raw frames
    it parsed, what it parsed them into, and the handshake request it made."""
    from signalrcore.protocol.base_hub_protocol import BaseHubProtocol
    from signalrcore.protocol.json_hub_protocol import JsonHubProtocol
    from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol

    if getattr(BaseHubProtocol, "compat_instrumented", False):
        return
    BaseHubProtocol.compat_instrumented = True
    handshake_message = BaseHubProtocol.handshake_message

    def recording_handshake_message(self):
        message = handshake_message(self)
        self.__dict__.setdefault("compat_handshake", (self.protocol, self.version))
        return message

    BaseHubProtocol.handshake_message = recording_handshake_message
    for cls in (JsonHubProtocol, MessagePackHubProtocol):
        parse = cls.parse_messages

        def recording_parse(self, raw, parse=parse):
            self.__dict__.setdefault("compat_raw", []).append(raw)
            messages = parse(self, raw)
            self.__dict__.setdefault("compat_parsed", []).extend(messages or [])
            return messages

        cls.parse_messages = recording_parse


class Signalrcore(Client):
    def __init__(self, server, hub, user, protocol, mode, token=None) -> None:
        super().__init__(server, hub, user, protocol, mode, token)
        from signalrcore.hub_connection_builder import HubConnectionBuilder
        from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol

        _instrument_signalrcore()
        self.label = f"signalrcore {metadata.version('signalrcore')}"
        self.version_1 = metadata.version("signalrcore").startswith("1.")
        self.stop_closes = not self.version_1
        if mode == "skipNegotiation":
            self.url = "ws" + self.url[len("http") :]  # 0.9 needs a ws:// URL to skip negotiation
        options: dict = {}
        if not self.redirect:
            token = self.token
            options["access_token_factory"] = lambda: token
        if mode == "skipNegotiation":
            options["skip_negotiation"] = True
        self.errors_before = (len(ERRORS.messages), len(ERRORS.parse))
        builder = HubConnectionBuilder().with_url(self.url, options=options).configure_logging(logging.ERROR, handler=ERRORS)
        if protocol == "messagepack":
            builder = builder.with_hub_protocol(MessagePackHubProtocol())
        else:
            try:  # 1.0: JSON by transfer format, its version taken from the negotiate answer
                from signalrcore.types import HubProtocolEncoding
            except ImportError:  # 0.9: JSON (version 1) is the default
                pass
            else:
                # Without it 1.0 picks the first transfer format of the negotiate answer, and after
                # a redirect that is a fixed list starting with Binary: MessagePack.
                builder = builder.with_hub_protocol(HubProtocolEncoding.text)
        self.connection = builder.build()
        self.opened = threading.Event()
        self.closed = threading.Event()
        self.connection.on_open(self.opened.set)
        self.connection.on_close(self.closed.set)
        for target in TARGETS:
            self.connection.on(target, lambda arguments, target=target: self.record(target, arguments))
        self.start_error: BaseException | None = None

    def _protocol(self):
        # 1.0: created at start() (from the negotiate answer unless one was given); 0.9: given
        return getattr(self.connection, "protocol", None) or self.connection.transport.protocol

    def _instrumented(self, name: str, default):
        proto = self._protocol()
        return proto.__dict__.get(name, default) if proto is not None else default

    @property
    def raw(self):  # noqa: D401 (overrides the list of the base class)
        return self._instrumented("compat_raw", [])

    @raw.setter
    def raw(self, value):
        pass

    @property
    def handshake(self):
        return self._instrumented("compat_handshake", None)

    @handshake.setter
    def handshake(self, value):
        pass

    def parsed_close(self):
        """The Close message signalrcore parsed (it logs it and drops the reason)."""
        for message in self._instrumented("compat_parsed", []):
            if getattr(message, "type", None) is not None and message.type.value == 7:
                return message
        return None

    async def _start(self) -> None:
        def start():
            try:
                self.connection.start()
            except BaseException as error:  # noqa: BLE001 (reported by the wait below)
                self.start_error = error

        await asyncio.to_thread(start)

        def failed():
            if self.start_error:
                return repr(self.start_error)
            return "; ".join(ERRORS.messages[self.errors_before[0] :])[:2000] or None

        await self._wait_open(self.opened.is_set, failed)

    def own_id(self) -> str | None:
        return id_in_url(getattr(self.connection.transport, "url", None))

    def failure(self) -> str | None:
        return "; ".join(ERRORS.parse[self.errors_before[1] :]) or None

    async def wait_closed(self) -> str:
        """Waits for on_close (1.0) or the Close message parsed (0.9 never calls on_close when
        the server closes); returns the Close message's error, which signalrcore only logs."""
        ended = (lambda: self.closed.is_set()) if self.version_1 else (lambda: self.parsed_close() is not None)
        await wait_until(ended, lambda: f"{self.label}: not closed {DEADLINE} s after the server closed it")
        close = self.parsed_close()
        return f"Close: {getattr(close, 'error', None)}" if close else "no Close message parsed"

    async def invoke(self, target: str, arguments: list) -> None:
        await asyncio.to_thread(self.connection.send, target, arguments)

    async def stop(self) -> None:
        # 1.0's stop() closes its socket while its receive thread is blocked reading it, so the
        # socket stays open (and stop() blocked) until the server next sends something; it runs
        # in a thread of its own. See `stop_closes`.
        if self.opened.is_set() and not self.closed.is_set():
            threading.Thread(target=self._stop_quietly, daemon=True).start()
            await asyncio.to_thread(self.closed.wait, 0.2)

    def _stop_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.stop()


# -------------------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class Config:
    package: str
    protocol: str
    mode: str
    make_client: type

    def make(self, server, hub, user, **options) -> Client:
        return self.make_client(server, hub, user, self.protocol, self.mode, **options)

    def __str__(self) -> str:
        return f"{self.package}-{self.protocol}-{self.mode}"


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


# pysignalr has no public skipNegotiation (its transport has the flag; SignalRClient never sets it).
MODES = {"pysignalr": ("negotiate", "redirect"), "signalrcore": ("negotiate", "redirect", "skipNegotiation")}
KINDS = {"pysignalr": Pysignalr, "signalrcore": Signalrcore}

CONFIGS = [
    Config(f"{name} {version}", protocol, mode, KINDS[name])
    for name in KINDS
    if (version := _installed(name))
    for protocol in ("json", "messagepack")
    for mode in MODES[name]
]


def newest(mode: str = "negotiate", protocol: str = "json") -> Config:
    return next(c for c in CONFIGS if c.mode == mode and c.protocol == protocol)

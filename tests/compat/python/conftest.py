"""Shared pieces of the pysignalr compat suite: a `signalr-rest serve` child process, tokens
signed with PyJWT, REST calls over aiohttp, and pysignalr clients with an inbox polled with
deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import aiohttp
import jwt
import pytest
from pysignalr.client import SignalRClient
from pysignalr.protocol.json import JSONProtocol
from pysignalr.protocol.messagepack import MessagepackProtocol

HERE = Path(__file__).resolve().parent
BIN = os.environ.get("SIGNALR_REST_BIN") or str(HERE.parents[2] / "target" / "debug" / "signalr-rest")
DEADLINE = float(os.environ.get("COMPAT_DEADLINE_MS", "5000")) / 1000


def unique(prefix: str) -> str:
    return prefix + secrets.token_hex(5)


async def wait_until(probe, describe, deadline: float = DEADLINE):
    """Polls `probe` (sync or async) every 10 ms until truthy, else fails with `describe()`."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"{describe()} (waited {deadline:.1f} s)")
        await asyncio.sleep(0.01)


class Server:
    """`signalr-rest serve --port 0` with a random key, stopped by `stop()`."""

    def __init__(self) -> None:
        self.key = "compat-" + secrets.token_hex(24)
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [BIN, "serve", "--port", "0", "--access-key", self.key],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        line = self._first_line(timeout=30)
        fields = {}
        for part in line.strip().split(";"):
            if part:
                name, _, value = part.partition("=")
                fields[name.strip().lower()] = value.strip()
        self.connection_string = line.strip()
        self.endpoint = fields["endpoint"].rstrip("/")
        assert fields["accesskey"] == self.key, line
        # keep draining stdout so the server never blocks on a full pipe
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def _first_line(self, timeout: float) -> str:
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            self.process.kill()
            self.stderr.seek(0)
            raise RuntimeError(f"{BIN} serve printed no connection string; stderr:\n{self.stderr.read().decode()}")
        return result[0].decode()

    def stop(self) -> str:
        if self.process.poll() is not None:
            return "already exited"
        self.process.terminate()
        try:
            self.process.wait(5)
            return "terminated"
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return "killed after ignoring SIGTERM for 5 s"

    def client_url(self, hub: str) -> str:
        return f"{self.endpoint}/client/?hub={quote(hub, safe='')}"

    def client_token(self, hub: str, user: str | None, *, audience: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "aud": audience or f"{self.endpoint}/client/?hub={hub.lower()}",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        if user is not None:
            claims["nameid"] = user
        return jwt.encode(claims, self.key.encode("utf-8"), algorithm="HS256")

    async def rest(self, method: str, hub: str, subpath: str, *, query=(), body=None) -> tuple[int, str, str]:
        url = f"{self.endpoint}/api/v1/hubs/{quote(hub.lower(), safe='')}{subpath}"
        now = int(time.time())
        token = jwt.encode({"aud": url, "iat": now, "nbf": now, "exp": now + 3600}, self.key.encode("utf-8"), algorithm="HS256")
        full = f"{url}?{urlencode(list(query))}" if query else url
        async with aiohttp.ClientSession() as session:
            async with session.request(method, full, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
                return response.status, await response.text(), f"{method} {full}"

    async def expect(self, status: int, method: str, hub: str, subpath: str, **options) -> None:
        got, text, call = await self.rest(method, hub, subpath, **options)
        assert got == status, f"{call} answered {got} (expected {status}): {text}"

    async def broadcast(self, hub, target, args, excluded=()):
        await self.expect(202, "POST", hub, "", body={"target": target, "arguments": args}, query=[("excluded", e) for e in excluded])

    async def send_to_user(self, hub, user, target, args):
        await self.expect(202, "POST", hub, f"/users/{seg(user)}", body={"target": target, "arguments": args})

    async def send_to_connection(self, hub, connection_id, target, args):
        await self.expect(202, "POST", hub, f"/connections/{seg(connection_id)}", body={"target": target, "arguments": args})

    async def send_to_group(self, hub, group, target, args, excluded=()):
        await self.expect(
            202, "POST", hub, f"/groups/{seg(group)}", body={"target": target, "arguments": args}, query=[("excluded", e) for e in excluded]
        )

    async def add_user_to_group(self, hub, group, user):
        await self.expect(202, "PUT", hub, f"/groups/{seg(group)}/users/{seg(user)}")

    async def remove_user_from_group(self, hub, group, user):
        await self.expect(202, "DELETE", hub, f"/groups/{seg(group)}/users/{seg(user)}")

    async def add_connection_to_group(self, hub, group, connection_id):
        await self.expect(200, "PUT", hub, f"/groups/{seg(group)}/connections/{seg(connection_id)}")

    async def remove_connection_from_group(self, hub, group, connection_id):
        await self.expect(200, "DELETE", hub, f"/groups/{seg(group)}/connections/{seg(connection_id)}")

    async def close_connection(self, hub, connection_id, reason):
        await self.expect(202, "DELETE", hub, f"/connections/{seg(connection_id)}", query=[("reason", reason)])

    async def connection_status(self, hub, connection_id) -> int:
        return (await self.rest("GET", hub, f"/connections/{seg(connection_id)}"))[0]

    async def user_status(self, hub, user) -> int:
        return (await self.rest("GET", hub, f"/users/{seg(user)}"))[0]


def seg(value: str) -> str:
    return quote(value, safe="")


PROTOCOLS = {"json": JSONProtocol, "messagepack": MessagepackProtocol}


class Client:
    """A running pysignalr client and what it received, in order."""

    def __init__(self, server: Server, hub: str, user: str | None, protocol: str, *, token: str | None = None) -> None:
        self.user = user
        token = token or server.client_token(hub, user)
        # pysignalr sends `headers` on negotiate and on the WebSocket upgrade; its
        # access_token_factory is only applied after the first connect, so the token goes here.
        self.signalr = SignalRClient(
            server.client_url(hub),
            protocol=PROTOCOLS[protocol](),
            headers={"Authorization": f"Bearer {token}"},
            retry_count=1,
        )
        self.received: list[tuple[str, list]] = []
        self.opened = asyncio.Event()
        self.signalr.on("msg", self._recorder("msg"))
        self.signalr.on("data", self._recorder("data"))
        self.signalr.on_open(self._on_open)
        self.task: asyncio.Task | None = None

    def _recorder(self, target):
        async def record(arguments):
            self.received.append((target, arguments))

        return record

    async def _on_open(self) -> None:
        self.opened.set()

    async def start(self) -> "Client":
        self.task = asyncio.create_task(self.signalr.run())
        opened = asyncio.create_task(self.opened.wait())
        done, _ = await asyncio.wait({opened, self.task}, timeout=DEADLINE * 2, return_when=asyncio.FIRST_COMPLETED)
        if opened not in done:
            opened.cancel()
            if self.task in done:
                self.task.result()  # raises what stopped the client
            pytest.fail(f"pysignalr client for {self.user} did not connect within {DEADLINE * 2:.0f} s")
        return self

    @property
    def connection_id(self) -> str:
        # pysignalr keeps no public connection id: after negotiate it rewrites its URL to
        # `...&id=<connectionId>` (negotiate v0, which is what it asks for), so read it there.
        query = parse_qs(urlsplit(self.signalr._transport._url).query)
        assert "id" in query, f"no id in pysignalr's connect URL {self.signalr._transport._url}"
        return query["id"][0]

    def labels(self) -> list:
        return [arguments[0] for target, arguments in self.received if target == "msg"]

    def count(self, label) -> int:
        return self.labels().count(label)

    async def expect(self, label, times: int = 1) -> None:
        await wait_until(lambda: self.count(label) >= times, lambda: f"{self.user} did not receive {label!r} x{times}; received {self.received}")

    def refute(self, label) -> None:
        assert self.count(label) == 0, f"{self.user} received {label!r} but must not have; received {self.received}"

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


@pytest.fixture(scope="session")
def server():
    srv = Server()
    yield srv
    how = srv.stop()
    assert how in ("terminated", "already exited"), f"signalr-rest serve {how}"


@pytest.fixture
async def clients():
    """Starts clients with `await clients(hub, user, protocol)` and stops them after the test."""
    started: list[Client] = []

    async def start(server: Server, hub: str, user: str | None, protocol: str, **options) -> Client:
        client = Client(server, hub, user, protocol, **options)
        started.append(client)
        return await client.start()

    yield start
    for client in started:
        await client.stop()

"""Shared pieces of the Python compat suites: a `signalr-rest serve` child process (its log read
for the connection ids clients do not expose), a stand-in app server whose negotiate redirects
to the simulator, tokens signed with PyJWT, REST calls, and the clients under test behind one
small interface (clients.py) with an inbox polled with deadlines."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

import jwt
import pytest

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


# `signalr-rest serve` logs (tracing, to stderr) one line per accepted or refused client:
#   ... client connected hub=h connection=ID user=Some("alice") protocol=Json
#   ... handshake refused hub=h connection=ID error=...
# `user` is Rust's Debug form: None, or Some("...") with `"` and `\` escaped.
CONNECTED = re.compile(r'client connected hub=(\S+) connection=(\S+) user=(None|Some\("((?:[^"\\]|\\.)*)"\)) protocol=(\S+)')
REFUSED = re.compile(r"handshake refused hub=(\S+) connection=(\S+) error=(.*)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def unescape_debug(text: str) -> str:
    def one(match: re.Match) -> str:
        esc = match.group(1)
        if esc.startswith("u{"):
            return chr(int(esc[2:-1], 16))
        return {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(esc, esc)

    return re.sub(r"\\(u\{[0-9a-fA-F]+\}|.)", one, text)


class Server:
    """`signalr-rest serve --port 0` with a random key and an app server, stopped by `stop()`."""

    def __init__(self) -> None:
        self.key = "compat-" + secrets.token_hex(24)
        self.log: list[str] = []
        self.connected: list[dict] = []
        self.refused: list[dict] = []
        self.claimed: set[str] = set()
        self.process = subprocess.Popen(
            [BIN, "serve", "--port", "0", "--access-key", self.key],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "RUST_LOG": "info"},  # the `client connected` lines are at info
        )
        threading.Thread(target=self._read_log, daemon=True).start()
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
        self.app = self._start_app()

    def _read_log(self) -> None:
        for raw in self.process.stderr:
            line = ANSI.sub("", raw.decode("utf-8", "replace").rstrip("\n"))
            self.log.append(line)
            if match := CONNECTED.search(line):
                user = None if match.group(3) == "None" else unescape_debug(match.group(4))
                self.connected.append({"hub": match.group(1), "id": match.group(2), "user": user, "protocol": match.group(5)})
            elif match := REFUSED.search(line):
                self.refused.append({"hub": match.group(1), "id": match.group(2), "error": match.group(3)})

    def _first_line(self, timeout: float) -> str:
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            self.process.kill()
            raise RuntimeError(f"{BIN} serve printed no connection string; stderr:\n" + "\n".join(self.log))
        return result[0].decode()

    def refusal(self, hub: str) -> str | None:
        """The error of a refused handshake on `hub`, if the serve log has one."""
        for entry in self.refused:
            if entry["hub"].lower() == hub.lower():
                return entry["error"]
        return None

    async def connection_id_from_log(self, hub: str, user: str | None) -> dict:
        """The `client connected` entry of the connection `user` just opened on `hub`: the first
        one for that hub and user not yet handed out (clients of one hub and user connect one at
        a time, so it is theirs)."""

        def find():
            for entry in self.connected:
                if entry["id"] not in self.claimed and entry["hub"].lower() == hub.lower() and entry["user"] == user:
                    return entry
            return None

        entry = await wait_until(find, lambda: f"no 'client connected' log line for hub {hub}, user {user}; log:\n" + "\n".join(self.log[-30:]))
        self.claimed.add(entry["id"])
        return entry

    # --- the app server: POST /app/{hub}/{user}/negotiate answers `signalr-rest negotiate` ---

    def _start_app(self) -> ThreadingHTTPServer:
        server = self

        class Negotiate(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                match = re.match(r"^/app/([^/]+)/([^/]+)/negotiate(\?|$)", self.path)
                if not match:
                    self.send_error(404)
                    return
                self.rfile.read(int(self.headers.get("content-length") or 0))
                hub, user = unquote(match.group(1)), unquote(match.group(2))
                body = server.cli("negotiate", "--hub", hub, "--user", user).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        app = ThreadingHTTPServer(("127.0.0.1", 0), Negotiate)
        threading.Thread(target=app.serve_forever, daemon=True).start()
        return app

    def app_url(self, hub: str, user: str) -> str:
        """The URL a client is given in redirect mode; it negotiates at `{url}/negotiate`."""
        return f"http://127.0.0.1:{self.app.server_address[1]}/app/{quote(hub, safe='')}/{quote(user, safe='')}"

    def cli(self, *args: str) -> str:
        env = {**os.environ, "SIGNALR_CONNECTION_STRING": self.connection_string}
        return subprocess.run([BIN, *args], env=env, check=True, capture_output=True, text=True).stdout

    def stop(self) -> str:
        self.app.shutdown()
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

    def _rest(self, method: str, hub: str, subpath: str, query, body: bytes | None) -> tuple[int, str, str]:
        url = f"{self.endpoint}/api/v1/hubs/{quote(hub.lower(), safe='')}{subpath}"
        now = int(time.time())
        token = jwt.encode({"aud": url, "iat": now, "nbf": now, "exp": now + 3600}, self.key.encode("utf-8"), algorithm="HS256")
        full = f"{url}?{urlencode(list(query))}" if query else url
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(full, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), f"{method} {full}"
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), f"{method} {full}"

    async def rest(self, method: str, hub: str, subpath: str, *, query=(), body=None, raw_body: str | None = None) -> tuple[int, str, str]:
        """One v1 REST call; `raw_body` is sent as is (JSON text written by hand)."""
        data = raw_body.encode() if raw_body is not None else (None if body is None else json.dumps(body).encode())
        return await asyncio.to_thread(self._rest, method, hub, subpath, query, data)

    async def expect(self, status: int, method: str, hub: str, subpath: str, **options) -> None:
        got, text, call = await self.rest(method, hub, subpath, **options)
        assert got == status, f"{call} answered {got} (expected {status}): {text}"

    async def broadcast(self, hub, target, args, excluded=()):
        await self.expect(202, "POST", hub, "", body={"target": target, "arguments": args}, query=[("excluded", e) for e in excluded])

    async def send_to_user(self, hub, user, target, args):
        await self.expect(202, "POST", hub, f"/users/{seg(user)}", body={"target": target, "arguments": args})

    async def send_raw_to_user(self, hub, user, target, arguments_json: str):
        await self.expect(202, "POST", hub, f"/users/{seg(user)}", raw_body=f'{{"target":{json.dumps(target)},"arguments":{arguments_json}}}')

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


@pytest.fixture(scope="session")
def server():
    srv = Server()
    yield srv
    how = srv.stop()
    assert how in ("terminated", "already exited"), f"signalr-rest serve {how}"


@pytest.fixture
async def clients(server):
    """Starts clients with `await clients(config, hub, user)` and stops them after the test."""
    started = []

    async def start(config, hub: str, user: str | None, **options):
        client = config.make(server, hub, user, **options)
        started.append(client)
        await client.start()
        return client

    yield start
    for client in started:
        await client.stop()

"""The chat app behind the package's Simulator: unmodified @microsoft/signalr clients (JSON, then
MessagePack; client/chat.mjs) negotiate through the app, one invokes broadcast and gets the app's
result, the other receives newMessage; the app's error reaches the caller as an error."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest
import uvicorn

from app import create_app
from signalr_rest import Simulator

CLIENT = Path(__file__).parent / "client"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def node() -> str:
    """Node with the client's packages (`npm ci` in client/); CI must have them, not skip."""
    node = shutil.which("node")
    if node is None or not (CLIENT / "node_modules/@microsoft/signalr").is_dir():
        if os.environ.get("CI"):
            pytest.fail("the test needs Node.js and `npm ci` in client/")
        pytest.skip("needs Node.js and `npm ci` in client/")
    return node


@pytest.fixture
def chat() -> Iterator[tuple[str, Simulator]]:
    """The app on a free port behind a simulator whose upstream is the app: (app URL, simulator)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    upstream = f"{url}/api/{{hub}}/{{category}}/{{event}}"
    with Simulator(upstreams=[upstream], upstream_timeout=5) as sim:
        app = create_app(sim.connection_string)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
        thread.start()
        try:
            wait_until(lambda: server.started, "uvicorn started")
            yield url, sim
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()


def wait_until(check: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Listener:
    """`node chat.mjs NAME`: stays connected, printing what it receives, until its input ends."""

    def __init__(self, node: str, url: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [node, str(CLIENT / "chat.mjs"), *args],
            env={**os.environ, "CHAT_URL": f"{url}/api"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self) -> str:
        return self.lines.get(timeout=15)

    def stop(self) -> None:
        """Ends its input: it disconnects and exits."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(10)
        self.process.stdout.close()


def invoke(node: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`node chat.mjs NAME MESSAGE`: broadcast once and quit."""
    env = {**os.environ, "CHAT_URL": f"{url}/api"}
    command = [node, str(CLIENT / "chat.mjs"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("protocol", ["json", "messagepack"])
def test_broadcast_returns_the_apps_result_and_reaches_the_other_client(
    node: str, chat: tuple[str, Simulator], protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chat")
    url, sim = chat
    flags = ["--messagepack"] if protocol == "messagepack" else []
    bob = Listener(node, url, *flags, "bob")
    try:
        bob_id = bob.next_line().removeprefix("connected ")
        alice = invoke(node, url, *flags, "alice", "hello, bob")
        # Alice's own broadcast reaches her too, before the result the app returned.
        assert alice.stdout.splitlines()[1:] == [
            'newMessage ["alice","hello, bob"]',
            'result {"id":1}',
        ], alice
        assert bob.next_line() == 'newMessage ["alice","hello, bob"]'

        failed = invoke(node, url, *flags, "alice", " ")
        assert failed.returncode == 1, failed
        assert failed.stdout.splitlines()[1:] == ["error text must not be empty"]
    finally:
        bob.stop()
    assert bob.lines.empty(), "bob received nothing for the failed call"

    # Every connected and disconnected reached the app signed with the key (a bad signature would
    # have been a 401) and was logged.
    alice_id = alice.stdout.splitlines()[0].removeprefix("connected ")
    for user, connection in [("bob", bob_id), ("alice", alice_id)]:
        who = f"{user} ({connection})"
        wait_until(lambda: f"{who} disconnected" in caplog.messages, f"{who} disconnected")
        assert f"{who} connected" in caplog.messages
        calls = [
            c
            for c in sim.upstream_calls
            if c.connection_id == connection and c.category == "connections"
        ]
        assert [(c.event, c.status) for c in calls] == [("connected", 200), ("disconnected", 200)]


def test_the_page_chats_in_headless_chromium(node: str, chat: tuple[str, Simulator]) -> None:
    """The app's page in Chromium (client/browser.mjs): it connects through the app's negotiate,
    its form invokes broadcast, and the message arrives in the page and at a Node client."""
    if not (CLIENT / "node_modules/playwright-core").is_dir():
        if os.environ.get("CI"):
            pytest.fail("the page test needs `npm ci` in client/ (playwright-core)")
        pytest.skip("needs `npm ci` in client/ (playwright-core)")
    if not Path(CHROMIUM).is_file():
        # Not installed by scripts/lib/test-python; scripts/lib/test-dashboard installs Debian's.
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium, or CHROMIUM=)")
    url, _ = chat
    bob = Listener(node, url, "bob")
    try:
        bob.next_line()  # connected
        page = subprocess.run(
            [node, str(CLIENT / "browser.mjs"), url, "carol", "hello from the page"],
            env={**os.environ, "CHROMIUM": CHROMIUM},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert page.returncode == 0, page
        assert page.stdout.splitlines() == [
            "status connected as carol; sent message 1",
            "message carol: hello from the page",
        ], page
        assert bob.next_line() == 'newMessage ["carol","hello from the page"]'
    finally:
        bob.stop()


def test_a_request_not_signed_with_the_access_key_is_refused(chat: tuple[str, Simulator]) -> None:
    url, _ = chat
    request = urllib.request.Request(
        f"{url}/api/chat/connections/connected",
        data=b'{"type":10}',
        headers={
            "Content-Type": "application/json",
            "X-ASRS-Connection-Id": "forged",
            "X-ASRS-Hub": "chat",
            "X-ASRS-Category": "connections",
            "X-ASRS-Event": "connected",
            "X-ASRS-Signature": "sha256=0000",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 401

"""Shared fixtures: clients of the plugin's simulator, and a stub HTTP server that can be
deliberately slow or answer with any status."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from signalr_rest import RetryPolicy, ServiceClient, Simulator

pytest_plugins = ["pytester"]


@pytest.fixture
def service(signalr_simulator: Simulator) -> Iterator[ServiceClient]:
    """A sync client of the simulator that never retries, so an intermittent failure shows."""
    with ServiceClient.from_connection_string(
        signalr_simulator.connection_string, retry=RetryPolicy.none()
    ) as client:
        yield client


class StubServer:
    """Answers every request after ``delay`` seconds with ``status`` (default: success) and
    ``body``, and notices a client that hangs up while it waits."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.status: int | None = None
        self.body = b""
        self.requests = 0
        self.request_arrived = threading.Event()
        self.client_gone = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                server.requests += 1
                server.request_arrived.set()
                deadline = time.monotonic() + server.delay
                while time.monotonic() < deadline:
                    if server.hung_up(self.connection):
                        server.client_gone.set()
                        return
                self.send_response(server.status or (202 if self.command == "POST" else 200))
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, format: str, *args: object) -> None:
                """Keeps the test output quiet."""

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def hung_up(connection: socket.socket) -> bool:
        """Whether the peer closed the connection, waiting at most 20 ms to find out."""
        readable, _, _ = select.select([connection], [], [], 0.02)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""

    @property
    def connection_string(self) -> str:
        host, port = self.http.server_address[:2]
        return f"Endpoint=http://{host!s}:{port};AccessKey=slow-server-key;Version=1.0;"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def slow_server() -> Iterator[StubServer]:
    """A server on 127.0.0.1 that waits 1 s before answering (tests may change ``delay``)."""
    server = StubServer(delay=1.0)
    yield server
    server.stop()


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    """A server on 127.0.0.1 answering at once; tests set ``status`` and ``body``."""
    server = StubServer(delay=0)
    yield server
    server.stop()


def pytest_report_header() -> str:
    """Shows which signalr_rest the suite tests (the installed one, not the source tree)."""
    import signalr_rest

    return f"signalr_rest {signalr_rest.__version__} from {signalr_rest.__file__}"

"""Serverless upstream: the receiver helpers against the shared vectors, and a simulator
calling a small app server."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from signalr_rest import InvalidArgumentError, Simulator, UnauthorizedError, UpstreamCall
from signalr_rest.upstream import (
    ConnectedEvent,
    DisconnectedEvent,
    InvocationEvent,
    UpstreamEvent,
    completion_body,
    parse_request,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads((ROOT / "tests/vectors/upstream.json").read_text())
KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
CONN = "conn-1"
SIGNED = "sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881"


def headers(connection_id: str = CONN, signature: str = SIGNED, **more: str) -> dict[str, str]:
    base = {
        "X-ASRS-Connection-Id": connection_id,
        "X-ASRS-Hub": "chat",
        "X-ASRS-Category": "connections",
        "X-ASRS-Event": "connected",
        "X-ASRS-Signature": signature,
    }
    base.update({k.replace("_", "-"): v for k, v in more.items()})
    return base


@pytest.mark.parametrize("vector", VECTORS["signatures"])
def test_each_vector_signature_verifies_a_connected_request(vector: dict[str, str]) -> None:
    event = parse_request(
        headers(vector["connection_id"], vector["signature"]), b"", [vector["access_key"]]
    )
    assert event == ConnectedEvent(vector["connection_id"], "chat", None, {}, {})


@pytest.mark.parametrize("vector", VECTORS["signature_headers"])
def test_signature_header_vectors(vector: dict[str, Any]) -> None:
    request = headers(vector["connection_id"], vector["header"])
    if vector["valid"]:
        assert isinstance(parse_request(request, b"", vector["keys"]), ConnectedEvent)
    else:
        expected: Any = UnauthorizedError if vector["header"] else InvalidArgumentError
        with pytest.raises(expected):
            parse_request(request, b"", vector["keys"])


@pytest.mark.parametrize("vector", VECTORS["claims"])
def test_claims_vectors(vector: dict[str, Any]) -> None:
    event = parse_request(headers(**{"X-ASRS-User-Claims": vector["header"]}), b"", [KEY])
    assert list(event.claims.items()) == [tuple(pair) for pair in vector["parsed"]]


@pytest.mark.parametrize("vector", VECTORS["queries"])
def test_query_vectors(vector: dict[str, Any]) -> None:
    event = parse_request(headers(**{"X-ASRS-Client-Query": vector["header"]}), b"", [KEY])
    assert list(event.query.items()) == [tuple(pair) for pair in vector["parsed"]]


def test_a_bad_signature_is_unauthorized_and_any_header_case_works() -> None:
    with pytest.raises(UnauthorizedError):
        parse_request(headers(), b"", ["another-key"])
    lower = {k.lower(): v for k, v in headers(**{"X-ASRS-User-Id": "alice"}).items()}
    assert parse_request(lower, b"", ["another-key", KEY]).user_id == "alice"


def test_a_malformed_request_is_an_invalid_argument() -> None:
    request = headers()
    del request["X-ASRS-Hub"]
    with pytest.raises(InvalidArgumentError):
        parse_request(request, b"", [KEY])
    with pytest.raises(InvalidArgumentError):
        parse_request(headers(X_ASRS_Category="messages", X_ASRS_Event="echo"), b"{", [KEY])


def test_disconnected_carries_its_error() -> None:
    request = headers(X_ASRS_Event="disconnected")
    assert parse_request(request, b'{"type":11}', [KEY]) == DisconnectedEvent(
        CONN, "chat", None, {}, {}, None
    )
    event = parse_request(request, b'{"type":11,"error":"gone"}', [KEY])
    assert isinstance(event, DisconnectedEvent) and event.error == "gone"


def test_an_invocation_keeps_big_ints_and_key_order_and_is_answered() -> None:
    body = b'{"type":1,"invocationId":"7","target":"echo","arguments":[123456789012345678901234567890,{"z":1,"a":2}]}'
    request = headers(X_ASRS_Category="messages", X_ASRS_Event="echo")
    event = parse_request(request, body, [KEY])
    assert isinstance(event, InvocationEvent)
    assert (event.invocation_id, event.target, event.protocol) == ("7", "echo", "json")
    assert event.arguments == [123456789012345678901234567890, {"z": 1, "a": 2}]
    assert list(event.arguments[1]) == ["z", "a"]  # type: ignore[arg-type]

    answer = completion_body("json", "7", result=event.arguments[0])
    assert answer.endswith(b"\x1e")
    completion = json.loads(answer[:-1])
    assert completion == {"type": 3, "invocationId": "7", "result": 123456789012345678901234567890}
    assert json.loads(completion_body("json", "7", result=None)[:-1])["result"] is None
    assert json.loads(completion_body("json", "7", error="no")[:-1])["error"] == "no"
    assert "result" not in json.loads(completion_body("json", "7")[:-1])
    assert isinstance(completion_body("messagepack", "7", result=[1]), bytes)
    with pytest.raises(InvalidArgumentError):
        completion_body("xml", "7")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        completion_body("json", "7", result=1, error="both")
    with pytest.raises(TypeError):
        completion_body("json", "7", result=object())


def test_a_send_has_no_invocation_id() -> None:
    body = b'{"type":1,"target":"note","arguments":["hi"]}'
    event = parse_request(headers(X_ASRS_Category="messages", X_ASRS_Event="note"), body, [KEY])
    assert isinstance(event, InvocationEvent) and event.invocation_id is None


def test_bad_upstream_templates_and_timeouts_are_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        Simulator(upstreams=["not a url"])
    with pytest.raises(InvalidArgumentError):
        Simulator(upstreams=["http://127.0.0.1:1/{event}"], upstream_timeout=-1)


class App:
    """An upstream app server: verifies each request with parse_request and records it."""

    def __init__(self, keys: list[str]) -> None:
        self.events: list[UpstreamEvent] = []
        self.keys = keys
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    event = parse_request(dict(self.headers.items()), body, app.keys)
                except UnauthorizedError:
                    self.send_response(401)
                    self.end_headers()
                    return
                app.events.append(event)
                answer = b""
                if isinstance(event, InvocationEvent) and event.invocation_id is not None:
                    answer = completion_body(event.protocol, event.invocation_id, result=event.arguments)
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cli() -> Path:
    binary = ROOT / "target/debug/signalr-rest"
    if not binary.exists():
        pytest.skip("build the CLI (cargo build -p signalr-rest-cli) for a real client")
    return binary


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_simulator_calls_an_upstream_app_for_a_real_client(cli: Path) -> None:
    secondary = "second-key-for-rotation"
    app = App([secondary])  # only the secondary key: both must be in the signature
    try:
        with Simulator(
            upstreams=[f"{app.url}/{{hub}}/{{category}}/{{event}};hub=chat"],
            upstream_timeout=5,
            secondary_access_key=secondary,
        ) as sim:
            env = dict(os.environ, SIGNALR_CONNECTION_STRING=sim.connection_string)
            listener = subprocess.Popen(
                [str(cli), "listen", "--hub", "chat", "--user", "alice"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_until(lambda: len(app.events) >= 1)
            finally:
                listener.terminate()
                listener.wait(10)
            event = app.events[0]
            assert isinstance(event, ConnectedEvent)
            assert (event.hub, event.user_id) == ("chat", "alice")
            assert event.query["hub"] == "chat" and event.claims["nameid"] == "alice"
            # The simulator records the call once the app's answer is back, which can come
            # after the app has seen the event.
            wait_until(lambda: len(sim.upstream_calls) >= 1)
            calls = sim.upstream_calls
            assert calls[0] == UpstreamCall(
                event.connection_id, "chat", "connections", "connected",
                f"{app.url}/chat/connections/connected", 200, None,
            )
    finally:
        app.close()


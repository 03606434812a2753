"""The shared scenario format (tests/scenarios/README.md), checked strictly, and the servers a
scenario's client may be pointed at instead of the simulator."""

from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

STEP_KINDS = (
    "connect",
    "disconnect",
    "call",
    "received",
    "closed",
    "open",
    "advance_clock",
    "groups",
    "hubs",
    "client_url",
    "shutdown",
    "fault",
    "clear_faults",
    "injected",
    "drop_clients",
)
ERROR_KINDS = (
    "invalid_argument",
    "unauthorized",
    "not_found",
    "bad_request",
    "service_error",
    "timeout",
    "transport",
)
ENDPOINTS = ("simulator", "closed_port", "stalls", "fails")
AUTHS = ("access_key", "token_provider", "failing_token_provider")
API_VERSIONS = ("v1", "2022-06-01")
"""The REST API versions in the files' spelling, in the order the runners replay them."""


class ScenarioError(Exception):
    """A scenario that breaks the format; the message names the file, the step and the field."""


def _int_in(low: float, high: float = float("inf")) -> Callable[[object], bool]:
    # bool is an int in Python; 60.0 is a float: neither is a JSON integer here.
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _is_strings(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v)


def _is_expect(v: object) -> bool:
    if isinstance(v, bool):
        return True
    if isinstance(v, dict):
        return list(v) == ["error"] and v["error"] in ERROR_KINDS
    return v == "ok"


Type = tuple[str, Callable[[object], bool]]
"""What a field must hold: its name in messages, and the check."""

STR: Type = ("a string", lambda v: isinstance(v, str))
INT: Type = ("an integer", _int_in(float("-inf")))
POSITIVE_INT: Type = ("a positive integer", _int_in(1))
NON_NEGATIVE_INT: Type = ("a non-negative integer", _int_in(0))
ARRAY: Type = ("an array", lambda v: isinstance(v, list))
OBJECT: Type = ("an object", lambda v: isinstance(v, dict))
STR_OR_NULL: Type = ("a string or null", lambda v: v is None or isinstance(v, str))
STRINGS: Type = ("an array of strings", _is_strings)
EXPECT: Type = ('"ok", true, false or {"error": kind}', _is_expect)
GROUP_MEMBERS: Type = (
    "an object of arrays of strings",
    lambda v: isinstance(v, dict) and all(_is_strings(ids) for ids in v.values()),
)
ENDPOINT: Type = ("one of simulator, closed_port, stalls, fails", lambda v: v in ENDPOINTS)
AUTH: Type = ("one of access_key, token_provider, failing_token_provider", lambda v: v in AUTHS)
ERROR_EXPECT: Type = ('{"error": kind}', lambda v: isinstance(v, dict) and _is_expect(v))
TRUE: Type = ("true", lambda v: v is True)
BOOL: Type = ("a boolean", lambda v: isinstance(v, bool))
STATUS: Type = ("an integer from 400 to 599", _int_in(400, 599))
API_VERSIONS_TYPE: Type = (
    'a non-empty array of distinct "v1", "2022-06-01"',
    lambda v: isinstance(v, list)
    and len(v) > 0
    and all(isinstance(x, str) and x in API_VERSIONS for x in v)
    and len(set(v)) == len(v),
)

Fields = list[tuple[str, Type]]

SEND: Fields = [("arguments", ARRAY)]
SEND_EXCLUDING: Fields = [("arguments", ARRAY), ("excluded", STRINGS)]
CLOSE_MANY: Fields = [("excluded", STRINGS), ("reason", STR)]
OPERATIONS: dict[str, tuple[Fields, Fields]] = {
    "send_to_all": ([("target", STR)], SEND_EXCLUDING),
    "send_to_user": ([("user", STR), ("target", STR)], SEND),
    "send_to_connection": ([("connection", STR), ("target", STR)], SEND),
    "send_to_group": ([("group", STR), ("target", STR)], SEND_EXCLUDING),
    "connection_exists": ([("connection", STR)], []),
    "close_connection": ([("connection", STR)], [("reason", STR)]),
    "group_exists": ([("group", STR)], []),
    "user_exists": ([("user", STR)], []),
    "add_connection_to_group": ([("group", STR), ("connection", STR)], []),
    "remove_connection_from_group": ([("group", STR), ("connection", STR)], []),
    "user_in_group": ([("group", STR), ("user", STR)], []),
    "add_user_to_group": ([("group", STR), ("user", STR)], [("ttl", INT)]),
    "remove_user_from_group": ([("group", STR), ("user", STR)], []),
    "remove_user_from_all_groups": ([("user", STR)], []),
    "close_all_connections": ([], CLOSE_MANY),
    "close_group_connections": ([("group", STR)], CLOSE_MANY),
    "close_user_connections": ([("user", STR)], CLOSE_MANY),
    "remove_connection_from_all_groups": ([("connection", STR)], []),
    "negotiate": ([], [("user", STR)]),
    "negotiate_with_service": ([], [("user", STR)]),
}
"""The required and optional fields of each operation, besides call, hub and expect."""


def check_fields(at: str, value: object, required: Fields, optional: Fields) -> None:
    """Unknown fields first (in the object's order), then missing ones, then types."""
    if not isinstance(value, dict):
        raise ScenarioError(f"{at}: must be an object")
    known = dict(required + optional)
    for key in value:
        if key not in known:
            raise ScenarioError(f'{at}: unknown field "{key}"')
    for name, _ in required:
        if name not in value:
            raise ScenarioError(f'{at}: missing field "{name}"')
    for name, (type_name, accepts) in required + optional:
        if name in value and not accepts(value[name]):
            raise ScenarioError(f'{at}: field "{name}" must be {type_name}')


def step_kind(step: dict[str, Any]) -> str:
    """The key naming what the step does."""
    return next(k for k in STEP_KINDS if k in step)


def check_step(at: str, step: object) -> None:
    if not isinstance(step, dict):
        raise ScenarioError(f"{at}: must be an object")
    kinds = [k for k in STEP_KINDS if k in step]
    if len(kinds) != 1:
        raise ScenarioError(f"{at}: a step needs exactly one of {', '.join(STEP_KINDS)}")
    kind = kinds[0]
    if kind == "connect":
        check_fields(
            at, step, [("connect", STR), ("hub", STR)], [("user", STR), ("expect", ERROR_EXPECT)]
        )
    elif kind == "disconnect":
        check_fields(at, step, [("disconnect", STR)], [])
    elif kind == "call":
        op = step["call"]
        if not isinstance(op, str):
            raise ScenarioError(f'{at}: field "call" must be a string')
        if op not in OPERATIONS:
            raise ScenarioError(f'{at}: unknown operation "{op}"')
        required, optional = OPERATIONS[op]
        fields = [("call", STR), ("hub", STR), *required, ("expect", EXPECT)]
        check_fields(at, step, fields, optional)
    elif kind == "received":
        check_fields(at, step, [("received", STR), ("messages", ARRAY)], [])
        for j, message in enumerate(step["messages"]):
            fields = [("target", STR), ("arguments", ARRAY)]
            check_fields(f"{at}.messages[{j}]", message, fields, [])
    elif kind == "closed":
        check_fields(at, step, [("closed", STR), ("reason", STR_OR_NULL)], [])
    elif kind == "open":
        check_fields(at, step, [("open", STR)], [])
    elif kind == "advance_clock":
        check_fields(at, step, [("advance_clock", NON_NEGATIVE_INT)], [])
    elif kind == "groups":
        check_fields(at, step, [("groups", STR), ("expect", GROUP_MEMBERS)], [])
    elif kind == "hubs":
        check_fields(at, step, [("hubs", STRINGS)], [])
    elif kind == "client_url":
        check_fields(at, step, [("client_url", STR), ("expect", STR)], [])
    elif kind == "shutdown":
        check_fields(at, step, [("shutdown", TRUE)], [])
    elif kind == "fault":
        check_fields(at, step, [("fault", STR)], [("expect", ERROR_EXPECT)])
    elif kind == "clear_faults":
        check_fields(at, step, [("clear_faults", TRUE)], [])
    elif kind == "injected":
        check_fields(at, step, [("injected", STRINGS)], [])
    else:
        check_fields(at, step, [("drop_clients", STR), ("close", BOOL)], [("connection", STR)])


def parse_scenario(file: str, text: str) -> dict[str, Any]:
    """The scenario in ``text``; ``ScenarioError`` saying ``file: where: what`` if malformed."""
    try:
        scenario = json.loads(text)
        required = [("name", STR), ("steps", ARRAY)]
        optional = [("client", OBJECT), ("api_versions", API_VERSIONS_TYPE)]
        check_fields("scenario", scenario, required, optional)
        client = scenario.get("client", {})
        check_fields(
            "client",
            client,
            [],
            [
                ("access_key", STR),
                ("endpoint", ENDPOINT),
                ("status", STATUS),
                ("timeout_ms", POSITIVE_INT),
                ("application", STR),
                ("auth", AUTH),
                ("retries", NON_NEGATIVE_INT),
            ],
        )
        fails = client.get("endpoint") == "fails"
        if fails and "status" not in client:
            raise ScenarioError('client: missing field "status"')
        if not fails and "status" in client:
            raise ScenarioError('client: field "status" is only for "endpoint": "fails"')
        for i, step in enumerate(scenario["steps"]):
            check_step(f"steps[{i}]", step)
    except ScenarioError as error:
        raise ScenarioError(f"{file}: {error}") from None
    result: dict[str, Any] = scenario
    return result


def api_versions(text: str) -> list[str]:
    """The versions a scenario file runs under: its ``api_versions`` in the runners' order, else
    both. Read before the strict check (a malformed value gives both; replaying then fails)."""
    try:
        listed = json.loads(text).get("api_versions")
    except (ValueError, AttributeError):
        listed = None
    if not isinstance(listed, list):
        return list(API_VERSIONS)
    return [v for v in API_VERSIONS if v in listed] or list(API_VERSIONS)


def token_accepted(url: str, token: str, user: str | None) -> object:
    """``"ok"`` when the simulator's ``/client/negotiate`` for the negotiate answer's ``url``
    accepts ``token`` (200) and the token carries ``user`` (as the simulator reads it:
    ``asrs.s.uid``, else ``nameid``, else ``sub``); otherwise what went wrong."""
    if "/client/?" not in url:
        return {"url without /client/?": url}
    negotiate = url.replace("/client/?", "/client/negotiate?", 1)
    request = urllib.request.Request(
        negotiate, data=b"", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        # No proxy: the simulator is on this machine whatever http_proxy says.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as answer:
            status = answer.status
    except urllib.error.HTTPError as refused:
        body = refused.read().decode(errors="replace")
        return {"token refused": {"url": negotiate, "status": refused.code, "body": body}}
    except OSError as error:
        return {"token not checked": {"url": negotiate, "error": str(error)}}
    if status != 200:
        return {"token refused": {"url": negotiate, "status": status}}
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as error:
        return {"token is no JWT": str(error)}
    carried = next(
        (claims[c] for c in ("asrs.s.uid", "nameid", "sub") if isinstance(claims.get(c), str)),
        None,
    )
    return "ok" if carried == user else {"token's user": carried, "expected": user}


def typed(value: object) -> object:
    """``value`` with each number tagged int or float and each object as its ordered pairs, so
    that ``==`` tells 1 from 1.0 and {"a", "b"} from {"b", "a"} (Python's own ``==`` does not)."""
    if isinstance(value, dict):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


# ---- endpoints other than the simulator ----


class _FailingHandler(BaseHTTPRequestHandler):
    status = 500

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)  # read it all: closing with unread input would reset the socket
        body = json.dumps(
            {
                "code": f"Error.Scenario.Status{self.status}",
                "message": f"the scenario's server answers every request with {self.status}",
            }
        ).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def endpoint(client: dict[str, Any], simulator_url: str) -> Iterator[str]:
    """The URL the scenario's client talks to, and whatever serves it while the scenario runs."""
    kind = client.get("endpoint", "simulator")
    if kind == "simulator":
        yield simulator_url
    elif kind == "closed_port":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield f"http://127.0.0.1:{port}"  # closed again: nothing listens there
    elif kind == "stalls":
        # Listening but never accepting: the kernel completes the TCP handshake, nobody answers.
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    else:
        handler = type("Handler", (_FailingHandler,), {"status": client["status"]})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()

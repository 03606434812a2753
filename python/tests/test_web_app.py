"""A Starlette app calling the package from sync (thread pool) and async endpoints."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from signalr_rest import ServiceClient, Simulator, aio


def make_app(connection_string: str) -> Starlette:
    blocking = ServiceClient.from_connection_string(connection_string)
    asynchronous = aio.ServiceClient.from_connection_string(connection_string)

    def negotiate(request: Request) -> JSONResponse:
        return JSONResponse(blocking.negotiate("chat", request.query_params.get("user")))

    async def join(request: Request) -> JSONResponse:
        body = await request.json()
        hub = asynchronous.hub("chat")
        await hub.add_connection_to_group(body["room"], body["connection"])
        await hub.send_to_group(body["room"], "joined", body["connection"])
        return JSONResponse({"members": await hub.group_exists(body["room"])})

    def kick(request: Request) -> JSONResponse:
        connection = request.path_params["connection"]
        blocking.hub("chat").close_connection(connection, reason="kicked")
        return JSONResponse({"kicked": connection})

    return Starlette(
        routes=[
            Route("/negotiate", negotiate, methods=["POST"]),
            Route("/join", join, methods=["POST"]),
            Route("/kick/{connection}", kick, methods=["POST"]),
        ]
    )


def test_a_browser_negotiates_joins_a_room_and_is_kicked(signalr_simulator: Simulator) -> None:
    browser = signalr_simulator.connect("chat", user_id="carol")
    with TestClient(make_app(signalr_simulator.connection_string)) as http:
        negotiated = http.post("/negotiate", params={"user": "carol"}).json()
        joined = http.post("/join", json={"room": "r1", "connection": browser.connection_id})
        http.post(f"/kick/{browser.connection_id}")
    assert set(negotiated) == {"url", "accessToken"}
    assert joined.json() == {"members": True}
    assert browser.received == [("joined", [browser.connection_id])]
    assert browser.close_reason == "kicked"
    assert signalr_simulator.groups("chat") == []

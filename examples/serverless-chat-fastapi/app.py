"""A serverless chat app on FastAPI.

SignalR clients negotiate here and then talk to Azure SignalR Service; in serverless mode the
service POSTs their connected/disconnected events and the hub methods they invoke to this app's
upstream endpoint, and the app answers through the REST API.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import FileResponse

from signalr_rest import JSON, InvalidArgumentError, NegotiateResponse, UnauthorizedError, aio
from signalr_rest.upstream import ConnectedEvent, DisconnectedEvent, completion_body, parse_request

HUB = "chat"
CONTENT_TYPES = {"json": "application/json", "messagepack": "application/x-msgpack"}
log = logging.getLogger("chat")
# The page (static/) and @microsoft/signalr's browser bundle, from client/ after `npm ci` there.
STATIC = Path(__file__).parent / "static"
SIGNALR_JS = Path(__file__).parent / "client/node_modules/@microsoft/signalr/dist/browser/signalr.min.js"


def access_key_of(connection_string: str) -> str:
    """The connection string's AccessKey: the service signs upstream requests with it."""
    match = re.search(r"(?:^|;)\s*AccessKey=([^;]+)", connection_string, re.IGNORECASE)
    if match is None:
        raise ValueError("the connection string has no AccessKey")
    return match.group(1)


def create_app(
    connection_string: str | None = None, access_keys: Sequence[str] | None = None
) -> FastAPI:
    """``access_keys``: the keys upstream requests may be signed with (add the secondary key
    while rotating keys); by default the connection string's."""
    connection_string = connection_string or os.environ["AZURE_SIGNALR_CONNECTION_STRING"]
    keys = list(access_keys or [access_key_of(connection_string)])
    signalr = aio.ServiceClient.from_connection_string(connection_string)
    chat = signalr.hub(HUB)
    ids = itertools.count(1)

    # The hub methods clients may invoke: what one returns is the caller's result, what it raises
    # reaches the caller as an error.
    async def broadcast(name: JSON, text: JSON) -> JSON:
        if not isinstance(name, str) or not isinstance(text, str) or not text.strip():
            raise ValueError("text must not be empty")
        await chat.send_to_all("newMessage", name, text)
        return {"id": next(ids)}

    methods: dict[str, Callable[..., Awaitable[JSON]]] = {"broadcast": broadcast}

    app = FastAPI()

    # The chat page: http://127.0.0.1:8000/?name=carol
    @app.get("/")
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/chat.js")
    def page_script() -> FileResponse:
        return FileResponse(STATIC / "chat.js", media_type="text/javascript")

    @app.get("/lib/signalr.min.js", response_model=None)
    def signalr_bundle() -> FileResponse | Response:
        if not SIGNALR_JS.is_file():
            return Response("run `npm ci` in client/ for @microsoft/signalr", status_code=404)
        return FileResponse(SIGNALR_JS, media_type="text/javascript")

    # @microsoft/signalr POSTs {url}/negotiate first: withUrl("http://127.0.0.1:8000/api").
    @app.post("/api/negotiate")
    # The user id: the x-ms-signalr-user-id header, or ?user= (the page's: a browser client's
    # custom headers go to the service too, whose CORS may not allow them).
    def negotiate(
        x_ms_signalr_user_id: Annotated[str | None, Header()] = None,
        user: str | None = None,
    ) -> NegotiateResponse:
        return signalr.negotiate(HUB, user_id=x_ms_signalr_user_id or user)

    # The upstream URL template: http://127.0.0.1:8000/api/{hub}/{category}/{event}. The body
    # is read raw: MessagePack clients' invocations arrive as application/x-msgpack.
    @app.post("/api/{hub}/{category}/{event}")
    async def upstream(request: Request) -> Response:
        try:
            event = parse_request(request.headers, await request.body(), keys)
        except UnauthorizedError as e:
            return Response(str(e), status_code=401)
        except InvalidArgumentError as e:
            return Response(str(e), status_code=400)
        who = f"{event.user_id or 'anonymous'} ({event.connection_id})"
        if isinstance(event, ConnectedEvent):
            log.info("%s connected", who)
            return Response()
        if isinstance(event, DisconnectedEvent):
            log.info("%s disconnected%s", who, f": {event.error}" if event.error else "")
            return Response()
        method = methods.get(event.target)
        if method is None:
            return Response(status_code=404)  # the caller gets "Invocation failed, status code 404"
        try:
            result, error = await method(*event.arguments), None
        except Exception as e:  # any failure is the caller's error
            result, error = None, str(e)
        if event.invocation_id is None:
            return Response()  # connection.send(): nobody waits for an answer
        if error is not None:
            answer = completion_body(event.protocol, event.invocation_id, error=error)
        else:
            answer = completion_body(event.protocol, event.invocation_id, result=result)
        return Response(answer, media_type=CONTENT_TYPES[event.protocol])

    return app


if __name__ == "__main__":
    # python app.py: the app on :8000; without AZURE_SIGNALR_CONNECTION_STRING, in front of a
    # local simulator on :8888 that calls this app's upstream.
    import uvicorn

    from signalr_rest import Simulator

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    port = int(os.environ.get("PORT", "8000"))
    if "AZURE_SIGNALR_CONNECTION_STRING" in os.environ:
        uvicorn.run(create_app(), host="127.0.0.1", port=port)
    else:
        upstream_url = f"http://127.0.0.1:{port}/api/{{hub}}/{{category}}/{{event}}"
        with Simulator(8888, upstreams=[upstream_url]) as sim:
            log.info("simulator on %s", sim.url)
            uvicorn.run(create_app(sim.connection_string), host="127.0.0.1", port=port)

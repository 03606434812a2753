"""Before: the hand-written JWT code many apps carry (PyJWT and urllib).

Run with AZURE_SIGNALR_CONNECTION_STRING set: it broadcasts newMessage("hello from before.py")
to hub chat, then makes alice's negotiate answer and shows the service accepts its token.
"""

import json
import os
import time
import urllib.request

import jwt  # PyJWT


def parse_connection_string(connection_string: str) -> tuple[str, str]:
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if p)
    return parts["Endpoint"].rstrip("/"), parts["AccessKey"]


def rest_token(url: str, access_key: str) -> str:
    # aud is the request URL, exp a Unix time; HS256 with the access key.
    claims = {"aud": url, "exp": int(time.time()) + 3600}
    return jwt.encode(claims, access_key, algorithm="HS256")


def send_to_all(endpoint: str, access_key: str, hub: str, target: str, *arguments: object) -> None:
    url = f"{endpoint}/api/v1/hubs/{hub}"
    request = urllib.request.Request(
        url,
        method="POST",
        data=json.dumps({"target": target, "arguments": list(arguments)}).encode(),
        headers={
            "Authorization": f"Bearer {rest_token(url, access_key)}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def negotiate(endpoint: str, access_key: str, hub: str, user_id: str) -> dict[str, str]:
    # What the app's /negotiate returns to a SignalR client: the client URL and a token for it.
    url = f"{endpoint}/client/?hub={hub}"
    claims = {"aud": url, "exp": int(time.time()) + 3600, "nameid": user_id}
    return {"url": url, "accessToken": jwt.encode(claims, access_key, algorithm="HS256")}


def client_token_accepted(answer: dict[str, str]) -> str:
    """POSTs {url}/negotiate as a SignalR client would; the service's connectionId."""
    base, query = answer["url"].split("?", 1)
    request = urllib.request.Request(
        f"{base.rstrip('/')}/negotiate?{query}&negotiateVersion=1",
        method="POST",
        headers={"Authorization": f"Bearer {answer['accessToken']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["connectionId"])


if __name__ == "__main__":
    endpoint, access_key = parse_connection_string(os.environ["AZURE_SIGNALR_CONNECTION_STRING"])
    send_to_all(endpoint, access_key, "chat", "newMessage", "hello from before.py")
    answer = negotiate(endpoint, access_key, "chat", "alice")
    print("client token accepted:", client_token_accepted(answer))

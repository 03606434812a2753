"""After: the same with signalr_rest, twice: the SDK signing with the connection string's key,
and the SDK calling your own signer (token_provider) for every request.

Run with AZURE_SIGNALR_CONNECTION_STRING set: it broadcasts newMessage("hello from after.py")
and newMessage("hello from my own signer in Python") to hub chat, and checks alice's negotiate answer.
"""

import os
import time

import jwt  # PyJWT, for the signer you keep

from before import client_token_accepted, parse_connection_string
from signalr_rest import ServiceClient

connection_string = os.environ["AZURE_SIGNALR_CONNECTION_STRING"]

with ServiceClient.from_connection_string(connection_string) as client:
    client.hub("chat").send_to_all("newMessage", "hello from after.py")
    answer = client.negotiate("chat", user_id="alice")  # {"url": ..., "accessToken": ...}
    url = client.client_url("chat")  # f"{endpoint}/client/?hub=chat"

assert answer["url"] == url
print("client token accepted:", client_token_accepted(answer))

endpoint, access_key = parse_connection_string(connection_string)


def my_signer(audience: str) -> str:
    # audience is the URL of the request the SDK is about to send: sign it as before.
    claims = {"aud": audience, "exp": int(time.time()) + 3600}
    return jwt.encode(claims, access_key, algorithm="HS256")


with ServiceClient(endpoint=endpoint, token_provider=my_signer) as client:
    client.hub("chat").send_to_all("newMessage", "hello from my own signer in Python")

"""Python SignalR clients (pysignalr, signalrcore; JSON and MessagePack; through negotiate, an app
server's negotiate redirect and, where the client has it, skipNegotiation) against `signalr-rest
serve`: every REST delivery path reaches the client, nothing reaches a client that was not
addressed, arguments arrive as sent.

Which clients run depends on the venv (clients.CONFIGS). Connection ids come from the serve log."""

from __future__ import annotations

import json

import msgpack
import pytest

from clients import CONFIGS, newest
from conftest import unique, wait_until

each = pytest.mark.parametrize("config", CONFIGS, ids=str)
# (redirect: the app server makes the token, so a bad one cannot be given)
each_direct = pytest.mark.parametrize("config", [c for c in CONFIGS if c.mode != "redirect"], ids=str)
# signalrcore 0.9 reads a MessagePack message's length prefix as one byte (parse_messages in its
# messagepack_protocol.py), so it cannot read a message of 128 bytes or more from any server.
each_long_message = pytest.mark.parametrize(
    "config",
    [c for c in CONFIGS if not (c.package.startswith("signalrcore 0.") and c.protocol == "messagepack")],
    ids=str,
)

# An object whose key order a sorting server would change ("n" < "é" in UTF-8), an integer
# beyond 64 bits and a decimal with more digits than a double keeps, sent as JSON text.
FIDELITY_ARGUMENTS = '[{"é":1,"n":2},12345678901234567890123,0.1000000000000000055511151231257827]'


async def _is(awaitable, expected) -> bool:
    return (await awaitable) == expected


@each
async def test_receives_a_broadcast_with_arguments_intact(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    payload = [1, "two", {"three": [3, 3.5], "four": None, "fünf": "ü🙂"}, True, None, -7, ""]
    await server.broadcast(hub, "data", payload)
    await server.broadcast(hub, "msg", ["hello"])
    await client.expect("hello")
    data = [arguments for target, arguments in client.received if target == "data"]
    assert data == [payload]


@each_long_message
async def test_a_message_sent_in_websocket_fragments_arrives_whole(server, clients, config):
    # The simulator writes messages over 4 KiB as several WebSocket frames; multi-byte
    # characters fall across frame boundaries.
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    big = "é🙂x" * 7_001
    await server.broadcast(hub, "data", [big, 1])
    await server.broadcast(hub, "msg", ["after"])
    await client.expect("after")
    assert [arguments for target, arguments in client.received if target == "data"] == [[big, 1]]


@each
async def test_argument_fidelity_key_order_big_and_long_numbers(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    await server.send_raw_to_user(hub, "alice", "data", FIDELITY_ARGUMENTS)
    await server.send_to_user(hub, "alice", "msg", ["after-data"])
    await client.expect("after-data")
    data = [arguments for target, arguments in client.received if target == "data"]
    assert len(data) == 1, client.received
    obj, big, long = data[0]
    problems = []
    if list(obj) != ["é", "n"] or obj != {"é": 1, "n": 2}:
        problems.append(f"object (key order): got {obj}")
    # What the client's parser makes of the numbers as written: Python's json keeps the integer
    # exact; orjson (pysignalr) and MessagePack make it a double; the decimal is a double.
    exact = config.protocol == "json" and config.package.startswith("signalrcore")
    expected_big = 12345678901234567890123 if exact else float(12345678901234567890123)
    if big != expected_big or type(big) is not type(expected_big):
        problems.append(f"big integer: got {big!r}, expected {expected_big!r}")
    if long != 0.1000000000000000055511151231257827:
        problems.append(f"long decimal: got {long!r}")
    if config.protocol == "json":
        # The frame as the client received it: the arguments pass through the simulator as JSON
        # text, so they arrive exactly as written.
        frames = [f for f in client.text_frames() if '"data"' in f]
        if not any(f'"arguments":{FIDELITY_ARGUMENTS}' in f for f in frames):
            problems.append(f"raw text: expected \"arguments\":{FIDELITY_ARGUMENTS} in {frames}")
    assert not problems, "arguments not as sent: " + "; ".join(problems)


@each
async def test_receives_a_send_to_its_user(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    await server.send_to_user(hub, "alice", "msg", ["to-alice"])
    await client.expect("to-alice")


@each
async def test_receives_a_send_to_its_connection_id(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    await server.send_to_connection(hub, client.id, "msg", ["to-connection"])
    await client.expect("to-connection")


@each
async def test_receives_a_group_send_after_its_user_is_added(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    await server.add_user_to_group(hub, "g1", "alice")
    await server.send_to_group(hub, "g1", "msg", ["to-g1"])
    await client.expect("to-g1")


@each
async def test_joins_at_connect_the_groups_its_user_was_mapped_to(server, clients, config):
    hub = unique("hub")
    await server.add_user_to_group(hub, "early", "alice")
    client = await clients(config, hub, "alice")
    await server.send_to_group(hub, "early", "msg", ["to-early"])
    await client.expect("to-early")


@each
async def test_receives_a_group_send_after_its_connection_is_added(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    await server.add_connection_to_group(hub, "g2", client.id)
    await server.send_to_group(hub, "g2", "msg", ["to-g2"])
    await client.expect("to-g2")


@each
async def test_is_not_reached_when_excluded(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    cid = client.id
    await server.add_connection_to_group(hub, "g", cid)
    await server.broadcast(hub, "msg", ["excluded-broadcast"], excluded=[cid])
    await server.send_to_group(hub, "g", "msg", ["excluded-group"], excluded=[cid])
    await server.send_to_group(hub, "g", "msg", ["group-others-excluded"], excluded=["someone-else"])
    await server.broadcast(hub, "msg", ["control"])
    await client.expect("control")
    await client.expect("group-others-excluded")
    client.refute("excluded-broadcast")
    client.refute("excluded-group")


@each
async def test_is_not_reached_when_another_user_connection_or_group_is_addressed(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    bob = await clients(config, hub, "bob")
    await server.add_user_to_group(hub, "bobs", "bob")
    await server.send_to_user(hub, "bob", "msg", ["to-bob"])
    await server.send_to_group(hub, "bobs", "msg", ["to-bobs"])
    await server.send_to_connection(hub, bob.id, "msg", ["to-bob-connection"])
    await server.send_to_connection(hub, "no-such-connection", "msg", ["to-nobody"])
    await server.broadcast(hub, "msg", ["control"])
    await client.expect("control")
    for label in ["to-bob", "to-bobs", "to-bob-connection"]:
        await bob.expect(label)
    for label in ["to-bob", "to-bobs", "to-bob-connection", "to-nobody"]:
        client.refute(label)


@each
async def test_stops_getting_group_sends_after_its_user_is_removed(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    await server.add_user_to_group(hub, "g", "alice")
    await server.send_to_group(hub, "g", "msg", ["while-member"])
    await client.expect("while-member")
    await server.remove_user_from_group(hub, "g", "alice")
    await server.send_to_group(hub, "g", "msg", ["after-removal"])
    await server.send_to_user(hub, "alice", "msg", ["control"])
    await client.expect("control")
    client.refute("after-removal")


@each
async def test_stops_getting_group_sends_after_its_connection_is_removed(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    cid = client.id
    await server.add_connection_to_group(hub, "g", cid)
    await server.send_to_group(hub, "g", "msg", ["while-member"])
    await client.expect("while-member")
    await server.remove_connection_from_group(hub, "g", cid)
    await server.send_to_group(hub, "g", "msg", ["after-removal"])
    await server.send_to_connection(hub, cid, "msg", ["control"])
    await client.expect("control")
    client.refute("after-removal")


def _messages(client) -> list:
    """The hub messages in the frames the client received: JSON records as dicts, MessagePack
    arrays (after their varint length prefix) as lists."""
    messages: list = []
    for frame in client.raw:
        if client.protocol == "json" or isinstance(frame, str):
            text = frame.decode() if isinstance(frame, bytes) else frame
            messages += [json.loads(r) for r in text.split("\x1e") if r.strip() not in ("", "{}")]
            continue
        data, at = bytes(frame), 0
        while at < len(data):
            length = shift = 0
            while True:
                byte = data[at]
                at += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            messages.append(msgpack.unpackb(data[at : at + length], raw=False))
            at += length
    return messages


def _close_message(client) -> dict | None:
    """The Close message the client received, as {"error", "allowReconnect"}."""
    for m in _messages(client):
        if isinstance(m, list) and m and m[0] == 7:
            return {"error": m[1] if len(m) > 1 else None, "allowReconnect": m[2] if len(m) > 2 else None}
        if isinstance(m, dict) and m.get("type") == 7:
            return {"error": m.get("error"), "allowReconnect": m.get("allowReconnect")}
    return None


@each
async def test_is_closed_with_the_reason_by_rest_close(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    cid = client.id
    await server.close_connection(hub, cid, "kicked by compat test")
    seen = await client.wait_closed()
    assert "kicked by compat test" in seen, f"the client saw {seen!r}"
    close = _close_message(client)
    assert close and close["error"] == "kicked by compat test", f"the Close message: {close}"
    assert close["allowReconnect"] is True, f"a REST close allows reconnecting: {close}"
    await wait_until(lambda: _is(server.connection_status(hub, cid), 404), lambda: f"connection {cid} still exists after REST close")


@each
async def test_exists_while_connected_and_404_after_it_stops(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    cid = client.id
    assert await server.connection_status(hub, cid) == 200
    assert await server.user_status(hub, "alice") == 200
    await client.stop()
    if not client.stop_closes:
        # signalrcore 1.0: stop() closes the socket under its blocked receive thread, which keeps
        # it open until a frame arrives (the next server ping, 15 s): send one now.
        await server.send_to_user(hub, "alice", "msg", ["wake-up"])
    await wait_until(lambda: _is(server.connection_status(hub, cid), 404), lambda: f"connection {cid} still exists after stop")
    await wait_until(lambda: _is(server.user_status(hub, "alice"), 404), lambda: "user alice still exists after stop")


@each
async def test_a_user_with_two_connections_gets_both_copies(server, clients, config):
    hub = unique("hub")
    first = await clients(config, hub, "alice")
    second = await clients(config, hub, "alice")
    assert first.id != second.id
    await server.add_user_to_group(hub, "g", "alice")
    await server.send_to_user(hub, "alice", "msg", ["to-user"])
    await server.send_to_group(hub, "g", "msg", ["to-group"])
    await server.send_to_connection(hub, second.id, "msg", ["to-second"])
    await server.broadcast(hub, "msg", ["control"])
    await second.expect("to-second")
    for client in (first, second):
        await client.expect("control")
        assert client.count("to-user") == 1, client.received
        assert client.count("to-group") == 1, client.received
    first.refute("to-second")


@each
async def test_a_client_invocation_is_refused_with_a_close_carrying_an_error(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    # Serverless: hub methods cannot be invoked; the server closes with an error that does not
    # allow reconnecting.
    await client.invoke("SomeHubMethod", [1])
    seen = await client.wait_closed()
    assert "SomeHubMethod" in seen, f"the client saw {seen!r}"
    close = _close_message(client)
    assert close and close["error"], f"no Close message with an error received: {close}"
    assert not close["allowReconnect"], f"the refusal must not allow reconnecting: {close}"


@each
async def test_handshake_version_the_client_asks_for_is_accepted(server, clients, config):
    hub = unique("hub")
    client = await clients(config, hub, "alice")
    assert client.handshake is not None and client.handshake[0] == config.protocol, client.handshake
    assert client.server_protocol.lower() == config.protocol
    print(f"{config}: handshake {client.handshake}")


@each_direct
async def test_a_token_for_another_hub_is_refused(server, clients, config):
    hub = unique("hub")
    token = server.client_token(hub, "alice", audience=f"{server.endpoint}/client/?hub=otherhub")
    with pytest.raises(BaseException) as failure:  # noqa: PT011 (each client fails its own way)
        await clients(config, hub, "alice", token=token)
    assert "401" in str(failure.value) or "Unauthorized" in repr(failure.value) or "did not connect" in str(failure.value), failure.value


@pytest.mark.parametrize("config", [newest("negotiate")], ids=str)
async def test_odd_user_ids_and_group_names_round_trip(server, clients, config):
    hub = unique("hub")
    user, group = 'ü ser/1?#%+&=;"\\', "g/ü ?#%+&=;"
    client = await clients(config, hub, user)
    await server.send_to_user(hub, user, "msg", ["to-odd-user"])
    await server.send_to_connection(hub, client.id, "msg", ["to-odd-connection"])
    await server.add_user_to_group(hub, group, user)
    await server.send_to_group(hub, group, "msg", ["to-odd-group"])
    await client.expect("to-odd-user")
    await client.expect("to-odd-connection")
    await client.expect("to-odd-group")

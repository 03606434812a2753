"""pysignalr (JSON and MessagePack) against `signalr-rest serve`: every REST delivery path
reaches the client, and nothing reaches a client that was not addressed.

pysignalr negotiates (v0, no negotiateVersion) and then opens the WebSocket with `id=<connectionId>`;
the token goes in the Authorization header for both."""

from __future__ import annotations

import asyncio

import pytest
from pysignalr.exceptions import AuthorizationError, ServerError

from conftest import DEADLINE, unique, wait_until

pytestmark = pytest.mark.parametrize("protocol", ["json", "messagepack"])


async def test_receives_a_broadcast_with_arguments_intact(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    payload = [1, "two", {"three": [3, 3.5], "four": None, "fünf": "ü🙂"}, True, None, -7, ""]
    await server.broadcast(hub, "data", payload)
    await server.broadcast(hub, "msg", ["hello"])
    await client.expect("hello")
    data = [arguments for target, arguments in client.received if target == "data"]
    assert data == [payload]


async def test_receives_a_send_to_its_user(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    await server.send_to_user(hub, "alice", "msg", ["to-alice"])
    await client.expect("to-alice")


async def test_receives_a_send_to_its_connection_id(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    await server.send_to_connection(hub, client.connection_id, "msg", ["to-connection"])
    await client.expect("to-connection")


async def test_receives_a_group_send_after_its_user_is_added(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    await server.add_user_to_group(hub, "g1", "alice")
    await server.send_to_group(hub, "g1", "msg", ["to-g1"])
    await client.expect("to-g1")


async def test_joins_at_connect_the_groups_its_user_was_mapped_to(server, clients, protocol):
    hub = unique("hub")
    await server.add_user_to_group(hub, "early", "alice")
    client = await clients(server, hub, "alice", protocol)
    await server.send_to_group(hub, "early", "msg", ["to-early"])
    await client.expect("to-early")


async def test_receives_a_group_send_after_its_connection_is_added(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    await server.add_connection_to_group(hub, "g2", client.connection_id)
    await server.send_to_group(hub, "g2", "msg", ["to-g2"])
    await client.expect("to-g2")


async def test_is_not_reached_when_excluded(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    cid = client.connection_id
    await server.add_connection_to_group(hub, "g", cid)
    await server.broadcast(hub, "msg", ["excluded-broadcast"], excluded=[cid])
    await server.send_to_group(hub, "g", "msg", ["excluded-group"], excluded=[cid])
    await server.send_to_group(hub, "g", "msg", ["group-others-excluded"], excluded=["someone-else"])
    await server.broadcast(hub, "msg", ["control"])
    await client.expect("control")
    await client.expect("group-others-excluded")
    client.refute("excluded-broadcast")
    client.refute("excluded-group")


async def test_is_not_reached_when_another_user_connection_or_group_is_addressed(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    bob = await clients(server, hub, "bob", protocol)
    await server.add_user_to_group(hub, "bobs", "bob")
    await server.send_to_user(hub, "bob", "msg", ["to-bob"])
    await server.send_to_group(hub, "bobs", "msg", ["to-bobs"])
    await server.send_to_connection(hub, bob.connection_id, "msg", ["to-bob-connection"])
    await server.send_to_connection(hub, "no-such-connection", "msg", ["to-nobody"])
    await server.broadcast(hub, "msg", ["control"])
    await client.expect("control")
    for label in ["to-bob", "to-bobs", "to-bob-connection"]:
        await bob.expect(label)
    for label in ["to-bob", "to-bobs", "to-bob-connection", "to-nobody"]:
        client.refute(label)


async def test_stops_getting_group_sends_after_its_user_is_removed(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    await server.add_user_to_group(hub, "g", "alice")
    await server.send_to_group(hub, "g", "msg", ["while-member"])
    await client.expect("while-member")
    await server.remove_user_from_group(hub, "g", "alice")
    await server.send_to_group(hub, "g", "msg", ["after-removal"])
    await server.send_to_user(hub, "alice", "msg", ["control"])
    await client.expect("control")
    client.refute("after-removal")


async def test_stops_getting_group_sends_after_its_connection_is_removed(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    cid = client.connection_id
    await server.add_connection_to_group(hub, "g", cid)
    await server.send_to_group(hub, "g", "msg", ["while-member"])
    await client.expect("while-member")
    await server.remove_connection_from_group(hub, "g", cid)
    await server.send_to_group(hub, "g", "msg", ["after-removal"])
    await server.send_to_connection(hub, cid, "msg", ["control"])
    await client.expect("control")
    client.refute("after-removal")


async def test_is_closed_with_the_reason_by_rest_close(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    cid = client.connection_id
    await server.close_connection(hub, cid, "kicked by compat test")
    # pysignalr raises ServerError(<Close message error>) out of run().
    with pytest.raises(ServerError, match="kicked by compat test"):
        await asyncio.wait_for(asyncio.shield(client.task), DEADLINE)
    await wait_until(
        lambda: _is(server.connection_status(hub, cid), 404), lambda: f"connection {cid} still exists after REST close"
    )


async def test_exists_while_connected_and_404_after_it_stops(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    cid = client.connection_id
    assert await server.connection_status(hub, cid) == 200
    assert await server.user_status(hub, "alice") == 200
    await client.stop()
    await wait_until(lambda: _is(server.connection_status(hub, cid), 404), lambda: f"connection {cid} still exists after stop")
    await wait_until(lambda: _is(server.user_status(hub, "alice"), 404), lambda: "user alice still exists after stop")


async def test_a_user_with_two_connections_gets_both_copies(server, clients, protocol):
    hub = unique("hub")
    first = await clients(server, hub, "alice", protocol)
    second = await clients(server, hub, "alice", protocol)
    assert first.connection_id != second.connection_id
    await server.add_user_to_group(hub, "g", "alice")
    await server.send_to_user(hub, "alice", "msg", ["to-user"])
    await server.send_to_group(hub, "g", "msg", ["to-group"])
    await server.broadcast(hub, "msg", ["control"])
    for client in (first, second):
        await client.expect("control")
        assert client.count("to-user") == 1, client.received
        assert client.count("to-group") == 1, client.received


async def test_a_client_invocation_is_refused_with_a_close_carrying_an_error(server, clients, protocol):
    hub = unique("hub")
    client = await clients(server, hub, "alice", protocol)
    # Serverless: hub methods cannot be invoked; the server closes with an error, which
    # pysignalr raises as ServerError out of run().
    await client.signalr.send("SomeHubMethod", [1])
    with pytest.raises(ServerError):
        await asyncio.wait_for(asyncio.shield(client.task), DEADLINE)


async def test_a_token_for_another_hub_is_refused(server, clients, protocol):
    hub = unique("hub")
    token = server.client_token(hub, "alice", audience=f"{server.endpoint}/client/?hub=otherhub")
    # negotiate answers 401, which pysignalr raises as AuthorizationError out of run()
    with pytest.raises(AuthorizationError):
        await clients(server, hub, "alice", protocol, token=token)


async def _is(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def test_odd_user_ids_and_group_names_round_trip(server, clients, protocol):
    hub = unique("hub")
    user, group = "ü ser/1?#%+&=;", "g/ü ?#%+&=;"
    client = await clients(server, hub, user, protocol)
    await server.send_to_user(hub, user, "msg", ["to-odd-user"])
    await server.add_user_to_group(hub, group, user)
    await server.send_to_group(hub, group, "msg", ["to-odd-group"])
    await client.expect("to-odd-user")
    await client.expect("to-odd-group")

"""The simulator as a test helper: fixture, virtual clients, inspection, clock."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest

from signalr_rest import (
    ConnectionInfo,
    GroupInfo,
    InvalidArgumentError,
    RequestTimeoutError,
    RetryPolicy,
    ServiceClient,
    SignalRError,
    Simulator,
)


def test_the_fixture_is_a_running_simulator(signalr_simulator: Simulator) -> None:
    assert signalr_simulator.url.startswith("http://127.0.0.1:")
    assert signalr_simulator.connection_string.startswith(f"Endpoint={signalr_simulator.url};")
    ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none()).health()


def test_pytester_sees_the_fixture_with_zero_setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from signalr_rest import ServiceClient

        def test_app_broadcast(signalr_simulator):
            browser = signalr_simulator.connect("chat")
            client = ServiceClient.from_connection_string(signalr_simulator.connection_string)
            client.hub("chat").send_to_all("news", "hello")
            assert browser.received == [("news", ["hello"])]
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_simulator_stops_serving_when_its_with_block_ends() -> None:
    with Simulator() as simulator:
        client = ServiceClient.from_connection_string(simulator.connection_string)
        client.health()
    with pytest.raises(SignalRError):
        client.health()
    assert simulator.hubs() == []  # inspection answers from the final state
    with pytest.raises(InvalidArgumentError, match="^invalid simulator: the simulator has been shut down$"):
        simulator.connect("chat")
    with pytest.raises(InvalidArgumentError, match="has been shut down"):
        simulator.access_token(simulator.url)
    simulator.close()  # closing twice is harmless


def test_a_simulator_can_use_a_given_access_key() -> None:
    with Simulator(access_key="my-key") as simulator:
        assert simulator.access_key == "my-key"
        assert "AccessKey=my-key;" in simulator.connection_string


def test_virtual_clients_are_listed_with_their_users(signalr_simulator: Simulator) -> None:
    alice = signalr_simulator.connect("Chat", user_id="alice")
    anonymous = signalr_simulator.connect("chat")
    assert signalr_simulator.hubs() == ["chat"]
    assert sorted(signalr_simulator.connections("chat"), key=lambda c: c.user_id or "") == [
        ConnectionInfo(anonymous.connection_id, None),
        ConnectionInfo(alice.connection_id, "alice"),
    ]
    assert alice.user_id == "alice"


def test_groups_list_their_members(signalr_simulator: Simulator, service: ServiceClient) -> None:
    a = signalr_simulator.connect("chat")
    service.hub("chat").add_connection_to_group("room", a.connection_id)
    assert signalr_simulator.groups("chat") == [GroupInfo("room", (a.connection_id,))]


def test_user_group_mappings_show_their_expiry_and_expire_with_the_clock(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    hub = service.hub("chat")
    hub.add_user_to_group("room", "alice", ttl=timedelta(minutes=1))
    (mapping,) = signalr_simulator.user_groups("chat")
    assert (mapping.user_id, mapping.group) == ("alice", "room")
    assert mapping.expires_at.tzinfo is not None
    signalr_simulator.advance_clock(timedelta(seconds=61))
    assert signalr_simulator.user_groups("chat") == []
    assert not hub.user_in_group("room", "alice")


def test_advancing_the_clock_backwards_is_refused(signalr_simulator: Simulator) -> None:
    with pytest.raises(InvalidArgumentError, match="-1"):
        signalr_simulator.advance_clock(-1)


def test_ttl_as_a_fraction_of_a_second_is_refused(service: ServiceClient) -> None:
    with pytest.raises(InvalidArgumentError, match="whole seconds"):
        service.hub("chat").add_user_to_group("g", "u", ttl=timedelta(seconds=1.5))
    with pytest.raises(TypeError, match="float"):
        service.hub("chat").add_user_to_group("g", "u", ttl=1.5)  # type: ignore[arg-type]


def test_a_closed_connection_reports_its_reason(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    client = signalr_simulator.connect("chat")
    assert not client.is_closed
    service.hub("chat").close_connection(client.connection_id, reason="bye")
    assert client.is_closed
    assert client.close_reason == "bye"


def test_a_disconnected_client_leaves_the_hub(signalr_simulator: Simulator) -> None:
    with signalr_simulator.connect("chat", user_id="bob") as client:
        assert [c.connection_id for c in signalr_simulator.connections("chat")] == [
            client.connection_id
        ]
    assert signalr_simulator.connections("chat") == []


def test_wait_for_returns_the_arguments_sent_from_another_thread(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    client = signalr_simulator.connect("chat")
    later = threading.Timer(0.2, service.hub("chat").send_to_all, ("ready", 42))
    later.start()
    assert client.wait_for("ready", timeout=5) == [42]
    later.join()


def test_wait_for_times_out_with_request_timeout_error(signalr_simulator: Simulator) -> None:
    client = signalr_simulator.connect("chat")
    with pytest.raises(RequestTimeoutError):
        client.wait_for("never", timeout=0.05)


async def test_wait_for_async_does_not_block_the_loop(signalr_simulator: Simulator) -> None:
    from signalr_rest import aio

    client = signalr_simulator.connect("chat")
    service = aio.ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none())

    async def send_later() -> None:
        await asyncio.sleep(0.1)
        await service.hub("chat").send_to_all("ready", {"ok": True})

    sender = asyncio.create_task(send_later())
    assert await client.wait_for_async("ready", timeout=5) == [{"ok": True}]
    await sender


def test_a_simulator_nobody_references_keeps_serving_after_a_garbage_collection() -> None:
    import gc
    import urllib.request

    url = Simulator().url  # the only reference is dropped at once
    gc.collect()
    with urllib.request.urlopen(f"{url}/api/v1/health", timeout=5) as answer:
        assert answer.status == 200


def test_ping_interval_sets_how_soon_a_silent_websocket_client_gets_a_ping() -> None:
    from websockets.sync.client import connect

    with Simulator(ping_interval=0.2) as sim:
        audience = f"{sim.url}/client/?hub=chat"
        url = f"{sim.url.replace('http', 'ws', 1)}/client/?hub=chat&access_token="
        with connect(url + sim.access_token(audience)) as socket:
            socket.send('{"protocol":"json","version":1}\x1e')
            assert socket.recv(timeout=2) == "{}\x1e"
            assert socket.recv(timeout=2) == '{"type":6}\x1e'


def test_a_bad_ping_interval_is_refused_naming_it() -> None:
    with pytest.raises(InvalidArgumentError, match="ping_interval"):
        Simulator(ping_interval=-1)


def test_the_dashboard_is_served_on_loopback_by_default() -> None:
    import urllib.request

    with Simulator() as sim:
        assert sim.dashboard_url == f"{sim.url}/dashboard/"
        with urllib.request.urlopen(sim.dashboard_url, timeout=5) as answer:
            assert answer.status == 200
            assert answer.headers.get_content_type() == "text/html"
            assert "<html" in answer.read().decode().lower()


def test_dashboard_false_serves_no_dashboard() -> None:
    import urllib.error
    import urllib.request

    with Simulator(dashboard=False) as sim:
        assert sim.dashboard_url is None
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{sim.url}/dashboard/", timeout=5)
        assert refused.value.code == 404
        refused.value.close()


def test_dashboard_true_serves_it() -> None:
    with Simulator(dashboard=True) as sim:
        assert sim.dashboard_url == f"{sim.url}/dashboard/"


def test_a_dashboard_that_is_not_a_bool_is_refused_naming_it() -> None:
    with pytest.raises(TypeError, match="dashboard"):
        Simulator(dashboard="yes")  # type: ignore[arg-type]

"""Fault injection through the public API, over real sockets: rules given at construction or
added later, seeded fractions, delays, dropping and pausing clients, sync and asyncio."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from websockets.sync.client import ClientConnection, connect

from signalr_rest import (
    FaultRule,
    InjectedFault,
    InvalidArgumentError,
    RetryPolicy,
    ServiceClient,
    ServiceError,
    Simulator,
    TransportError,
    aio,
)

DROPPED = "the simulator dropped the connection (fault injection)"


def _client(sim: Simulator, retries: int = 0) -> ServiceClient:
    return ServiceClient.from_connection_string(
        sim.connection_string, retry=RetryPolicy(max_retries=retries)
    )


@contextmanager
def _websocket(sim: Simulator, hub: str) -> Iterator[ClientConnection]:
    """A real WebSocket client of ``hub``, past the handshake."""
    url = f"{sim.url.replace('http', 'ws', 1)}/client/?hub={hub}&access_token="
    with connect(url + sim.access_token(f"{sim.url}/client/?hub={hub}")) as socket:
        socket.send('{"protocol":"json","version":1}\x1e')
        assert socket.recv(timeout=5) == "{}\x1e"
        yield socket


def _next_message(socket: ClientConnection, timeout: float) -> dict[str, object]:
    """The next SignalR JSON message the client receives."""
    text = socket.recv(timeout=timeout)
    assert isinstance(text, str), text
    message: dict[str, object] = json.loads(text.rstrip("\x1e"))
    return message


# ---- rules ----


def test_a_rule_given_at_construction_applies_from_the_start() -> None:
    with Simulator(faults=["503;route=send"]) as sim:
        browser = sim.connect("chat")
        hub = _client(sim).hub("chat")
        with pytest.raises(ServiceError) as refused:
            hub.send_to_all("t", 1)
        assert refused.value.status == 503
        assert browser.received == []
        assert hub.group_exists("g") is False  # another route: untouched
        assert sim.faults() == [FaultRule("f1", "503;route=send", 1)]
        [injected] = sim.injected_faults()
        assert isinstance(injected, InjectedFault)
        assert (injected.fault_id, injected.fault, injected.hub) == ("f1", "503;route=send", "chat")
        assert injected.target.startswith("POST /api/")


def test_a_bad_rule_is_refused_naming_the_bad_part() -> None:
    with pytest.raises(InvalidArgumentError, match="sends") as refused:
        Simulator(faults=["503;route=sends"])
    assert refused.value.field == "fault"
    with Simulator() as sim:
        with pytest.raises(InvalidArgumentError, match="600"):
            sim.add_fault("600")
        with pytest.raises(InvalidArgumentError, match="retry-after"):
            sim.add_fault("500;retry-after=1")
        with pytest.raises(TypeError, match="rule must be a str"):
            sim.add_fault(503)  # type: ignore[arg-type]
        assert sim.faults() == []


def test_rules_are_added_listed_removed_and_cleared() -> None:
    with Simulator() as sim:
        hub = _client(sim).hub("chat")
        first = sim.add_fault("500;hub=chat;route=send;times=2")
        second = sim.add_fault("delay=10ms;route=health")
        assert (first, second) == ("f1", "f2")
        assert [rule.fault for rule in sim.faults()] == [
            "500;hub=chat;route=send;times=2",
            "delay=10ms;route=health",
        ]
        for _ in range(2):
            with pytest.raises(ServiceError):
                hub.send_to_all("t")
        # times=2 ran out: the rule is gone and sends go through again.
        assert [rule.id for rule in sim.faults()] == [second]
        hub.send_to_all("t")
        assert sim.remove_fault(second) is True
        assert sim.remove_fault(second) is False
        sim.add_fault("400")
        sim.clear_faults()
        assert sim.faults() == []
        hub.send_to_all("t")
        assert [f.fault for f in sim.injected_faults()] == ["500;hub=chat;route=send;times=2"] * 2


def test_a_send_turned_away_with_503_is_retried_and_delivered_once() -> None:
    with Simulator() as sim:
        browser = sim.connect("chat")
        sim.add_fault("503;route=send;times=1")
        _client(sim, retries=2).hub("chat").send_to_all("t", "x")
        assert browser.received == [("t", ["x"])]
        assert len(sim.injected_faults()) == 1


def test_a_reset_fails_a_send_with_a_transport_error() -> None:
    with Simulator() as sim:
        sim.add_fault("reset;route=send;times=1")
        with pytest.raises(TransportError):
            _client(sim, retries=2).hub("chat").send_to_all("t")


def _pattern(seed: int) -> list[bool]:
    """Which of 40 calls a half-the-time rule hit, under ``seed``, with retries off."""
    with Simulator(faults=["503;route=group;fraction=0.5"], fault_seed=seed) as sim:
        hub = _client(sim).hub("chat")
        hits = []
        for _ in range(40):
            try:
                hub.group_exists("g")
            except ServiceError as error:
                assert error.status == 503
                hits.append(True)
            else:
                hits.append(False)
        assert len(sim.injected_faults()) == sum(hits)
        assert sim.faults()[0].injected == sum(hits)
        return hits


def test_a_fault_seed_makes_the_fraction_draws_repeat() -> None:
    pattern = _pattern(42)
    assert 0 < sum(pattern) < 40, pattern  # some hit, some not
    assert _pattern(42) == pattern
    # Another seed draws another pattern (the same 40 draws by chance: 1 in 2^40).
    assert _pattern(7) != pattern


def test_a_bad_fault_seed_is_refused_naming_it() -> None:
    with pytest.raises(InvalidArgumentError, match="-1") as refused:
        Simulator(fault_seed=-1)
    assert refused.value.field == "fault_seed"
    with pytest.raises(InvalidArgumentError, match=str(2**64)):
        Simulator(fault_seed=2**64)
    with pytest.raises(TypeError, match="fault_seed"):
        Simulator(fault_seed=True)


def test_a_delay_rule_delays_the_request() -> None:
    with Simulator(faults=["delay=300ms;route=health"]) as sim:
        client = _client(sim)
        started = time.monotonic()
        client.health()
        assert time.monotonic() - started >= 0.3
        assert [f.fault for f in sim.injected_faults()] == ["delay=300ms;route=health"]


# ---- dropping and pausing clients ----


def test_drop_clients_closes_a_virtual_client_with_the_fault_reason() -> None:
    with Simulator() as sim:
        a, b, other = sim.connect("chat"), sim.connect("chat"), sim.connect("other")
        assert sim.drop_clients("chat", connection_id=a.connection_id) == [a.connection_id]
        assert a.is_closed and a.close_reason == DROPPED
        assert not b.is_closed
        assert sim.drop_clients("chat", close=False) == [b.connection_id]
        assert b.is_closed and b.close_reason is None
        assert not other.is_closed
        assert sim.connections("chat") == []
        assert [(f.fault_id, f.fault, f.target, f.hub) for f in sim.injected_faults()] == [
            ("", "drop;close", f"connection {a.connection_id}", "chat"),
            ("", "drop", f"connection {b.connection_id}", "chat"),
        ]
        assert sim.drop_clients("chat") == []
        with pytest.raises(InvalidArgumentError, match="Bad Hub!"):
            sim.drop_clients("Bad Hub!")


def test_drop_clients_closes_a_websocket_client_with_a_reconnectable_close() -> None:
    with Simulator() as sim, _websocket(sim, "chat") as socket:
        [connection] = sim.connections("chat")
        assert sim.drop_clients("chat") == [connection.connection_id]
        close = _next_message(socket, timeout=5)
        assert close["type"] == 7
        assert close.get("allowReconnect") is True
        assert sim.connections("chat") == []


def test_pause_clients_leaves_virtual_clients_and_refuses_a_bad_duration() -> None:
    with Simulator() as sim:
        sim.connect("chat")
        assert sim.pause_clients("chat", 1) == []
        assert sim.injected_faults() == []
        with pytest.raises(InvalidArgumentError, match="-1") as refused:
            sim.pause_clients("chat", -1)
        assert refused.value.field == "seconds"
        with pytest.raises(InvalidArgumentError, match="3601"):
            sim.pause_clients("chat", timedelta(seconds=3601))
        with pytest.raises(TypeError, match="seconds"):
            sim.pause_clients("chat", "1")  # type: ignore[arg-type]


def test_pause_clients_holds_a_websocket_clients_messages_until_it_ends() -> None:
    with Simulator() as sim, _websocket(sim, "chat") as socket:
        [connection] = sim.connections("chat")
        paused = sim.pause_clients("chat", 1.5, connection_id=connection.connection_id)
        assert paused == [connection.connection_id]
        _client(sim).hub("chat").send_to_all("t", "held")
        with pytest.raises(TimeoutError):
            socket.recv(timeout=0.5)
        message = _next_message(socket, timeout=10)
        assert (message["target"], message["arguments"]) == ("t", ["held"])
        [pause] = sim.injected_faults()
        assert pause.fault.startswith("pause=") and pause.hub == "chat"


# ---- asyncio ----


async def test_faults_apply_to_the_asyncio_client() -> None:
    with Simulator(faults=["503;route=send;times=1"]) as sim:
        browser = sim.connect("chat")
        async with aio.ServiceClient.from_connection_string(
            sim.connection_string, retry=RetryPolicy.none()
        ) as client:
            hub = client.hub("chat")
            with pytest.raises(ServiceError) as refused:
                await hub.send_to_all("t", 1)
            assert refused.value.status == 503
            # times=1 ran out: the next send goes through.
            await hub.send_to_all("t", 2)
        assert await browser.wait_for_async("t") == [2]
        sim.add_fault("delay=200ms;route=group")
        async with aio.ServiceClient.from_connection_string(
            sim.connection_string, retry=RetryPolicy(max_retries=2)
        ) as client:
            started = time.monotonic()
            assert await client.hub("chat").group_exists("g") is False
            assert time.monotonic() - started >= 0.2
            sim.add_fault("503;route=send;times=1")
            await client.hub("chat").send_to_all("t", 3)
        assert browser.received == [("t", [2]), ("t", [3])]
        sim.drop_clients("chat")
        assert browser.close_reason == DROPPED
        assert [f.fault for f in sim.injected_faults()] == [
            "503;route=send;times=1",
            "delay=200ms;route=group",
            "503;route=send;times=1",
            "drop;close",
        ]

"""Client options, negotiate and context managers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tokens import token_claims

from signalr_rest import InvalidArgumentError, RetryPolicy, ServiceClient, SignalRError, Simulator, aio


def test_negotiate_returns_the_url_and_a_token_for_the_user(service: ServiceClient) -> None:
    answer = service.negotiate("Chat", "alice", lifetime=timedelta(minutes=5))
    assert set(answer) == {"url", "accessToken"}
    assert answer["url"] == f"{service.endpoint}/client/?hub=chat"
    claims = token_claims(answer["accessToken"])
    assert claims["nameid"] == "alice"
    assert claims["aud"] == answer["url"]
    assert claims["exp"] - claims["iat"] == 300


def test_negotiate_refuses_a_negative_lifetime(service: ServiceClient) -> None:
    with pytest.raises(InvalidArgumentError, match="lifetime"):
        service.negotiate("chat", lifetime=-5)


def test_client_url_uses_the_client_endpoint_and_application_name() -> None:
    client = ServiceClient(
        endpoint="http://internal:8080",
        access_key="k",
        client_endpoint="https://public.example",
        application_name="App",
    )
    assert client.client_url("Chat") == "https://public.example/client/?hub=app_chat"
    assert client.hub("Chat").name == "app_chat"


def test_durations_accept_seconds_or_timedelta_and_nothing_else() -> None:
    ServiceClient(endpoint="http://a", access_key="k", timeout=timedelta(seconds=2))
    ServiceClient(endpoint="http://a", access_key="k", timeout=2)
    with pytest.raises(InvalidArgumentError, match="timeout"):
        ServiceClient(endpoint="http://a", access_key="k", timeout=0)
    with pytest.raises(TypeError, match="timeout must be seconds"):
        ServiceClient(endpoint="http://a", access_key="k", timeout="2")  # type: ignore[arg-type]


def test_excluded_must_be_a_list_not_a_str(service: ServiceClient) -> None:
    with pytest.raises(TypeError, match="excluded"):
        service.hub("chat").send_to_all("t", excluded="abc")


def test_excluded_connections_are_left_out(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    a, b = signalr_simulator.connect("chat"), signalr_simulator.connect("chat")
    service.hub("chat").send_to_all("t", 1, excluded=(c for c in [a.connection_id]))
    assert (a.received, b.received) == ([], [("t", [1])])


def test_a_client_closes_at_the_end_of_its_with_block(signalr_simulator: Simulator) -> None:
    with ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none()) as client:
        hub = client.hub("chat")
    with pytest.raises(SignalRError, match="closed"):
        client.negotiate("chat")
    hub.send_to_all("still works")  # hub clients keep the connection pool alive


async def test_an_asyncio_client_closes_at_the_end_of_its_async_with_block(
    signalr_simulator: Simulator,
) -> None:
    async with aio.ServiceClient.from_connection_string(
        signalr_simulator.connection_string
    ) as client:
        await client.health()
        assert client.negotiate("chat")["url"].endswith("/client/?hub=chat")
    with pytest.raises(SignalRError, match="closed"):
        await client.health()

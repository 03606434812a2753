"""The api_version option and the operations 2022-06-01 added, sync and asyncio, each under
both the default (v1) client and one speaking 2022-06-01 (the newer operations always use it)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from tokens import token_claims

from signalr_rest import (
    ApiVersion,
    InvalidArgumentError,
    NegotiateResponse,
    RetryPolicy,
    ServiceClient,
    Simulator,
    aio,
)

VERSIONS: list[ApiVersion | None] = [None, "2022-06-01"]


@pytest.fixture(params=VERSIONS, ids=["default", "2022-06-01"])
def api_version(request: pytest.FixtureRequest) -> ApiVersion | None:
    version: ApiVersion | None = request.param
    return version


@pytest.fixture
def client(signalr_simulator: Simulator, api_version: ApiVersion | None) -> Iterator[ServiceClient]:
    with ServiceClient.from_connection_string(
        signalr_simulator.connection_string, retry=RetryPolicy.none(), api_version=api_version
    ) as service:
        yield service


@pytest.fixture
def aio_client(signalr_simulator: Simulator, api_version: ApiVersion | None) -> aio.ServiceClient:
    return aio.ServiceClient.from_connection_string(
        signalr_simulator.connection_string, retry=RetryPolicy.none(), api_version=api_version
    )


def client_negotiate_status(answer: NegotiateResponse) -> int:
    """What the simulator's client endpoint answers a SignalR client bringing this token."""
    request = urllib.request.Request(
        answer["url"].replace("/client/?", "/client/negotiate?"),
        method="POST",
        headers={"Authorization": f"Bearer {answer['accessToken']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        status: int = response.status
        return status


def test_a_client_speaks_1_0_unless_told_otherwise(signalr_simulator: Simulator) -> None:
    cs = signalr_simulator.connection_string
    assert ServiceClient.from_connection_string(cs).api_version == "1.0"
    newer = aio.ServiceClient.from_connection_string(cs, api_version="2022-06-01")
    assert newer.api_version == "2022-06-01"
    named = ServiceClient(endpoint="http://a", access_key="k", application_name="App")
    assert named.application_name == "app"
    assert ServiceClient.from_connection_string(cs).application_name is None


def test_an_unknown_api_version_is_refused_naming_it(signalr_simulator: Simulator) -> None:
    with pytest.raises(InvalidArgumentError, match="2021-01-01") as raised:
        ServiceClient.from_connection_string(
            signalr_simulator.connection_string,
            api_version="2021-01-01",  # type: ignore[arg-type]
        )
    assert raised.value.field == "api_version"


def test_v1_operations_work_under_either_version(
    signalr_simulator: Simulator, client: ServiceClient
) -> None:
    alice = signalr_simulator.connect("chat", user_id="alice")
    hub = client.hub("chat")
    hub.add_user_to_group("room", "alice")
    hub.send_to_group("room", "hello", 1)
    assert hub.user_in_group("room", "alice")
    client.health()
    assert alice.received == [("hello", [1])]


def test_closing_at_three_scopes_keeps_the_excluded_and_tells_the_rest_why(
    signalr_simulator: Simulator, client: ServiceClient
) -> None:
    ann1 = signalr_simulator.connect("chat", user_id="ann")
    ann2 = signalr_simulator.connect("chat", user_id="ann")
    member = signalr_simulator.connect("chat")
    kept = signalr_simulator.connect("chat")
    hub = client.hub("chat")
    hub.add_connection_to_group("room", member.connection_id)

    hub.close_user_connections("ann", excluded=[ann2.connection_id], reason="user")
    hub.close_group_connections("room", reason="group")
    assert (ann1.close_reason, ann2.is_closed, member.close_reason) == ("user", False, "group")

    hub.close_all_connections(excluded=[kept.connection_id], reason="all")
    assert ann2.close_reason == "all"
    assert not kept.is_closed
    assert [c.connection_id for c in signalr_simulator.connections("chat")] == [kept.connection_id]


def test_a_connection_leaves_all_its_groups(
    signalr_simulator: Simulator, client: ServiceClient
) -> None:
    ann = signalr_simulator.connect("chat", user_id="ann")
    hub = client.hub("chat")
    hub.add_connection_to_group("a", ann.connection_id)
    hub.add_connection_to_group("b", ann.connection_id)
    hub.remove_connection_from_all_groups(ann.connection_id)
    hub.remove_connection_from_all_groups("unknown")
    assert signalr_simulator.groups("chat") == []


def test_negotiate_with_service_gives_a_token_the_client_endpoint_accepts(
    client: ServiceClient,
) -> None:
    answer = client.negotiate_with_service("Chat", "alice", lifetime=90)
    assert answer["url"] == f"{client.endpoint}/client/?hub=chat"
    claims = token_claims(answer["accessToken"])
    assert claims["nameid"] == "alice"
    assert claims["exp"] - claims["iat"] == 120, "90 s rounds up to whole minutes"
    assert client_negotiate_status(answer) == 200


def test_a_generated_client_token_is_for_the_hub_and_user(client: ServiceClient) -> None:
    token = client.hub("chat").generate_client_token("bob")
    assert token_claims(token)["nameid"] == "bob"
    url = client.client_url("chat")
    assert client_negotiate_status({"url": url, "accessToken": token}) == 200


def test_the_newer_operations_check_their_arguments(client: ServiceClient) -> None:
    hub = client.hub("chat")
    with pytest.raises(InvalidArgumentError, match="group"):
        hub.close_group_connections("")
    with pytest.raises(TypeError, match="excluded"):
        hub.close_all_connections(excluded="abc")
    with pytest.raises(InvalidArgumentError, match="lifetime"):
        hub.generate_client_token(lifetime=-1)


async def test_asyncio_closes_at_three_scopes(
    signalr_simulator: Simulator, aio_client: aio.ServiceClient
) -> None:
    ann = signalr_simulator.connect("chat", user_id="ann")
    member = signalr_simulator.connect("chat")
    kept = signalr_simulator.connect("chat")
    hub = aio_client.hub("chat")
    await hub.add_connection_to_group("room", member.connection_id)
    await hub.close_user_connections("ann", reason="user")
    await hub.close_group_connections("room", excluded=[], reason="group")
    await hub.close_all_connections(excluded=[kept.connection_id], reason="all")
    assert (ann.close_reason, member.close_reason, kept.is_closed) == ("user", "group", False)


async def test_asyncio_removes_a_connection_from_all_groups(
    signalr_simulator: Simulator, aio_client: aio.ServiceClient
) -> None:
    ann = signalr_simulator.connect("chat")
    hub = aio_client.hub("chat")
    await hub.add_connection_to_group("a", ann.connection_id)
    await hub.remove_connection_from_all_groups(ann.connection_id)
    assert signalr_simulator.groups("chat") == []


async def test_asyncio_negotiates_with_the_service(aio_client: aio.ServiceClient) -> None:
    answer = await aio_client.negotiate_with_service("chat", "alice")
    assert token_claims(answer["accessToken"])["nameid"] == "alice"
    assert client_negotiate_status(answer) == 200
    token = await aio_client.hub("chat").generate_client_token()
    url = aio_client.client_url("chat")
    assert client_negotiate_status({"url": url, "accessToken": token}) == 200

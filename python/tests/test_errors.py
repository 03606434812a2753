"""Every core error kind arrives as its own exception, with a message naming the value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import StubServer

from signalr_rest import (
    BadRequestError,
    InvalidArgumentError,
    NotFoundError,
    RetryPolicy,
    ServiceClient,
    ServiceError,
    SignalRError,
    Simulator,
    TransportError,
    UnauthorizedError,
    _native,
    aio,
)


def test_invalid_arguments_are_value_errors_naming_field_and_value(service: ServiceClient) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        service.hub("1abc")
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, SignalRError)
    assert raised.value.field == "hub"
    assert '"1abc"' in str(raised.value)
    assert raised.value.kind == "invalid_argument"


def test_a_bad_group_name_is_refused_before_sending(service: ServiceClient) -> None:
    with pytest.raises(InvalidArgumentError, match="whitespace") as raised:
        service.hub("chat").send_to_group("   ", "t")
    assert raised.value.field == "group"


def test_a_wrong_access_key_raises_unauthorized_with_the_status(
    signalr_simulator: Simulator,
) -> None:
    wrong = ServiceClient(endpoint=signalr_simulator.url, access_key="not-the-key")
    with pytest.raises(UnauthorizedError) as raised:
        wrong.hub("chat").send_to_all("t")
    assert raised.value.status == 401
    assert "401" in str(raised.value)
    assert "signature" in str(raised.value)


def test_a_missing_connection_raises_not_found_with_the_service_code(
    service: ServiceClient,
) -> None:
    with pytest.raises(NotFoundError) as raised:
        service.hub("chat").add_connection_to_group("g", "ghost")
    assert raised.value.code == "Error.Connection.NotExisted"
    assert '"ghost"' in str(raised.value)


def test_an_unreachable_endpoint_raises_transport_error() -> None:
    with Simulator() as simulator:
        gone = simulator.url
    client = ServiceClient(endpoint=gone, access_key="k", retry=RetryPolicy.none())
    with pytest.raises(TransportError) as raised:
        client.hub("chat").send_to_all("t")
    assert raised.value.kind == "transport"
    assert "127.0.0.1" in str(raised.value)


def test_a_400_raises_bad_request_error_with_the_service_message(
    stub_server: StubServer,
) -> None:
    stub_server.status = 400
    stub_server.body = b'{"code": "Error.Body", "message": "the body is not JSON"}'
    client = ServiceClient.from_connection_string(stub_server.connection_string)
    with pytest.raises(BadRequestError) as raised:
        client.hub("chat").send_to_all("t")
    assert isinstance(raised.value, ServiceError)
    assert (raised.value.status, raised.value.body) == (400, "the body is not JSON")
    assert "the body is not JSON" in str(raised.value)


def test_an_unexpected_status_raises_service_error_with_status_and_body(
    stub_server: StubServer,
) -> None:
    stub_server.status = 409
    stub_server.body = b"conflict!"
    client = ServiceClient.from_connection_string(stub_server.connection_string)
    with pytest.raises(ServiceError) as raised:
        client.hub("chat").send_to_all("t")
    assert (raised.value.status, raised.value.body, raised.value.kind) == (
        409,
        "conflict!",
        "service_error",
    )
    assert "409" in str(raised.value)


def test_retries_follow_the_policy(stub_server: StubServer) -> None:
    stub_server.status = 503
    policy = RetryPolicy(max_retries=2, initial_delay=timedelta(milliseconds=10))
    client = ServiceClient.from_connection_string(stub_server.connection_string, retry=policy)
    with pytest.raises(ServiceError, match="503"):
        client.hub("chat").user_exists("u")
    assert stub_server.requests == 3


def test_a_bad_connection_string_names_the_key() -> None:
    # Unknown keys are ignored, as the official SDK does; a duplicate is refused.
    with pytest.raises(InvalidArgumentError, match='duplicate key "endpoint"'):
        ServiceClient.from_connection_string("Endpoint=http://a;AccessKey=k;endpoint=http://b")


def test_a_closed_client_says_so(signalr_simulator: Simulator) -> None:
    client = ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none())
    client.close()
    with pytest.raises(SignalRError, match="closed"):
        client.hub("chat")


def test_a_panic_in_a_blocking_call_is_a_signalr_error() -> None:
    with pytest.raises(SignalRError, match="internal error.*boom"):
        _native._panicking_call("boom").wait()


async def test_a_panic_in_an_asyncio_call_is_a_signalr_error() -> None:
    with pytest.raises(SignalRError, match="internal error.*boom"):
        await _native._panicking_call("boom").future()
    # the runtime survives the panic
    assert await _native._panicking_call("").future() is None


def test_a_call_runs_only_once() -> None:
    call = _native._panicking_call("")
    assert call.wait() is None
    with pytest.raises(RuntimeError, match="already"):
        call.wait()


async def test_asyncio_errors_are_the_same_exceptions(signalr_simulator: Simulator) -> None:
    client = aio.ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none())
    with pytest.raises(NotFoundError):
        await client.hub("chat").remove_connection_from_group("g", "ghost")
    with pytest.raises(InvalidArgumentError):
        await client.hub("chat").user_exists("")

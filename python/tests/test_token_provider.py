"""Key-less clients: every request's token comes from a token provider (Microsoft Entra ID in
production; the simulator's access_token here)."""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from readme_examples import write

from signalr_rest import (
    InvalidArgumentError,
    RequestTimeoutError,
    RetryPolicy,
    ServiceClient,
    Simulator,
    UnauthorizedError,
    aio,
)


def test_a_sync_provider_signs_every_request(signalr_simulator: Simulator) -> None:
    audiences: list[str] = []

    def provider(audience: str) -> str:
        audiences.append(audience)
        return signalr_simulator.access_token(audience)

    alice = signalr_simulator.connect("chat", user_id="alice")
    with ServiceClient(endpoint=signalr_simulator.url, token_provider=provider) as client:
        chat = client.hub("chat")
        chat.send_to_user("alice", "hi", 1)
        assert chat.user_exists("alice")
    assert alice.received == [("hi", [1])]
    assert audiences == [
        f"{signalr_simulator.url}/api/v1/hubs/chat/users/alice",
        f"{signalr_simulator.url}/api/v1/hubs/chat/users/alice",
    ]


async def test_an_async_provider_runs_on_the_callers_loop(signalr_simulator: Simulator) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def provider(audience: str) -> str:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return signalr_simulator.access_token(audience)

    alice = signalr_simulator.connect("chat", user_id="alice")
    async with aio.ServiceClient(endpoint=signalr_simulator.url, token_provider=provider) as client:
        await asyncio.gather(*(client.hub("chat").send_to_user("alice", "n", i) for i in range(5)))
    assert len(alice.received) == 5
    assert loops == [asyncio.get_running_loop()] * 5


async def test_the_aio_client_takes_a_sync_provider_too(signalr_simulator: Simulator) -> None:
    alice = signalr_simulator.connect("chat", user_id="alice")
    client = aio.ServiceClient(
        endpoint=signalr_simulator.url, token_provider=signalr_simulator.access_token
    )
    await client.hub("chat").send_to_user("alice", "hi")
    await client.close()
    assert alice.received == [("hi", [])]


def test_a_provider_that_raises_is_an_unauthorized_error_naming_it(
    signalr_simulator: Simulator,
) -> None:
    def broken_provider(audience: str) -> str:
        raise LookupError("no credential available")

    client = ServiceClient(
        endpoint=signalr_simulator.url, token_provider=broken_provider, retry=RetryPolicy.none()
    )
    with pytest.raises(UnauthorizedError) as raised:
        client.hub("chat").send_to_all("hi")
    assert raised.value.status is None
    assert "broken_provider" in str(raised.value)
    assert "LookupError: no credential available" in str(raised.value)


async def test_an_async_provider_that_raises_is_an_unauthorized_error(
    signalr_simulator: Simulator,
) -> None:
    async def broken_provider(audience: str) -> str:
        raise PermissionError("denied")

    client = aio.ServiceClient(endpoint=signalr_simulator.url, token_provider=broken_provider)
    with pytest.raises(UnauthorizedError, match="broken_provider.*PermissionError: denied"):
        await client.hub("chat").user_exists("alice")


def test_a_provider_returning_no_str_is_an_unauthorized_error(signalr_simulator: Simulator) -> None:
    def provider(audience: str) -> Any:
        return 42

    client = ServiceClient(endpoint=signalr_simulator.url, token_provider=provider)
    with pytest.raises(UnauthorizedError, match="returned int, not str"):
        client.hub("chat").send_to_all("hi")


def test_a_token_the_service_refuses_is_an_unauthorized_error_with_its_status(
    signalr_simulator: Simulator,
) -> None:
    client = ServiceClient(endpoint=signalr_simulator.url, token_provider=lambda audience: "junk")
    with pytest.raises(UnauthorizedError) as raised:
        client.hub("chat").send_to_all("hi")
    assert raised.value.status == 401


def test_a_hung_provider_times_out_with_the_request_timeout(signalr_simulator: Simulator) -> None:
    def hung(audience: str) -> str:
        time.sleep(1)
        return signalr_simulator.access_token(audience)

    client = ServiceClient(
        endpoint=signalr_simulator.url, token_provider=hung, timeout=0.2, retry=RetryPolicy.none()
    )
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as raised:
        client.hub("chat").send_to_all("hi")
    assert raised.value.timeout == pytest.approx(0.2)
    assert time.monotonic() - started < 0.9


async def test_a_hung_async_provider_times_out_and_is_cancelled(
    signalr_simulator: Simulator,
) -> None:
    cancelled = asyncio.Event()

    async def hung(audience: str) -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    client = aio.ServiceClient(
        endpoint=signalr_simulator.url, token_provider=hung, timeout=0.2, retry=RetryPolicy.none()
    )
    with pytest.raises(RequestTimeoutError):
        await client.hub("chat").send_to_all("hi")
    await asyncio.wait_for(cancelled.wait(), timeout=5)


def test_the_sync_client_refuses_an_async_provider(signalr_simulator: Simulator) -> None:
    async def provider(audience: str) -> str:
        return audience

    with pytest.raises(InvalidArgumentError, match="aio.ServiceClient") as raised:
        ServiceClient(endpoint=signalr_simulator.url, token_provider=provider)
    assert raised.value.field == "token_provider"


def test_a_provider_must_be_callable(signalr_simulator: Simulator) -> None:
    with pytest.raises(InvalidArgumentError, match="must be a callable") as raised:
        ServiceClient(endpoint=signalr_simulator.url, token_provider="token")  # type: ignore[arg-type]
    assert raised.value.field == "token_provider"


def test_an_entra_connection_string_works_with_a_provider(signalr_simulator: Simulator) -> None:
    cs = f"Endpoint={signalr_simulator.url};AuthType=aad;Version=1.0;"
    with pytest.raises(InvalidArgumentError, match="AuthType=aad"):
        ServiceClient.from_connection_string(cs)
    alice = signalr_simulator.connect("chat", user_id="alice")
    client = ServiceClient.from_connection_string(cs, token_provider=signalr_simulator.access_token)
    client.hub("chat").send_to_user("alice", "hi")
    assert alice.received == [("hi", [])]
    assert client.client_url("chat") == f"{signalr_simulator.url}/client/?hub=chat"


def test_a_key_less_client_negotiates_through_the_service(signalr_simulator: Simulator) -> None:
    client = ServiceClient(
        endpoint=signalr_simulator.url, token_provider=signalr_simulator.access_token
    )
    with pytest.raises(InvalidArgumentError, match="access key"):
        client.negotiate("chat", "alice")
    answer = client.negotiate_with_service("chat", "alice")
    assert answer["url"] == f"{signalr_simulator.url}/client/?hub=chat"


@pytest.fixture
def fake_azure_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The README's key-less examples, importable, with an ``azure.identity`` stub that records
    the scopes asked for."""
    write(tmp_path)
    package = tmp_path / "azure" / "identity"
    package.mkdir(parents=True)
    (tmp_path / "azure" / "__init__.py").write_text("")
    stub = (
        "class AccessToken:\n"
        "    def __init__(self, token): self.token = token\n"
        "class DefaultAzureCredential:\n"
        "    def get_token(self, *scopes):\n"
        "        SCOPES.extend(scopes)\n"
        "        return AccessToken('entra-token')\n"
    )
    (package / "__init__.py").write_text("SCOPES = []\n" + stub)
    (package / "aio.py").write_text(
        "from . import SCOPES\n"
        + stub.replace("def get_token", "async def get_token")
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    names = ["azure", "azure.identity", "azure.identity.aio", "keyless", "keyless_async"]
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)
    scopes: list[str] = importlib.import_module("azure.identity").SCOPES
    yield scopes
    for name in names:
        sys.modules.pop(name, None)


def test_the_readme_key_less_example_runs(
    signalr_simulator: Simulator, fake_azure_identity: list[str]
) -> None:
    keyless: ModuleType = importlib.import_module("keyless")
    assert keyless.entra_id_token_provider()("any audience") == "entra-token"
    assert fake_azure_identity == ["https://signalr.azure.com/.default"]
    browser = signalr_simulator.connect("chat")
    keyless.notify(signalr_simulator.url, signalr_simulator.access_token)
    assert browser.received == [("newMessage", ["hello from an app without the key"])]


async def test_the_readme_async_key_less_example_runs(
    signalr_simulator: Simulator, fake_azure_identity: list[str]
) -> None:
    keyless: ModuleType = importlib.import_module("keyless_async")
    assert await keyless.entra_id_token_provider()("any audience") == "entra-token"
    assert fake_azure_identity == ["https://signalr.azure.com/.default"]

    async def provider(audience: str) -> str:
        return signalr_simulator.access_token(audience)

    browser = signalr_simulator.connect("chat")
    await keyless.notify(signalr_simulator.url, provider)
    assert browser.received == [("newMessage", ["hello from an app without the key"])]


def test_a_simulator_on_every_interface_hands_out_a_loopback_connection_string() -> None:
    with Simulator(host="0.0.0.0") as sim:
        assert sim.url.startswith("http://127.0.0.1:")
        assert sim.connection_string.startswith(f"Endpoint={sim.url};")
        browser = sim.connect("chat")
        ServiceClient.from_connection_string(sim.connection_string).hub("chat").send_to_all("hi")
        assert browser.received == [("hi", [])]


def test_a_simulator_refuses_a_host_that_is_no_ip_address() -> None:
    with pytest.raises(InvalidArgumentError, match="not an IP address") as raised:
        Simulator(host="localhost")
    assert raised.value.field == "host"


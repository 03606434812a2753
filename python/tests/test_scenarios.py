"""Replays every shared scenario in tests/scenarios (format: its README.md) through the sync and
the asyncio API, under each REST API version the file runs under (v1 and 2022-06-01 unless it
pins one); the format is checked strictly first (scenario_format.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from scenario_format import (
    ScenarioError,
    api_versions,
    endpoint,
    parse_scenario,
    step_kind,
    token_accepted,
    typed,
)

from signalr_rest import RetryPolicy, ServiceClient, SignalRError, Simulator, VirtualClient, aio

DIRECTORY = Path(__file__).parents[2] / "tests" / "scenarios"
# surface.json beside the scenarios is the surface manifest (test_surface.py), not a scenario.
SCENARIOS = sorted(p for p in DIRECTORY.glob("*.json") if p.name != "surface.json")
RUNS = [
    pytest.param(path, version, id=f"{path.stem}-{version}")
    for path in SCENARIOS
    for version in api_versions(path.read_text(encoding="utf-8"))
]
"""Each file under each API version it runs under."""
CLIENT_API_VERSION = {"v1": "1.0", "2022-06-01": "2022-06-01"}
"""The files' version names as the client's ``api_version`` spells them."""

Invoke = Callable[[str, str, tuple[Any, ...], dict[str, Any]], Awaitable[object]]
"""Runs operation (name) on hub with positional and keyword arguments; returns its result;
``negotiate``, ``negotiate_with_service`` and ``client_url`` run on the ServiceClient."""


class Replay:
    """One scenario's simulator, virtual clients and way of calling operations."""

    def __init__(self, simulator: Simulator, invoke: Invoke) -> None:
        self.simulator = simulator
        self.invoke = invoke
        self.clients: dict[str, VirtualClient] = {}

    def client(self, at: str, name: str) -> VirtualClient:
        assert name in self.clients, f"{at}: no client named {name!r} connected"
        return self.clients[name]

    def id(self, at: str, value: str) -> str:
        """A connection id: ``$name`` stands for the id of client ``name``."""
        if value.startswith("$"):
            return self.client(at, value[1:]).connection_id
        return value

    def call_arguments(
        self, at: str, step: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments of the step's operation."""
        op = step["call"]
        keywords: dict[str, Any] = {}
        if "excluded" in step:
            keywords["excluded"] = [self.id(at, i) for i in step["excluded"]]
        if "reason" in step:
            keywords["reason"] = step["reason"]
        if "ttl" in step:
            keywords["ttl"] = step["ttl"]
        leading = {
            "send_to_all": (),
            "send_to_user": ("user",),
            "send_to_connection": ("connection",),
            "send_to_group": ("group",),
        }
        if op in leading:
            message = (step["target"], *step.get("arguments", []))
            return tuple(self.field(at, step, n) for n in leading[op]) + message, keywords
        if op in ("negotiate", "negotiate_with_service"):
            return (step["hub"], step.get("user")), keywords
        order = ("group", "connection", "user")
        return tuple(self.field(at, step, n) for n in order if n in step), keywords

    def field(self, at: str, step: dict[str, Any], name: str) -> Any:
        value = step[name]
        return self.id(at, value) if name == "connection" else value

    async def step(self, at: str, step: dict[str, Any]) -> None:
        kind = step_kind(step)
        if kind == "connect":
            try:
                client = self.simulator.connect(step["hub"], step.get("user"))
            except SignalRError as error:
                assert {"error": error.kind} == step.get("expect"), f"{at}: {step} {error}"
            else:
                assert "expect" not in step, f"{at}: connected; expected {step['expect']}"
                self.clients[step["connect"]] = client
        elif kind == "disconnect":
            self.client(at, step["disconnect"]).disconnect()
        elif kind == "call":
            args, keywords = self.call_arguments(at, step)
            try:
                result = await self.invoke(step["hub"], step["call"], args, keywords)
                outcome: object = "ok" if result is None else result
                if step["call"] in ("negotiate", "negotiate_with_service"):
                    answer: Any = result
                    outcome = token_accepted(answer["url"], answer["accessToken"], step.get("user"))
            except SignalRError as error:
                outcome = {"error": error.kind}
                detail = str(error)
            else:
                detail = ""
            assert typed(outcome) == typed(step["expect"]), f"{at}: {step} {detail}"
        elif kind == "received":
            received = [
                {"target": target, "arguments": args}
                for target, args in self.client(at, step["received"]).received
            ]
            # typed(): key order and int versus float count, as in the JSON text.
            assert typed(received) == typed(step["messages"]), f"{at}: {step}"
        elif kind == "closed":
            client = self.client(at, step["closed"])
            assert client.is_closed, f"{at}: {step}"
            assert client.close_reason == step["reason"], f"{at}: {step}"
        elif kind == "open":
            client = self.client(at, step["open"])
            assert not client.is_closed, f"{at}: {step} closed ({client.close_reason!r})"
        elif kind == "advance_clock":
            self.simulator.advance_clock(step["advance_clock"])
        elif kind == "groups":
            actual = {g.name: set(g.connection_ids) for g in self.simulator.groups(step["groups"])}
            expected = {g: {self.id(at, i) for i in ids} for g, ids in step["expect"].items()}
            assert actual == expected, f"{at}: {step}"
        elif kind == "hubs":
            assert self.simulator.hubs() == step["hubs"], f"{at}: {step}"
        elif kind == "client_url":
            url = await self.invoke(step["client_url"], "client_url", (), {})
            assert url == self.simulator.url + step["expect"], f"{at}: {step}"
        elif kind == "shutdown":
            self.simulator.close()
        elif kind == "fault":
            try:
                self.simulator.add_fault(step["fault"])
            except SignalRError as error:
                assert {"error": error.kind} == step.get("expect"), f"{at}: {step} {error}"
            else:
                assert "expect" not in step, f"{at}: added; expected {step['expect']}"
        elif kind == "clear_faults":
            self.simulator.clear_faults()
            assert self.simulator.faults() == [], f"{at}: {step}"
        elif kind == "injected":
            injected = [f.fault for f in self.simulator.injected_faults()]
            assert injected == step["injected"], f"{at}: {step}"
        else:
            connection = step.get("connection")
            self.simulator.drop_clients(
                step["drop_clients"],
                connection_id=None if connection is None else self.id(at, connection),
                close=step["close"],
            )


MakeInvoke = Callable[[dict[str, Any]], Invoke]
"""Builds a way of calling operations from ServiceClient keyword arguments."""


def replay(path: Path, version: str, make_invoke: MakeInvoke) -> None:
    scenario = parse_scenario(path.name, path.read_text(encoding="utf-8"))
    client = scenario.get("client", {})
    with Simulator() as simulator, endpoint(client, simulator.url) as url:
        key = client.get("access_key", simulator.access_key)
        settings: dict[str, Any] = {
            # No retries unless the scenario asks: an intermittent 5xx must fail the scenario,
            # not be retried away.
            "retry": RetryPolicy(max_retries=client.get("retries", 0)),
            "api_version": CLIENT_API_VERSION[version],
        }
        auth = client.get("auth", "access_key")
        if auth == "access_key":
            settings["connection_string"] = f"Endpoint={url};AccessKey={key};Version=1.0;"
        else:
            settings["endpoint"] = url
            settings["token_provider"] = (
                simulator.access_token if auth == "token_provider" else _no_credential
            )
        if "timeout_ms" in client:
            settings["timeout"] = client["timeout_ms"] / 1000
        if "application" in client:
            settings["application_name"] = client["application"]
        run = Replay(simulator, make_invoke(settings))

        async def all_steps() -> None:
            for i, step in enumerate(scenario["steps"]):
                await run.step(f"{path.name} (API {version}): steps[{i}]", step)

        asyncio.run(all_steps())


def _no_credential(audience: str) -> str:
    """The token provider of ``"auth": "failing_token_provider"``."""
    raise PermissionError(f"no credential for {audience}")


def sync_invoke(settings: dict[str, Any]) -> Invoke:
    client = ServiceClient(**settings)
    assert client.api_version == settings["api_version"]

    async def invoke(hub: str, op: str, args: tuple[Any, ...], keywords: dict[str, Any]) -> object:
        if op == "negotiate_with_service":
            return client.negotiate_with_service(*args)
        if op == "client_url":
            return client.client_url(hub)
        if op == "negotiate":
            return client.negotiate(*args)
        result: object = getattr(client.hub(hub), op)(*args, **keywords)
        return result

    return invoke


def async_invoke(settings: dict[str, Any]) -> Invoke:
    client = aio.ServiceClient(**settings)
    assert client.api_version == settings["api_version"]

    async def invoke(hub: str, op: str, args: tuple[Any, ...], keywords: dict[str, Any]) -> object:
        if op == "negotiate_with_service":
            return await client.negotiate_with_service(*args)
        if op == "client_url":
            return client.client_url(hub)
        if op == "negotiate":
            return client.negotiate(*args)
        result: object = await getattr(client.hub(hub), op)(*args, **keywords)
        return result

    return invoke


def test_scenarios_are_found_under_both_api_versions() -> None:
    assert len(SCENARIOS) >= 26
    for version in CLIENT_API_VERSION:
        runs = [run for run in RUNS if run.values[1] == version]
        assert len(runs) >= len(SCENARIOS) - 1, version


@pytest.mark.parametrize(("path", "version"), RUNS)
def test_scenario_through_the_sync_api(path: Path, version: str) -> None:
    replay(path, version, sync_invoke)


@pytest.mark.parametrize(("path", "version"), RUNS)
def test_scenario_through_the_asyncio_api(path: Path, version: str) -> None:
    replay(path, version, async_invoke)


def test_malformed_scenarios_are_refused_naming_the_file_step_and_field() -> None:
    cases = json.loads((DIRECTORY / "malformed" / "cases.json").read_text(encoding="utf-8"))
    assert len(cases) >= 10
    for i, case in enumerate(cases):
        label = f"cases.json[{i}]"
        with pytest.raises(ScenarioError) as refused:
            parse_scenario(label, json.dumps(case["scenario"]))
        assert str(refused.value) == f"{label}: {case['error']}"


def test_typed_comparison_tells_ints_from_floats_and_key_orders_apart() -> None:
    assert typed([1]) != typed([1.0])
    assert typed([True]) != typed([1])
    assert typed({"a": 1, "b": 2}) != typed({"b": 2, "a": 1})
    assert typed({"a": [1, "x", None]}) == typed(json.loads('{"a": [1, "x", null]}'))

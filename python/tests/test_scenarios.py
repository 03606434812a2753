"""Replays every shared scenario in tests/scenarios through the sync and the asyncio API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from signalr_rest import ServiceClient, SignalRError, Simulator, VirtualClient, aio

SCENARIOS = sorted((Path(__file__).parents[2] / "tests" / "scenarios").glob("*.json"))

Invoke = Callable[[str, str, tuple[Any, ...], dict[str, Any]], Awaitable[object]]
"""Runs operation (name) on hub with positional and keyword arguments; returns its result."""


class Replay:
    """One scenario's simulator, virtual clients and way of calling operations."""

    def __init__(self, simulator: Simulator, invoke: Invoke) -> None:
        self.simulator = simulator
        self.invoke = invoke
        self.clients: dict[str, VirtualClient] = {}

    def id(self, value: str) -> str:
        """A connection id: ``$name`` stands for the id of client ``name``."""
        if value.startswith("$"):
            return self.clients[value[1:]].connection_id
        return value

    def call_arguments(self, step: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments of the step's operation."""
        op = step["call"]
        message = (step.get("target", ""), *step.get("arguments", []))
        keywords: dict[str, Any] = {}
        if "excluded" in step:
            keywords["excluded"] = [self.id(i) for i in step["excluded"]]
        if op == "close_connection":
            keywords["reason"] = step.get("reason")
        if op == "add_user_to_group" and "ttl" in step:
            keywords["ttl"] = step["ttl"]
        fields = {
            "send_to_all": (),
            "send_to_user": ("user",),
            "send_to_connection": ("connection",),
            "send_to_group": ("group",),
        }
        if op in fields:
            names = fields[op]
            return tuple(self.field(step, n) for n in names) + message, keywords
        order = ("group", "connection", "user")
        return tuple(self.field(step, n) for n in order if n in step), keywords

    def field(self, step: dict[str, Any], name: str) -> Any:
        value = step[name]
        return self.id(value) if name == "connection" else value

    async def step(self, step: dict[str, Any]) -> None:
        if "connect" in step:
            self.clients[step["connect"]] = self.simulator.connect(step["hub"], step.get("user"))
        elif "disconnect" in step:
            self.clients[step["disconnect"]].disconnect()
        elif "call" in step:
            args, keywords = self.call_arguments(step)
            try:
                result = await self.invoke(step["hub"], step["call"], args, keywords)
                outcome: object = "ok" if result is None else result
            except SignalRError as error:
                outcome = {"error": error.kind}
            assert outcome == step["expect"], step
        elif "received" in step:
            received = [
                {"target": target, "arguments": args}
                for target, args in self.clients[step["received"]].received
            ]
            assert received == step["messages"], step
        elif "closed" in step:
            client = self.clients[step["closed"]]
            assert client.is_closed, step
            assert client.close_reason == step["reason"], step
        elif "advance_clock" in step:
            self.simulator.advance_clock(step["advance_clock"])
        elif "groups" in step:
            actual = {g.name: set(g.connection_ids) for g in self.simulator.groups(step["groups"])}
            expected = {g: {self.id(i) for i in ids} for g, ids in step["expect"].items()}
            assert actual == expected, step
        else:
            raise AssertionError(f"unknown step {step}")


def replay(path: Path, make_invoke: Callable[[str], Invoke]) -> None:
    scenario = json.loads(path.read_text())
    with Simulator() as simulator:
        run = Replay(simulator, make_invoke(simulator.connection_string))

        async def all_steps() -> None:
            for step in scenario["steps"]:
                await run.step(step)

        asyncio.run(all_steps())


def sync_invoke(connection_string: str) -> Invoke:
    client = ServiceClient.from_connection_string(connection_string)

    async def invoke(hub: str, op: str, args: tuple[Any, ...], keywords: dict[str, Any]) -> object:
        result: object = getattr(client.hub(hub), op)(*args, **keywords)
        return result

    return invoke


def async_invoke(connection_string: str) -> Invoke:
    client = aio.ServiceClient.from_connection_string(connection_string)

    async def invoke(hub: str, op: str, args: tuple[Any, ...], keywords: dict[str, Any]) -> object:
        result: object = await getattr(client.hub(hub), op)(*args, **keywords)
        return result

    return invoke


def test_scenarios_are_found() -> None:
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_through_the_sync_api(path: Path) -> None:
    replay(path, sync_invoke)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_through_the_asyncio_api(path: Path) -> None:
    replay(path, async_invoke)

"""Send-to-connection throughput against one simulator: this package versus pure-Python
HTTP clients signing each request with PyJWT (as the core does).

Sync clients run one call at a time; asyncio clients run 64 calls at once.
BENCH_SECONDS sets the measuring time of each run (default 3).

With BENCH_CONNECTION_STRING set, sends to that simulator (to BENCH_CONNECTION_ID, default
"bench-connection"; an absent connection still answers 202) instead of starting one, also
measures the package at both concurrencies (sync at 64 from 64 threads sharing one client,
asyncio at 1 as one loop), and prints a line ``RESULT <name> <concurrency> <calls/s>`` per rate.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import httpx
import jwt
import requests

from signalr_rest import JSON, ServiceClient, Simulator, aio

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
WARM_UP = min(0.5, SECONDS)
CONCURRENCY = 64
TARGET = "benchmark"
ARGS: list[JSON] = ["hello", {"n": 1}]
BODY: dict[str, Any] = {"target": TARGET, "arguments": ARGS}


class Target:
    """The simulator to send to: its connection string, URL and access key."""

    def __init__(self, connection_string: str) -> None:
        parts = dict(
            part.split("=", 1) for part in connection_string.split(";") if "=" in part.strip()
        )
        self.connection_string = connection_string
        self.url = parts["Endpoint"].rstrip("/")
        if "Port" in parts:
            self.url = f"{self.url}:{parts['Port']}"
        self.access_key = parts["AccessKey"]


class Endpoint:
    """Where the pure-Python clients send, and how they sign."""

    def __init__(self, simulator: Simulator | Target, connection_id: str) -> None:
        self.url = f"{simulator.url}/api/v1/hubs/bench/connections/{quote(connection_id, safe='')}"
        self.key = simulator.access_key

    def headers(self) -> dict[str, str]:
        claims = {"aud": self.url, "exp": int(time.time()) + 3600}
        return {"Authorization": f"Bearer {jwt.encode(claims, self.key, algorithm='HS256')}"}


def measure_sync(call: Callable[[], None], seconds: float) -> float:
    """Calls per second of ``call`` run back to back for ``seconds``."""
    calls, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        call()
        calls += 1
    return calls / (time.perf_counter() - started)


def measure_threads(call: Callable[[], None], seconds: float, threads: int) -> float:
    """Calls per second of ``call`` run back to back by ``threads`` threads for ``seconds``."""
    counts = [0] * threads
    started = time.perf_counter()
    deadline = started + seconds

    def loop(index: int) -> None:
        while time.perf_counter() < deadline:
            call()
            counts[index] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


async def measure_async(
    call: Callable[[], Awaitable[None]], seconds: float, concurrency: int = CONCURRENCY
) -> float:
    """Calls per second of ``call`` run by ``concurrency`` loops for ``seconds``."""
    calls, started = 0, time.perf_counter()
    deadline = started + seconds

    async def loop() -> None:
        nonlocal calls
        while time.perf_counter() < deadline:
            await call()
            calls += 1

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


def expect_accepted(status: int) -> None:
    if status != 202:
        raise RuntimeError(f"the simulator answered {status}")


def sync_rates(simulator: Simulator | Target, connection_id: str) -> dict[str, float]:
    endpoint = Endpoint(simulator, connection_id)
    hub = ServiceClient.from_connection_string(simulator.connection_string).hub("bench")
    session = requests.Session()
    httpx_client = httpx.Client()

    def with_requests() -> None:
        expect_accepted(
            session.post(endpoint.url, json=BODY, headers=endpoint.headers()).status_code
        )

    def with_httpx() -> None:
        answer = httpx_client.post(endpoint.url, json=BODY, headers=endpoint.headers())
        expect_accepted(answer.status_code)

    senders: dict[str, Callable[[], None]] = {
        "signalr-rest": lambda: hub.send_to_connection(connection_id, TARGET, *ARGS),
        "requests + PyJWT": with_requests,
        "httpx + PyJWT": with_httpx,
    }
    rates = {}
    for name, send in senders.items():
        measure_sync(send, WARM_UP)
        rates[name] = measure_sync(send, SECONDS)
    return rates


async def async_rates(simulator: Simulator | Target, connection_id: str) -> dict[str, float]:
    endpoint = Endpoint(simulator, connection_id)
    hub = aio.ServiceClient.from_connection_string(simulator.connection_string).hub("bench")
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as httpx_client,
        aiohttp.ClientSession() as aiohttp_session,
    ):

        async def with_ours() -> None:
            await hub.send_to_connection(connection_id, TARGET, *ARGS)

        async def with_httpx() -> None:
            answer = await httpx_client.post(endpoint.url, json=BODY, headers=endpoint.headers())
            expect_accepted(answer.status_code)

        async def with_aiohttp() -> None:
            async with aiohttp_session.post(
                endpoint.url, json=BODY, headers=endpoint.headers()
            ) as answer:
                await answer.read()
                expect_accepted(answer.status)

        senders: dict[str, Callable[[], Awaitable[None]]] = {
            "signalr-rest (aio)": with_ours,
            "httpx async + PyJWT": with_httpx,
            "aiohttp + PyJWT": with_aiohttp,
        }
        rates = {}
        for name, send in senders.items():
            await measure_async(send, WARM_UP)
            rates[name] = await measure_async(send, SECONDS)
        return rates


def table(title: str, rates: dict[str, float], target: float) -> None:
    """Prints the rates with each one's ratio to ours (the first), and the target check."""
    (ours_name, ours), *others = rates.items()
    print(f"\n{title}")
    print("| client | calls/s | signalr-rest is |")
    print("|---|---:|---:|")
    print(f"| {ours_name} | {ours:,.0f} | |")
    for name, rate in others:
        print(f"| {name} | {rate:,.0f} | {ours / rate:.2f}x |")
    best_name, best = max(others, key=lambda item: item[1])
    verdict = "met" if ours >= target * best else "NOT met"
    print(f"{ours / best:.2f}x the best ({best_name}); target {target:g}x: {verdict}")


def package_rates(target: Target, connection_id: str) -> dict[tuple[str, int], float]:
    """The package alone at concurrency 1 and 64, sync (64 threads) and asyncio."""
    hub = ServiceClient.from_connection_string(target.connection_string).hub("bench")

    def send() -> None:
        hub.send_to_connection(connection_id, TARGET, *ARGS)

    rates: dict[tuple[str, int], float] = {}
    measure_sync(send, WARM_UP)
    rates["python-sync", 1] = measure_sync(send, SECONDS)
    measure_threads(send, WARM_UP, CONCURRENCY)
    rates["python-sync", CONCURRENCY] = measure_threads(send, SECONDS, CONCURRENCY)

    async def asynchronous() -> None:
        aio_hub = aio.ServiceClient.from_connection_string(target.connection_string).hub("bench")

        async def send_async() -> None:
            await aio_hub.send_to_connection(connection_id, TARGET, *ARGS)

        for concurrency in (1, CONCURRENCY):
            await measure_async(send_async, WARM_UP, concurrency)
            rates["python-asyncio", concurrency] = await measure_async(
                send_async, SECONDS, concurrency
            )

    asyncio.run(asynchronous())
    return rates


RESULT_NAMES = {
    "requests + PyJWT": "requests",
    "httpx + PyJWT": "httpx",
    "httpx async + PyJWT": "httpx-async",
    "aiohttp + PyJWT": "aiohttp",
}


def against_external(connection_string: str) -> None:
    """Sends to the simulator of ``connection_string``; prints the tables and RESULT lines."""
    target = Target(connection_string)
    connection_id = os.environ.get("BENCH_CONNECTION_ID", "bench-connection")
    ours = package_rates(target, connection_id)
    sync = sync_rates(target, connection_id)
    asynchronous = asyncio.run(async_rates(target, connection_id))
    print(f"Python: send-to-connection against a shared simulator, {SECONDS:g} s per run")
    print("\n| signalr-rest | concurrency | calls/s |")
    print("|---|---:|---:|")
    for (name, concurrency), rate in ours.items():
        how = " (threads)" if name == "python-sync" and concurrency > 1 else ""
        print(f"| {name}{how} | {concurrency} | {rate:,.0f} |")
    table("sync, one call at a time", sync, target=3)
    table(f"asyncio, {CONCURRENCY} calls at once", asynchronous, target=2)
    for (name, concurrency), rate in ours.items():
        print(f"RESULT {name} {concurrency} {rate:.1f}")
    for name, rate in list(sync.items())[1:]:
        print(f"RESULT {RESULT_NAMES[name]} 1 {rate:.1f}")
    for name, rate in list(asynchronous.items())[1:]:
        print(f"RESULT {RESULT_NAMES[name]} {CONCURRENCY} {rate:.1f}")


def main() -> None:
    external = os.environ.get("BENCH_CONNECTION_STRING")
    if external:
        against_external(external)
        return
    with Simulator() as simulator:
        receiver = simulator.connect("bench")
        sync = sync_rates(simulator, receiver.connection_id)
        asynchronous = asyncio.run(async_rates(simulator, receiver.connection_id))
        if not receiver.received:
            raise RuntimeError("the virtual client received nothing")
    print(f"Python: send-to-connection against one simulator, {SECONDS:g} s per run")
    table("sync, one call at a time", sync, target=3)
    table(f"asyncio, {CONCURRENCY} calls at once", asynchronous, target=2)


if __name__ == "__main__":
    main()

"""Blocking calls release the GIL; asyncio calls never block the loop and can be cancelled."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import cast

import pytest
from conftest import StubServer

from signalr_rest import RequestTimeoutError, RetryPolicy, ServiceClient, Simulator, aio


def test_other_threads_run_while_a_blocking_call_waits(slow_server: StubServer) -> None:
    client = ServiceClient.from_connection_string(
        slow_server.connection_string, timeout=5, retry=RetryPolicy.none()
    )
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        before, started = ticks, time.monotonic()
        client.hub("chat").send_to_all("slow")
        during, elapsed = ticks - before, time.monotonic() - started
    finally:
        stop.set()
        counter.join()
    assert elapsed >= 0.9
    # Holding the GIL for the whole call would leave the counter (and the server) stuck.
    assert during > 10_000


def test_many_threads_share_one_client(signalr_simulator: Simulator) -> None:
    client = ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none())
    receiver = signalr_simulator.connect("chat")
    hub = client.hub("chat")
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            for i in range(20):
                hub.send_to_connection(receiver.connection_id, "n", n * 100 + i)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(cast(int, args[0]) for _, args in receiver.received) == sorted(
        n * 100 + i for n in range(8) for i in range(20)
    )


def test_ctrl_c_interrupts_a_blocking_call_and_drops_the_request(
    slow_server: StubServer,
) -> None:
    slow_server.delay = 10
    client = ServiceClient.from_connection_string(slow_server.connection_string)
    # A shell starting this run in the background leaves SIGINT ignored; Ctrl-C is the default.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupt = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        interrupt.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.hub("chat").send_to_all("slow")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 2
    assert slow_server.client_gone.wait(2)


def test_a_request_over_the_timeout_raises_request_timeout_error(
    slow_server: StubServer,
) -> None:
    client = ServiceClient.from_connection_string(slow_server.connection_string, timeout=0.2)
    with pytest.raises(RequestTimeoutError) as raised:
        client.hub("chat").send_to_all("slow")
    assert isinstance(raised.value, TimeoutError)
    assert raised.value.timeout == pytest.approx(0.2)
    assert "200ms" in str(raised.value)


async def test_the_event_loop_keeps_running_during_a_call(slow_server: StubServer) -> None:
    client = aio.ServiceClient.from_connection_string(slow_server.connection_string)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await client.hub("chat").send_to_all("slow")
    ticker.cancel()
    assert ticks > 20


async def test_cancelling_the_awaiting_task_drops_the_request(slow_server: StubServer) -> None:
    slow_server.delay = 10
    client = aio.ServiceClient.from_connection_string(slow_server.connection_string)
    task = asyncio.create_task(client.hub("chat").send_to_all("slow"))
    assert await asyncio.to_thread(slow_server.request_arrived.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(slow_server.client_gone.wait, 2)


async def test_asyncio_timeouts_cancel_the_request(slow_server: StubServer) -> None:
    slow_server.delay = 10
    client = aio.ServiceClient.from_connection_string(slow_server.connection_string)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.hub("chat").user_exists("u"), timeout=0.3)
    assert await asyncio.to_thread(slow_server.client_gone.wait, 2)


async def test_the_client_timeout_applies_to_asyncio_calls(slow_server: StubServer) -> None:
    client = aio.ServiceClient.from_connection_string(
        slow_server.connection_string, timeout=0.2, retry=RetryPolicy.none()
    )
    with pytest.raises(RequestTimeoutError):
        await client.hub("chat").connection_exists("c")


async def test_concurrent_asyncio_calls_all_complete(signalr_simulator: Simulator) -> None:
    client = aio.ServiceClient.from_connection_string(signalr_simulator.connection_string, retry=RetryPolicy.none())
    receiver = signalr_simulator.connect("chat")
    hub = client.hub("chat")
    await asyncio.gather(
        *(hub.send_to_connection(receiver.connection_id, "n", i) for i in range(200))
    )
    assert sorted(cast(int, args[0]) for _, args in receiver.received) == list(range(200))


class NoReaderLoop(asyncio.SelectorEventLoop):
    """A loop that cannot watch a socket, as Windows' proactor loop cannot."""

    def add_reader(self, *args: object) -> None:
        raise NotImplementedError


def test_asyncio_calls_complete_on_a_loop_without_add_reader(signalr_simulator: Simulator) -> None:
    receiver = signalr_simulator.connect("chat")

    async def send() -> None:
        client = aio.ServiceClient.from_connection_string(
            signalr_simulator.connection_string, retry=RetryPolicy.none()
        )
        hub = client.hub("chat")
        await asyncio.gather(
            *(hub.send_to_connection(receiver.connection_id, "n", i) for i in range(50))
        )
        assert await hub.connection_exists(receiver.connection_id)

    loop = NoReaderLoop()
    try:
        loop.run_until_complete(send())
    finally:
        loop.close()
    assert sorted(cast(int, args[0]) for _, args in receiver.received) == list(range(50))


def test_loops_in_several_threads_each_get_their_own_results(
    signalr_simulator: Simulator,
) -> None:
    receiver = signalr_simulator.connect("chat")
    client = aio.ServiceClient.from_connection_string(
        signalr_simulator.connection_string, retry=RetryPolicy.none()
    )
    hub = client.hub("chat")
    answers: dict[int, list[bool]] = {}

    async def run(n: int) -> None:
        sent = (hub.send_to_connection(receiver.connection_id, "n", n * 100 + i) for i in range(30))
        await asyncio.gather(*sent)
        asked = (hub.connection_exists(f"nobody-{n}-{i}") for i in range(10))
        answers[n] = list(await asyncio.gather(*asked))

    threads = [threading.Thread(target=asyncio.run, args=(run(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == {n: [False] * 10 for n in range(4)}
    assert sorted(cast(int, args[0]) for _, args in receiver.received) == sorted(
        n * 100 + i for n in range(4) for i in range(30)
    )


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors in /proc")
def test_a_finished_loop_leaves_no_descriptors_behind(signalr_simulator: Simulator) -> None:
    client = aio.ServiceClient.from_connection_string(
        signalr_simulator.connection_string, retry=RetryPolicy.none()
    )
    hub = client.hub("chat")

    async def call() -> None:
        assert not await hub.connection_exists("nobody")

    asyncio.run(call())
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(100):
        asyncio.run(call())
    gc.collect()
    # Each loop watched a socket pair of its own while it ran.
    assert len(os.listdir("/proc/self/fd")) - before < 10


def test_exiting_right_after_asyncio_calls_is_clean(
    signalr_simulator: Simulator, tmp_path: Path
) -> None:
    script = (
        "import asyncio, sys\n"
        "from signalr_rest import aio\n"
        "async def main():\n"
        "    hub = aio.ServiceClient.from_connection_string(sys.argv[1]).hub('chat')\n"
        "    await asyncio.gather(*(hub.send_to_user(f'u{i}', 't', i) for i in range(100)))\n"
        "asyncio.run(main())\n"
    )
    for _ in range(10):
        run = subprocess.run(
            [sys.executable, "-c", script, signalr_simulator.connection_string],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,  # not python/, whose source tree would shadow the installed package
        )
        assert run.returncode == 0, (run.returncode, run.stderr)

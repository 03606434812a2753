"""Leak check of the Python package across the FFI (issue 15).

Creates and closes clients and simulators many times and makes many calls across the boundary,
then checks that the process's RSS (VmRSS) and open descriptors stay near a baseline taken after
a warm-up. Standard library only, besides signalr_rest. Environment (defaults: the long form):

  LEAK_CYCLES       create/use/close cycles of a Simulator, a ServiceClient and a virtual client (2000)
  LEAK_CALLS        calls across the FFI: negotiate, hub(), client_url, simulator hubs() and
                    access_token, and every LEAK_REST_EVERY-th a real send_to_all (1000000)
  LEAK_REST_EVERY   one REST call (HTTP to the long-lived simulator) per this many calls (100)
  LEAK_WARMUP       cycles made before the baseline (200)
  LEAK_WARMUP_CALLS calls made before the baseline (50000)
  LEAK_MAX_RSS_MIB  allowed RSS growth over the baseline, per phase, MiB (64)
  LEAK_MAX_FDS      allowed growth of open descriptors over the baseline (8)

Prints one line per phase (`leak python <phase> rss_mib_before=.. rss_mib=.. fds_before=.. fds=..
rss_growth_mib=.. fd_growth=.. seconds=.. ops=..`; scripts/leaks reads them): the warm-up against
the start, shown only, then the cycles and the calls each against the baseline after the warm-up;
exits 1 when either of those grew past a bound.
"""

from __future__ import annotations

import gc
import os
import sys
import time

from signalr_rest import RetryPolicy, ServiceClient, Simulator


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value.replace("_", "")) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


CYCLES = env_int("LEAK_CYCLES", 2000)
CALLS = env_int("LEAK_CALLS", 1_000_000)
REST_EVERY = max(1, env_int("LEAK_REST_EVERY", 100))
WARMUP = env_int("LEAK_WARMUP", 200)
WARMUP_CALLS = env_int("LEAK_WARMUP_CALLS", 50_000)
MAX_RSS_MIB = env_float("LEAK_MAX_RSS_MIB", 64.0)
MAX_FDS = env_int("LEAK_MAX_FDS", 8)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) - 1  # the listing's own descriptor


def settle() -> None:
    """Collects garbage (native handles are freed with their Python objects) and lets the
    runtime's threads finish closing what the calls left (sockets of a closed simulator)."""
    for _ in range(3):
        gc.collect()
        time.sleep(0.1)


def cycles(count: int) -> None:
    """A fresh simulator, a client of it and a virtual client, each used once and closed."""
    for i in range(count):
        with Simulator() as sim:
            with ServiceClient.from_connection_string(
                sim.connection_string, retry=RetryPolicy.none()
            ) as client:
                with sim.connect("chat", user_id="u") as browser:
                    client.hub("chat").send_to_all("cycle", i)
                    assert browser.received == [("cycle", [i])], browser.received


def calls(count: int, sim: Simulator, client: ServiceClient) -> None:
    """Cheap calls that cross the FFI without the network, and one in REST_EVERY a real REST
    call to the long-lived simulator (to a hub nobody is connected to, so nothing piles up)."""
    rest_hub = client.hub("leak")
    audience = f"{sim.url}/api/v1/hubs/leak"
    for i in range(count):
        if i % REST_EVERY == 0:
            rest_hub.send_to_all("tick", i)
            continue
        kind = i % 5
        if kind == 0:
            answer = client.negotiate("chat", user_id="user-1")
            assert answer["accessToken"]
        elif kind == 1:
            assert client.hub("chat").name == "chat"
        elif kind == 2:
            assert sim.hubs()
        elif kind == 3:
            assert client.client_url("chat")
        else:
            assert sim.access_token(audience)


def main() -> int:
    failed = False
    with Simulator() as sim:
        with ServiceClient.from_connection_string(
            sim.connection_string, retry=RetryPolicy.none()
        ) as client:
            settle()
            before_rss, before_fds = rss_mib(), open_fds()

            def report(phase: str, started: float, ops: int, bounded: bool = True) -> None:
                nonlocal failed
                rss, fds = rss_mib(), open_fds()
                growth, fd_growth = rss - before_rss, fds - before_fds
                over = bounded and (growth > MAX_RSS_MIB or fd_growth > MAX_FDS)
                failed |= over
                print(
                    f"leak python {phase:<6} rss_mib_before={before_rss:.1f} rss_mib={rss:.1f} "
                    f"fds_before={before_fds} fds={fds} "
                    f"rss_growth_mib={growth:+.1f} fd_growth={fd_growth:+d} "
                    f"seconds={time.monotonic() - started:.1f} ops={ops}"
                    + (f"  FAIL (bounds: +{MAX_RSS_MIB:g} MiB, +{MAX_FDS} fds)" if over else ""),
                    flush=True,
                )

            # The warm-up's growth is shown, not bounded: allocators and runtimes settle in it.
            started = time.monotonic()
            cycles(WARMUP)
            calls(WARMUP_CALLS, sim, client)
            settle()
            report("warmup", started, WARMUP, bounded=False)
            before_rss, before_fds = rss_mib(), open_fds()  # the baseline

            started = time.monotonic()
            cycles(CYCLES)
            settle()
            report("cycles", started, CYCLES)

            started = time.monotonic()
            calls(CALLS, sim, client)
            settle()
            report("calls", started, CALLS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

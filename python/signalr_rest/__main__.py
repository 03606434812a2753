"""``python -m signalr_rest serve``: the simulator from the package alone, as ``signalr-rest serve``.

The connection string is the first line on stdout; Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence

from . import _native
from .errors import InvalidArgumentError, SignalRError
from .simulator import Simulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m signalr_rest",
        description="A local simulator of the Azure SignalR Service REST API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve the simulator until Ctrl-C or SIGTERM; prints its connection string"
    )
    serve.add_argument("--host", default="127.0.0.1", help="IP address to listen on")
    serve.add_argument("--port", type=int, default=8888, help="port; 0 lets the OS choose")
    serve.add_argument(
        "--access-key",
        default=_native.DEV_ACCESS_KEY,
        help="key tokens must be signed with (default: the public dev key)",
    )
    serve.add_argument("--secondary-access-key", help="a second valid key (key rotation)")
    serve.add_argument("--ping-interval", type=float, metavar="SECONDS")
    serve.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="TEMPLATE",
        help="serverless upstream 'URL[;hub=..;category=..;event=..]', repeatable",
    )
    serve.add_argument("--upstream-timeout", type=float, metavar="SECONDS")
    serve.add_argument(
        "--dashboard",
        choices=("true", "false"),
        help="serve the live dashboard at /dashboard/ (true) or not (false); "
        "by default it is served only on a loopback host, since it has no login",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="RULE",
        help="a fault rule 'ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F]"
        "[;retry-after=SECS]', ACTION a status (400-599), delay=DURATION (250ms, 2s) or reset; "
        "repeatable",
    )
    serve.add_argument(
        "--fault-seed",
        type=int,
        metavar="N",
        help="seed for the draws of faults with a fraction, so a run repeats; random by default",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code (2 for bad input, as the CLI)."""
    args = _parser().parse_args(argv)
    # The handler only records the signal: a handler that takes a lock (threading.Event.set)
    # can deadlock when the signal lands while the main thread holds that same lock.
    stops: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _: stops.append(signum))
    try:
        simulator = Simulator(
            args.port,
            args.access_key,
            host=args.host,
            ping_interval=args.ping_interval,
            upstreams=args.upstream,
            upstream_timeout=args.upstream_timeout,
            secondary_access_key=args.secondary_access_key,
            dashboard=None if args.dashboard is None else args.dashboard == "true",
            faults=args.fault,
            fault_seed=args.fault_seed,
        )
    except SignalRError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, InvalidArgumentError) else 1
    with simulator:
        print(simulator.connection_string, flush=True)
        if simulator.dashboard_url is not None:
            print(f"dashboard: {simulator.dashboard_url}", file=sys.stderr, flush=True)
        print("simulator ready; press Ctrl-C to stop", file=sys.stderr, flush=True)
        while not stops:
            time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

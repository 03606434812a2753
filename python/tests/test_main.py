"""``python -m signalr_rest serve`` starts the simulator from the package alone."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from signalr_rest import BadRequestError, RetryPolicy, ServiceClient, ServiceError, Simulator


def _serve(*args: str) -> subprocess.Popen[str]:
    # Run from the installed package: in python/ itself, `-m` would find the source tree first.
    return subprocess.Popen(
        [sys.executable, "-m", "signalr_rest", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_the_connection_string_first_serves_and_stops_on_a_signal(
    stop: signal.Signals,
) -> None:
    with _serve("--port", "0", "--access-key", "k" * 44) as serve:
        assert serve.stdout is not None
        connection_string = serve.stdout.readline().strip()
        assert connection_string.startswith("Endpoint=http://127.0.0.1:")
        assert f";AccessKey={'k' * 44};" in connection_string
        client = ServiceClient.from_connection_string(connection_string, retry=RetryPolicy.none())
        client.health()
        client.hub("chat").send_to_all("t", 1)
        serve.send_signal(stop)
        assert serve.wait(timeout=10) == 0


def test_serve_defaults_to_the_dev_key_of_the_cli_and_port_8888_unless_told() -> None:
    from signalr_rest import _native

    assert _native.DEV_ACCESS_KEY == "SignalRRestDevKey0000000000000000000000000000"
    with _serve("--port", "0") as serve:
        assert serve.stdout is not None
        assert f"AccessKey={_native.DEV_ACCESS_KEY};" in serve.stdout.readline()
        # At once, so the signal lands as the process enters its wait (a deadlock once).
        serve.terminate()
        assert serve.wait(timeout=10) == 0


def test_bad_options_exit_2_naming_them() -> None:
    with _serve("--host", "not-an-ip", "--port", "0") as serve:
        _, err = serve.communicate(timeout=30)
    assert serve.returncode == 2
    assert "not-an-ip" in err


def test_a_busy_port_exits_1() -> None:
    with Simulator() as busy:
        port = busy.url.rsplit(":", 1)[1]
        with _serve("--port", port) as serve:
            _, err = serve.communicate(timeout=30)
    assert serve.returncode == 1
    assert port in err


def _stderr_after_ready(*args: str) -> tuple[str, str]:
    """The connection string and everything `serve` wrote on stderr, stopping it once ready."""
    with _serve("--port", "0", *args) as serve:
        assert serve.stdout is not None
        connection_string = serve.stdout.readline().strip()
        serve.terminate()
        _, err = serve.communicate(timeout=10)
    assert serve.returncode == 0
    return connection_string, err


def test_serve_prints_the_dashboard_url_on_stderr() -> None:
    connection_string, err = _stderr_after_ready()
    url = connection_string.split(";")[0].removeprefix("Endpoint=")
    assert f"dashboard: {url}/dashboard/\n" in err


def test_serve_with_dashboard_false_prints_no_dashboard_line() -> None:
    connection_string, err = _stderr_after_ready("--dashboard", "false")
    assert connection_string.startswith("Endpoint=http://127.0.0.1:")
    assert "dashboard:" not in err
    assert "simulator ready" in err


def test_serve_refuses_a_dashboard_that_is_not_true_or_false() -> None:
    with _serve("--port", "0", "--dashboard", "yes") as serve:
        _, err = serve.communicate(timeout=30)
    assert serve.returncode == 2
    assert "--dashboard" in err


def test_serve_takes_fault_rules_and_a_seed() -> None:
    with _serve(
        "--port", "0", "--fault", "503;route=health", "--fault", "400;route=send", "--fault-seed", "7"
    ) as serve:
        assert serve.stdout is not None
        connection_string = serve.stdout.readline().strip()
        client = ServiceClient.from_connection_string(connection_string, retry=RetryPolicy.none())
        with pytest.raises(ServiceError) as unavailable:
            client.health()
        assert unavailable.value.status == 503
        with pytest.raises(BadRequestError):
            client.hub("chat").send_to_all("t")
        client.hub("chat").group_exists("g")
        serve.terminate()
        assert serve.wait(timeout=10) == 0


def test_serve_refuses_a_bad_fault_rule_or_seed_naming_it() -> None:
    with _serve("--port", "0", "--fault", "503;route=sends") as serve:
        _, err = serve.communicate(timeout=30)
    assert serve.returncode == 2
    assert "sends" in err
    with _serve("--port", "0", "--fault-seed", "-1") as serve:
        _, err = serve.communicate(timeout=30)
    assert serve.returncode == 2
    assert "-1" in err

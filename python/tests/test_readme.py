"""The README's examples run as written, against a simulator."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from readme_examples import README, examples, write

from signalr_rest import Simulator


def test_every_python_block_of_the_readme_is_a_marked_example() -> None:
    assert README.read_text().count("```python") == len(examples()) == 7


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_the_send_examples_run(signalr_simulator: Simulator, tmp_path: Path, script: str) -> None:
    write(tmp_path)
    env = {**os.environ, "AZURE_SIGNALR_CONNECTION_STRING": signalr_simulator.connection_string}
    run = subprocess.run(
        [sys.executable, str(tmp_path / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "chat" in signalr_simulator.hubs()


def test_the_fault_injection_example_runs(tmp_path: Path) -> None:
    write(tmp_path)
    run = subprocess.run(
        [sys.executable, str(tmp_path / "faults.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "the app sees status 500"
    assert [line.split(" ", 1)[0] for line in lines[1:3]] == [
        "503;route=send;times=1",
        "500;hub=chat;route=send",
    ]
    assert lines[3:] == ["the simulator dropped the connection (fault injection)"]


def test_the_fastapi_example_passes_its_own_test(pytester: pytest.Pytester) -> None:
    write(pytester.path)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.runpytest_subprocess("test_chat_app.py").assert_outcomes(passed=1)


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_keyless_examples_send_with_a_token_provider_and_no_key(
    signalr_simulator: Simulator, tmp_path: Path
) -> None:
    write(tmp_path)
    browser = signalr_simulator.connect("chat")
    # The simulator stands in for Entra ID; the examples' azure-identity adapters are built
    # (no token is asked for: that would reach out to Azure) and type-checked by mypy.
    keyless = _load(tmp_path / "keyless.py")
    assert callable(keyless.entra_id_token_provider())
    keyless.notify(signalr_simulator.url, signalr_simulator.access_token)
    # Its adapter over azure.identity.aio needs aiohttp as well, not installed here.
    keyless_async = _load(tmp_path / "keyless_async.py")

    async def provider(audience: str) -> str:
        return signalr_simulator.access_token(audience)

    asyncio.run(keyless_async.notify(signalr_simulator.url, provider))
    hello = ["hello from an app without the key"]
    assert browser.received == [("newMessage", hello), ("newMessage", hello)]

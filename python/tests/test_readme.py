"""The README's examples run as written, against a simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from readme_examples import README, examples, write

from signalr_rest import Simulator


def test_every_python_block_of_the_readme_is_a_marked_example() -> None:
    assert README.read_text().count("```python") == len(examples()) == 6


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


def test_the_fastapi_example_passes_its_own_test(pytester: pytest.Pytester) -> None:
    write(pytester.path)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.runpytest_subprocess("test_chat_app.py").assert_outcomes(passed=1)

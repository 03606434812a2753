"""pytest plugin (entry point ``pytest11``): the ``signalr_simulator`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .simulator import Simulator


@pytest.fixture
def signalr_simulator() -> Iterator[Simulator]:
    """A fresh simulator on a free 127.0.0.1 port, closed after the test.

    Point the code under test at ``signalr_simulator.connection_string``.
    """
    with Simulator() as simulator:
        yield simulator

"""The Rust side logs through Python's logging, under the logger ``signalr_rest``."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import signalr_rest
from signalr_rest import ServiceClient


@pytest.fixture
def info_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger="signalr_rest")
    signalr_rest.refresh_log_levels()
    yield caplog
    caplog.set_level(logging.WARNING, logger="signalr_rest")
    signalr_rest.refresh_log_levels()


def test_simulator_requests_are_logged_at_debug_under_signalr_rest_requests(
    info_logs: pytest.LogCaptureFixture, service: ServiceClient
) -> None:
    service.hub("chat").send_to_all("t")
    assert [r for r in info_logs.records if r.name == "signalr_rest.requests"] == []

    info_logs.set_level(logging.DEBUG, logger="signalr_rest.requests")
    signalr_rest.refresh_log_levels()
    service.hub("chat").send_to_all("t")
    lines = [
        (r.levelno, r.getMessage()) for r in info_logs.records if r.name == "signalr_rest.requests"
    ]
    assert any(
        level == logging.DEBUG and "/api/v1/hubs/chat" in m and "202" in m for level, m in lines
    ), lines


def test_disabled_levels_log_nothing(
    caplog: pytest.LogCaptureFixture, service: ServiceClient
) -> None:
    caplog.set_level(logging.WARNING, logger="signalr_rest")
    signalr_rest.refresh_log_levels()
    service.hub("chat").send_to_all("t")
    assert [r for r in caplog.records if r.name.startswith("signalr_rest")] == []

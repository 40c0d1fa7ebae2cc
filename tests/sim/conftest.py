"""The simulation's mail server: one recording SMTP server on loopback for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateways.smtp_server import SmtpServer, running_smtp_server


@pytest.fixture(scope="session")
def sim_smtp() -> Iterator[SmtpServer]:
    with running_smtp_server(None, None, security="none", auth=False) as server:
        yield server

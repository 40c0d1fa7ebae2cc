"""Settings under which the go-live preflight passes: real SMTP and IMAP servers on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from cam.core.settings import Settings
from tests.gateways.imap_server import ImapServer
from tests.gateways.smtp_server import SmtpServer


def environment_of(settings: Settings) -> dict[str, str]:
    """The environment variables that give `settings` (those set explicitly)."""
    env: dict[str, str] = {}
    for name in settings.model_fields_set:
        value: Any = getattr(settings, name)
        if value is None:
            continue
        alias = type(settings).model_fields[name].alias or name
        env[alias] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return env


@pytest.fixture
def ready_to_go_live(plain_smtp_server: SmtpServer, imap_server: ImapServer) -> dict[str, str]:
    """Extra bot settings (as environment names) that pass every required preflight check."""
    return environment_of(plain_smtp_server.settings()) | environment_of(imap_server.settings())

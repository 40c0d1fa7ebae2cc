"""The running bot, the CRM stand-in and an SMTP server, for tests that drive it over HTTP."""

from tests.e2e.go_live_env import ready_to_go_live
from tests.e2e.slack_client import bot, fake_crm, start_bot
from tests.gateways.imap_server import imap_ca, imap_server
from tests.gateways.smtp_server import plain_smtp_server

__all__ = [
    "bot",
    "fake_crm",
    "imap_ca",
    "imap_server",
    "plain_smtp_server",
    "ready_to_go_live",
    "start_bot",
]

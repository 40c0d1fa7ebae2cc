"""The running bot, the CRM stand-in and an SMTP server, for tests that drive it over HTTP."""

from tests.channels.smtp_server import plain_smtp_server
from tests.e2e.slack_client import bot, fake_crm, start_bot

__all__ = ["bot", "fake_crm", "plain_smtp_server", "start_bot"]

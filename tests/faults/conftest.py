"""Fixtures the fault tests share with others: the bot over HTTP, the CRM, a plain SMTP server."""

from tests.channels.smtp_server import plain_smtp_server
from tests.e2e.slack_client import bot, fake_crm, start_bot

__all__ = ["bot", "fake_crm", "plain_smtp_server", "start_bot"]

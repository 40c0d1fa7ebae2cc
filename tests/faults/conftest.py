"""Fixtures the fault tests share with others: the bot over HTTP and the CRM."""

from tests.e2e.slack_client import bot, fake_crm, start_bot

__all__ = ["bot", "fake_crm", "start_bot"]

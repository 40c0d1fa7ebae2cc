"""Fixtures the fault tests share with others: the bot served over HTTP, the CRM stand-in."""

from tests.e2e.slack_client import bot, fake_crm, start_bot

__all__ = ["bot", "fake_crm", "start_bot"]

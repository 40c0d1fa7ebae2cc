"""The running bot and the CRM stand-in, for tests that drive it over HTTP."""

from tests.e2e.slack_client import bot, fake_crm, start_bot

__all__ = ["bot", "fake_crm", "start_bot"]

"""Fixtures shared by the channel tests (servers on loopback)."""

from tests.channels.imap_server import imap_ca, imap_server, imaps_server
from tests.channels.smtp_server import plain_smtp_server, smtp_ca, smtp_server, smtps_server

__all__ = [
    "imap_ca",
    "imap_server",
    "imaps_server",
    "plain_smtp_server",
    "smtp_ca",
    "smtp_server",
    "smtps_server",
]

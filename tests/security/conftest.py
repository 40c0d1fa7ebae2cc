"""The mail servers of the channel tests: the security tests give them the wrong password."""

from tests.channels.imap_server import imap_ca, imaps_server
from tests.channels.smtp_server import smtp_ca, smtp_server

__all__ = ["imap_ca", "imaps_server", "smtp_ca", "smtp_server"]

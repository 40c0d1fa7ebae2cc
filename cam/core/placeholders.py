"""The example values of `.env.example`, recognised wherever a setting is still one of them.

A copied `.env` keeps `smtp.example.com` or `maya@example.com` until someone fills it in. Such
a value is no setting at all: the gateways treat its server as not set up (a dry run then
never tries `imap.example.com`), and `cam check` says it is still the example value.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

# Domains reserved for documentation (RFC 2606) as `.env.example` uses them, and the `.test`
# top-level domain; `.example` is left alone: the test suite's own servers live there.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
EXAMPLE_TLDS = ("test",)
EXAMPLE_POSTAL_ADDRESS = "Example GmbH, Hauptstr. 1, 10115 Berlin, Germany"
STILL_EXAMPLE = "still the example value from .env.example: set your own"


def example_domain(domain: str) -> bool:
    """Tell whether `domain` (or a host) is one of the example domains or under one."""
    name = domain.strip().rstrip(".").lower()
    if not name:
        return False
    if name.rsplit(".", 1)[-1] in EXAMPLE_TLDS:
        return True
    return any(name == d or name.endswith(f".{d}") for d in EXAMPLE_DOMAINS)


def example_address(value: str) -> bool:
    """Tell whether an email address (`Name <a@b>` or bare) is at an example domain."""
    _, address = parseaddr(value)
    _, at, domain = address.rpartition("@")
    return bool(at) and example_domain(domain)


def example_url(url: str) -> bool:
    """Tell whether a URL points at an example host."""
    return example_domain(urlsplit(url.strip()).hostname or "")


def example_postal_address(value: str) -> bool:
    """Tell whether the postal address is `.env.example`'s (spacing and case aside)."""
    return " ".join(value.split()).lower() == EXAMPLE_POSTAL_ADDRESS.lower()

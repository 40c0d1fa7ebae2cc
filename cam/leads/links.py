"""LinkedIn profile links: the one rule for what a lead's `linkedin_url` may be.

The link comes from an imported file, so it is the prospect's (or a list vendor's) text: it is
checked at import and again before Slack shows it, so a `javascript:` URL or a crafted value
such as `https://evil.example/p|label> <!channel>` never becomes a link labelled as the profile.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LINKEDIN_DOMAIN = "linkedin.com"
# Whitespace, controls and what Slack's `<url|label>` or HTML would read as markup.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f<>|\"'`\\]")
_BARE_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*linkedin\.com(?:[/?#]|$)", re.IGNORECASE)


class BadLink(ValueError):
    """The value is not an https link to a LinkedIn page; the message says why."""


def linkedin_profile(value: str) -> str:
    """Return `value` as an https link on linkedin.com (or a subdomain), or raise `BadLink`.

    A bare `www.linkedin.com/in/x` (as many exports write it) gets its `https://`.
    """
    url = value.strip()
    if _BARE_HOST.match(url):
        url = f"https://{url}"
    if _UNSAFE.search(url):
        raise BadLink("the LinkedIn link contains spaces or characters a link cannot have")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise BadLink("the LinkedIn link is not a URL") from exc
    if parts.scheme.lower() != "https":
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        raise BadLink(f"the LinkedIn link must be an https link, not {scheme}")
    if parts.username is not None or parts.password is not None or port not in (None, 443):
        raise BadLink("the LinkedIn link must not carry a user name or a port")
    if host != LINKEDIN_DOMAIN and not host.endswith(f".{LINKEDIN_DOMAIN}"):
        raise BadLink(f"the LinkedIn link must point to {LINKEDIN_DOMAIN}, not {host or 'nowhere'}")
    return url

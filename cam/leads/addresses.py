"""Email address syntax, fast for the plain addresses nearly every lead has (no DNS).

Import and qualification both check every address. email-validator spends its time on the
domain (IDNA), so a plain dot-atom local part under a plain lower-case LDH domain is accepted
by pattern, and everything else goes through email-validator in full (which also words the
error). The two paths agree on every input (tests/leads/test_lead_rows.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

MAX_ADDRESS = 254
MAX_LOCAL_PART = 64
MAX_DOMAIN = 253

_LABELS = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
# RFC 5322 dot-atom in ASCII: what almost every business address looks like.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_PLAIN_DOMAIN = re.compile(_LABELS + r"\Z")
_DOT_ATOM = re.compile(_ATOM + r"\Z")


@lru_cache(maxsize=100_000)
def plain_domain(domain: str) -> bool:
    """Tell whether a domain is plain lower-case LDH labels under a letters-only TLD.

    Every such domain passes the validator unless it is a special-use name; anything else
    (IDNA, hyphen pairs, odd TLDs) goes to the validator.
    """
    if len(domain) > MAX_DOMAIN or "--" in domain or not _PLAIN_DOMAIN.match(domain):
        return False
    return not any(domain == d or domain.endswith(f".{d}") for d in SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=100_000)
def _domain_problem(domain: str) -> str | None:
    return None if plain_domain(domain) else _validator_problem(f"a@{domain}")


def _validator_problem(address: str) -> str | None:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def _plain(address: str) -> tuple[str, str] | None:
    """Split a plain ASCII address into local part and domain, or None when it is not plain."""
    local, at, domain = address.rpartition("@")
    if (
        at
        and len(address) <= MAX_ADDRESS
        and len(local) <= MAX_LOCAL_PART
        and _DOT_ATOM.match(local)
    ):
        return local, domain
    return None


def email_problem(address: str) -> str | None:
    """Return why a lower-cased address is not valid, or None."""
    if (parts := _plain(address)) is not None:
        return _domain_problem(parts[1])
    return _validator_problem(address)


def normalise_email(value: str) -> str:
    """Return the address in lower case, or raise `EmailNotValidError`."""
    local, at, domain = value.rpartition("@")
    if (
        at
        and len(value) <= MAX_ADDRESS
        and len(local) <= MAX_LOCAL_PART
        and _DOT_ATOM.match(local)
        and plain_domain(domain.lower())
    ):
        return value.lower()
    return validate_email(value, check_deliverability=False).normalized.lower()

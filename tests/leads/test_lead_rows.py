"""The fast path of email normalisation agrees with email-validator on every input."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from cam.leads.addresses import normalise_email

LOCAL_CHARS = "abcXYZ019.!#$%&'*+/=?^_`{|}~-\"() ,:;<>[\\]é@"
DOMAIN_CHARS = "abcXYZ019.-_é@ "
TLDS = ["com", "io", "co.uk", "test", "local", "invalid", "c", "123", "xn--p1ai", "", "com."]


def reference(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def ours(address: str) -> str | None:
    try:
        return normalise_email(address)
    except EmailNotValidError:
        return None


@settings(max_examples=600, deadline=None)
@given(
    local=st.text(alphabet=LOCAL_CHARS, min_size=0, max_size=70),
    domain=st.text(alphabet=DOMAIN_CHARS, min_size=0, max_size=20),
    tld=st.sampled_from(TLDS),
)
def test_normalise_email_matches_email_validator(local: str, domain: str, tld: str) -> None:
    address = f"{local}@{domain}.{tld}" if tld else f"{local}@{domain}"
    assert ours(address) == reference(address)


def test_known_cases() -> None:
    assert normalise_email("Ann.Lee@Acme.COM") == "ann.lee@acme.com"
    assert normalise_email("o'brien+tag@sub.example.co.uk") == "o'brien+tag@sub.example.co.uk"
    for bad in ["a@b", "a..b@acme.com", ".a@acme.com", "a@acme..com", "a@-acme.com", "a@x.test"]:
        assert ours(bad) is None, bad
    # Lengths around the limits: the fast path steps aside, email-validator decides.
    for address in ["a" * 64 + "@acme.com", "a" * 65 + "@acme.com", "a" * 245 + "@acme.com"]:
        assert ours(address) == reference(address)
    assert ours("a" * 250 + "@acme.com") is None

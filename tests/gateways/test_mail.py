"""Composing messages: ids, addresses, footers and headers that survive any template."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cam.gateways.mail import Composer, MailError, new_message_id, parse_address
from tests.gateways.smtp_server import PUBLIC_URL, outgoing, sender_settings


def composer(**overrides: object) -> Composer:
    return Composer.from_settings(sender_settings(**overrides))


def header_block(data: bytes) -> list[str]:
    return data.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")


def test_message_ids_are_unique_bracketed_and_on_our_domain() -> None:
    ids = {new_message_id("Ana <ana@acme.example>") for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"<[0-9a-f]{32}@acme\.example>", i) for i in ids)
    assert new_message_id("acme.example").endswith("@acme.example>")
    with pytest.raises(MailError):
        new_message_id("not a domain")


def test_a_bare_message_id_gets_its_brackets() -> None:
    msg = composer().message(outgoing("joe@example.com", message_id="abc123@acme.example"))
    assert msg["Message-ID"] == "<abc123@acme.example>"


@pytest.mark.parametrize("bad", ["", "no-at-sign", "<a@b>\r\nBcc: x@y.z", "<a b@c.d>"])
def test_a_bad_message_id_is_refused(bad: str) -> None:
    with pytest.raises(MailError):
        composer().message(outgoing("joe@example.com", message_id=bad))


def test_date_is_the_given_time_in_utc() -> None:
    when = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    msg = composer().message(outgoing("joe@example.com"), now=when)
    assert msg["Date"] == "Wed, 25 Nov 2026 09:30:00 +0000"


def test_international_domain_travels_as_punycode() -> None:
    assert parse_address("joerg@müller.example", what="x").domain == "xn--mller-kva.example"
    with pytest.raises(MailError, match="SMTPUTF8"):
        parse_address("jörg@example.com", what="x")


@pytest.mark.parametrize(
    "bad", ["", "joe", "joe@", "@example.com", "a@b.c, d@e.f", "joe@localhost", "a@b.c\n"]
)
def test_not_one_address_is_refused(bad: str) -> None:
    with pytest.raises(MailError):
        parse_address(bad, what="the recipient")


def test_a_long_unsubscribe_link_is_never_folded_or_encoded() -> None:
    long_url = PUBLIC_URL + "/a-very-long-path-prefix" * 6
    data = composer(public_url=long_url).render(outgoing("joe@example.com"))
    [line] = [h for h in header_block(data) if h.startswith("List-Unsubscribe:")]
    assert line.startswith(f"List-Unsubscribe: <{long_url}/unsubscribe/")
    assert "=?" not in line


def test_reply_subject_is_not_doubled() -> None:
    first = new_message_id("ana@acme.example")
    msg = composer().message(
        outgoing("joe@example.com", step=2, subject="RE: widgets", in_reply_to=first)
    )
    assert msg["Subject"] == "RE: widgets"
    assert msg["References"] == first


def test_html_without_a_body_tag_gets_the_footer_appended() -> None:
    msg = composer().message(outgoing("joe@example.com", html="<p>Hi <b>Joe</b></p>"))
    rich = msg.get_body(("html",))
    assert rich is not None
    page = rich.get_content()
    assert page.startswith("<p>Hi <b>Joe</b></p>")
    assert "ACME Widgets Ltd" in page and "/unsubscribe/" in page
    assert "MIME-Version" not in str(rich)


def test_notice_and_postal_address_are_escaped_in_html() -> None:
    msg = composer(
        postal_address="Smith & Sons <HQ>", first_contact_notice="We <3 widgets"
    ).message(outgoing("joe@example.com", html="<p>Hi</p>"))
    rich = msg.get_body(("html",))
    assert rich is not None
    page = rich.get_content()
    assert "Smith &amp; Sons &lt;HQ&gt;" in page
    assert "We &lt;3 widgets" in page


def test_no_reply_to_means_unsubscribe_mail_goes_to_the_sender() -> None:
    msg = composer(reply_to="").message(outgoing("joe@example.com"))
    assert msg["Reply-To"] is None
    assert msg["List-Unsubscribe"].endswith("<mailto:ana@acme.example?subject=unsubscribe>")


@given(st.text(max_size=200))
def test_no_subject_can_add_a_header(subject: str) -> None:
    data = composer().render(outgoing("joe@example.com", subject=subject))
    names = [h.split(":", 1)[0] for h in header_block(data) if h and h[0] not in " \t"]
    assert names == [
        "From",
        "To",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ]

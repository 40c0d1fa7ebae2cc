"""Bounces: flufl.bounce's own published test messages through our parse -> classify path.

Each message in `corpus/bounces` (copied from flufl.bounce 6.0.0, see its README) must give
the recipients flufl.bounce's `tests/test_detectors.py` expects: a permanent failure suppresses
exactly them, a temporary one nobody, and a message without a failed recipient names none.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import pytest

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.bounce_reasons import BounceReason
from cam.replies.bounces import usable_address
from cam.replies.parser import parse_reply
from cam.replies.rules import Classification, classify, load_rules

BOUNCES = Path(__file__).parent / "corpus" / "bounces"
RULES = load_rules(DATA_DIR / "replies.toml")
TODAY = date(2026, 11, 25)


class Fate(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    NONE = "none"


PERMANENT, TEMPORARY, NONE = Fate.PERMANENT, Fate.TEMPORARY, Fate.NONE

# (file, fate, recipients) as flufl.bounce's tests/test_detectors.py expects them, one row per
# file (groupwise_02: its Exchange detector's answer; dumbass_01: test_scan_unrecognized). Two
# differences: dsn_02 reports `Action: failed` with `Status: 4.4.7`, which flufl.bounce counts as
# permanent; a 4.x.x status is a persistent transient failure (RFC 3463: the server gave up, the
# address may be fine), so we name the recipient and suppress nobody. And sendmail_01 names a
# failed address "(expanded from: zzzzz@nfg.nl)": flufl.bounce names both; we name the address
# it was expanded from, the one the message was written to, as we prefer a report's
# Original-Recipient to its Final-Recipient.
FLUFL = (
    ("postfix_01.txt", PERMANENT, ("xxxxx@local.ie",)),
    ("postfix_02.txt", PERMANENT, ("yyyyy@digicool.com",)),
    ("postfix_03.txt", PERMANENT, ("ttttt@ggggg.com",)),
    ("postfix_04.txt", PERMANENT, ("userx@mail1.example.com",)),
    ("postfix_05.txt", PERMANENT, ("userx@example.net",)),
    ("exim_01.txt", PERMANENT, ("userx@its.example.nl",)),
    ("sendmail_01.txt", PERMANENT, ("zzzzz@nfg.nl",)),
    ("simple_01.txt", PERMANENT, ("bbbsss@example.com",)),
    ("simple_02.txt", PERMANENT, ("userx@example.net",)),
    ("simple_04.txt", PERMANENT, ("userx@example.com",)),
    ("newmailru_01.txt", PERMANENT, ("zzzzz@newmail.ru",)),
    ("hotpop_01.txt", PERMANENT, ("userx@example.com",)),
    ("microsoft_03.txt", PERMANENT, ("userx@example.com",)),
    ("simple_05.txt", PERMANENT, ("userx@example.net",)),
    ("simple_06.txt", PERMANENT, ("userx@example.com",)),
    ("simple_07.txt", PERMANENT, ("userx@example.net",)),
    ("simple_08.txt", PERMANENT, ("userx@example.de",)),
    ("simple_09.txt", PERMANENT, ("userx@example.de",)),
    ("simple_10.txt", PERMANENT, ("userx@example.com",)),
    ("simple_11.txt", PERMANENT, ("userx@example.com",)),
    ("simple_12.txt", PERMANENT, ("userx@example.ac.jp",)),
    ("simple_13.txt", PERMANENT, ("userx@example.fr",)),
    ("simple_14.txt", PERMANENT, ("userx@example.com", "usery@example.com")),
    ("simple_15.txt", PERMANENT, ("userx@example.be",)),
    ("simple_16.txt", PERMANENT, ("userx@example.com",)),
    ("simple_17.txt", PERMANENT, ("userx@example.com",)),
    ("simple_18.txt", PERMANENT, ("userx@example.com",)),
    ("simple_19.txt", PERMANENT, ("userx@example.com.ar",)),
    ("simple_20.txt", PERMANENT, ("userx@example.com",)),
    ("simple_23.txt", PERMANENT, ("userx@example.it",)),
    ("simple_24.txt", PERMANENT, ("userx@example.com",)),
    ("simple_25.txt", PERMANENT, ("userx@example.com",)),
    ("simple_26.txt", PERMANENT, ("userx@example.it",)),
    ("simple_27.txt", PERMANENT, ("userx@example.net.py",)),
    ("simple_29.txt", PERMANENT, ("userx@example.com",)),
    ("simple_30.txt", PERMANENT, ("userx@example.com",)),
    ("simple_31.txt", PERMANENT, ("userx@example.fr",)),
    ("simple_32.txt", PERMANENT, ("userx@example.com",)),
    ("simple_33.txt", PERMANENT, ("userx@example.com",)),
    ("simple_34.txt", PERMANENT, ("roland@example.com",)),
    ("simple_36.txt", PERMANENT, ("userx@example.com",)),
    ("simple_37.txt", PERMANENT, ("user@example.edu",)),
    ("simple_38.txt", PERMANENT, ("userx@example.com",)),
    ("simple_39.txt", PERMANENT, ("userx@example.ru",)),
    ("simple_41.txt", PERMANENT, ("userx@example.com",)),
    ("simple_42.txt", NONE, ()),
    ("simple_43.txt", NONE, ()),
    ("simple_44.txt", PERMANENT, ("user@example.com",)),
    ("simple_45.txt", PERMANENT, ("subscriber@earthlink.net",)),
    ("bounce_02.txt", PERMANENT, ("userx@example.com",)),
    ("bounce_03.txt", PERMANENT, ("userx@example.uk",)),
    ("yahoo_12.txt", PERMANENT, ("user@yahoo.com",)),
    ("simple_03.txt", TEMPORARY, ("userx@example.za",)),
    ("simple_21.txt", TEMPORARY, ("userx@example.com",)),
    ("simple_22.txt", TEMPORARY, ("User@example.org",)),
    ("simple_28.txt", TEMPORARY, ("userx@example.com",)),
    ("simple_35.txt", TEMPORARY, ("calvin@example.com",)),
    ("simple_40.txt", TEMPORARY, ("user@example.com",)),
    ("groupwise_01.txt", PERMANENT, ("userx@example.EDU",)),
    ("groupwise_02.txt", PERMANENT, ("userx@example.com",)),
    ("groupwise_03.txt", NONE, ()),
    ("yale_01.txt", PERMANENT, ("userx@cs.yale.edu", "userx@yale.edu")),
    ("dsn_01.txt", PERMANENT, ("userx@example.com",)),
    ("dsn_02.txt", TEMPORARY, ("zzzzz@example.uk",)),
    ("dsn_03.txt", PERMANENT, ("userx@example.be",)),
    ("dsn_04.txt", PERMANENT, ("userx@example.ch",)),
    ("dsn_05.txt", TEMPORARY, ("userx@example.cz",)),
    ("dsn_06.txt", TEMPORARY, ("userx@example.com",)),
    ("dsn_07.txt", TEMPORARY, ("userx@example.nz",)),
    ("dsn_08.txt", TEMPORARY, ("userx@example.de",)),
    ("dsn_09.txt", PERMANENT, ("userx@example.com",)),
    ("dsn_10.txt", PERMANENT, ("anne.person@dom.ain",)),
    ("dsn_11.txt", PERMANENT, ("joem@example.com",)),
    ("dsn_12.txt", PERMANENT, ("userx@example.jp",)),
    ("dsn_13.txt", PERMANENT, ("userx@example.com",)),
    ("dsn_14.txt", PERMANENT, ("userx@example.com.dk",)),
    ("dsn_15.txt", PERMANENT, ("userx@example.com",)),
    ("dsn_16.txt", PERMANENT, ("userx@example.com",)),
    ("dsn_17.txt", TEMPORARY, ("userx@example.fi",)),
    ("dsn_18.txt", PERMANENT, ("email@replaced.net",)),
    ("microsoft_01.txt", PERMANENT, ("userx@example.COM",)),
    ("microsoft_02.txt", PERMANENT, ("userx@example.COM",)),
    ("microsoft_04.txt", PERMANENT, ("userx@example.COM",)),
    ("smtp32_01.txt", PERMANENT, ("userx@example.ph",)),
    ("smtp32_02.txt", PERMANENT, ("userx@example.com",)),
    ("smtp32_03.txt", PERMANENT, ("userx@example.com",)),
    ("smtp32_04.txt", PERMANENT, ("after_another@example.net", "one_bad_address@example.net")),
    ("smtp32_05.txt", PERMANENT, ("userx@example.com",)),
    ("smtp32_06.txt", PERMANENT, ("Absolute_garbage_addr@example.net",)),
    ("smtp32_07.txt", PERMANENT, ("userx@example.com",)),
    ("qmail_01.txt", PERMANENT, ("userx@example.de",)),
    ("qmail_02.txt", PERMANENT, ("userx@example.com",)),
    ("qmail_03.txt", PERMANENT, ("userx@example.jp",)),
    ("qmail_04.txt", PERMANENT, ("userx@example.au",)),
    ("qmail_05.txt", PERMANENT, ("userx@example.com",)),
    ("qmail_06.txt", PERMANENT, ("ntl@xxx.com",)),
    ("qmail_07.txt", PERMANENT, ("user@example.net",)),
    ("qmail_08.txt", NONE, ()),
    ("llnl_01.txt", PERMANENT, ("user1@example.gov",)),
    ("netscape_01.txt", PERMANENT, ("aaaaa@corel.com", "bbbbb@corel.com")),
    ("yahoo_01.txt", PERMANENT, ("userx@example.com",)),
    ("yahoo_02.txt", PERMANENT, ("userx@example.es",)),
    ("yahoo_03.txt", PERMANENT, ("userx@example.com",)),
    ("yahoo_04.txt", PERMANENT, ("userx@example.es", "usery@example.uk")),
    ("yahoo_05.txt", PERMANENT, ("userx@example.com", "usery@example.com")),
    (
        "yahoo_06.txt",
        PERMANENT,
        ("userx@example.com", "usery@example.com", "userz@example.com", "usera@example.com"),
    ),
    (
        "yahoo_07.txt",
        PERMANENT,
        ("userw@example.com", "userx@example.com", "usery@example.com", "userz@example.com"),
    ),
    (
        "yahoo_08.txt",
        PERMANENT,
        (
            "usera@example.com",
            "userb@example.com",
            "userc@example.com",
            "userd@example.com",
            "usere@example.com",
            "userf@example.com",
        ),
    ),
    ("yahoo_09.txt", PERMANENT, ("userx@example.com", "usery@example.com")),
    ("yahoo_10.txt", PERMANENT, ("userx@example.com", "usery@example.com", "userz@example.com")),
    ("yahoo_11.txt", PERMANENT, ("bad_user@aol.com",)),
    ("yahoo_13.txt", PERMANENT, ("bogus-address@example.net",)),
    ("sina_01.txt", PERMANENT, ("userx@sina.com", "usery@sina.com")),
    ("aol_01.txt", PERMANENT, ("screenname@aol.com",)),
    ("caiwireless_01.txt", PERMANENT, ("userx@example.com",)),
    ("dumbass_01.txt", NONE, ()),
)


def _classify(file: str) -> Classification:
    return classify(parse_reply((BOUNCES / file).read_bytes()), RULES, today=TODAY)


def test_every_copied_message_is_tested() -> None:
    assert {p.name for p in BOUNCES.glob("*.txt")} == {file for file, _, _ in FLUFL}


@pytest.mark.parametrize(("file", "fate", "recipients"), FLUFL, ids=lambda v: str(v))
def test_flufl_bounce_message_gives_the_expected_recipients(
    file: str, fate: Fate, recipients: tuple[str, ...]
) -> None:
    verdict = _classify(file)
    expected = {r.lower() for r in recipients}

    if fate is PERMANENT:
        assert verdict.kind is ReplyClass.bounce, verdict.matched_rule
        assert set(verdict.hard_bounces) == expected, verdict.matched_rule
        assert verdict.automated
    elif fate is TEMPORARY:
        assert verdict.kind is ReplyClass.other, verdict.matched_rule
        assert verdict.hard_bounces == ()
        assert verdict.automated
        assert "temporary" in verdict.matched_rule
        assert any(r in verdict.matched_rule for r in expected), verdict.matched_rule
    else:
        assert verdict.hard_bounces == (), verdict.matched_rule


@pytest.mark.parametrize(
    ("field", "address"),
    [
        ("rfc822; Ana@Northwind.example", "ana@northwind.example"),
        ("RFC822;<ana@northwind.example>", "ana@northwind.example"),
        ("utf-8; ana@northwind.example", "ana@northwind.example"),
        ("ana@northwind.example", "ana@northwind.example"),
        ("x400; /S=zzzzz/OU=example/PRMD=UK.AC/ADMD= /C=GB/", None),
        ("x400; /RFC-822=pr(a)allen-heath.com/ADMD= /C=WW/", None),
        ("rfc822;userx@sims-ms-daemon", None),
        ("rfc822; ana", None),
        ("rfc822;david...@gmail.com", None),
        ("rfc822; <>", None),
        ("", None),
    ],
)
def test_only_a_mail_address_is_usable(field: str, address: str | None) -> None:
    assert usable_address(field) == address


@pytest.mark.parametrize(
    ("file", "header"),
    [
        ("simple_27.txt", "precedence"),  # From MDaemon@..., Precedence: bulk
        ("simple_38.txt", "auto-submitted"),  # From admin@..., Auto-Submitted: auto-replied
        ("dsn_01.txt", "precedence"),
    ],
)
def test_a_notice_with_auto_reply_headers_is_a_bounce(file: str, header: str) -> None:
    parsed = parse_reply((BOUNCES / file).read_bytes())
    assert header in parsed.auto_headers
    verdict = classify(parsed, RULES, today=TODAY)
    assert verdict.kind is ReplyClass.bounce, verdict.matched_rule


def _notice(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\n", "\r\n").encode()


@pytest.mark.parametrize(
    "sender",
    [
        "Mail Delivery Subsystem <MAILER-DAEMON>",
        "MAILER-DAEMON (Mail Delivery Subsystem)",
        "Postmaster <>",
        "Mail Delivery System <relay@mx.acme.example>",
    ],
)
def test_a_mail_system_sender_wins_over_precedence_and_auto_submitted(sender: str) -> None:
    message = _notice(
        f"From: {sender}\nTo: ana@acme.example\nSubject: Your message\n"
        "Precedence: bulk\nAuto-Submitted: auto-replied\nMessage-ID: <n1@mx.acme.example>",
        "Hi. This is the qmail-send program at mx.umbrella.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<gone@umbrella.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
    )
    verdict = classify(parse_reply(message), RULES, today=TODAY)
    assert (verdict.kind, verdict.hard_bounces) == (ReplyClass.bounce, ("gone@umbrella.example",))


def _report(
    recipient_fields: str,
    returned: str,
    status: str = "5.1.1",
    said: str = "Your message could not be delivered.",
) -> bytes:
    """A delivery report for one recipient, returning the headers of the message it bounces;
    `said` is its text part."""
    return _notice(
        "From: postmaster@relay.example\nTo: ana@acme.example\nSubject: Delivery report\n"
        "Message-ID: <dsn1@relay.example>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        f"--B\nContent-Type: text/plain\n\n{said}\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\n"
        f"{recipient_fields}\nAction: failed\nStatus: {status}\n\n"
        f"--B\nContent-Type: text/rfc822-headers\n\n{returned}\n\n--B--\n",
    )


OUR_HEADERS = (
    "From: Ana Sales <ana@acme.example>\nTo: Dana Reyes <dana.reyes@northwind.example>\n"
    "Subject: Re: Picking errors\nMessage-ID: <cam.7.2@acme.example>\n"
    "In-Reply-To: <cam.7.1@acme.example>"
)


def test_an_x400_final_recipient_falls_back_to_our_returned_message() -> None:
    parsed = parse_reply(_report("Final-Recipient: x400; /S=reyes/O=northwind/C=US/", OUR_HEADERS))
    verdict = classify(parsed, RULES, today=TODAY)

    assert verdict.kind is ReplyClass.bounce
    # The address our returned message went to; the phase prefers the lead its Message-ID names.
    assert verdict.hard_bounces == verdict.bounce_fallback == ("dana.reyes@northwind.example",)
    assert parsed.thread_ids == ("<cam.7.2@acme.example>", "<cam.7.1@acme.example>")
    assert "/S=reyes" in verdict.matched_rule
    assert "<cam.7.2@acme.example>" in verdict.matched_rule


def test_original_recipient_is_preferred_to_a_name_without_a_domain() -> None:
    fields = "Original-Recipient: rfc822;dana.reyes@northwind.example\nFinal-Recipient: rfc822;dana"
    verdict = classify(parse_reply(_report(fields, OUR_HEADERS)), RULES, today=TODAY)
    assert verdict.hard_bounces == ("dana.reyes@northwind.example",)
    assert verdict.bounce_fallback is None


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        # Sendmail-style gateways: "Failed to deliver to '<a@b>'" and the remote reply below it.
        (
            "Failed to deliver to 'dana@northwind.example'\nSMTP module reports:\n host "
            "mx.northwind.example says:\n 550 5.1.1 User unknown",
            BounceReason.user_unknown,
        ),
        # OpenSMTPD (Sisimai's opensmtpd-11): the report says 5.0.0, the text the server's code.
        (
            "An error has occurred while attempting to deliver a message for\nthe following list "
            "of recipients:\n\ndana@northwind.example: 550 5.7.26 <dana@northwind.example>: "
            "Recipient address rejected: Multiple authentication checks failed",
            BounceReason.policy,
        ),
        (
            "<dana@northwind.example>: host mx.northwind.example said: 552 5.2.2 Mailbox full",
            BounceReason.mailbox_full,
        ),
        # Nothing names the recipient: the notice's words, and then only its status, decide.
        ("Delivery to the following recipients failed.", BounceReason.undefined),
    ],
)
def test_a_report_without_a_diagnostic_code_takes_the_reason_from_its_text(
    said: str, reason: BounceReason
) -> None:
    fields = "Final-Recipient: rfc822;dana@northwind.example"
    verdict = classify(parse_reply(_report(fields, OUR_HEADERS, "5.0.0", said)), RULES, today=TODAY)
    assert verdict.hard_bounces == ("dana@northwind.example",)
    assert verdict.bounce_reasons == (("dana@northwind.example", reason),)
    assert f"({reason}) for dana@northwind.example" in verdict.matched_rule


def test_a_report_with_a_diagnostic_code_is_not_second_guessed_by_its_text() -> None:
    fields = (
        "Final-Recipient: rfc822;dana@northwind.example\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user"
    )
    said = "Mailbox full, please try again later"  # a careless text part
    verdict = classify(parse_reply(_report(fields, OUR_HEADERS, "5.1.1", said)), RULES, today=TODAY)
    assert verdict.bounce_reasons == (("dana@northwind.example", BounceReason.user_unknown),)


def test_a_delay_names_the_recipient_and_suppresses_nobody() -> None:
    fields = "Final-Recipient: x400; /S=reyes/\nOriginal-Recipient: rfc822;dana@northwind.example"
    verdict = classify(parse_reply(_report(fields, OUR_HEADERS, "4.4.1")), RULES, today=TODAY)
    assert (verdict.kind, verdict.hard_bounces) == (ReplyClass.other, ())
    assert "dana@northwind.example (temporary, not a bounce)" in verdict.matched_rule


def test_a_failure_without_any_usable_recipient_says_so() -> None:
    verdict = _classify("simple_42.txt")  # Final-Recipient: rfc822;david...@gmail.com
    assert (verdict.kind, verdict.hard_bounces) == (ReplyClass.bounce, ())
    assert "'rfc822;david...@gmail.com' is not a usable address" in verdict.matched_rule
    assert "nothing in the report, the returned message or flufl.bounce" in verdict.matched_rule

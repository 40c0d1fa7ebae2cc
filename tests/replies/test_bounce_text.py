"""Text-only bounces: each mail system's own wording, the failed recipient and why.

The samples are written here after the shapes these systems use (no delivery-status part); the
addresses are ours. Each must give exactly its recipients, a delay must never be a bounce, and
no notice may be read as a person's reply.
"""

from __future__ import annotations

from datetime import date

import pytest

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.bounce_reasons import DEAD, BounceReason, reason_of
from cam.replies.parser import parse_reply
from cam.replies.rules import Classification, classify, load_rules

RULES = load_rules(DATA_DIR / "replies.toml")
TODAY = date(2026, 11, 25)
RETURNED = """Return-Path: <ana@acme.example>
Message-ID: <cam.9.1@acme.example>
From: Ana <ana@acme.example>
To: {to}
Subject: Shipping at your warehouse

Hello there
"""


def _notice(sender: str, subject: str, body: str, to: str = "lead@client.example") -> bytes:
    text = (
        f"From: {sender}\nTo: ana@acme.example\nSubject: {subject}\n"
        "Date: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <n-1@mx.example>\n\n"
        + body
        + "\n"
        + RETURNED.format(to=to)
    )
    return text.replace("\n", "\r\n").encode()


def _read(sender: str, subject: str, body: str, to: str = "lead@client.example") -> Classification:
    return classify(parse_reply(_notice(sender, subject, body, to)), RULES, today=TODAY)


HARD = [
    (
        "sendmail",
        "Mail Delivery Subsystem <MAILER-DAEMON@mx.client.example>",
        "Returned mail: see transcript for details",
        "The original message was received at Tue, 24 Nov 2026 09:58 +0000\n"
        "from mx.acme.example\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n<lead@client.example>\n"
        "    (reason: 550 5.1.1 <lead@client.example>... User unknown)\n",
        ("lead@client.example",),
        BounceReason.user_unknown,
    ),
    (
        "qmail",
        "MAILER-DAEMON@mx.client.example",
        "failure notice",
        "Hi. This is the qmail-send program at mx.client.example.\nI'm afraid I wasn't able to "
        "deliver your message to the following addresses.\nThis is a permanent error; I've given "
        "up. Sorry it didn't work out.\n\n<lead@client.example>:\nSorry, no mailbox here by that "
        "name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n",
        ("lead@client.example",),
        BounceReason.user_unknown,
    ),
    (
        "exim",
        "Mail Delivery System <Mailer-Daemon@relay.acme.example>",
        "Mail delivery failed: returning message to sender",
        "This message was created automatically by mail delivery software.\n\nA message that you "
        "sent could not be delivered to one or more of its\nrecipients. This is a permanent error. "
        "The following address(es) failed:\n\n  lead@client.example\n    SMTP error from remote "
        "mail server after RCPT TO:<lead@client.example>:\n    host mx.client.example "
        "[192.0.2.9]: 550 5.2.2 Mailbox full\n\n------ This is a copy of the message, including "
        "all the headers. ------\n",
        ("lead@client.example",),
        BounceReason.mailbox_full,
    ),
    (
        "notes",
        "postmaster@notes.client.example",
        "Undeliverable message",
        "------- Failure Reasons  --------\n\nUser lead not listed in Domino Directory\n"
        "lead@client.example\n\n------- Returned Message --------\n",
        ("lead@client.example",),
        BounceReason.user_unknown,
    ),
    (
        "exchange 2003",
        "System Administrator <postmaster@client.example>",
        "Undeliverable: Shipping at your warehouse",
        "Your message did not reach some or all of the intended recipients.\n\n      Subject:\t"
        "Shipping at your warehouse\n      Sent:\t11/24/2026 9:58 AM\n\nThe following "
        "recipient(s) could not be reached:\n\n      lead@client.example on 11/24/2026 10:00 AM\n"
        "            The e-mail account does not exist at the organization this message was sent "
        "to.\n            <mx.client.example #5.1.1>\n",
        ("lead@client.example",),
        BounceReason.user_unknown,
    ),
    (
        "yahoo",
        "MAILER-DAEMON@yahoo.example",
        "Failure Notice",
        "Sorry, we were unable to deliver your message to the following address.\n\n"
        "<lead@client.example>:\nRemote host said: 554 5.7.1 Message rejected due to DMARC policy "
        "[RCPT_TO]\n\n--- Below this line is a copy of the message.\n",
        ("lead@client.example",),
        BounceReason.policy,
    ),
    (
        "opensmtpd",
        "Mailer Daemon <MAILER-DAEMON@relay.acme.example>",
        "Delivery status notification: error",
        "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n    An "
        "error has occurred while attempting to deliver a message for\n    the following list of "
        "recipients:\n\nlead@client.example: 550 5.7.1 Service unavailable; client host blocked "
        "using zen.spamhaus.org\n\n    Below is a copy of the original message:\n",
        ("lead@client.example",),
        BounceReason.blocked,
    ),
    (
        "dragonfly",
        "MAILER-DAEMON <>",
        "Mail delivery failed",
        "This is the DragonFly Mail Agent v0.13 at relay.acme.example.\n\nThere was an error "
        "delivering your mail to <lead@client.example>.\n\nmx.client.example [192.0.2.9] did not "
        "like our RCPT TO:\n550 5.1.2 Host or domain name not found\n\nMessage headers follow.\n",
        ("lead@client.example",),
        BounceReason.host_unknown,
    ),
    (
        "amazon workmail",
        "MAILER-DAEMON@eu-west-1.amazonses.example",
        "Delivery Status Notification (Failure)",
        "An error occurred while trying to deliver the mail to the following recipients:\n"
        "lead@client.example\n\nTechnical report:\n\nReporting-MTA: dsn; a1.smtp-out.example\n\n"
        "Action: failed\nFinal-Recipient: rfc822; lead@client.example\nDiagnostic-Code: smtp; 550 "
        "5.1.1 user unknown\nStatus: 5.1.1\n\n",
        ("lead@client.example",),
        BounceReason.user_unknown,
    ),
    (
        "carrier gateway",
        "no-reply@mail.carrier.example",
        "Mail error",
        "Your mail sent on: Tue, 24 Nov 2026 09:58:00 +0900\n     Could not be delivered to: "
        "<lead@client.example>\n     As their mailbox is full.\n",
        ("lead@client.example",),
        BounceReason.mailbox_full,
    ),
    (
        "two recipients, one expanded from the address we wrote to",
        "Mail Delivery Subsystem <MAILER-DAEMON@mx.client.example>",
        "Returned mail: User unknown",
        "   ----- The following addresses had permanent fatal errors -----\n"
        "lead@mail2.client.example\n    (expanded from: lead@client.example)\n\n"
        "   ----- Transcript of session follows -----\n"
        "550 5.1.1 lead@mail2.client.example... User unknown\n",
        ("lead@mail2.client.example", "lead@client.example"),
        BounceReason.user_unknown,
    ),
]


@pytest.mark.parametrize(
    ("system", "sender", "subject", "body", "failed", "reason"), HARD, ids=[h[0] for h in HARD]
)
def test_a_text_only_bounce_names_its_recipients_and_reason(
    system: str, sender: str, subject: str, body: str, failed: tuple[str, ...], reason: BounceReason
) -> None:
    verdict = _read(sender, subject, body)
    assert verdict.kind is ReplyClass.bounce, (system, verdict.matched_rule)
    assert verdict.hard_bounces == failed
    assert verdict.bounce_reasons[0] == (failed[0], reason)
    assert f"({reason})" in verdict.matched_rule


def test_amazon_ses_json_names_the_bounced_recipient() -> None:
    body = (
        '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":'
        '[{"emailAddress":"lead@client.example","action":"failed","status":"5.1.1",'
        '"diagnosticCode":"smtp; 550 5.1.1 user unknown"}]},"mail":{"source":"ana@acme.example"}}'
        "\n\n--\nIf you wish to stop receiving notifications from this topic, please click the "
        "link below to unsubscribe:\nhttps://sns.example/unsubscribe.html"
    )
    raw = (
        "From: AWS Notifications <no-reply@sns.amazonaws.example>\nTo: ana@acme.example\n"
        f"Subject: AWS Notification Message\nMessage-ID: <s-1@sns.example>\n\n{body}\n"
    ).encode()
    verdict = classify(parse_reply(raw), RULES, today=TODAY)
    # Its footer says "unsubscribe": it is still a notice, never a person's opt-out.
    assert verdict.kind is ReplyClass.bounce
    assert verdict.hard_bounces == ("lead@client.example",)


DELAYS = [
    (
        "Mail Delivery System <mailer-daemon@relay.acme.example>",
        "Warning: message 1aB-2cD delayed 24 hours",
        "This message was created automatically by mail delivery software.\nA message that you "
        "sent has not yet been delivered to one or more of its\nrecipients after more than 24 "
        "hours on the queue on relay.acme.example.\n\n  lead@client.example\n    Delay reason: "
        "SMTP error from remote mail server after RCPT TO:<lead@client.example>:\n    451 4.7.1 "
        "Greylisted, try again later\n",
    ),
    (
        "Mailer Daemon <MAILER-DAEMON@relay.acme.example>",
        "Delivery status notification: warning",
        "    Hi!\n\n    A message is delayed for more than 10 minutes for the following\n"
        "    list of "
        "recipients:\n\nlead@client.example: Network error on destination MXs\n\n    Please note "
        "that this is only a temporary failure report.\n",
    ),
    (
        "Mail Delivery Subsystem <mailer-daemon@mail.example>",
        "Delivery Status Notification (Delay)",
        "THIS IS A WARNING MESSAGE ONLY.\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\nDelivery to "
        "the following recipient has been delayed:\n\n     lead@client.example\n\nMessage will be "
        "retried for 2 more day(s)\n",
    ),
]


@pytest.mark.parametrize(("sender", "subject", "body"), DELAYS)
def test_a_delay_warning_in_text_never_bounces(sender: str, subject: str, body: str) -> None:
    verdict = _read(sender, subject, body)
    assert verdict.kind is ReplyClass.other
    assert verdict.hard_bounces == ()
    assert "temporary, not a bounce" in verdict.matched_rule


def test_a_contact_address_or_the_senders_own_is_not_a_recipient() -> None:
    body = (
        "I'm sorry to have to inform you that your message could not\nbe delivered to one or more "
        "recipients.\n\nFor further assistance, please contact <help@relay.acme.example>\n\nA "
        "message sent by\n  <ana@acme.example>\ncould not be delivered:\n\n<lead@client.example>:"
        " host mx.client.example said: 550 5.1.1 Recipient address rejected\n"
    )
    verdict = _read("MAILER-DAEMON@relay.acme.example (Mail Delivery System)", "Undelivered", body)
    assert verdict.hard_bounces == ("lead@client.example",)


def test_a_notice_without_sender_or_subject_clues_is_still_a_notice() -> None:
    body = (
        "Hi. This is the qmail-send program at mx.client.example.\n\n<lead@client.example>:\n"
        "Remote host said: 550 5.1.1 no such user\n"
    )
    verdict = _read("Notifications <notify@mx.client.example>", "Re: Shipping", body)
    assert verdict.kind is ReplyClass.bounce and verdict.automated


@pytest.mark.parametrize(
    ("status", "words", "reason"),
    [
        ("5.1.1", "", BounceReason.user_unknown),
        ("5.2.2", "", BounceReason.mailbox_full),
        ("5.7.1", "client host blocked using a DNSBL", BounceReason.blocked),
        ("5.7.26", "Unauthenticated email is not accepted due to DMARC", BounceReason.policy),
        ("", "Host or domain name not found", BounceReason.host_unknown),
        ("5.0.0", "account has been disabled", BounceReason.suspended),
        ("5.0.0", "Quota exceeded", BounceReason.mailbox_full),
        ("", "something odd happened", BounceReason.undefined),
        # Words that say the mailbox is full win over any code: servers write it as 5.2.3, 5.7.0,
        # even 5.1.1 (Sisimai's x3-06), and a full mailbox is not a dead address.
        ("5.1.1", "552 5.2.2 Over quota", BounceReason.mailbox_full),
        ("5.7.0", "x-unix; maildrop: maildir over quota.", BounceReason.mailbox_full),
        ("5.2.3", "mailbox of lead has exceeded its disk space limit", BounceReason.mailbox_full),
        (
            "5.0.0",
            "552 Mailbox lead@client.example does not have enough space",
            BounceReason.mailbox_full,
        ),
        ("", "Mailbox quota usage exceeded. Espacio agotado.", BounceReason.mailbox_full),
        ("", "Not enough storage space in the recipient's mailbox", BounceReason.mailbox_full),
        # ... but a message too large is about the message, whatever "exceeds" says.
        ("5.2.3", "Message length exceeds administrative limit", BounceReason.too_large),
        ("5.3.4", "552 Message size exceeds the limit", BounceReason.too_large),
        ("", "550 550 Address unknown (state 14).", BounceReason.user_unknown),
        ("", "Recipient address rejected: non-existent user", BounceReason.user_unknown),
        ("", "This mailbox is disabled or discontinued", BounceReason.suspended),
    ],
)
def test_reasons(status: str, words: str, reason: BounceReason) -> None:
    assert reason_of(status, words) is reason


def test_full_mailboxes_and_blocks_are_not_dead_addresses() -> None:
    assert BounceReason.user_unknown in DEAD and BounceReason.host_unknown in DEAD
    assert not {BounceReason.mailbox_full, BounceReason.blocked, BounceReason.policy} & DEAD

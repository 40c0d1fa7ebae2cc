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
from cam.replies.bounce_reasons import BounceReason
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
        # The address it was expanded from is the one we wrote to: it alone is named.
        "sendmail, an address expanded from ours",
        "Mail Delivery Subsystem <MAILER-DAEMON@mx.client.example>",
        "Returned mail: User unknown",
        "   ----- The following addresses had permanent fatal errors -----\n"
        "lead@mail2.client.example\n    (reason: 550 5.1.1 <lead@mail2.client.example>... User"
        " unknown)\n    (expanded from: <lead@client.example>)\n\n"
        "   ----- Transcript of session follows -----\n"
        "550 5.1.1 lead@mail2.client.example... User unknown\n",
        ("lead@client.example",),
        BounceReason.user_unknown,
    ),
    (
        # Sendmail's own "550 5.1.1 ... User unknown" after the remote reply is its translation
        # of any refusal, and belongs to the next address's line: the remote reply decides.
        "sendmail, a remote refusal for an address expanded from ours",
        "Mail Delivery Subsystem <MAILER-DAEMON@relay.acme.example>",
        "Returned mail: see transcript for details",
        "   ----- The following addresses had permanent fatal errors -----\n"
        "lead@mail2.client.example\n    (reason: 554 Message rejected due to DMARC policy)\n"
        "    (expanded from: <lead@client.example>)\n\n"
        "   ----- Transcript of session follows -----\n... while talking to mx.client.example.:\n"
        ">>> DATA\n<<< 554 Message rejected due to DMARC policy\n"
        "550 5.1.1 lead@mail2.client.example... User unknown\n",
        ("lead@client.example",),
        BounceReason.policy,
    ),
    (
        "exim, an address generated from ours, given up after retries",
        "Mail Delivery System <Mailer-Daemon@relay.acme.example>",
        "Mail delivery failed: returning message to sender",
        "This message was created automatically by mail delivery software.\n\nA message that you "
        "sent could not be delivered to one or more of its\nrecipients. This is a permanent error. "
        "The following address(es) failed:\n\n  lead.home@isp.example\n    (ultimately generated "
        "from lead@client.example)\n    all hosts have been failing for a long time and were last "
        "tried after this message arrived\n\n------ This is a copy of the "
        "message, including all the headers. ------\n",
        ("lead@client.example",),
        BounceReason.expired,
    ),
    (
        "postfix, two addresses, one expanded from ours",
        "MAILER-DAEMON@relay.acme.example (Mail Delivery System)",
        "Undelivered Mail Returned to Sender",
        "This is the mail system at host relay.acme.example.\n\nI'm sorry to have to inform you "
        "that your message could not\nbe delivered to one or more recipients.\n\n"
        "<lead@mx2.client.example> (expanded from <lead@client.example>): host\n    mx2.client."
        "example[192.0.2.9] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command)\n\n"
        "<boss@client.example>: host mx.client.example[192.0.2.8] said: 550 5.1.1 <boss@client."
        "example>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n",
        ("lead@client.example", "boss@client.example"),
        BounceReason.mailbox_full,
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

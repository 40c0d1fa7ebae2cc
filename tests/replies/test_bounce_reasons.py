"""Why a delivery failed: the reason a status code and a notice's words give, and which reasons
leave the address alive. The words and codes are written here after the shapes mail systems use
(Sisimai's reason lists are the map); the notices are flufl.bounce's, or written here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cam.core.settings import DATA_DIR
from cam.replies.bounce_reasons import DEAD, BounceReason, reason_of
from cam.replies.parser import parse_reply
from cam.replies.rules import classify, load_rules

BOUNCES = Path(__file__).parent / "corpus" / "bounces"
RULES = load_rules(DATA_DIR / "replies.toml")
TODAY = date(2026, 11, 25)


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
        # Words that say the message is too large or a relay was refused win over the code: a
        # server may write either as 5.1.1 or 5.7.1, and the address is alive.
        ("5.1.1", "552 Message size exceeds fixed maximum message size", BounceReason.too_large),
        ("5.7.1", "554 5.7.1 <lead@client.example>: Relay access denied", BounceReason.policy),
        ("5.0.0", "550 5.7.1 Unable to relay for lead@client.example", BounceReason.policy),
        ("", "553 sorry, that domain isn't in my list of allowed rcpthosts", BounceReason.policy),
        # A 5.7.x code whose words say the address is unknown is read by its words...
        (
            "5.7.1",
            "553 Invalid recipient lead@client.example (Mode: normal)",
            BounceReason.user_unknown,
        ),
        # ... but "address rejected" alone may be a policy's refusal.
        ("5.7.1", "Recipient address rejected: Access denied", BounceReason.blocked),
        # A spam filter's verdict is about the message, even where it says "blocked"; a block
        # list's is about the sending host.
        ("5.0.0", "554 Blocked - message looks like spam", BounceReason.policy),
        ("5.7.1", "550 5.7.1 Message blocked by SpamAssassin", BounceReason.policy),
        ("5.7.1", "client host [192.0.2.1] blocked using zen.spamhaus.org", BounceReason.blocked),
        (
            "5.7.1",
            "Your IP is listed in our block list. If you are not a spammer, write to us",
            BounceReason.blocked,
        ),
        ("", "The recipient is not accepting mail with attachments", BounceReason.policy),
        ("", "[mx.client.example]: Name or service not known", BounceReason.host_unknown),
        ("", "550 Requested action not taken: mail-box not found", BounceReason.user_unknown),
        ("", "552 Mailbox has exceeded the limit", BounceReason.mailbox_full),
    ],
)
def test_reasons(status: str, words: str, reason: BounceReason) -> None:
    assert reason_of(status, words) is reason


def test_full_mailboxes_and_blocks_are_not_dead_addresses() -> None:
    assert BounceReason.user_unknown in DEAD and BounceReason.host_unknown in DEAD
    assert not {BounceReason.mailbox_full, BounceReason.blocked, BounceReason.policy} & DEAD


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        # Exchange 5.5's words in a body no parser split: its part headers are not the returned
        # message, so "Unknown Recipient" is still read.
        ("microsoft_02.txt", BounceReason.user_unknown),
        # AOL's notice: the recipient is not accepting mail from our sender, a block.
        ("aol_01.txt", BounceReason.blocked),
    ],
)
def test_a_notice_gives_its_reason_in_its_own_words(file: str, reason: BounceReason) -> None:
    verdict = classify(parse_reply((BOUNCES / file).read_bytes()), RULES, today=TODAY)
    assert verdict.bounce_reasons[0][1] is reason


def test_the_returned_message_never_gives_the_reason() -> None:
    # SMTP32's notice says no why; our returned message's DKIM and SPF headers say nothing either.
    message = (
        b"From: postmaster@mx.umbrella.example\nTo: ana@acme.example\n"
        b"Subject: Undeliverable Mail\nX-Mailer: <SMTP32 v980629>\nMessage-ID: <n2@mx.example>\n\n"
        b"Delivery failed 20 attempts: gone@umbrella.example\n\n\nOriginal message follows.\n\n"
        b"Received-SPF: pass (mx.umbrella.example: domain of acme.example designates 192.0.2.7)\n"
        b"DKIM-Signature: v=1; a=rsa-sha256; d=acme.example; s=cam; b=AbC\n"
        b"From: Ana Sales <ana@acme.example>\nTo: gone@umbrella.example\nSubject: Picking errors\n"
    )
    verdict = classify(parse_reply(message), RULES, today=TODAY)
    assert "flufl.bounce" in verdict.matched_rule
    assert verdict.bounce_reasons == (("gone@umbrella.example", BounceReason.undefined),)

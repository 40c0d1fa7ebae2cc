"""Failed recipients, and why, read from the text of a notice that has no delivery-status part.

Each mail system words its notice its own way, but they share a few shapes, and these are read
here rather than one parser per system:

- DSN fields written into the text ("Final-Recipient: rfc822; a@b", "Status: 5.1.1"), as Amazon
  WorkMail and some gateways do;
- a failure line: "<a@b>: 550 5.1.1 ..." (Postfix, OpenSMTPD, qmail's "<a@b>:" and its "Remote
  host said"), Sendmail's ">>> a@b" and "a@b... User unknown", X1's "a@b [User unknown]";
- an address alone on its line under a failure heading ("The following addresses had permanent
  fatal errors", Exchange 2003's "could not be reached", Notes' "Failure Reasons", Office 365's
  "Delivery has failed to these recipients", m-FILTER, carrier gateways);
- the address in the sentence ("There was an error delivering your mail to <a@b>", DragonFly;
  "RCPT TO: a@b", Verizon; "SMTP error from remote mail server after RCPT TO:<a@b>", Exim);
- Amazon SES's JSON notification ("bouncedRecipients").

A failed address the notice says was expanded or generated from another (Sendmail's and
Postfix's "expanded from", Exim's "generated from") was reached through an alias or a forward:
the recipient is the address it came from, the one we wrote to, as a delivery report's
Original-Recipient is preferred to its Final-Recipient.

The text of the returned message (from its first header line on) is never read for recipients:
its To: is the caller's fallback. The words after each recipient, up to the next one, are its
diagnostic: the SMTP reply says whether the failure is permanent, and `reasons` says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cam.replies.bounce_reasons import BounceReason, is_final, reason_of

_ADDRESS = r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"
# The returned message starts here: a header line, or a system's words for it. A text or
# multipart Content-Type is a MIME part's own header in a body no parser split.
_RETURNED = re.compile(
    r"^(?:Received|Return-Path|Message-I[Dd]|DKIM-Signature|MIME-Version|X-[\w-]+):\s"
    r"|^Content-Type:\s(?!text/|multipart/)"
    r"|^\s*-+\s*(?:Unsent message follows|Original message|original message|Returned Message"
    r"|This is a copy|Message headers follow)"
    r"|^\s*Below is a copy of the original message"
    r"|^\s*(?:Message headers follow|Original message follows|--- Below this line is a copy)",
    re.MULTILINE | re.IGNORECASE,
)
_DSN_FIELDS = re.compile(
    rf"^(?:Final|Original)-Recipient:\s*rfc822;\s*<?({_ADDRESS})>?\s*$", re.MULTILINE | re.I
)
_DSN_STATUS = re.compile(r"^Status:\s*([245]\.\d{1,3}\.\d{1,3})", re.MULTILINE | re.IGNORECASE)
# An address that is the subject of its line.
_FAILURE_LINE = re.compile(
    rf"^\s*(?:>>>\s*|-+\s*|\*\s+)?[<\"']?({_ADDRESS})[>\"']?"
    rf"(?:<mailto:[^>]*>)?\s*(?::|\.\.\.|\s\[|\s\(|\s+on\s|\s+<{_ADDRESS}>|\s*$)",
    re.MULTILINE,
)
# An SMTP failure reply as its own line ("552 Quota violation for a@b"): its addresses.
_CODE_LINE = re.compile(r"^\s*(?:<<<\s*)?[45]\d\d[\s-].*$", re.MULTILINE)
# An address in a sentence about the failed delivery.
_IN_SENTENCE = re.compile(
    rf"(?:RCPT\s+TO:\s*|delivering\s+(?:your\s+)?(?:mail|message)\s+to\s+|could\s+not\s+be\s+"
    rf"delivered\s+to:?\s+|not\s+(?:be\s+)?delivered\s+to:?\s+|failed\s+to\s+deliver\s+to\s+"
    rf"|delivery\s+to\s+|unable\s+to\s+deliver\s+(?:your\s+message\s+)?to\s+|recipient:?\s+"
    rf"|undeliverable\s+to\s+|message\s+to\s+|delivery\s+failed:\s*|errors?:\s*"
    rf"|address:\s*)[<\"'(]?({_ADDRESS})",
    re.IGNORECASE,
)
# The address a failed one was expanded or generated from: the one we wrote to.
_ORIGINAL = re.compile(
    rf"\(\s*(?:ultimately\s+)?(?:expanded|generated)\s+from:?\s*[<\"']?({_ADDRESS})", re.I
)
_SES_MARK = "notificationType"
# Words right before an address that make it the sender or a contact, not a recipient.
_SENDER_CUE = re.compile(
    r"(?:sent\s+by|from|envelope-from|sender|contact|mail\s+to)"
    r"\s*:?\s*[<(]?\s*$",
    re.IGNORECASE,
)
# What only a mail system writes: a notice without a sender or subject that says so.
_SYSTEM_WORDS = re.compile(
    r"^\{\s*\"(?:notificationType|Type)\"|This is the qmail-send program|DragonFly Mail Agent"
    r"|created automatically by mail delivery (?:software|system)"
    r"|-+ ?The following addresses had (?:permanent )?fatal errors"
    r"|The following recipient\(s\) could not be reached|Delivery has failed to these recipients"
    r"|An error has occurred while attempting to deliver a message"
    r"|I'm sorry to have to inform you that (?:your|the) message"
    r"|Unable to deliver (?:your )?message to the following address"
    r"|Could not be delivered to: <|not a member of this mailing list|Duplicated Message-ID",
    re.MULTILINE,
)


def system_words(text: str) -> str | None:
    """Return the words of `text` that only a mail system writes, or None."""
    match = _SYSTEM_WORDS.search(text[:5000])
    return match.group(0) if match else None


# Local parts that are the mail system itself, never a recipient.
_SYSTEM = re.compile(r"^(?:mailer-daemon|postmaster|post_master|root|support|abuse|noc)@", re.I)


@dataclass(frozen=True)
class TextFailure:
    """One recipient a text notice names, its SMTP status, and why it failed."""

    address: str
    permanent: bool
    status: str
    reason: BounceReason
    diagnostic: str


def read(text: str, subject: str = "", *, exclude: tuple[str, ...] = ()) -> list[TextFailure]:
    """Return the recipients `text` says failed, in order; [] when it names none.

    `exclude` holds addresses that are not recipients (the notice's own From: and To:).
    """
    if _SES_MARK in text[:5000]:
        return _ses(text[:20_000])
    notice = notice_part(text)
    skip = {a.lower() for a in exclude}
    # The notice's own postmaster is never a recipient; another domain's may be.
    domain = "@" + exclude[0].rpartition("@")[2].lower() if exclude and exclude[0] else None
    fields = _dsn_fields(notice, subject, skip)
    if fields:
        return fields
    found = _addresses(notice)
    seen: dict[str, TextFailure] = {}
    # Addresses reached through an alias or forward: the original named right after stands for
    # each, and its diagnostic starts at the forwarded address's line.
    forwarded: set[str] = set()
    begins: int | None = None
    for n, (start, end, address, original) in enumerate(found):
        address = address.lower().rstrip(".")
        if (
            address in skip
            or address in seen
            or address in forwarded
            or (_SYSTEM.match(address) and domain and address.endswith(domain))
            or (not original and _SENDER_CUE.search(notice[max(0, start - 40) : start]))
        ):
            continue
        following = [f for f in found[n + 1 :] if f[2].lower().rstrip(".") != address]
        if following and following[0][3] and not original:
            forwarded.add(address)
            begins = start
            continue
        # The words up to the next address, or to the start of its line: that line is its own.
        stop = min((f[0] for f in following), default=len(notice))
        if (line := notice.rfind("\n", start, stop)) >= 0:
            stop = line + 1
        line_start = notice.rfind("\n", 0, begins if original and begins is not None else start)
        begins = None
        diagnostic = notice[line_start + 1 : max(stop, end)].strip()[:600]
        seen[address] = _failure(address, diagnostic, notice, subject)
    return list(seen.values())


def _addresses(notice: str) -> list[tuple[int, int, str, bool]]:
    """Each address the notice names as failed, in order: (start, end, address, original)."""
    found = [
        (match.start(), match.end(), match.group(1), False)
        for pattern in (_FAILURE_LINE, _IN_SENTENCE)
        for match in pattern.finditer(notice)
    ]
    found += [(m.start(), m.end(), m.group(1), True) for m in _ORIGINAL.finditer(notice)]
    for line in _CODE_LINE.finditer(notice):
        for match in re.finditer(_ADDRESS, line.group(0)):
            start, end = line.start() + match.start(), line.start() + match.end()
            found.append((start, end, match.group(0), False))
    return sorted(found)


def notice_part(text: str) -> str:
    """The notice's own words: its text up to the returned message (20,000 characters at most)."""
    return _RETURNED.split(text, maxsplit=1)[0][:20_000]


def _failure(address: str, diagnostic: str, notice: str, subject: str) -> TextFailure:
    status = status_of(diagnostic) or status_of(notice)
    permanent = is_final(status, f"{subject}\n{notice}")
    reason = reason_of(status, diagnostic)
    if reason is BounceReason.undefined:
        # The reason may stand before the address ("Error: no such user", then "RCPT TO: a@b").
        reason = reason_of(status, notice)
    return TextFailure(address, permanent, status, reason, diagnostic)


# An enhanced status code where mail systems write one: after a reply code, "#", "(", "[", a
# colon or at a line's start; never a version number ("Mailman 2.0.12").
_ENHANCED = re.compile(
    r"(?:(?<=\d[ -])|(?<=[#(\[:=])|(?<=: )|(?<=^)|(?<=^ )|(?<=\t))"
    r"([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)",
    re.MULTILINE,
)
_BASIC = re.compile(r"(?:^|said:|:|\s)\s*([45])\d\d(?:[\s-]|$)", re.MULTILINE)


def status_of(text: str) -> str:
    """The enhanced status code in `text`, else its SMTP reply code's class ("5.0.0")."""
    if match := _ENHANCED.search(text):
        return ".".join(match.groups())
    if match := _BASIC.search(text):
        return f"{match.group(1)}.0.0"
    return ""


def _dsn_fields(notice: str, subject: str, skip: set[str]) -> list[TextFailure]:
    blocks = list(_DSN_FIELDS.finditer(notice))
    failures: dict[str, TextFailure] = {}
    for n, match in enumerate(blocks):
        address = match.group(1).lower()
        if address in skip or address in failures:
            continue
        end = blocks[n + 1].start() if n + 1 < len(blocks) else len(notice)
        block = notice[max(0, match.start() - 300) : end]
        status = (s.group(1) if (s := _DSN_STATUS.search(block)) else "") or status_of(block)
        permanent = is_final(status, f"{subject}\n{block}")
        failures[address] = TextFailure(
            address, permanent, status, reason_of(status, block), block.strip()[:600]
        )
    return list(failures.values())


def _ses(text: str) -> list[TextFailure]:
    """Amazon SES's bounce notification: JSON, often wrapped in an SNS message and re-escaped,
    sometimes broken by line folding, so its fields are read one by one."""
    text = text.replace('\\"', '"')
    kind = _SES_TYPE.search(text)
    if kind is None or kind.group(1) != "Bounce":
        return []
    bounce_type = _SES_BOUNCE_TYPE.search(text)
    permanent = bounce_type is not None and bounce_type.group(1) == "Permanent"
    failures: dict[str, TextFailure] = {}
    for item in _SES_RECIPIENT.finditer(text):
        address = item.group(1).lower()
        fields = item.group(0)
        status = s.group(1) if (s := re.search(r'"status"\s*:\s*"([\d.]+)"', fields)) else ""
        found = re.search(r'"diagnosticCode"\s*:\s*"([^"]*)"', fields)
        diagnostic = found.group(1) if found else ""
        failures.setdefault(
            address,
            TextFailure(
                address,
                status.startswith("5") if status else permanent,
                status,
                reason_of(status, diagnostic),
                diagnostic[:600],
            ),
        )
    return list(failures.values())


_SES_TYPE = re.compile(r'"notificationType"\s*:\s*"(\w+)"')
_SES_BOUNCE_TYPE = re.compile(r'"bounceType"\s*:\s*"(\w+)"')
_SES_RECIPIENT = re.compile(rf'"emailAddress"\s*:\s*"({_ADDRESS})"[^}}]*')

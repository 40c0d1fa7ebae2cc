"""Why the period's addresses bounced: grouped by reason, with the domains most affected.

A bounce's reason is read from what was stored with it: the server's refusal at send time,
or the notice's matched rule and first lines. Enhanced status codes (RFC 3463) decide first,
then the words mail systems use; what neither names is `other`.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.models import Lead, OutreachMessage, OutreachStatus, Reply, ReplyClass
from cam.digest.counts import REJECTED_PREFIX
from cam.digest.model import BounceGroup, BounceReason, DomainCount

# Domains listed per reason.
TOP_DOMAINS = 3
# How much of a notice's text is read for its reason.
NOTICE_CHARS = 2000
_CODES = (
    (re.compile(r"\b[45]\.1\.[16]\b"), BounceReason.user_unknown),
    (re.compile(r"\b[45]\.2\.2\b"), BounceReason.mailbox_full),
    (re.compile(r"\b[45]\.(1\.2|4\.4)\b"), BounceReason.host_unknown),
    (re.compile(r"\b[45]\.7\.\d+\b"), BounceReason.blocked),
)
_WORDS = (
    (
        BounceReason.user_unknown,
        (
            "user unknown",
            "unknown user",
            "no such user",
            "does not exist",
            "no mailbox here",
            "recipient not found",
            "invalid recipient",
            "address rejected",
            "unknown recipient",
        ),
    ),
    (
        BounceReason.mailbox_full,
        ("mailbox full", "mailbox is full", "over quota", "quota exceeded", "insufficient storage"),
    ),
    (
        BounceReason.host_unknown,
        (
            "host unknown",
            "host not found",
            "domain not found",
            "no mx",
            "name or service not known",
            "nxdomain",
            "unrouteable",
        ),
    ),
    (BounceReason.blocked, ("blocked", "policy", "spam", "blacklist", "blocklist", "denied")),
)


def reason_of(text: str) -> BounceReason:
    """Return the reason a bounce's stored text gives."""
    for pattern, reason in _CODES:
        if pattern.search(text):
            return reason
    lowered = text.lower()
    for reason, words in _WORDS:
        if any(word in lowered for word in words):
            return reason
    return BounceReason.other


def bounce_groups(session: Session, start: datetime, end: datetime) -> list[BounceGroup]:
    """Group the bounces between `start` and `end` by reason, the largest group first."""
    refused = (
        select(OutreachMessage.reason, Lead.domain)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.status == OutreachStatus.failed,
            OutreachMessage.updated_at >= start,
            OutreachMessage.updated_at < end,
            OutreachMessage.reason.like(f"{REJECTED_PREFIX}%"),
        )
    )
    notices = (
        select(Reply.matched_rule, func.substr(Reply.body_excerpt, 1, NOTICE_CHARS), Lead.domain)
        .outerjoin(Lead, Lead.id == Reply.lead_id)
        .where(
            Reply.classification == ReplyClass.bounce,
            Reply.received_at >= start,
            Reply.received_at < end,
        )
    )
    found: list[tuple[BounceReason, str]] = [
        (reason_of(reason or ""), domain or "") for reason, domain in session.execute(refused)
    ]
    found += [
        (reason_of(f"{rule or ''}\n{body or ''}"), domain or "")
        for rule, body, domain in session.execute(notices)
    ]
    totals = Counter(reason for reason, _domain in found)
    groups = []
    for reason, count in sorted(totals.items(), key=lambda item: (-item[1], item[0].value)):
        domains = Counter(domain or "unknown" for r, domain in found if r is reason)
        top = sorted(domains.items(), key=lambda item: (-item[1], item[0]))[:TOP_DOMAINS]
        groups.append(
            BounceGroup(
                reason=reason,
                count=count,
                domains=[DomainCount(domain=d, count=n) for d, n in top],
            )
        )
    return groups

"""Why the period's addresses bounced: grouped by reason, with the domains most affected.

A notice's reason is the one stored with it when it was read (`cam.replies.bounce_reasons`);
a refusal at send time, or a notice stored before reasons were, is read from its stored words
the same way: its enhanced status code (RFC 3463), then the words mail systems use. The digest
shows fewer groups than there are reasons: policy refusals go with blocks, and what says
nothing of the address (too large, timed out, unreadable) is `other`.
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
from cam.replies import bounce_reasons, bounce_text

# Domains listed per reason.
TOP_DOMAINS = 3
# How much of a notice's text is read for its reason.
NOTICE_CHARS = 2000
# A status code anywhere in stored words: our own reasons write one after "failed" too.
_CODE = re.compile(r"\b[45]\.\d{1,3}\.\d{1,3}\b")
_GROUPS = {
    bounce_reasons.BounceReason.user_unknown: BounceReason.user_unknown,
    bounce_reasons.BounceReason.host_unknown: BounceReason.host_unknown,
    bounce_reasons.BounceReason.suspended: BounceReason.suspended,
    bounce_reasons.BounceReason.mailbox_full: BounceReason.mailbox_full,
    bounce_reasons.BounceReason.blocked: BounceReason.blocked,
    bounce_reasons.BounceReason.policy: BounceReason.blocked,
}


def reason_of(text: str, stored: str | None = None) -> BounceReason:
    """Return the digest's group for a bounce: its stored reason, else the one its text gives."""
    if stored is not None and stored in bounce_reasons.BounceReason.__members__:
        reason = bounce_reasons.BounceReason(stored)
    else:
        found = _CODE.search(text)
        status = bounce_text.status_of(text) or (found.group(0) if found else "")
        reason = bounce_reasons.reason_of(status, text)
    return _GROUPS.get(reason, BounceReason.other)


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
        select(
            Reply.matched_rule,
            func.substr(Reply.body_excerpt, 1, NOTICE_CHARS),
            Reply.bounce_reason,
            Lead.domain,
        )
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
        (reason_of(f"{rule or ''}\n{body or ''}", stored), domain or "")
        for rule, body, stored, domain in session.execute(notices)
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

"""What held work back, in the words a sales person reads (reports in Slack and the terminal).

The engine counts held-back messages under a `Limit` (`email_daily_cap`,
`max_outreach_per_day`...); people read what waits, why, and until when.
"""

from __future__ import annotations

from datetime import date

from cam.core.enums import Disqualification, Limit
from cam.core.report import CAMCycleReport

# Limit -> (what waits, why). A count goes before "what waits".
_HOLDS: dict[Limit, tuple[str, str]] = {
    Limit.max_new_leads_per_day: ("new leads not looked at yet", "the day's limit of new leads"),
    Limit.max_outreach_per_day: (
        "leads waiting for a first message",
        "the day's first-message limit",
    ),
    Limit.max_followups_per_day: ("follow-ups waiting", "the day's follow-up limit"),
    Limit.email_daily_cap: ("emails waiting", "the day's email limit"),
    Limit.linkedin_daily_cap: ("LinkedIn tasks waiting", "the day's LinkedIn limit"),
    Limit.email_hourly_cap: ("emails waiting", "this hour's email limit"),
    Limit.domain_daily_cap: ("emails waiting", "the day's limit of emails to one company"),
    Limit.send_window: ("messages waiting", "outside business hours in the recipient's time zone"),
    Limit.email_spacing: ("emails waiting a few minutes", "spaced out so they never go in a burst"),
    Limit.email_retry_later: ("emails to try again", "the mail server asked us to retry later"),
    Limit.email_not_configured: ("emails not sent", "no mail server is set up (CAM_SMTP_HOST)"),
    Limit.linkedin_not_configured: ("LinkedIn tasks not created", "LinkedIn tasks are off"),
    Limit.email_no_free_slot: ("emails not planned", "no free time in the next two weeks"),
    Limit.linkedin_no_free_slot: (
        "LinkedIn tasks not planned",
        "no free time in the next two weeks",
    ),
    Limit.paused: ("messages waiting", "CAM is paused until an approver resumes it"),
    Limit.dry_run: ("messages not sent", "CAM was switched back to dry run"),
    Limit.mailbox_paused: ("emails waiting", "their mailbox is paused"),
    Limit.linkedin_hourly_cap: ("LinkedIn tasks waiting", "this hour's LinkedIn limit"),
}
# When a hold lifts by itself, if it does.
_UNTIL: dict[Limit, str] = {
    Limit.max_new_leads_per_day: "tomorrow",
    Limit.max_outreach_per_day: "tomorrow",
    Limit.max_followups_per_day: "tomorrow",
    Limit.email_daily_cap: "tomorrow",
    Limit.linkedin_daily_cap: "tomorrow",
    Limit.domain_daily_cap: "tomorrow",
    Limit.email_hourly_cap: "the next hour",
    Limit.linkedin_hourly_cap: "the next hour",
    Limit.send_window: "the next business hours",
}
# Why a lead was disqualified, in words.
DISQUALIFIED_WORDS = {
    Disqualification.invalid_email: "with an invalid address",
    Disqualification.blocked_domain: "on a blocked domain",
    Disqualification.suppressed_address: "who asked not to be contacted",
    Disqualification.suppressed_domain: "at a company that asked not to be contacted",
}


def _as_limit(reason: str) -> Limit | None:
    """The limit a stored reason names; None for one an older version stored."""
    try:
        return Limit(reason)
    except ValueError:
        return None


def hold_line(reason: str, count: int, until: date | None = None) -> str:
    """Say what waits, why and until when: "10 emails waiting: the day's email limit (until
    Tue 2 Dec)"."""
    limit = _as_limit(reason)
    unknown = ("messages waiting", reason.replace("_", " "))
    what, why = _HOLDS.get(limit, unknown) if limit is not None else unknown
    lifts = f"{until:%a %-d %b}" if until is not None else None
    if lifts is None and limit is not None:
        lifts = _UNTIL.get(limit)
    return f"{count} {what}: {why}" + (f" (until {lifts})" if lifts else "")


NOT_SET_UP_WORDS = {
    "email": "sending email",
    "inbox": "reading replies",
    "linkedin": "LinkedIn tasks",
    "crm": "handing hot leads to a CRM",
}


def leads_line(report: CAMCycleReport) -> str | None:
    """Account for every lead looked at: disqualified (why), under the bar, enrolled."""
    if not report.leads_processed and not report.leads_enrolled:
        return None
    counted = {DISQUALIFIED_WORDS[kind]: count for kind, count in report.disqualified_why.items()}
    why = ", ".join(f"{count} {words}" for words, count in sorted(counted.items(), key=_most))
    parts = [
        f"{report.leads_disqualified} disqualified" + (f" ({why})" if why else ""),
        f"{report.leads_below_threshold} scored below the campaign's bar",
        f"{report.leads_enrolled} entered the campaign",
    ]
    return f"{report.leads_processed} leads looked at: " + ", ".join(parts)


def held_lines(report: CAMCycleReport) -> list[str]:
    """One line per hold, the largest first."""
    return [
        hold_line(reason, count, report.held_until.get(reason))
        for reason, count in sorted(report.skipped_by_limits.items(), key=_most)
    ]


def not_set_up(report: CAMCycleReport) -> str | None:
    """Name, in words, what is not set up (so nothing was sent or read through it)."""
    names = [NOT_SET_UP_WORDS.get(name, name) for name in report.channels_not_configured]
    return ", ".join(names) or None


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]

"""Block builders keep within Slack's limits, whatever the engine hands them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.blocks.approval import PendingApproval, approval_post
from bot.blocks.common import MAX_BLOCKS, MAX_HEADER, MAX_HOME_BLOCKS, MAX_SECTION, SlackPost
from bot.blocks.home import home_view
from bot.blocks.limits import limits_blocks, window_text
from bot.blocks.report import errors_post, report_post
from bot.blocks.status import LastRun, Status, status_blocks, status_text
from bot.blocks.task import task_post
from bot.payloads import ApprovalRef, BadPayload, TaskRef
from cam.core.config import SendWindow
from cam.core.enums import Disqualification, Limit
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Channel,
    Lead,
    ManualTask,
    Reply,
    ReplyClass,
    TaskStatus,
)
from cam.core.report import CAMCycleReport
from cam.outreach.limits import ChannelLimits, LimitsSnapshot

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def within_limits(post: SlackPost, limit: int = MAX_BLOCKS) -> None:
    assert post.text and len(post.text) <= 3000
    check_blocks(post.blocks, limit)
    for reply in post.thread:
        within_limits(reply)


def check_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    assert len(blocks) <= limit
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
        if block["type"] == "section":
            assert len((block.get("text") or {}).get("text", "")) <= MAX_SECTION
            assert len(block.get("fields", [])) <= 10
        for element in block.get("elements", []):
            assert len(str(element.get("value", ""))) <= 2000


def big_report(errors: int = 0, reasons: int = 0) -> CAMCycleReport:
    report = CAMCycleReport(
        cycle_id=7,
        start=START,
        end=START + timedelta(seconds=42),
        leads_created=300,
        leads_processed=290,
        simulated=20,
        channels_not_configured=["email", "inbox", "crm"],
    )
    for n in range(errors):
        report.error("send", "x" * 500 + f" <b>{n}</b> & more", item=f"lead {n}")
    # More reasons than there are limits: as a report stored by an older version may hold.
    report.skipped_by_limits.update({f"domain cap acme{n}.example": n + 1 for n in range(reasons)})
    return report


def lead(n: int = 1, **fields) -> Lead:
    values = {
        "id": n,
        "email": f"ada{n}@acme.example",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": "Acme <Analytical>",
        "title": "CTO",
        "score": 80,
        "score_reasons": ["title: cto (+30)", "company domain (+20)"],
    }
    return Lead(**(values | fields))


def escalation(n: int = 1, status=ApprovalStatus.pending, **fields) -> PendingApproval:
    approval = Approval(
        id=n,
        kind=ApprovalKind.escalate_lead,
        status=status,
        lead_id=n,
        requested_by="cam",
        requested_at=START,
        **fields,
    )
    reply = Reply(
        id=n,
        subject="Re: a question",
        body_excerpt="Sounds great, call me.\n" * 200,
        classification=ReplyClass.interested,
    )
    return PendingApproval(approval=approval, lead=lead(n), reply=reply)


def snapshot() -> LimitsSnapshot:
    return LimitsSnapshot(
        dry_run=True,
        day=date(2026, 11, 25),
        timezone="Europe/Paris",
        channels=[
            ChannelLimits(
                channel=Channel.email,
                cap_today=10,
                used_today=4,
                remaining=6,
                hourly_cap=5,
                used_this_hour=2,
                warmup_day=1,
            )
        ],
        per_domain_daily_cap=3,
        send_window=SendWindow(),
        blocked_domains=2,
        suppressions=9,
    )


def test_a_report_with_hundreds_of_errors_keeps_them_in_a_bounded_thread():
    post = report_post(big_report(errors=300, reasons=40), previous=big_report())
    within_limits(post)
    header = post.blocks[0]["text"]["text"]
    assert header == "CAM report · 2026-11-25 · DRY RUN"
    [thread] = post.thread
    text = str(thread.blocks)
    assert "_and 260 more_" in text
    assert "&lt;b&gt;0&lt;/b&gt; &amp; more" in text  # mrkdwn escaped
    assert "Against the previous run:* New leads 300 (±0)" in str(post.blocks)
    assert "and 20 more" in str(post.blocks)  # skip reasons beyond the first twenty


def test_a_clean_report_has_no_thread_and_names_what_is_not_configured():
    post = report_post(big_report())
    assert post.thread == []
    assert (
        "*Not set up yet* (nothing done for these): sending email, reading replies, "
        "handing hot leads to a CRM" in str(post.blocks)
    )
    assert post.text.startswith("CAM report · 2026-11-25 · DRY RUN: 290 leads processed")


def test_held_back_and_leads_are_in_words_with_until_when():
    report = big_report()
    report.leads_disqualified, report.disqualified_why = 2, {Disqualification.blocked_domain: 2}
    report.leads_below_threshold, report.leads_enrolled = 88, 200
    report.skip(Limit.max_outreach_per_day, 158)
    report.hold(Limit.email_daily_cap, date(2026, 11, 26))
    text = str(report_post(report).blocks)
    assert "*Leads:* 290 leads looked at: 2 disqualified (2 on a blocked domain), 88 scored" in text
    assert (
        "158 leads waiting for a first message: the day's first-message limit (until tomorrow)"
        in text
    )
    assert "1 emails waiting: the day's email limit (until Thu 26 Nov)" in text
    assert "max_outreach_per_day" not in text and "email_daily_cap" not in text
    assert report_post(report).text.endswith("159 held back")


def test_errors_post_names_phase_item_and_message():
    report = big_report()
    report.error("qualify", "bad address", item="lead 3")
    post = errors_post(report)
    assert "• `qualify` lead 3: bad address" in str(post.blocks)


def test_a_pending_escalation_has_confirmed_buttons_and_a_clipped_reply():
    post = approval_post(escalation())
    within_limits(post)
    [actions] = [b for b in post.blocks if b["type"] == "actions"]
    values = {e["value"] for e in actions["elements"]}
    assert {ApprovalRef.parse(v).approval_id for v in values} == {1}
    assert all(
        e["confirm"]["confirm"]["text"] in ("Approve", "Reject") for e in actions["elements"]
    )
    assert "Acme &lt;Analytical&gt;" in str(post.blocks)


def test_a_decided_approval_shows_who_and_when_without_buttons():
    decided = escalation(
        status=ApprovalStatus.approved,
        decided_by="UAPPROVER1",
        decided_at=START,
        crm_synced_at=START,
    )
    post = approval_post(decided)
    assert not [b for b in post.blocks if b["type"] == "actions"]
    assert "*Approved* by <@UAPPROVER1> <!date^" in str(post.blocks)


def test_a_failed_crm_sync_offers_a_retry():
    failed = escalation(
        status=ApprovalStatus.approved,
        decided_by="UAPPROVER1",
        decided_at=START,
        crm_error="HTTP 500 from the CRM",
    )
    post = approval_post(failed)
    [actions] = [b for b in post.blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Retry CRM sync"]


def test_the_home_fits_100_blocks_with_many_approvals():
    status = Status(
        dry_run=True,
        paused=False,
        next_run=START,
        last_run=LastRun(report=big_report(errors=3), trigger="schedule", finished_at=START),
        pending=[escalation(n) for n in range(1, 40)],
        unknown_outcomes=2,
    )
    view = home_view(status, snapshot(), notice="x" * 5000)
    check_blocks(view["blocks"], MAX_HOME_BLOCKS)
    assert "_and 31 more in the report channel_" in str(view["blocks"])
    assert "CAM report · 2026-11-25 · DRY RUN" in str(view["blocks"])
    assert "3 errors: see the report's thread" in str(view["blocks"])


def test_limits_show_warmup_and_hourly_caps():
    text = str([b.to_dict() for b in limits_blocks(snapshot())])
    assert "*Email*: 4 of 10 used today, *6 left*" in text
    assert "This hour: 2 of 5" in text and "Warm-up: day 2 of the ramp" in text


@pytest.mark.parametrize(
    ("days", "expected"),
    [({0, 1, 2, 3, 4}, "Mon to Fri"), ({0, 2}, "Mon, Wed"), ({5}, "Sat")],
)
def test_window_text(days, expected):
    assert window_text(SendWindow(weekdays=frozenset(days))).startswith(expected)


def test_status_when_paused_names_no_next_run():
    status = Status(dry_run=False, paused=True, next_run=START, last_run=None)
    text = str([b.to_dict() for b in status_blocks(status)])
    assert "CAM status · LIVE · PAUSED" in text and "`/cam resume`" in text


def test_task_open_and_decided():
    task = ManualTask(id=3, lead_id=1, status=TaskStatus.open, suggested_message="Hello")
    post = task_post(task, lead(linkedin_url="https://www.linkedin.com/in/ada"))
    within_limits(post)
    assert "<https://www.linkedin.com/in/ada|Open the LinkedIn profile>" in str(post.blocks)
    [actions] = [b for b in post.blocks if b["type"] == "actions"]
    skip = actions["elements"][1]
    assert {TaskRef.parse(o["value"]).reason for o in skip["options"]} == {
        "no_profile",
        "in_touch",
        "not_a_fit",
    }
    task.status, task.decided_by, task.decided_at = TaskStatus.done, "U1X", START
    assert not [b for b in task_post(task, lead()).blocks if b["type"] == "actions"]


@pytest.mark.parametrize(
    "value", [None, "", "{}", '{"approval_id": 0}', '{"approval_id": 1, "x": 2}', "[1]"]
)
def test_payloads_refuse_what_we_did_not_make(value):
    with pytest.raises(BadPayload):
        ApprovalRef.parse(value)


def test_status_text_says_what_is_happening_in_words():
    live = Status(dry_run=False, paused=False, next_run=None, last_run=None)
    assert status_text(live) == "Sending for real"
    dry = Status(dry_run=True, paused=True, next_run=None, last_run=None)
    assert status_text(dry) == (
        "Dry run: nothing is sent (paused: nothing runs until an approver resumes)"
    )

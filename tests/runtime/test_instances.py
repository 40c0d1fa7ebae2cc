"""Three `cam-bot` processes on one PostgreSQL database, the schedule firing in all of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cam.core.models import CycleRun, Notification, NotificationStatus
from tests.replies.prospects import wait_for
from tests.runtime.processes import clean_env, free_port, start_bot, stop, wait_healthy

INSTANCES = 3
EVERY = 10  # seconds between scheduled cycles


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_one_cycle_and_one_report_per_scheduled_time(tmp_path, fake_slack, db_url, sessions):
    ports = [free_port() for _ in range(INSTANCES)]
    logs = [tmp_path / f"bot{i}.log" for i in range(INSTANCES)]
    processes = []
    for index, port in enumerate(ports):
        env = clean_env(
            SLACK_BOT_TOKEN=fake_slack.token,
            SLACK_SIGNING_SECRET="signing-secret",
            SLACK_API_URL=fake_slack.url,
            CAM_REPORT_CHANNEL="C0REPORTS",
            CAM_APPROVERS="UAPPROVER1",
            CAM_SCHEDULE=f"*/{EVERY} * * * * *",
            CAM_INSTANCE_NAME=f"bot{index}",
            DATABASE_URL=db_url,
            PORT=str(port),
        )
        processes.append(start_bot(env, tmp_path, logs[index]))
    try:
        for port in ports:
            wait_healthy(port, timeout=60)
        all_up = datetime.now(UTC)
        # Two scheduled times pass with all three running, each decided by every instance and
        # its report posted; then stop, well before the third.
        wait_for(lambda: _settled(sessions, logs, all_up), timeout=EVERY * 3 + 60, every=0.5)
    finally:
        codes = [stop(process) for process in processes]
    output = [log.read_text() for log in logs]
    assert codes == [0] * INSTANCES, output
    assert not any("Traceback" in text for text in output), output

    with sessions() as session:
        runs = list(session.scalars(select(CycleRun).where(CycleRun.kind == "daily")))
        notes = list(session.scalars(select(Notification)))
    slots = [run.slot for run in runs]
    assert len(slots) == len(set(slots))
    watched = sorted(s for s in slots if s is not None and datetime.fromisoformat(s) > all_up)
    assert len(watched) >= 2, slots

    for slot in watched:
        ran = [i for i, text in enumerate(output) if f"cycle of {slot} run by" in text]
        declined = [i for i, text in enumerate(output) if f"cycle of {slot} already run" in text]
        # Every instance fired for this time; exactly one ran it.
        assert len(ran) == 1, (slot, ran)
        assert sorted(ran + declined) == list(range(INSTANCES)), (slot, ran, declined)

    # Every cycle's report was posted exactly once, none lost or doubled.
    reports = [call for call in fake_slack.of("chat.postMessage") if "thread_ts" not in call.params]
    assert len(reports) == len(runs)
    assert all(note.status == NotificationStatus.sent for note in notes)
    assert sorted(note.payload["cycle_id"] for note in notes if note.topic == "cycle_report") == (
        sorted(run.id for run in runs)
    )
    assert all(re.search(r"listening on port \d+", text) for text in output)


def _settled(sessions, logs, since: datetime) -> bool | None:
    """Whether two scheduled times after `since` were decided by every instance and every
    report is posted (None until then, for `wait_for`)."""
    with sessions() as session:
        slots = [run.slot for run in session.scalars(select(CycleRun))]
        pending = session.scalars(
            select(Notification).where(Notification.status != NotificationStatus.sent)
        ).first()
    output = [log.read_text() for log in logs]
    decided = [
        slot
        for slot in slots
        if slot is not None
        and datetime.fromisoformat(slot) > since
        and sum(
            f"cycle of {slot} run by" in t or f"cycle of {slot} already run" in t for t in output
        )
        == INSTANCES
    ]
    return True if len(decided) >= 2 and pending is None else None
